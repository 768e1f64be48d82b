"""Closure, suspension, retention rules and use cases with fakes and a frozen clock (BR-14, BR-15)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from mes.domain import closure as rules
from mes.domain.errors import InvalidCredentials, RateLimited, StateConflict, Unauthorized
from mes.domain.espace import Espace, Status, activate
from mes.services import auth, closure, enrolment
from mes.services.enrolment import ENROLMENT_AUDIENCE, HOLDER_AUDIENCE
from mes.services.population import import_population
from mes.services.wave import run_wave
from tests.fakes import FakeHolderStore, FakeLifecycleRepository, InjectedCrash, person, rows, template_name

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ALICE = person(1)
PASSWORD = "correct horse battery"
EMAIL = "alice.new@example.org"


def espace(status=Status.ACTIVE, espace_id="e-1", email="e1@example.org") -> Espace:
    return Espace(espace_id=espace_id, nir_hmac="h", birth_date=date(1980, 1, 1), vitale_hmac="v", first_name="Alice",
                  last_name="Martin", department="44", status=status, email=email)


# -------------------------------------------------------------------------------------------------
# Dates: 3 months, 6 weeks, 10 years
# -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("day", range(0, 366, 7))
def test_a_deletion_request_is_always_due_within_three_months(day):
    closed_at = datetime(2026, 1, 1, 23, 59, 59, tzinfo=UTC) + timedelta(days=day)
    e = rules.close(espace(), closed_at, delete_data=True)
    assert e.deletion_due == closed_at + timedelta(days=30)
    assert closed_at < e.deletion_due <= rules.add_months(closed_at, rules.DELETION_LIMIT_MONTHS)
    assert rules.purge_due(e) == e.deletion_due  # the request wins over the archive


def test_calendar_arithmetic_clamps_to_the_end_of_shorter_months():
    assert rules.add_months(datetime(2026, 11, 30, tzinfo=UTC), 3) == datetime(2027, 2, 28, tzinfo=UTC)
    assert rules.add_months(datetime(2027, 11, 30, tzinfo=UTC), 3) == datetime(2028, 2, 29, tzinfo=UTC)
    assert rules.add_years(datetime(2028, 2, 29, 8, tzinfo=UTC), 10) == datetime(2038, 2, 28, 8, tzinfo=UTC)


def test_closed_without_deletion_is_archived_ten_years_to_the_second():
    e = rules.close(espace(), NOW, delete_data=False)
    assert (e.status, e.closed_at, e.deletion_due) == (Status.CLOSED, NOW, None)
    assert e.archived_until == datetime(2036, 3, 2, 9, 0, tzinfo=UTC)
    assert not rules.is_purge_due(e, e.archived_until - timedelta(seconds=1))
    assert rules.is_purge_due(e, e.archived_until)


def test_closure_bumps_the_session_epoch_and_only_from_active_or_created():
    for status in (Status.ACTIVE, Status.CREATED):
        e = espace(status)
        rules.close(e, NOW, delete_data=False)
        assert e.session_epoch == 1
    for status in (Status.PENDING, Status.NOTIFIED, Status.OPPOSED, Status.CLOSED, Status.SUSPENDED, Status.PURGED):
        with pytest.raises(StateConflict):
            rules.close(espace(status), NOW, delete_data=True)


def test_reopening_through_activation_cancels_the_deletion_and_the_archive():
    e = rules.close(espace(), NOW, delete_data=True)
    activate(e, NOW + timedelta(days=10), "alice.new", "a@example.org", None, "email")
    assert (e.status, e.closed_at, e.archived_until, e.deletion_due) == (Status.ACTIVE, None, None, None)
    assert e.reopened_at == NOW + timedelta(days=10)
    assert rules.purge_due(e) is None


def test_suspension_lasts_six_weeks_then_closes_and_a_lift_restores_the_previous_status():
    e = espace(Status.CREATED)
    assert rules.suspend(e, NOW) is True
    assert (e.status, e.suspension_due, e.session_epoch) == (Status.SUSPENDED, NOW + timedelta(weeks=6), 1)
    assert rules.suspend(e, NOW + timedelta(days=1)) is False  # repeated: unchanged
    assert e.suspension_due == NOW + timedelta(weeks=6)
    with pytest.raises(StateConflict):
        rules.close_suspended(e, NOW + timedelta(weeks=6, seconds=-1))
    lifted = espace(Status.CREATED)
    rules.suspend(lifted, NOW)
    assert rules.lift(lifted) is True and lifted.status == Status.CREATED and lifted.suspension_due is None
    assert rules.lift(lifted) is False
    rules.close_suspended(e, NOW + timedelta(weeks=6))
    assert (e.status, e.deletion_due, e.archived_until) == (Status.CLOSED, None, datetime(2036, 4, 13, 9, tzinfo=UTC))
    for status in (Status.CLOSED, Status.PURGED, Status.NOTIFIED):
        with pytest.raises(StateConflict):
            rules.suspend(espace(status), NOW)


# -------------------------------------------------------------------------------------------------
# Use cases on fakes
# -------------------------------------------------------------------------------------------------
@pytest.fixture
def holder(system, clock):
    """Alice has activated her espace (login alice.martin) and holds a session token."""
    deps = system.account_deps()
    import_population(rows(ALICE), repo=system.repo, keys=system.keys, now=clock())
    run_wave(system.wave_deps(), now=clock())
    code = next(s.data["code"] for s in system.notifier.sent if s.data.get("code"))
    token, _ = enrolment.start_session(deps, nir=ALICE["nir"], birth_date=ALICE["birth_date"],
                                       vitale_serial=ALICE["vitale_serial"], code=code, now=clock())
    claims = system.tokens.verify(token, ENROLMENT_AUDIENCE, clock())
    challenge = enrolment.start_activation(deps, claims, email=EMAIL, mobile=None, otp_channel="email",
                                           login="alice.martin", password=PASSWORD, accept_terms=True, now=clock())
    enrolment.confirm_activation(deps, claims, challenge_id=challenge.challenge_id,
                                 otp=system.notifier.last_otp(EMAIL), sms_otp=None, now=clock())
    challenge = auth.login(deps, login="alice.martin", password=PASSWORD, now=clock())
    token, _ = auth.verify_otp(deps, challenge_id=challenge.challenge_id, otp=system.notifier.last_otp(EMAIL),
                               now=clock())
    system.token = token
    system.espace_id = auth.authenticate(deps, token, HOLDER_AUDIENCE, clock())["sub"]
    return system


def closure_deps(system, stores=()):
    lifecycle = FakeLifecycleRepository(system.repo, system.credentials, system.ephemeral)
    return closure.ClosureDeps(espaces=system.repo, lifecycle=lifecycle, credentials=system.credentials,
                               ephemeral=system.ephemeral, hasher=system.hasher, keys=system.keys,
                               notifier=system.notifier, template_name=template_name, stores=list(stores),
                               shards=system.repo.due_shards)


def test_closing_revokes_the_token_at_once_without_listing_tokens(holder, clock):
    deps = holder.account_deps()
    claims = auth.authenticate(deps, holder.token, HOLDER_AUDIENCE, clock())
    assert claims["sep"] == 0
    closure.close_espace(closure_deps(holder), claims, "me", password=PASSWORD, delete_data=False, now=clock())
    with pytest.raises(Unauthorized):
        auth.authenticate(deps, holder.token, HOLDER_AUDIENCE, clock())
    with pytest.raises(InvalidCredentials):
        auth.login(deps, login="alice.martin", password=PASSWORD, now=clock())
    (mail,) = holder.notifier.to(EMAIL, template_name("closure-confirmation"))
    assert mail.data == {"first_name": "Prenom1", "archived_until": "2 mars 2036", "deletion_due": ""}


def test_a_wrong_password_closes_nothing_and_counts_as_a_failed_login(holder, clock):
    deps = holder.account_deps()
    claims = auth.authenticate(deps, holder.token, HOLDER_AUDIENCE, clock())
    for _ in range(closure.MAX_FAILED_PASSWORDS_PER_HOUR):
        with pytest.raises(InvalidCredentials):
            closure.close_espace(closure_deps(holder), claims, "me", password="wrong", delete_data=True, now=clock())
    with pytest.raises(RateLimited):
        auth.login(deps, login="alice.martin", password=PASSWORD, now=clock())
    assert holder.repo.get(holder.espace_id).status == Status.ACTIVE
    assert auth.authenticate(deps, holder.token, HOLDER_AUDIENCE, clock())


def _closed(system, count, now, delete_data=True):
    for i in range(count):
        e = espace(espace_id=f"c-{i:03d}", email=f"c{i}@example.org")
        rules.close(e, now, delete_data=delete_data)
        system.repo.add_new([e])


def test_retention_purges_at_the_due_date_once_even_after_a_crash_and_a_duplicate_run(system, clock):
    now = clock()
    _closed(system, 5, now)
    _closed(system, 1, now - timedelta(days=1), delete_data=False)  # archived: not due for 10 years
    store = FakeHolderStore("documents")
    for i in range(5):
        store.items[f"c-{i:03d}"] = ["doc"] * 3
    deps = closure_deps(system, [store])
    assert closure.run_retention(deps, now=now + timedelta(days=30, seconds=-1)).processed == 0

    store.crash_on = "c-002"
    with pytest.raises(InjectedCrash):
        closure.run_retention(deps, now=now + timedelta(days=30))
    store.crash_on = None
    first = sum(1 for i in range(5) if system.repo.get(f"c-{i:03d}").status == Status.PURGED)
    result = closure.run_retention(deps, now=now + timedelta(days=30))
    assert first + result.processed == 5 and result.items_purged == 3 * result.processed
    assert closure.run_retention(deps, now=now + timedelta(days=31)).processed == 0
    for i in range(5):
        assert system.repo.get(f"c-{i:03d}").status == Status.PURGED
        assert len(system.notifier.to(f"c{i}@example.org", template_name("data-deleted"))) == 1
    assert system.repo.get("c-000").email is None and system.repo.get("c-000").nir_hmac == ""


def test_suspension_follow_up_closes_at_six_weeks_exactly_once(system, clock):
    now = clock()
    e = espace(Status.ACTIVE, "s-1", "s1@example.org")
    rules.suspend(e, now)
    lifted = espace(Status.ACTIVE, "s-2", "s2@example.org")
    rules.suspend(lifted, now)
    rules.lift(lifted)
    system.repo.add_new([e, lifted])
    deps = closure_deps(system)
    assert closure.run_suspension_followup(deps, now=now + timedelta(days=42, seconds=-1)).processed == 0
    assert closure.run_suspension_followup(deps, now=now + timedelta(days=42)).processed == 1
    assert closure.run_suspension_followup(deps, now=now + timedelta(days=43)).processed == 0
    assert system.repo.get("s-1").status == Status.CLOSED
    assert system.repo.get("s-2").status == Status.ACTIVE
    assert len(system.notifier.to("s1@example.org", template_name("suspension-closure"))) == 1
    assert system.notifier.to("s2@example.org") == []


def test_operator_suspension_revokes_sessions_and_login_says_suspended(holder, clock):
    from mes.domain.closure import Suspended
    deps = holder.account_deps()
    result = closure.suspend(closure_deps(holder), holder.espace_id, clock())
    assert result.changed and result.status == "suspended"
    with pytest.raises(Unauthorized):
        auth.authenticate(deps, holder.token, HOLDER_AUDIENCE, clock())
    with pytest.raises(Suspended):
        auth.login(deps, login="alice.martin", password=PASSWORD, now=clock())
    with pytest.raises(InvalidCredentials):  # a wrong password still learns nothing
        auth.login(deps, login="alice.martin", password="wrong", now=clock())
    assert closure.lift(closure_deps(holder), holder.espace_id, clock()).status == "active"
    assert auth.login(deps, login="alice.martin", password=PASSWORD, now=clock())


class _ReopenedDuringPurge:
    """A store whose purge runs while the holder re-activates the espace (BR-14: reopening cancels)."""

    def __init__(self, system):
        self.system = system

    def purge_espace(self, espace_id: str) -> int:
        self.system.repo.items[espace_id].status = Status.ACTIVE
        return 2


def test_an_espace_reopened_while_its_data_is_purged_is_skipped_not_tombstoned_nor_told(system, clock):
    """BR-14: the tombstone is written only if the espace is still closed at the end of the purge;
    otherwise it counts as skipped, not processed, and no "data deleted" e-mail goes out."""
    now = clock()
    _closed(system, 1, now)

    result = closure.run_retention(closure_deps(system, [_ReopenedDuringPurge(system)]), now=now + timedelta(days=30))

    assert (result.processed, result.skipped, result.notified, result.items_purged) == (0, 1, 0, 2)
    assert system.repo.get("c-000").status == Status.ACTIVE
    assert system.notifier.to("c0@example.org", template_name("data-deleted")) == []
