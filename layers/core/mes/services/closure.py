"""Closure by the holder, suspension by the operator, and the two daily jobs that follow them:
retention (purge at the deletion due date or the archive expiry) and suspension follow-up
(automatic closure 6 weeks after a suspension without objection). BR-14, BR-15.

Holder e-mails carry no health data. In the jobs the state change that makes an e-mail due is the
claim for it (a conditional write only one run wins), then the e-mail is sent: a duplicate or a
rerun never sends it twice."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from mes.domain import closure as rules
from mes.domain.errors import InvalidCredentials, NotFound, RateLimited
from mes.domain.espace import Espace
from mes.domain.keys import Keys
from mes.domain.texts import french_date
from mes.observability import logger
from mes.ports import (
    CredentialRepository,
    EphemeralStore,
    EspaceRepository,
    HolderDataStore,
    LifecycleRepository,
    Notifier,
    PasswordHasher,
)
from mes.progress import Progress, Tally

from .espaces import resolve
from .paging import BudgetSpent, due_pages
from .retry import retry_on_conflict

MAX_FAILED_PASSWORDS_PER_HOUR = 10  # BR-12: the same counter as the login's
PAGE = 100


@dataclass
class ClosureDeps:
    espaces: EspaceRepository
    lifecycle: LifecycleRepository
    credentials: CredentialRepository
    ephemeral: EphemeralStore
    hasher: PasswordHasher
    keys: Keys | None  # only the closure route needs them (password check)
    notifier: Notifier
    template_name: Callable[[str], str]
    token_ttl: int = 900
    stores: Sequence[HolderDataStore] = field(default_factory=list)
    shards: int = 8


def _email_of(espace: Espace) -> str | None:
    return espace.delivery_contact().email if espace.is_child else espace.email


def _send(deps: ClosureDeps, espace: Espace, template: str, data: dict[str, str]) -> bool:
    to = _email_of(espace)
    if not to:
        return False
    deps.notifier.send_templated(deps.template_name(template), to, {"first_name": espace.first_name, **data})
    return True


def _check_password(deps: ClosureDeps, caller: Espace | None, password: str, now: datetime) -> None:
    """BR-14: the password is re-entered; a wrong one counts as a failed login (BR-12)."""
    login = caller.login if caller else None
    assert deps.keys is not None
    counter = f"login-fail:{deps.keys.login_hmac(str(login or ''))}"
    if deps.ephemeral.count(counter, 3600, now) >= MAX_FAILED_PASSWORDS_PER_HOUR:
        raise RateLimited(retry_after=3600 - int(now.timestamp()) % 3600)
    credential = deps.credentials.get(login) if login else None
    if (credential is None or caller is None or credential.espace_id != caller.espace_id
            or not deps.hasher.verify(credential.password_hash, str(password))):
        deps.ephemeral.hit(counter, 3600, now)
        raise InvalidCredentials()


def close_espace(deps: ClosureDeps, claims: dict[str, Any], espace_id: str, *, password: str, delete_data: bool,
                 now: datetime) -> Espace:
    """POST /espaces/{espace_id}/closure: the caller's own espace or a child's they manage (BR-16)."""
    caller = deps.espaces.get(claims["sub"])
    _check_password(deps, caller, password, now)
    def attempt() -> Espace:
        espace = resolve(deps.espaces, claims, espace_id)
        rules.close(espace, now, delete_data=delete_data)
        deps.lifecycle.save_and_revoke(espace, now + timedelta(seconds=deps.token_ttl))
        return espace

    espace = retry_on_conflict(attempt)
    data = {"archived_until": french_date(espace.archived_until or now),
            "deletion_due": french_date(espace.deletion_due) if espace.deletion_due else ""}
    _send(deps, espace, "closure-confirmation", data)
    logger.info("espace closed", extra={"espace_id": espace.espace_id, "delete_data": delete_data})
    return espace


# --- operator: suspension (BR-15) ----------------------------------------------------------------
@dataclass
class OperatorResult:
    espace_id: str
    action: str
    changed: bool
    status: str
    suspension_due: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"espace_id": self.espace_id, "action": self.action, "changed": self.changed, "status": self.status,
                "suspension_due": self.suspension_due}


def _operate(deps: ClosureDeps, espace_id: str, action: str, now: datetime) -> OperatorResult:
    def attempt() -> tuple[Espace, bool]:
        espace = deps.espaces.get(espace_id)
        if espace is None:
            raise NotFound()
        changed = rules.suspend(espace, now) if action == "suspend" else rules.lift(espace)
        if changed:
            deps.lifecycle.save_and_revoke(espace, now + timedelta(seconds=deps.token_ttl))
        return espace, changed

    espace, changed = retry_on_conflict(attempt)
    if not changed:
        return OperatorResult(espace_id, action, False, str(espace.status))
    if action == "suspend":
        _send(deps, espace, "suspension-notice", {"closure_date": french_date(espace.suspension_due or now)})
    else:
        _send(deps, espace, "suspension-lifted", {})
    due = espace.suspension_due.strftime("%Y-%m-%dT%H:%M:%SZ") if espace.suspension_due else None
    logger.info("espace suspension changed", extra={"espace_id": espace_id, "action": action})
    return OperatorResult(espace_id, action, True, str(espace.status), due)


def suspend(deps: ClosureDeps, espace_id: str, now: datetime) -> OperatorResult:
    return _operate(deps, espace_id, "suspend", now)


def lift(deps: ClosureDeps, espace_id: str, now: datetime) -> OperatorResult:
    """The holder's objection (made to the insurer, 3422) was upheld: the espace is back as it was."""
    return _operate(deps, espace_id, "lift", now)


