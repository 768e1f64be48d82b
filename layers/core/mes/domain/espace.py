"""The espace and its lifecycle (BR-04 to BR-10).

pending → notified → opposed | created | active;  created → active;  opposed → active (a new code);
active → closed → active (reopening) | purged;  suspended (operator).
Transitions are plain functions that check the current state and return the changes to persist;
adapters persist them with a condition on the state read, so a lost race is detected, never
silently overwritten.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from .errors import DeadlinePassed, StateConflict

OPPOSITION_WINDOW = timedelta(days=42)  # BR-05: notified_at + 42 days
CODE_VALIDITY = timedelta(days=42)  # BR-06: valid 6 weeks from sending
MAX_CODE_ATTEMPTS = 5  # BR-12


class Status(StrEnum):
    PENDING = "pending"
    NOTIFIED = "notified"
    OPPOSED = "opposed"
    CREATED = "created"
    ACTIVE = "active"
    CLOSED = "closed"
    SUSPENDED = "suspended"
    PURGED = "purged"


# Where each transition may start from.
NOTIFIABLE = frozenset({Status.PENDING})
AUTO_CREATABLE = frozenset({Status.NOTIFIED})
OPPOSABLE = frozenset({Status.NOTIFIED})
ACTIVATABLE = frozenset({Status.NOTIFIED, Status.CREATED, Status.OPPOSED, Status.CLOSED})
CODE_HOLDING = frozenset({Status.NOTIFIED, Status.CREATED, Status.OPPOSED, Status.CLOSED, Status.ACTIVE})


@dataclass
class Contact:
    name: str = ""
    email: str | None = None
    mobile: str | None = None
    address: str | None = None


@dataclass
class HolderSettings:
    """What the holder decides (API.md settings). Emergency modes are allowed unless refused (BR-34)."""

    documents_masked_by_default: bool = False  # BR-25
    notifications: dict[str, bool] = field(default_factory=lambda: {"documents": True, "messages": True,
                                                                      "accesses": True})  # BR-27, BR-36, BR-39
    emergency: dict[str, bool] = field(default_factory=lambda: {"samu": True, "break_glass": True,
                                                                  "masked_documents": True})  # BR-34

    def as_dict(self) -> dict[str, Any]:
        return {"documents_masked_by_default": self.documents_masked_by_default,
                "notifications": dict(self.notifications), "emergency": dict(self.emergency)}

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> HolderSettings:
        base = cls()
        data = data or {}
        return cls(documents_masked_by_default=bool(data.get("documents_masked_by_default", False)),
                   notifications={**base.notifications, **(data.get("notifications") or {})},
                   emergency={**base.emergency, **(data.get("emergency") or {})})


@dataclass
class Espace:
    espace_id: str
    nir_hmac: str
    birth_date: date
    vitale_hmac: str
    first_name: str
    last_name: str
    department: str
    status: Status = Status.PENDING
    email: str | None = None
    mobile: str | None = None
    address: str | None = None
    guardian_id: str | None = None
    guardian_contact: Contact | None = None  # denormalised so a wave needs no extra read per child
    code_seq: int = 0
    code_used_seq: int = 0
    code_attempts: int = 0
    code_sent_at: datetime | None = None
    code_expires_at: datetime | None = None
    notified_at: datetime | None = None
    opposition_deadline: datetime | None = None
    opposed_at: datetime | None = None
    receipt_id: str | None = None
    created_at: datetime | None = None
    activated_at: datetime | None = None
    login: str | None = None
    otp_channel: str = "email"
    imported_at: datetime | None = None
    version: int = 0
    settings: HolderSettings = field(default_factory=HolderSettings)
    # BR-16/BR-18 (mes.domain.children): a second legal representative (an active adult's espace id),
    # and the handover at 18 (the young adult's own code still to be sent; when it happened).
    representative_id: str | None = None
    handover_notice_pending: bool = False
    handed_over_at: datetime | None = None
    # Closure, suspension, retention (BR-14, BR-15): see mes/domain/closure.py.
    session_epoch: int = 0  # in every holder token (`sep`); bumped to revoke every session at once
    closed_at: datetime | None = None
    archived_until: datetime | None = None  # closure + 10 years
    deletion_due: datetime | None = None  # express deletion request: closure + 30 days (≤ 3 months)
    suspended_at: datetime | None = None
    suspension_due: datetime | None = None  # suspension + 6 weeks: automatic closure without objection
    suspended_from: str | None = None  # the status a lifted suspension returns to
    reopened_at: datetime | None = None
    purged_at: datetime | None = None

    @property
    def is_child(self) -> bool:
        return self.guardian_id is not None

    def delivery_contact(self) -> Contact:
        """BR-05: a child's code goes to the guardian."""
        if self.guardian_contact is not None:
            return self.guardian_contact
        return Contact(name=f"{self.first_name} {self.last_name}", email=self.email, mobile=self.mobile, address=self.address)

    @property
    def code_locked(self) -> bool:
        return self.code_attempts >= MAX_CODE_ATTEMPTS

    @property
    def current_code_used(self) -> bool:
        return self.code_seq > 0 and self.code_used_seq >= self.code_seq


