"""Children and legal representatives (BR-16 to BR-18): attaching a child's espace to the guardian's
login, the second legal representative, documents hidden from representatives (the professional's
side), and the daily handover at 18."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from mes.domain import children as family
from mes.domain import documents as rules
from mes.domain.codes import derive_code
from mes.domain.errors import CodeUsed, ConcurrentUpdate, NotFound, RateLimited, ValidationError
from mes.domain.espace import Espace, Status
from mes.domain.identity import normalise_nir, parse_birth_date
from mes.domain.keys import Keys
from mes.domain.professionals import ProIdentity
from mes.domain.texts import french_date, render
from mes.observability import logger
from mes.ports import DocumentRepository, EphemeralStore, EspaceRepository, LetterPrinter, Notifier
from mes.progress import Progress, Tally

from . import enrolment
from .access_log import AccessLogDeps, RequestRef, find_patient, log_access
from .espaces import resolve
from .paging import BudgetSpent, due_pages
from .retry import retry_on_conflict

PAGE = 100
MAX_INVITATIONS_PER_DAY = 10  # [design] per guardian login


# --- BR-16: the guardian attaches the child's espace ----------------------------------------------
def attach_child(deps: enrolment.AccountDeps, claims: dict[str, Any], *, nir: str, birth_date: str,
                 vitale_serial: str, code: str, now: datetime) -> Espace:
    """POST /espaces/me/children: the child's credentials and the code sent to the guardian. Only the
    guardian on file, for a minor, gets further than 401 (the same answer as a wrong field: no
    enumeration, and a stranger cannot lock the child's code); then the errors of /enrolment/sessions."""
    guardian_id = claims["sub"]
    people = [e for e in enrolment.identify(deps, nir, birth_date, vitale_serial, now)
              if e.guardian_id == guardian_id and family.is_minor(e.birth_date, now.date())]
    chosen = enrolment.check_code(deps, people, code, now)

    def change(child: Espace) -> None:
        if child.guardian_id != guardian_id or child.code_seq != chosen.code_seq or child.current_code_used:
            raise CodeUsed()
        family.attach(child, now)

    return enrolment.save_with_retry(deps, chosen.espace_id, change)


# --- BR-16: the second legal representative -------------------------------------------------------
def _retry(repo: EspaceRepository, claims: dict[str, Any], espace_id: str, change: Callable[[Espace], Any]) -> Espace:
    def attempt() -> Espace:
        child = resolve(repo, claims, espace_id)
        if child.espace_id == claims["sub"]:
            raise NotFound()  # one's own espace has no representatives to manage
        if change(child) is not False:
            repo.save(child)
        return child

    return retry_on_conflict(attempt)


def invite_representative(repo: EspaceRepository, keys: Keys, claims: dict[str, Any], espace_id: str, *,
                          nir: str, birth_date: str, now: datetime, ephemeral: EphemeralStore | None = None
                          ) -> Espace:
    """The guardian names the other parent by NIR + birth date; that person must hold an ACTIVE espace
    (404 `not_found` otherwise, the same whether unknown or not activated). Returns that espace.
    At most MAX_INVITATIONS_PER_DAY attempts per login, so the route cannot be used to probe who
    holds an active espace."""
    clear = normalise_nir(nir)
    birth = parse_birth_date(birth_date, today=now.date())
    if ephemeral is not None and ephemeral.hit(f"invite:{claims['sub']}", 86400, now) > MAX_INVITATIONS_PER_DAY:
        raise RateLimited(retry_after=86400 - int(now.timestamp()) % 86400)
    found = [e for e in repo.find_by_nir(keys.nir_hmac(clear)) if e.birth_date == birth]
    active = [e for e in found if not family.is_managed(e) and e.status == Status.ACTIVE]
    candidate = active[0] if len(active) == 1 else None

    def change(child: Espace) -> bool:
        if candidate is None:
            family.require_guardian(child, claims["sub"])
            raise family.RepresentativeNotFound()
        return family.add_representative(child, candidate, claims["sub"], now.date())

    _retry(repo, claims, espace_id, change)
    assert candidate is not None
    return candidate


def remove_representative(repo: EspaceRepository, claims: dict[str, Any], espace_id: str,
                          representative_id: str) -> None:
    _retry(repo, claims, espace_id,
           lambda child: family.remove_representative(child, claims["sub"], representative_id))


# --- BR-17: documents hidden from the representatives (professional's side) -----------------------
def require_minor_with_representatives(espace: Espace, now: datetime) -> None:
    if not family.is_managed(espace) or not family.is_minor(espace.birth_date, now.date()):
        raise ValidationError("Un document ne peut être caché aux représentants légaux que dans le profil "
                              "d'un patient mineur.", field="hidden_from_representatives")


class RevealDeps(AccessLogDeps, Protocol):
    """What the reveal needs (`ProDeps` has it): the access log's writer and the documents."""

    @property
    def documents(self) -> DocumentRepository: ...


def reveal_to_representatives(deps: RevealDeps, ps: ProIdentity, ins: str, document_id: str, hidden: bool,
                              req: RequestRef) -> rules.Document:
    """PATCH /pro/patients/{ins}/documents/{document_id}: the author makes its deposit visible to the
    legal representatives again (irreversible: `true` afterwards is 409). Logged (BR-35)."""
    espace = find_patient(deps, ins)

    def attempt() -> tuple[rules.Document, bool]:
        document = deps.documents.get(espace.espace_id, document_id)
        if document is None or not rules.deposited_by(document, ps.rpps):
            log_access(deps, espace, ps, req, "reveal", "refused:not_found", target=document_id)
            raise NotFound()
        if not rules.set_hidden_from_representatives(document, hidden):
            return document, False
        deps.documents.save(document)
        return document, True

    document, saved = retry_on_conflict(attempt)
    if saved:
        log_access(deps, espace, ps, req, "reveal", "allowed", target=document_id)
    return document


def log_for_representatives(documents: DocumentRepository, espace_id: str,
                            items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """BR-17: the access log a representative reads leaves out every entry about a document hidden
    from them (deposit, read, refused read, reveal): even its existence is the minor's. One
    BatchGetItem per page at most."""
    targets = sorted({i["target"] for i in items if i.get("target")})
    if not targets:
        return items
    found = documents.get_many([(espace_id, t) for t in targets])
    hidden = {d.document_id for d in found if d.hidden_from_representatives}
    return [i for i in items if i.get("target") not in hidden]


# --- BR-18: the handover at 18 ---------------------------------------------------------------------
@dataclass
class MajorityDeps:
    repo: EspaceRepository
    notifier: Notifier
    printer: LetterPrinter
    keys: Keys
    template_name: Callable[[str], str]
    shards: int = 8


@dataclass
class MajorityResult:
    handed_over: int = 0
    codes_by_email: int = 0
    codes_by_letter: int = 0
    unreachable: int = 0
    complete: bool = True

    def as_dict(self) -> dict:
        return {"handed_over": self.handed_over, "codes_by_email": self.codes_by_email,
                "codes_by_letter": self.codes_by_letter, "unreachable": self.unreachable,
                "complete": self.complete}


def run_majority(deps: MajorityDeps, *, now: datetime,
                 should_continue: Callable[[], bool] = lambda: True,
                 progress: Progress | None = None) -> MajorityResult:
    """Reads only the due espaces (sparse keys-only `by_majority` index, date ≤ today). Each one:
    1. the handover is saved (conditional on the version read): the representatives' access ends,
       and the young adult's new code sequence is stored with `handover_notice_pending`;
    2. the code is sent (e-mail, else a letter whose print file is named after the espace and the
       code sequence, so a redelivery overwrites it, never prints it twice);
    3. the notice flag is cleared, which takes the espace out of the index.
    A crash after 1 leaves the espace due: the next run sends the same code (derived from the stored
    sequence). A duplicate event is answered by Powertools idempotency, and would find nothing due."""
    result = MajorityResult()
    tally = Tally("majority_handover", progress, "espaces")
    today = now.date()
    try:
        for page in due_pages(lambda shard, start: deps.repo.majority_due_ids(shard, today, PAGE, start),
                              deps.shards, should_continue):
            for espace_id in page.items:
                _hand_over_one(deps, espace_id, now, result)
            if page.items:
                tally.batch(len(page.items))
    except BudgetSpent:
        result.complete = False
    return result


def _hand_over_one(deps: MajorityDeps, espace_id: str, now: datetime, result: MajorityResult) -> None:
    def hand_over() -> Espace | None:
        espace = deps.repo.get(espace_id)
        if espace is None or (family.is_managed(espace) and family.is_minor(espace.birth_date, now.date())):
            return None
        if not family.is_managed(espace):
            return espace
        family.hand_over(espace, now)
        deps.repo.save(espace)
        result.handed_over += 1
        logger.info("majority handover", extra={"espace_id": espace.espace_id, "status": str(espace.status)})
        return espace

    try:
        handed = retry_on_conflict(hand_over)
    except ConcurrentUpdate:
        return  # still due: the next run takes it
    if handed is None:
        return
    _clear_notice(deps, espace_id, handed, now, result)


def _clear_notice(deps: MajorityDeps, espace_id: str, espace: Espace, now: datetime, result: MajorityResult) -> None:
    if not espace.handover_notice_pending:
        return
    if espace.status not in family.HANDOVER_CODE_STATUSES or espace.current_code_used:
        pass  # they activated (or the code was spent) in the meantime: nothing to send
    else:
        _send_code(deps, espace, now, result)
    current = espace

    def clear() -> None:
        nonlocal current
        current.handover_notice_pending = False
        try:
            deps.repo.save(current)
        except ConcurrentUpdate:
            fresh = deps.repo.get(espace_id)
            if fresh is None or not fresh.handover_notice_pending:
                return
            current = fresh
            raise

    with suppress(ConcurrentUpdate):  # still pending after three tries: the next run clears it
        retry_on_conflict(clear)


def _send_code(deps: MajorityDeps, espace: Espace, now: datetime, result: MajorityResult) -> None:
    """The young adult's own contact on file, never the guardian's (BR-18 [design])."""
    data = {"first_name": espace.first_name, "code": derive_code(deps.keys.code, espace.espace_id, espace.code_seq),
            "expires": french_date(espace.code_expires_at or now)}
    if espace.email:
        deps.notifier.send_templated(deps.template_name(family.HANDOVER_TEMPLATE), espace.email, data)
        result.codes_by_email += 1
    elif espace.address:
        name = f"{espace.first_name} {espace.last_name}".strip()
        letter = {"recipient": name, "name": name, "address": espace.address, "template": family.HANDOVER_TEMPLATE,
                  "deadline": data["expires"], **data}
        letter["text"] = render(family.HANDOVER_LETTER, letter)
        deps.printer.write_batch(f"majority-{espace.espace_id}-{espace.code_seq}", [letter])
        result.codes_by_letter += 1
    else:
        result.unreachable += 1  # no contact of their own: the code renewal (BR-09) points them to the 3422
