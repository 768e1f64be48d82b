"""Closure, deletion, reopening, suspension and retention of an espace (BR-14, BR-15; CSP R1111-36).

    active | created ──close──▶ closed ──(activation path)──▶ active      (reopening, BR-14)
                                  │
                                  └──retention job (deletion_due, else archived_until)──▶ purged
    active | created ──suspend──▶ suspended ──lift──▶ the status it had
                                      │
                                      └──follow-up job at suspended_at + 6 weeks──▶ closed (archived)

Every transition bumps nothing but what it must; closing and suspending bump `session_epoch`, which
revokes every holder token of the espace at once (the tokens carry the epoch they were issued in).
Dates [design]: archive = closure + 10 calendar years; an express deletion is due closure + 30 days
(the holder can still change their mind and reopen for a month, and the 3-month limit of BR-14 is
kept with two months to spare for a failed job run); suspension follow-up = suspension + 42 days.
"""

from __future__ import annotations

from calendar import monthrange
from datetime import datetime, timedelta

from .errors import DomainError, StateConflict
from .espace import Espace, Status

ARCHIVE_YEARS = 10  # BR-14: archived 10 years, then deleted
DELETION_DELAY = timedelta(days=30)  # BR-14 [design]: express deletion due closure + 30 days
DELETION_LIMIT_MONTHS = 3  # BR-14: fulfilled within 3 months
SUSPENSION_WINDOW = timedelta(days=42)  # BR-15: without objection within 6 weeks → closed

# Partitions of the sparse due-date index read by the daily jobs.
PURGE = "purge"
SUSPENSION = "suspension"

CLOSABLE = frozenset({Status.ACTIVE, Status.CREATED})
SUSPENDABLE = frozenset({Status.ACTIVE, Status.CREATED})


class Suspended(DomainError):
    code = "suspended"
    detail = ("Votre profil Mon espace santé est suspendu. Pour contester cette suspension, contactez "
              "l'Assurance Maladie au 3422 dans les six semaines suivant sa notification.")


def add_months(value: datetime, months: int) -> datetime:
    """Calendar months, clamped to the end of a shorter month (30 November + 3 months = 28/29 February)."""
    month0 = value.month - 1 + months
    year, month = value.year + month0 // 12, month0 % 12 + 1
    return value.replace(year=year, month=month, day=min(value.day, monthrange(year, month)[1]))


def add_years(value: datetime, years: int) -> datetime:
    return add_months(value, 12 * years)


def purge_due(espace: Espace) -> datetime | None:
    """When the retention job must purge a closed espace: the deletion request, else the archive expiry."""
    if espace.status != Status.CLOSED:
        return None
    return espace.deletion_due or espace.archived_until


def close(espace: Espace, now: datetime, *, delete_data: bool) -> Espace:
    """BR-14: closed at once, every session revoked, archived 10 years or deleted within 3 months."""
    if espace.status not in CLOSABLE:
        raise StateConflict()
    _close(espace, now, delete_data=delete_data)
    return espace


def _close(espace: Espace, now: datetime, *, delete_data: bool) -> None:
    espace.status = Status.CLOSED
    espace.closed_at = now
    espace.archived_until = add_years(now, ARCHIVE_YEARS)
    espace.deletion_due = now + DELETION_DELAY if delete_data else None
    espace.suspended_at = espace.suspension_due = None
    espace.suspended_from = None
    espace.session_epoch += 1


def suspend(espace: Espace, now: datetime) -> bool:
    """BR-15 (operator, fraud). False when already suspended (a repeated order changes nothing)."""
    if espace.status == Status.SUSPENDED:
        return False
    if espace.status not in SUSPENDABLE:
        raise StateConflict()
    espace.suspended_from = str(espace.status)
    espace.status = Status.SUSPENDED
    espace.suspended_at = now
    espace.suspension_due = now + SUSPENSION_WINDOW
    espace.session_epoch += 1
    return True


def lift(espace: Espace) -> bool:
    """BR-15: the holder's objection was upheld. False when not suspended (nothing to lift)."""
    if espace.status != Status.SUSPENDED:
        return False
    espace.status = Status(espace.suspended_from or Status.ACTIVE)
    espace.suspended_at = espace.suspension_due = None
    espace.suspended_from = None
    return True


def close_suspended(espace: Espace, now: datetime) -> Espace:
    """BR-15: no objection within 6 weeks → closed (archived, no deletion request)."""
    if espace.status != Status.SUSPENDED or espace.suspension_due is None or now < espace.suspension_due:
        raise StateConflict()
    _close(espace, now, delete_data=False)
    return espace


def is_purge_due(espace: Espace, now: datetime) -> bool:
    due = purge_due(espace)
    return due is not None and due <= now