def notify(espace: Espace, now: datetime) -> Espace:
    """BR-05: first provisional code (sequence 1), opposition deadline = now + 42 days."""
    if espace.status not in NOTIFIABLE:
        raise StateConflict()
    espace.status = Status.NOTIFIED
    espace.code_seq += 1
    espace.code_attempts = 0
    espace.code_sent_at = now
    espace.code_expires_at = now + CODE_VALIDITY
    espace.notified_at = now
    espace.opposition_deadline = now + OPPOSITION_WINDOW
    return espace


def oppose(espace: Espace, now: datetime, receipt_id: str) -> Espace:
    """BR-07: within the window only; the code used to oppose is spent."""
    if espace.status in {Status.CREATED, Status.ACTIVE}:
        raise DeadlinePassed()
    if espace.status not in OPPOSABLE:
        raise StateConflict()
    if espace.opposition_deadline is not None and now > espace.opposition_deadline:
        raise DeadlinePassed()
    espace.status = Status.OPPOSED
    espace.opposed_at = now
    espace.receipt_id = receipt_id
    espace.code_used_seq = espace.code_seq
    return espace


def auto_create(espace: Espace, now: datetime) -> Espace:
    """BR-08: only a notified espace whose deadline has passed."""
    if espace.status not in AUTO_CREATABLE or espace.opposition_deadline is None or now <= espace.opposition_deadline:
        raise StateConflict()
    espace.status = Status.CREATED
    espace.created_at = now
    return espace


def activate(espace: Espace, now: datetime, login: str, email: str, mobile: str | None, otp_channel: str) -> Espace:
    """BR-10: a used code cannot serve again; the code of this activation is spent."""
    if espace.status not in ACTIVATABLE:
        raise StateConflict()
    if espace.status == Status.CLOSED:  # BR-14: reopening cancels a pending deletion and the archive expiry
        espace.closed_at = espace.archived_until = espace.deletion_due = None
        espace.reopened_at = now
    espace.status = Status.ACTIVE
    espace.activated_at = now
    espace.login = login
    espace.email = email
    espace.mobile = mobile
    espace.otp_channel = otp_channel
    espace.code_used_seq = espace.code_seq
    return espace


def renew_code(espace: Espace, now: datetime) -> Espace:
    """BR-09: a new code; the previous sequence stops working; attempts are reset."""
    if espace.status not in CODE_HOLDING:
        raise StateConflict()
    espace.code_seq += 1
    espace.code_attempts = 0
    espace.code_sent_at = now
    espace.code_expires_at = now + CODE_VALIDITY
    return espace


def birth_date_matches(espace: Espace, birth_date: date) -> bool:
    return espace.birth_date == birth_date
