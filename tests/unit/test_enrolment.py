"""Enrolment with the provisional code: sessions, opposition, renewal, activation (BR-06 to BR-12)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from mes.domain.codes import derive_code
from mes.domain.errors import (
    CodeExpired,
    CodeLocked,
    CodeUsed,
    DeadlinePassed,
    InvalidCredentials,
    LoginTaken,
    OtpInvalid,
    OtpLocked,
    RateLimited,
    StateConflict,
    ValidationError,
)
from mes.domain.espace import Status
from mes.domain.identity import normalise_mobile
from mes.services import enrolment
from mes.services.auto_create import run_auto_create
from mes.services.enrolment import ENROLMENT_AUDIENCE
from mes.services.population import import_population
from mes.services.wave import run_wave
from tests.fakes import person, rows

ALICE = person(1, mobile=True)
BRUNO = person(2, email=False)
OTHER = person(3)
PASSWORD = "correct horse battery"


@pytest.fixture
def deps(system):
    return system.account_deps()


@pytest.fixture
def notified(system, clock):
    """Alice (e-mail + mobile) and Bruno (letter only) were notified by the wave; Other never imported."""
    import_population(rows(ALICE, BRUNO), repo=system.repo, keys=system.keys, now=clock())
    run_wave(system.wave_deps(), now=clock())
    return system


def code_of(system, row) -> str:
    """The last code this (adult) person received: by the wave (e-mail or letter) or by a renewal."""
    codes = [x["code"] for x in system.printer.letters if x["first_name"] == row["first_name"]]
    codes += [s.data["code"] for s in system.notifier.sent if "code" in s.data and (
        s.data.get("first_name") == row["first_name"]
        or ("renewal-code" in s.template and s.to in (row["email"], row["mobile"])))]
    return codes[-1]


def session(deps, row, code, now, **changes):
    fields = {"nir": row["nir"], "birth_date": row["birth_date"], "vitale_serial": row["vitale_serial"], **changes}
    return enrolment.start_session(deps, code=code, now=now, **fields)


def claims_for(system, deps, row, code, now):
    token, _ = session(deps, row, code, now)
    return system.tokens.verify(token, ENROLMENT_AUDIENCE, now)


def espace_of(system, row):
    return next(e for e in system.repo.items.values() if e.first_name == row["first_name"])


class TestSession:
    def test_given_the_right_identity_and_code_when_starting_then_a_short_enrolment_token(self, notified, deps, clock):
        """BR-06/BR-10: NIR + birth date + Vitale serial + code open an enrolment session."""
        token, espace = session(deps, ALICE, code_of(notified, ALICE), clock())

        claims = notified.tokens.verify(token, ENROLMENT_AUDIENCE, clock())
        assert (claims["sub"], claims["seq"]) == (espace.espace_id, 1)
        assert claims["exp"] - claims["iat"] == deps.enrolment_ttl
        letter_token, _ = session(deps, BRUNO, code_of(notified, BRUNO), clock())  # the letter code works too
        assert letter_token

    @pytest.mark.parametrize("call", ["session", "renewal"])
    @pytest.mark.parametrize("changes", [{"nir": "185054412345600"}, {"nir": "123"}, {"vitale_serial": "12"},
                                         {"birth_date": "31/12/1980"}, {"birth_date": "2099-01-01"}],
                             ids=["nir-key", "nir-length", "serial", "date-format", "date-future"])
    def test_given_an_invalid_identity_when_calling_then_validation_error_before_any_lookup(
            self, notified, deps, clock, call, changes):
        """BR-01: an invalid NIR (or serial, date) is a 400 before any repository call."""
        notified.repo.calls.clear()
        fields = {"nir": ALICE["nir"], "birth_date": ALICE["birth_date"], "vitale_serial": ALICE["vitale_serial"],
                  **changes}
        with pytest.raises(ValidationError):
            if call == "session":
                enrolment.start_session(deps, code="x" * 12, now=clock(), **fields)
            else:
                enrolment.renew_code(deps, channel="email", now=clock(), **fields)
        assert notified.repo.calls == []

    def test_given_one_wrong_field_when_starting_then_the_same_answer_whatever_the_field(self, notified, deps, clock):
        """BR-06/BR-12: a wrong NIR, birth date, serial or code gives the same error (no enumeration)."""
        code = code_of(notified, ALICE)
        attempts = [
            dict(nir=OTHER["nir"]), dict(birth_date="1950-01-02"), dict(vitale_serial="99999999999"),
            dict(code="AAAAAAAAAAAA"), dict(code=code_of(notified, BRUNO)),
        ]
        errors = []
        for changes in attempts:
            with pytest.raises(InvalidCredentials) as caught:
                session(deps, ALICE, changes.pop("code", code), clock(), **changes)
            errors.append((type(caught.value), caught.value.code, caught.value.detail, caught.value.field))
        assert len(set(errors)) == 1

    def test_given_5_wrong_codes_when_starting_then_locked_even_for_the_right_code(self, notified, deps, clock):
        """BR-12: ≤ 5 wrong codes per espace lock the code; a new code must be requested."""
        for _ in range(4):
            with pytest.raises(InvalidCredentials):
                session(deps, ALICE, "WRONGWRONG00", clock())
        with pytest.raises(CodeLocked):
            session(deps, ALICE, "WRONGWRONG00", clock())
        with pytest.raises(CodeLocked):
            session(deps, ALICE, code_of(notified, ALICE), clock())
        assert espace_of(notified, ALICE).code_attempts == 5

    def test_given_a_locked_code_then_retry_after_is_when_a_retry_can_succeed(self, notified, deps, clock):
        """BR-12 / BR-09, API.md (429 with Retry-After): a locked code stays locked until a renewal,
        so Retry-After says when a retry can succeed: 60 s (RENEWAL_ADVICE_SECONDS: ask for a new
        code and receive it) while a renewal is still possible today; once the day's
        MAX_RENEWALS_PER_DAY renewals are spent, the seconds until that daily limit resets
        (a fixed UTC-day window)."""
        for _ in range(5):
            with pytest.raises((InvalidCredentials, CodeLocked)):
                session(deps, ALICE, "WRONGWRONG00", clock())
        with pytest.raises(CodeLocked) as locked:
            session(deps, ALICE, code_of(notified, ALICE), clock())
        assert locked.value.retry_after == enrolment.RENEWAL_ADVICE_SECONDS == 60

        for _ in range(enrolment.MAX_RENEWALS_PER_DAY):  # each renewal unlocks; lock it again each time
            enrolment.renew_code(deps, nir=ALICE["nir"], birth_date=ALICE["birth_date"],
                                 vitale_serial=ALICE["vitale_serial"], channel="email", now=clock())
            for _ in range(5):
                with pytest.raises((InvalidCredentials, CodeLocked)):
                    session(deps, ALICE, "WRONGWRONG00", clock())
        with pytest.raises(CodeLocked) as locked:
            session(deps, ALICE, code_of(notified, ALICE), clock())
        at = int(clock().timestamp())
        assert locked.value.retry_after == 86400 - at % 86400
        assert 0 < locked.value.retry_after <= 86400

    def test_given_a_locked_code_when_a_new_code_is_requested_then_the_new_one_works(self, notified, deps, clock):
        """BR-12: locking is lifted by a new code (BR-09)."""
        for _ in range(5):
            with pytest.raises((InvalidCredentials, CodeLocked)):
                session(deps, ALICE, "WRONGWRONG00", clock())
        enrolment.renew_code(deps, nir=ALICE["nir"], birth_date=ALICE["birth_date"],
                             vitale_serial=ALICE["vitale_serial"], channel="email", now=clock())
        assert session(deps, ALICE, code_of(notified, ALICE), clock())

    def test_given_a_used_code_when_starting_again_then_code_used(self, notified, deps, clock):
        """BR-06: single use: after an opposition the code is spent."""
        code = code_of(notified, ALICE)
        enrolment.oppose(deps, claims_for(notified, deps, ALICE, code, clock()), now=clock())

        with pytest.raises(CodeUsed):
            session(deps, ALICE, code, clock() + timedelta(minutes=1))

    def test_given_an_expired_code_when_starting_then_code_expired_only_if_identity_matched(
            self, notified, deps, clock):
        """BR-06: valid 6 weeks; "expired" is told only after NIR + serial + birth date matched."""
        code = code_of(notified, ALICE)
        later = clock() + timedelta(days=42, seconds=1)

        with pytest.raises(CodeExpired):
            session(deps, ALICE, code, later)
        with pytest.raises(InvalidCredentials):
            session(deps, ALICE, code, later, vitale_serial="99999999999")
        with pytest.raises(InvalidCredentials):
            session(deps, ALICE, "AAAAAAAAAAAA", later)
        assert session(deps, ALICE, code, clock() + timedelta(days=42))  # the last valid second

    def test_given_a_pending_person_when_starting_then_invalid_credentials(self, system, deps, clock):
        import_population(rows(ALICE), repo=system.repo, keys=system.keys, now=clock())
        with pytest.raises(InvalidCredentials):
            session(deps, ALICE, derive_code(system.keys.code, espace_of(system, ALICE).espace_id, 1), clock())
        assert espace_of(system, ALICE).code_attempts == 0


class TestOpposition:
    def test_given_a_session_within_the_window_when_opposing_then_opposed_with_a_receipt(self, notified, deps, clock):
        """BR-07: the espace becomes opposed, a receipt (id + date) is returned and e-mailed."""
        claims = claims_for(notified, deps, ALICE, code_of(notified, ALICE), clock())
        clock.advance(days=41)

        espace = enrolment.oppose(deps, claims, now=clock())

        assert espace.status == Status.OPPOSED and espace.opposed_at == clock()
        assert espace.receipt_id.startswith(f"OPP-{clock():%Y%m%d}-")
        [receipt] = notified.notifier.to(ALICE["email"], "opposition-receipt")
        assert receipt.data["receipt_id"] == espace.receipt_id
        assert espace_of(notified, ALICE).status == Status.OPPOSED

    def test_given_an_opposition_when_the_job_runs_after_the_deadline_then_never_created(
            self, notified, deps, clock):
        """BR-07/BR-08: an opposed espace is never created automatically."""
        enrolment.oppose(deps, claims_for(notified, deps, ALICE, code_of(notified, ALICE), clock()), now=clock())

        run_auto_create(notified.repo, now=clock() + timedelta(days=43))
        run_auto_create(notified.repo, now=clock() + timedelta(days=44))

        assert espace_of(notified, ALICE).status == Status.OPPOSED
        assert espace_of(notified, BRUNO).status == Status.CREATED

    def test_given_the_deadline_passed_when_opposing_then_deadline_passed(self, notified, deps, clock):
        """BR-07: after the deadline (whether or not the job already ran) opposition is refused."""
        claims = claims_for(notified, deps, ALICE, code_of(notified, ALICE), clock() + timedelta(days=41))
        with pytest.raises(DeadlinePassed):
            enrolment.oppose(deps, claims, now=clock() + timedelta(days=42, seconds=1))

        run_auto_create(notified.repo, now=clock() + timedelta(days=43))
        enrolment.renew_code(deps, nir=ALICE["nir"], birth_date=ALICE["birth_date"],
                             vitale_serial=ALICE["vitale_serial"], channel="email", now=clock() + timedelta(days=44))
        claims = claims_for(notified, deps, ALICE, code_of(notified, ALICE), clock() + timedelta(days=44))
        with pytest.raises(DeadlinePassed):
            enrolment.oppose(deps, claims, now=clock() + timedelta(days=44))
        assert espace_of(notified, ALICE).status == Status.CREATED

    def test_given_an_opposed_person_who_changes_their_mind_when_a_new_code_is_used_then_activation_works(
            self, notified, deps, clock):
        """BR-07: the person may change their mind later (request a new code, activate)."""
        enrolment.oppose(deps, claims_for(notified, deps, ALICE, code_of(notified, ALICE), clock()), now=clock())
        enrolment.renew_code(deps, nir=ALICE["nir"], birth_date=ALICE["birth_date"],
                             vitale_serial=ALICE["vitale_serial"], channel="sms", now=clock())
        claims = claims_for(notified, deps, ALICE, code_of(notified, ALICE), clock())
        with pytest.raises(StateConflict):
            enrolment.oppose(deps, claims, now=clock())

        espace = activate(notified, deps, claims, clock(), login="alice.martin")

        assert espace.status == Status.ACTIVE


class TestRenewal:
    def test_given_a_renewal_when_the_old_code_is_used_then_refused_and_the_new_one_works(
            self, notified, deps, clock):
        """BR-09: a new code by e-mail to the contact on file, never in the response; the old one stops."""
        old = code_of(notified, ALICE)
        clock.advance(days=3)

        answer = enrolment.renew_code(deps, nir=ALICE["nir"], birth_date=ALICE["birth_date"],
                                      vitale_serial=ALICE["vitale_serial"], channel="email", now=clock())

        assert answer is None
        [mail] = notified.notifier.to(ALICE["email"], "renewal-code")
        new = mail.data["code"]
        assert new != old and len(new) == 12
        with pytest.raises(InvalidCredentials):
            session(deps, ALICE, old, clock())
        _, espace = session(deps, ALICE, new, clock())
        assert espace.code_seq == 2 and espace.code_expires_at == clock() + timedelta(days=42)

    def test_given_a_renewal_by_sms_when_a_mobile_is_on_file_then_an_sms(self, notified, deps, clock):
        enrolment.renew_code(deps, nir=ALICE["nir"], birth_date=ALICE["birth_date"],
                             vitale_serial=ALICE["vitale_serial"], channel="sms", now=clock())
        [sms] = [s for s in notified.notifier.sent if s.channel == "sms"]
        assert (sms.to, sms.template) == (ALICE["mobile"], "renewal-code")
        assert session(deps, ALICE, sms.data["code"], clock())

    @pytest.mark.parametrize("who, channel", [(OTHER, "email"), (BRUNO, "email"), (BRUNO, "sms"), (ALICE, "post")],
                             ids=["unknown", "no-email", "no-mobile", "bad-channel"])
    def test_given_nobody_or_no_contact_when_renewing_then_same_silent_answer(self, notified, deps, clock, who,
                                                                               channel):
        """BR-09: same answer whether or not the person exists or has a contact; nothing sent."""
        before = list(notified.notifier.sent)
        call = dict(nir=who["nir"], birth_date=who["birth_date"], vitale_serial=who["vitale_serial"],
                    channel=channel, now=clock())
        if channel == "post":
            with pytest.raises(ValidationError):
                enrolment.renew_code(deps, **call)
        else:
            assert enrolment.renew_code(deps, **call) is None
        assert notified.notifier.sent == before
        assert espace_of(notified, BRUNO).code_seq == 1

    def test_given_many_renewals_in_a_day_when_renewing_then_at_most_3_codes(self, notified, deps, clock):
        """BR-12: sends are rate-limited (cost); the answer stays the same."""
        for _ in range(5):
            enrolment.renew_code(deps, nir=ALICE["nir"], birth_date=ALICE["birth_date"],
                                 vitale_serial=ALICE["vitale_serial"], channel="email", now=clock())
        assert len(notified.notifier.to(ALICE["email"], "renewal-code")) == 3
        assert espace_of(notified, ALICE).code_seq == 4


    def test_given_a_child_whose_guardian_changed_e_mail_when_renewing_then_the_guardian_s_current_address(
            self, notified, deps, clock):
        """BR-09 (and BR-16: a child's code goes to its guardian): the contact on file is the guardian's
        current one, not the copy made when the child was imported."""
        child = person(4, guardian=ALICE)
        import_population(rows(child), repo=notified.repo, keys=notified.keys, now=clock())
        run_wave(notified.wave_deps(), now=clock())
        notified.repo.items[espace_of(notified, ALICE).espace_id].email = "alice.new@example.org"

        enrolment.renew_code(deps, nir=child["nir"], birth_date=child["birth_date"],
                             vitale_serial=child["vitale_serial"], channel="email", now=clock())

        assert notified.notifier.to(ALICE["email"], "renewal-code") == []
        [mail] = notified.notifier.to("alice.new@example.org", "renewal-code")
        assert session(deps, child, mail.data["code"], clock())

def activate(system, deps, claims, now, *, login, mobile=None, channel="email", password=PASSWORD):
    challenge = enrolment.start_activation(deps, claims, email="alice.new@example.org", mobile=mobile,
                                           otp_channel=channel, login=login, password=password, accept_terms=True,
                                           now=now)
    otp = system.notifier.last_otp("alice.new@example.org")
    sms = system.notifier.last_otp(normalise_mobile(mobile)) if mobile else None
    return enrolment.confirm_activation(deps, claims, challenge_id=challenge.challenge_id, otp=otp, sms_otp=sms,
                                        now=now)


class TestActivation:
    def test_given_proven_contacts_when_confirming_then_active_with_a_hashed_password(self, notified, deps, clock):
        """BR-10: e-mail and mobile proven by one-time codes, identifier + password, terms → active."""
        claims = claims_for(notified, deps, ALICE, code_of(notified, ALICE), clock())

        espace = activate(notified, deps, claims, clock(), login="alice.martin", mobile="06 12 34 56 78",
                          channel="sms")

        assert (espace.status, espace.login, espace.mobile, espace.otp_channel) == (
            Status.ACTIVE, "alice.martin", "+33612345678", "sms")
        stored = espace_of(notified, ALICE)
        assert stored.status == Status.ACTIVE and stored.email == "alice.new@example.org"
        credential = notified.credentials.get("alice.martin")
        assert credential.espace_id == stored.espace_id and PASSWORD not in credential.password_hash
        assert notified.hasher.verify(credential.password_hash, PASSWORD)

    def test_given_an_activated_espace_when_its_code_is_used_again_then_code_used(self, notified, deps, clock):
        """BR-10: a used code cannot serve again."""
        code = code_of(notified, ALICE)
        activate(notified, deps, claims_for(notified, deps, ALICE, code, clock()), clock(), login="alice.martin")
        with pytest.raises(CodeUsed):
            session(deps, ALICE, code, clock())

    def test_given_5_wrong_otps_when_confirming_then_the_challenge_is_dead(self, notified, deps, clock):
        """BR-11/BR-12: ≤ 5 tries per one-time code; then locked (429 `code_locked`, Retry-After =
        seconds until the challenge expires), even for the right code."""
        claims = claims_for(notified, deps, ALICE, code_of(notified, ALICE), clock())
        challenge = enrolment.start_activation(deps, claims, email="alice.new@example.org", mobile=None,
                                               otp_channel="email", login="alice.martin", password=PASSWORD,
                                               accept_terms=True, now=clock())
        right = notified.notifier.last_otp("alice.new@example.org")
        wrong = f"{(int(right) + 1) % 10**6:06d}"
        for _ in range(5):
            with pytest.raises(OtpInvalid):
                enrolment.confirm_activation(deps, claims, challenge_id=challenge.challenge_id, otp=wrong,
                                             sms_otp=None, now=clock())
        with pytest.raises(OtpLocked) as locked:
            enrolment.confirm_activation(deps, claims, challenge_id=challenge.challenge_id, otp=right, sms_otp=None,
                                         now=clock())
        assert locked.value.retry_after == int((challenge.expires_at - clock()).total_seconds())
        assert espace_of(notified, ALICE).status == Status.NOTIFIED

    def test_given_a_mobile_when_only_the_email_otp_is_given_then_refused(self, notified, deps, clock):
        """BR-10: each contact is proven by its own one-time code."""
        claims = claims_for(notified, deps, ALICE, code_of(notified, ALICE), clock())
        challenge = enrolment.start_activation(deps, claims, email="alice.new@example.org", mobile="0612345678",
                                               otp_channel="email", login="alice.martin", password=PASSWORD,
                                               accept_terms=True, now=clock())
        email_otp = notified.notifier.last_otp("alice.new@example.org")
        with pytest.raises(OtpInvalid):
            enrolment.confirm_activation(deps, claims, challenge_id=challenge.challenge_id, otp=email_otp,
                                         sms_otp=None, now=clock())
        with pytest.raises(OtpInvalid):  # too late: 10 minutes
            enrolment.confirm_activation(deps, claims, challenge_id=challenge.challenge_id, otp=email_otp,
                                         sms_otp=notified.notifier.last_otp("+33612345678"),
                                         now=clock() + timedelta(minutes=10, seconds=1))

    def test_given_another_espaces_challenge_when_confirming_then_refused(self, notified, deps, clock):
        """BR-11: a one-time code is bound to its challenge and its session."""
        alice = claims_for(notified, deps, ALICE, code_of(notified, ALICE), clock())
        bruno = claims_for(notified, deps, BRUNO, code_of(notified, BRUNO), clock())
        challenge = enrolment.start_activation(deps, alice, email="alice.new@example.org", mobile=None,
                                               otp_channel="email", login="alice.martin", password=PASSWORD,
                                               accept_terms=True, now=clock())
        with pytest.raises(OtpInvalid):
            enrolment.confirm_activation(deps, bruno, challenge_id=challenge.challenge_id,
                                         otp=notified.notifier.last_otp("alice.new@example.org"), sms_otp=None,
                                         now=clock())

    def test_given_a_taken_login_when_activating_then_login_taken(self, notified, deps, clock):
        """BR-10: identifiers are unique."""
        activate(notified, deps, claims_for(notified, deps, ALICE, code_of(notified, ALICE), clock()), clock(),
                 login="same.login")
        bruno = claims_for(notified, deps, BRUNO, code_of(notified, BRUNO), clock())
        with pytest.raises(LoginTaken):
            enrolment.start_activation(deps, bruno, email="bruno@example.org", mobile=None, otp_channel="email",
                                       login="same.login", password=PASSWORD, accept_terms=True, now=clock())

    def test_given_two_activations_racing_for_a_login_when_confirming_then_one_wins(self, notified, deps, clock):
        """BR-10: the login is checked again, atomically, at confirmation."""
        alice = claims_for(notified, deps, ALICE, code_of(notified, ALICE), clock())
        bruno = claims_for(notified, deps, BRUNO, code_of(notified, BRUNO), clock())
        mine = enrolment.start_activation(deps, bruno, email="bruno@example.org", mobile=None, otp_channel="email",
                                          login="same.login", password=PASSWORD, accept_terms=True, now=clock())
        bruno_otp = notified.notifier.last_otp("bruno@example.org")
        activate(notified, deps, alice, clock(), login="same.login")

        with pytest.raises(LoginTaken):
            enrolment.confirm_activation(deps, bruno, challenge_id=mine.challenge_id, otp=bruno_otp, sms_otp=None,
                                         now=clock())
        assert espace_of(notified, BRUNO).status == Status.NOTIFIED

    @pytest.mark.parametrize("changes, field", [
        ({"accept_terms": False}, "accept_terms"), ({"login": "Alice"}, "login"), ({"password": "short"}, "password"),
        ({"email": "nope"}, "email"), ({"otp_channel": "sms"}, "mobile"), ({"otp_channel": "fax"}, "otp_channel"),
        ({"mobile": "12"}, "mobile"), ({"password": "alice.martin-2026"}, "password")])
    def test_given_invalid_activation_data_when_starting_then_validation_error(self, notified, deps, clock, changes,
                                                                                field):
        """BR-10/BR-13: terms accepted, identifier and password rules, a mobile for SMS codes."""
        claims = claims_for(notified, deps, ALICE, code_of(notified, ALICE), clock())
        data = dict(email="alice.new@example.org", mobile=None, otp_channel="email", login="alice.martin",
                    password=PASSWORD, accept_terms=True)
        data.update(changes)
        with pytest.raises(ValidationError) as caught:
            enrolment.start_activation(deps, claims, now=clock(), **data)
        assert caught.value.field == field
        assert notified.ephemeral.challenges == {}

    def test_given_many_activation_starts_when_sending_otps_then_rate_limited(self, notified, deps, clock):
        """BR-12: one-time code sends are rate-limited (SMS cost)."""
        claims = claims_for(notified, deps, ALICE, code_of(notified, ALICE), clock())
        data = dict(email="alice.new@example.org", mobile=None, otp_channel="email", login="alice.martin",
                    password=PASSWORD, accept_terms=True)
        for _ in range(5):
            enrolment.start_activation(deps, claims, now=clock(), **data)
        with pytest.raises(RateLimited):
            enrolment.start_activation(deps, claims, now=clock(), **data)
        assert enrolment.start_activation(deps, claims, now=clock() + timedelta(minutes=10), **data)