# --- daily jobs ----------------------------------------------------------------------------------
@dataclass
class JobResult:
    processed: int = 0
    notified: int = 0
    skipped: int = 0
    items_purged: int = 0
    complete: bool = True

    def as_dict(self) -> dict[str, Any]:
        return {"processed": self.processed, "notified": self.notified, "skipped": self.skipped,
                "items_purged": self.items_purged, "complete": self.complete}


def _purge_one(deps: ClosureDeps, espace_id: str, now: datetime, result: JobResult) -> None:
    """BR-14, one espace: claim (still closed and due), purge every store, tombstone + login, e-mail."""
    espace = deps.lifecycle.start_purge(espace_id, now)
    if espace is None:
        result.skipped += 1  # reopened, or done by another run
        return
    for store in deps.stores:
        result.items_purged += store.purge_espace(espace_id)
    if not deps.lifecycle.finish_purge(espace, now):
        result.skipped += 1
        return
    result.processed += 1
    if espace.deletion_due is not None and _send(deps, espace, "data-deleted", {}):
        result.notified += 1  # the holder asked: informed once (archive expiry: no e-mail)


def run_retention(deps: ClosureDeps, *, now: datetime, should_continue: Callable[[], bool] = lambda: True,
                  progress: Progress | None = None) -> JobResult:
    """BR-14: every closed espace whose deletion request or archive is due. Per espace: claim
    (still closed and due), purge every store, then the tombstone and the login in one transaction
    (the index entry goes last: a crash anywhere is redone by the next run), then the e-mail."""
    result = JobResult()
    tally = Tally("retention", progress, "espaces")
    try:
        for page in due_pages(lambda shard, start: deps.lifecycle.due_ids(rules.PURGE, shard, now, PAGE, start),
                              deps.shards, should_continue):
            for espace_id in page.items:
                if not should_continue():
                    raise BudgetSpent()
                _purge_one(deps, espace_id, now, result)
            if page.items:
                tally.batch(len(page.items))
    except BudgetSpent:
        result.complete = False
    return result


def run_suspension_followup(deps: ClosureDeps, *, now: datetime,
                            should_continue: Callable[[], bool] = lambda: True,
                            progress: Progress | None = None) -> JobResult:
    """BR-15: suspended 6 weeks without the suspension being lifted → closed (archived)."""
    result = JobResult()
    tally = Tally("suspension_followup", progress, "espaces")
    try:
        for page in due_pages(lambda shard, start: deps.lifecycle.due_ids(rules.SUSPENSION, shard, now, PAGE, start),
                              deps.shards, should_continue):
            for espace_id in page.items:
                espace = deps.lifecycle.close_suspended(espace_id, now)
                if espace is None:
                    result.skipped += 1
                    continue
                result.processed += 1
                if _send(deps, espace, "suspension-closure",
                         {"archived_until": french_date(espace.archived_until or now)}):
                    result.notified += 1
            if page.items:
                tally.batch(len(page.items))
    except BudgetSpent:
        result.complete = False
    return result
