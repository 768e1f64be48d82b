"""Login with password + one-time code at every login, logout (BR-11, BR-12)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from mes.domain.errors import InvalidCredentials, OtpInvalid, OtpLocked, RateLimited, Unauthorized
from mes.domain.espace import Status
from mes.services import auth, enrolment
from mes.services.enrolment import ENROLMENT_AUDIENCE, HOLDER_AUDIENCE
from mes.services.espaces import get_espace
from mes.services.population import import_population
from mes.services.wave import run_wave
from tests.fakes import person, rows

ALICE = person(1, mobile=True)
PASSWORD = "correct horse battery"
EMAIL = "alice.new@example.org"


@pytest.fixture
def deps(system):
    return system.account_deps()


@pytest.fixture
def holder(system, deps, clock):
    """Alice has activated her espace: login alice.martin, one-time codes by e-mail."""
    import_population(rows(ALICE, person(2, guardian=ALICE)), repo=system.repo, keys=system.keys, now=clock())
    run_wave(system.wave_deps(), now=clock())
    code = next(s.data["code"] for s in system.notifier.sent if s.data.get("first_name") == "Prenom1")
    token, _ = enrolment.start_session(deps, nir=ALICE["nir"], birth_date=ALICE["birth_date"],
                                       vitale_serial=ALICE["vitale_serial"], code=code, now=clock())
    claims = system.tokens.verify(token, ENROLMENT_AUDIENCE, clock())
    challenge = enrolment.start_activation(deps, claims, email=EMAIL, mobile="0612345678", otp_channel="email",
                                           login="alice.martin", password=PASSWORD, accept_terms=True, now=clock())
    enrolment.confirm_activation(deps, claims, challenge_id=challenge.challenge_id,
                                 otp=system.notifier.last_otp(EMAIL), sms_otp=system.notifier.last_otp("+33612345678"),
                                 now=clock())
    clock.advance(hours=1)
    return system


def log_in(system, deps, now, login="alice.martin", password=PASSWORD):
    challenge = auth.login(deps, login=login, password=password, now=now)
    return challenge, system.notifier.last_otp(EMAIL)


def test_given_the_right_password_and_otp_when_logging_in_then_a_holder_token(holder, deps, clock):
    """BR-11: identifier + password, then a 6-digit one-time code at every login."""
    challenge, otp = log_in(holder, deps, clock())
    assert (challenge.channel, challenge.expires_in) == ("email", 600)

    token, ttl = auth.verify_otp(deps, challenge_id=challenge.challenge_id, otp=otp, now=clock())

    claims = auth.authenticate(deps, token, HOLDER_AUDIENCE, clock())
    assert claims["sub"] == holder.credentials.get("alice.martin").espace_id
    assert claims["exp"] == int(clock().timestamp()) + ttl
    espace, children = get_espace(holder.repo, claims, "me")
    assert espace.status == Status.ACTIVE and len(children) == 1


def test_given_an_sms_holder_when_logging_in_then_the_otp_goes_by_sms(holder, deps, clock):
    espace = holder.repo.get(holder.credentials.get("alice.martin").espace_id)
    espace.otp_channel = "sms"
    holder.repo.save(espace)

    challenge = auth.login(deps, login="alice.martin", password=PASSWORD, now=clock())

    assert challenge.channel == "sms"
    assert auth.verify_otp(deps, challenge_id=challenge.challenge_id, otp=holder.notifier.last_otp("+33612345678"),
                           now=clock())


def test_given_an_unknown_login_or_a_wrong_password_when_logging_in_then_the_same_error(holder, deps, clock):
    """BR-12: responses never reveal whether an identifier exists (same error, same hashing work)."""
    errors = []
    for login, password in (("nobody.here", PASSWORD), ("alice.martin", "wrong password!"), ("", PASSWORD)):
        with pytest.raises(InvalidCredentials) as caught:
            auth.login(deps, login=login, password=password, now=clock())
        errors.append((caught.value.code, caught.value.detail))
    assert len(set(errors)) == 1
    assert holder.hasher.dummy_calls == 2
    assert len(holder.notifier.to(EMAIL, "otp")) == 1  # the activation's: no login code was sent


def test_given_10_failed_logins_in_an_hour_when_logging_in_then_rate_limited_until_the_next_window(
        holder, deps, clock):
    """BR-12: ≤ 10 failed logins per hour per account, even with the right password afterwards."""
    start = clock()
    for _ in range(10):
        with pytest.raises(InvalidCredentials):
            auth.login(deps, login="alice.martin", password="wrong password!", now=clock())
    with pytest.raises(RateLimited) as caught:
        auth.login(deps, login="alice.martin", password=PASSWORD, now=clock())
    assert 0 < caught.value.retry_after <= 3600
    for _ in range(10):  # unknown identifiers are counted the same way
        with pytest.raises(InvalidCredentials):
            auth.login(deps, login="nobody.here", password=PASSWORD, now=clock())
    with pytest.raises(RateLimited):
        auth.login(deps, login="nobody.here", password=PASSWORD, now=clock())

    clock.now = start.replace(minute=0, second=0) + timedelta(hours=1)
    assert auth.login(deps, login="alice.martin", password=PASSWORD, now=clock())


def test_given_an_otp_when_used_twice_then_the_second_time_is_refused(holder, deps, clock):
    """BR-11: single use."""
    challenge, otp = log_in(holder, deps, clock())
    auth.verify_otp(deps, challenge_id=challenge.challenge_id, otp=otp, now=clock())
    with pytest.raises(OtpInvalid):
        auth.verify_otp(deps, challenge_id=challenge.challenge_id, otp=otp, now=clock())


def test_given_5_wrong_otps_or_10_minutes_when_verifying_then_refused(holder, deps, clock):
    """BR-11/BR-12: ≤ 5 tries, valid ≤ 10 minutes, bound to that login. After the 5th wrong code the
    challenge is locked (429 `code_locked`): even the right code is refused, with Retry-After = the
    seconds left until the challenge expires (the lock lasts the challenge's life; a new login sends
    a new code)."""
    challenge, otp = log_in(holder, deps, clock())
    wrong = f"{(int(otp) + 1) % 10**6:06d}"
    for _ in range(5):
        with pytest.raises(OtpInvalid):
            auth.verify_otp(deps, challenge_id=challenge.challenge_id, otp=wrong, now=clock())
    with pytest.raises(OtpLocked) as locked:
        auth.verify_otp(deps, challenge_id=challenge.challenge_id, otp=otp, now=clock() + timedelta(seconds=100))
    assert locked.value.code == "code_locked"
    assert locked.value.retry_after == challenge.expires_in - 100

    challenge, otp = log_in(holder, deps, clock())
    with pytest.raises(OtpInvalid):
        auth.verify_otp(deps, challenge_id=challenge.challenge_id, otp=otp, now=clock() + timedelta(seconds=601))
    with pytest.raises(OtpInvalid):
        auth.verify_otp(deps, challenge_id="no-such-challenge", otp=otp, now=clock())


def test_given_parallel_tries_reading_the_same_attempt_count_then_still_5_comparisons_at_most(
        holder, deps, clock, monkeypatch):
    """BR-11/BR-12: tries racing each other all read `attempts == 0` before any of them writes; the
    try is counted by a conditional write before the code is compared, so the 6th is locked."""
    challenge, otp = log_in(holder, deps, clock())
    fresh = holder.ephemeral.get_challenge(challenge.challenge_id)
    monkeypatch.setattr(holder.ephemeral, "get_challenge", lambda _id: fresh)  # every read is stale
    wrong = f"{(int(otp) + 1) % 10**6:06d}"
    for _ in range(5):
        with pytest.raises(OtpInvalid):
            auth.verify_otp(deps, challenge_id=challenge.challenge_id, otp=wrong, now=clock())
    with pytest.raises(OtpLocked):
        auth.verify_otp(deps, challenge_id=challenge.challenge_id, otp=otp, now=clock())


def test_given_many_logins_when_sending_otps_then_rate_limited(holder, deps, clock):
    """BR-12: one-time code sends are rate-limited (SMS cost), 5 per fixed 10-minute window;
    Retry-After is the seconds until that window ends, when a send is possible again."""
    clock.advance(seconds=123)  # not on a window boundary
    for _ in range(5):
        auth.login(deps, login="alice.martin", password=PASSWORD, now=clock())
    with pytest.raises(RateLimited) as caught:
        auth.login(deps, login="alice.martin", password=PASSWORD, now=clock())
    at = int(clock().timestamp())
    assert caught.value.retry_after == 600 - at % 600 == 477
    clock.advance(seconds=caught.value.retry_after)
    assert auth.login(deps, login="alice.martin", password=PASSWORD, now=clock())


def test_given_a_token_when_logging_out_then_it_is_revoked(holder, deps, clock):
    """BR-11/BR-14: logout revokes the session."""
    challenge, otp = log_in(holder, deps, clock())
    token, _ = auth.verify_otp(deps, challenge_id=challenge.challenge_id, otp=otp, now=clock())
    claims = auth.authenticate(deps, token, HOLDER_AUDIENCE, clock())

    auth.logout(deps, claims)

    with pytest.raises(Unauthorized):
        auth.authenticate(deps, token, HOLDER_AUDIENCE, clock())


def test_given_an_enrolment_or_expired_token_when_authenticating_as_holder_then_unauthorized(holder, deps, clock):
    enrolment_token = holder.tokens.sign({"aud": ENROLMENT_AUDIENCE, "sub": "x", "jti": "j", "iat": 0,
                                          "exp": int(clock().timestamp()) + 60})
    with pytest.raises(Unauthorized):
        auth.authenticate(deps, enrolment_token, HOLDER_AUDIENCE, clock())
    challenge, otp = log_in(holder, deps, clock())
    token, ttl = auth.verify_otp(deps, challenge_id=challenge.challenge_id, otp=otp, now=clock())
    with pytest.raises(Unauthorized):
        auth.authenticate(deps, token, HOLDER_AUDIENCE, clock() + timedelta(seconds=ttl))


def test_given_a_login_the_espace_no_longer_holds_when_logging_in_then_the_same_error_and_a_failure(
        holder, deps, clock):
    """BR-18 (handed over at 18, then re-activated under another login) and BR-12: a credential left
    behind by a login the espace no longer holds opens nothing, with the same error as a wrong
    password, counted as a failure, and no one-time code is sent."""
    espace_id = holder.credentials.get("alice.martin").espace_id
    holder.repo.items[espace_id].login = "alice.majeure"

    with pytest.raises(InvalidCredentials):
        auth.login(deps, login="alice.martin", password=PASSWORD, now=clock())

    assert len(holder.notifier.to(EMAIL, "otp")) == 1  # the activation's: no login code was sent
    counter = f"login-fail:{holder.keys.login_hmac('alice.martin')}"
    assert holder.ephemeral.count(counter, 3600, clock()) == 1
