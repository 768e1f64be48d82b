"""The espace state machine (BR-05 to BR-10)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from mes.domain import espace as lifecycle
from mes.domain.errors import DeadlinePassed, StateConflict
from mes.domain.espace import Contact, Espace, Status

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ALL = list(Status)


def an_espace(status: Status = Status.PENDING, **changes) -> Espace:
    espace = Espace(espace_id="esp-1", nir_hmac="n", birth_date=date(1980, 1, 1), vitale_hmac="v",
                    first_name="Alice", last_name="Martin", department="44", email="alice@example.org")
    espace.status = status
    if status != Status.PENDING:
        espace.code_seq, espace.notified_at = 1, NOW
        espace.opposition_deadline = NOW + lifecycle.OPPOSITION_WINDOW
    for name, value in changes.items():
        setattr(espace, name, value)
    return espace


class TestNotify:
    def test_given_pending_when_notified_then_code_1_and_deadline_42_days(self):
        """BR-05/BR-06: first code (sequence 1), valid 6 weeks; opposition deadline = notified_at + 42 days."""
        espace = lifecycle.notify(an_espace(code_attempts=3), NOW)
        assert espace.status == Status.NOTIFIED
        assert (espace.code_seq, espace.code_attempts) == (1, 0)
        assert espace.notified_at == espace.code_sent_at == NOW
        assert espace.opposition_deadline == espace.code_expires_at == NOW + timedelta(days=42)

    @pytest.mark.parametrize("status", [s for s in ALL if s != Status.PENDING])
    def test_given_any_other_state_when_notified_then_state_conflict(self, status):
        with pytest.raises(StateConflict):
            lifecycle.notify(an_espace(status), NOW)


class TestOppose:
    def test_given_notified_within_the_window_when_opposed_then_opposed_with_receipt_and_code_spent(self):
        """BR-07: within the window; proof = receipt id + date; the code is single use (BR-06)."""
        espace = lifecycle.oppose(an_espace(Status.NOTIFIED), NOW + timedelta(days=42), "OPP-1")
        assert espace.status == Status.OPPOSED
        assert (espace.opposed_at, espace.receipt_id) == (NOW + timedelta(days=42), "OPP-1")
        assert espace.current_code_used

    def test_given_the_deadline_passed_when_opposed_then_deadline_passed(self):
        """BR-07: after notified_at + 42 days, opposition is refused."""
        with pytest.raises(DeadlinePassed):
            lifecycle.oppose(an_espace(Status.NOTIFIED), NOW + timedelta(days=42, seconds=1), "OPP-1")

    @pytest.mark.parametrize("status", [Status.CREATED, Status.ACTIVE])
    def test_given_created_or_active_when_opposed_then_deadline_passed(self, status):
        """BR-07/BR-08: once created the espace can only be closed."""
        with pytest.raises(DeadlinePassed):
            lifecycle.oppose(an_espace(status), NOW, "OPP-1")

    @pytest.mark.parametrize("status", [Status.PENDING, Status.OPPOSED, Status.CLOSED, Status.SUSPENDED,
                                        Status.PURGED])
    def test_given_a_non_opposable_state_when_opposed_then_state_conflict(self, status):
        with pytest.raises(StateConflict):
            lifecycle.oppose(an_espace(status), NOW, "OPP-1")


class TestAutoCreate:
    def test_given_notified_after_the_deadline_when_auto_created_then_created(self):
        """BR-08: a notified espace whose deadline has passed becomes created."""
        espace = lifecycle.auto_create(an_espace(Status.NOTIFIED), NOW + timedelta(days=42, seconds=1))
        assert (espace.status, espace.created_at) == (Status.CREATED, NOW + timedelta(days=42, seconds=1))

    @pytest.mark.parametrize("at", [NOW, NOW + timedelta(days=41), NOW + timedelta(days=42)],
                             ids=["notification-day", "day-41", "exactly-the-deadline"])
    def test_given_the_deadline_not_passed_when_auto_created_then_refused(self, at):
        """BR-08: never before the deadline (the deadline itself still belongs to the opposition window)."""
        with pytest.raises(StateConflict):
            lifecycle.auto_create(an_espace(Status.NOTIFIED), at)

    def test_given_no_deadline_when_auto_created_then_refused(self):
        with pytest.raises(StateConflict):
            lifecycle.auto_create(an_espace(Status.NOTIFIED, opposition_deadline=None), NOW + timedelta(days=99))

    @pytest.mark.parametrize("status", [s for s in ALL if s != Status.NOTIFIED])
    def test_given_any_other_state_when_auto_created_then_refused(self, status):
        """BR-08: never an opposed one, never twice."""
        with pytest.raises(StateConflict):
            lifecycle.auto_create(an_espace(status), NOW + timedelta(days=100))


class TestActivate:
    @pytest.mark.parametrize("status", [Status.NOTIFIED, Status.CREATED, Status.OPPOSED, Status.CLOSED])
    def test_given_an_activatable_state_when_activated_then_active_and_code_spent(self, status):
        """BR-10 (and BR-07: an opposed person may change their mind; BR-14: reopening)."""
        espace = lifecycle.activate(an_espace(status), NOW, "alice.martin", "new@example.org", "+33612345678", "sms")
        assert espace.status == Status.ACTIVE
        assert (espace.login, espace.email, espace.mobile, espace.otp_channel) == (
            "alice.martin", "new@example.org", "+33612345678", "sms")
        assert espace.activated_at == NOW and espace.current_code_used

    @pytest.mark.parametrize("status", [Status.PENDING, Status.ACTIVE, Status.SUSPENDED, Status.PURGED])
    def test_given_another_state_when_activated_then_state_conflict(self, status):
        """BR-10: an active espace never goes through activation again."""
        with pytest.raises(StateConflict):
            lifecycle.activate(an_espace(status), NOW, "alice.martin", "a@example.org", None, "email")


class TestRenewCode:
    @pytest.mark.parametrize("status", sorted(lifecycle.CODE_HOLDING))
    def test_given_a_code_holding_state_when_renewed_then_next_sequence_fresh_validity(self, status):
        """BR-09: a new code revokes the previous one; attempts are reset; valid 6 weeks."""
        espace = an_espace(status, code_attempts=5, code_used_seq=1)
        renewed = lifecycle.renew_code(espace, NOW + timedelta(days=10))
        assert (renewed.code_seq, renewed.code_attempts) == (2, 0)
        assert renewed.code_expires_at == NOW + timedelta(days=52)
        assert not renewed.code_locked and not renewed.current_code_used
        assert renewed.status == status

    @pytest.mark.parametrize("status", [Status.PENDING, Status.SUSPENDED, Status.PURGED])
    def test_given_no_code_state_when_renewed_then_state_conflict(self, status):
        with pytest.raises(StateConflict):
            lifecycle.renew_code(an_espace(status), NOW)


class TestDerivedProperties:
    def test_given_attempts_when_counted_then_locked_at_5(self):
        """BR-12: 5 wrong codes lock the code."""
        assert not an_espace(Status.NOTIFIED, code_attempts=4).code_locked
        assert an_espace(Status.NOTIFIED, code_attempts=5).code_locked

    def test_given_a_child_when_delivering_then_the_guardian_contact(self):
        """BR-05: a child's code goes to the guardian."""
        guardian = Contact(name="Anne Martin", email="anne@example.org")
        child = an_espace(guardian_id="esp-0", guardian_contact=guardian)
        assert child.is_child and child.delivery_contact() == guardian
        adult = an_espace()
        assert adult.delivery_contact() == Contact(name="Alice Martin", email="alice@example.org")
        assert lifecycle.birth_date_matches(adult, date(1980, 1, 1))
        assert not lifecycle.birth_date_matches(adult, date(1980, 1, 2))

    def test_given_the_transition_table_then_it_matches_the_documented_lifecycle(self):
        """Section 2: who may start each transition."""
        assert lifecycle.NOTIFIABLE == {Status.PENDING}
        assert lifecycle.AUTO_CREATABLE == lifecycle.OPPOSABLE == {Status.NOTIFIED}
        assert lifecycle.ACTIVATABLE == {Status.NOTIFIED, Status.CREATED, Status.OPPOSED, Status.CLOSED}
        assert lifecycle.CODE_HOLDING == lifecycle.ACTIVATABLE | {Status.ACTIVE}
