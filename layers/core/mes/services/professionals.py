"""Professionals' use cases (BR-28 to BR-36). Every route goes through `mes.domain.access` (one
policy: checks writes, filters reads) and writes one access-log record per action or refused attempt."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from mes.domain import access as policy
from mes.domain import documents as rules
from mes.domain.documents import AuthorType, DocStatus, Document
from mes.domain.errors import DomainError, Forbidden, NotFound, StateConflict, Unprocessable, ValidationError
from mes.domain.espace import Espace
from mes.domain.keys import Keys
from mes.domain.professionals import ProIdentity, may_be_administrator
from mes.ports import AccessRepository, DocumentRepository, DocumentStore, EspaceRepository, Notifier, Page

from .access_log import RequestRef, find_patient, log_access, notify_access, pro_identity
from .children import log_for_representatives, require_minor_with_representatives
from .documents import announce, object_key, release_claim
from .paging import page_limit

_DOCUMENT_ID = re.compile(r"^[0-9a-f]{32}$")  # rules.new_document_id


@dataclass
class ProDeps:
    espaces: EspaceRepository
    documents: DocumentRepository
    access: AccessRepository
    store: DocumentStore
    notifier: Notifier
    keys: Keys
    template_name: Callable[[str], str]


def _refuse(deps: ProDeps, espace: Espace, ps: ProIdentity, req: RequestRef, action: str, error: DomainError,
            mode: str | None = None) -> None:
    log_access(deps, espace, ps, req, action, "refused:" + error.code, mode)
    raise error


def authorise(deps: ProDeps, ps: ProIdentity, ins: str, basis: str, req: RequestRef) -> bool:
    """BR-30/33: the professional records the holder's consent; the first one notifies the holder."""
    if basis not in policy.BASES:
        raise ValidationError("Base d'autorisation inconnue.", field="basis")
    espace = find_patient(deps, ins)
    grants = deps.access.grants(espace.espace_id, ps.rpps)
    if grants.blocked:
        _refuse(deps, espace, ps, req, "authorisation", policy.Blocked())
    if ps.occupational != (basis == "occupational_consent"):
        _refuse(deps, espace, ps, req, "authorisation", Forbidden(
            "Le médecin du travail n'accède au profil qu'avec le consentement exprès du patient "
            "(« occupational_consent »), réservé à lui."))
    first = deps.access.put_authorisation(espace.espace_id, ps.rpps, basis, pro_identity(ps), req.at)
    log_access(deps, espace, ps, req, "authorisation", "allowed", target=basis)
    if first:
        notify_access(deps, espace, req.at)
    return first


def read_context(deps: ProDeps, ps: ProIdentity, ins: str, req: RequestRef, action: str
                  ) -> tuple[Espace, policy.Decision]:
    espace = find_patient(deps, ins)
    grants = deps.access.grants(espace.espace_id, ps.rpps)
    decision = policy.read_decision(ps, espace, grants, req.at)
    if not decision.allowed:
        try:
            policy.require_read(decision)
        except DomainError as exc:
            _refuse(deps, espace, ps, req, action, exc)
    return espace, decision


def list_documents(deps: ProDeps, ps: ProIdentity, ins: str, *, category: str | None, limit: int | None,
                   cursor: str | None, req: RequestRef, statuses: frozenset[str] | None = None) -> Page:
    """Authorisation + block + list + log: four requests, whatever the number of documents (BR-29/30).
    `statuses`: only documents in these statuses; asking for `replaced` is the only way a list shows
    replaced documents (BR-24: the default list shows the latest versions)."""
    if category is not None and category not in rules.CATEGORIES:
        raise ValidationError("Catégorie de document inconnue.", field="category")
    if statuses is not None and not statuses <= {str(s) for s in DocStatus}:
        raise ValidationError("Statut de document inconnu.", field="status")
    espace, decision = read_context(deps, ps, ins, req, "list")
    limit = page_limit(limit)
    page = deps.documents.list(espace.espace_id, category=category, limit=limit, cursor=cursor, holder_only=False)
    page.items = _visible(ps, page.items, decision, statuses)
    if log_access(deps, espace, ps, req, "list", "allowed", decision.mode, category):
        notify_access(deps, espace, req.at)
    return page


def _visible(ps: ProIdentity, documents: list[Document], decision: policy.Decision,
             statuses: frozenset[str] | None) -> list[Document]:
    """The policy's filter, then the statuses asked for (replaced ones only when asked, BR-24)."""
    if statuses is None:
        return policy.filter_documents(ps, documents, decision)
    visible = policy.filter_documents(ps, documents, decision, include_replaced=DocStatus.REPLACED in statuses)
    return [d for d in visible if d.status in statuses]


def get_document(deps: ProDeps, ps: ProIdentity, ins: str, document_id: str, req: RequestRef
                 ) -> tuple[Document, dict | None]:
    document = read_document(deps, ps, find_patient(deps, ins), document_id, req)
    download = None
    if rules.has_content(document):  # a replaced document keeps its bytes (BR-24)
        download = deps.store.presign_download(document.object_key, rules.download_filename(document), document.content_type,
                                               rules.DOWNLOAD_URL_TTL, document.object_version)
    return document, download


def find_document_espace(deps: ProDeps, document_id: str) -> Espace:
    """The patient of a document known by its id alone (the FHIR reads): 404 when there is no such
    document or its espace is not one professionals may reach (the same statuses as `find_patient`)."""
    espace_id = deps.documents.espace_of(document_id) if _DOCUMENT_ID.match(document_id or "") else None
    espace = deps.espaces.get(espace_id) if espace_id else None
    if espace is None or espace.status not in policy.READABLE_STATUSES:
        raise NotFound()
    return espace


def read_document(deps: ProDeps, ps: ProIdentity, espace: Espace, document_id: str, req: RequestRef) -> Document:
    """One document if this professional may see it (the policy decides), logged as a read (BR-35)."""
    grants = deps.access.grants(espace.espace_id, ps.rpps)
    decision = policy.read_decision(ps, espace, grants, req.at)
    document = deps.documents.get(espace.espace_id, document_id)
    if document is None or not policy.visible_to_professional(ps, document, decision, include_replaced=True):
        if grants.blocked:
            _refuse(deps, espace, ps, req, "read", policy.Blocked())
        log_access(deps, espace, ps, req, "read", "refused:not_found", decision.mode, document_id)
        raise NotFound()
    if log_access(deps, espace, ps, req, "read", "allowed", decision.mode, document_id):
        notify_access(deps, espace, req.at)
    return document


def lookup_patient(deps: ProDeps, ps: ProIdentity, ins: str, req: RequestRef) -> Espace | None:
    """FHIR `Patient?identifier=`: the created or active espace of an INS, or None. Knowing that an
    espace exists needs no read consent (a deposit needs none either), but a block refuses it; the
    lookup is logged like every access (BR-35), without a notice (no health data is read)."""
    try:
        espace = find_patient(deps, ins)
    except NotFound:
        return None
    if deps.access.grants(espace.espace_id, ps.rpps).blocked:
        _refuse(deps, espace, ps, req, "lookup", policy.Blocked())
    log_access(deps, espace, ps, req, "lookup", "allowed")
    return espace


def deposit(deps: ProDeps, ps: ProIdentity, ins: str, *, title: str, category: str, filename: str,
            content_type: str, size: int, hidden_from_holder: bool, req: RequestRef,
            hidden_from_representatives: bool = False, replaces: str | None = None) -> tuple[Document, dict]:
    """BR-30/33: no read authorisation needed; BR-26: optionally hidden from the holder for a month;
    BR-17: optionally hidden from the legal representatives of a minor; BR-24: optionally the
    replacement of the author's own available document (`replace_target`)."""
    rules.validate_upload(title, category, filename, content_type, size, rules.PRO_MAX_BYTES)
    espace = find_patient(deps, ins)
    if hidden_from_representatives:
        require_minor_with_representatives(espace, req.at)
    grants = deps.access.grants(espace.espace_id, ps.rpps)
    try:
        policy.may_deposit(espace, grants)
    except DomainError as exc:
        _refuse(deps, espace, ps, req, "deposit", exc)
    old = replace_target(deps, ps, espace, grants, replaces, req) if replaces is not None else None
    if old is not None:
        rules.check_replacement_labels(old, hidden_from_holder, hidden_from_representatives)
    document_id = rules.new_document_id(req.at)
    document = Document(
        espace_id=espace.espace_id, document_id=document_id, title=title.strip(), category=category,
        filename=filename, content_type=content_type, size=size, author_type=AuthorType.PRACTITIONER,
        author_id=ps.rpps, author_name=ps.name, author_profession=ps.profession,
        created_at=req.at, object_key=object_key(espace.espace_id, document_id),
        masked=_masked(espace, old, False, hidden_from_holder), hidden_from_holder=hidden_from_holder,
        hidden_until=req.at + rules.HIDDEN_RELEASE_AFTER if hidden_from_holder else None,
        hidden_from_representatives=hidden_from_representatives)
    upload = announce(deps.documents, deps.store, document, rules.claim(old, document) if old else None)
    log_access(deps, espace, ps, req, "deposit", "allowed", target=document_id)
    _log_replace(deps, espace, ps, req, document)
    return document, upload


def _masked(espace: Espace, old: Document | None, asked: bool, hidden_from_holder: bool) -> bool:
    """BR-25: masked when asked, by the holder's default, or — a replacement — when the holder masked the
    document it replaces (the new version of a masked document stays masked); never when hidden (BR-26)."""
    wanted = asked or espace.settings.documents_masked_by_default or (old is not None and old.masked)
    return wanted and not hidden_from_holder


def replace_target(deps: ProDeps, ps: ProIdentity, espace: Espace, grants: policy.Grants, document_id: str,
                   req: RequestRef) -> Document:
    """The document a deposit replaces (BR-24), in the same espace: the author's own `available`
    document no other replacement claimed (else 409 `not_replaceable`); a document this PS may see
    but did not write → 403 (as a PATCH by a non-author, FHIR.md §6); one it may not see → 404.
    Each refusal is logged as a refused `replace` naming the document."""
    old = deps.documents.get(espace.espace_id, document_id) if _DOCUMENT_ID.match(document_id) else None
    error: DomainError = NotFound("Le document à remplacer est introuvable.")
    if old is not None and rules.deposited_by(old, ps.rpps):
        try:
            rules.check_replaceable(old, ps.rpps)
            return old
        except DomainError as exc:
            error = exc
    elif old is not None and policy.visible_to_professional(ps, old, policy.read_decision(ps, espace, grants, req.at),
                                                             include_replaced=True):
        error = Forbidden("Seul l'auteur d'un document peut le remplacer.")
    log_access(deps, espace, ps, req, "replace", "refused:" + error.code, target=document_id)
    raise error


def _log_replace(deps: ProDeps, espace: Espace, ps: ProIdentity, req: RequestRef, document: Document) -> None:
    """BR-35: a replacement is two records, the new document's `deposit` and the old one's `replace`."""
    if document.replaces:
        log_access(deps, espace, ps, req, "replace", "allowed", target=document.replaces)


def deposit_context(deps: ProDeps, ps: ProIdentity, ins: str, req: RequestRef, action: str) -> Espace:
    """The patient of a write that needs no read consent (BR-30/33): a block, or an espace that
    takes no deposit, is refused and logged under `action`."""
    espace = find_patient(deps, ins)
    try:
        policy.may_deposit(espace, deps.access.grants(espace.espace_id, ps.rpps))
    except DomainError as exc:
        _refuse(deps, espace, ps, req, action, exc)
    return espace


def withdraw(deps: ProDeps, ps: ProIdentity, ins: str, document_id: str, req: RequestRef) -> None:
    """BR-24: a professional withdraws only its own deposit: `entered-in-error`, bytes deleted."""
    espace = find_patient(deps, ins)
    document = deps.documents.get(espace.espace_id, document_id)
    if document is None or not rules.deposited_by(document, ps.rpps):
        log_access(deps, espace, ps, req, "delete", "refused:not_found", target=document_id)
        raise NotFound()
    _withdraw(deps, ps, espace, document, req)


def _withdraw(deps: ProDeps, ps: ProIdentity, espace: Espace, document: Document, req: RequestRef) -> None:
    if document.status == DocStatus.ENTERED_IN_ERROR:
        return
    pending = document.status == DocStatus.PENDING
    document.status = DocStatus.ENTERED_IN_ERROR
    deps.documents.save(document)
    deps.store.delete(document.object_key)
    if pending:  # a replacement withdrawn before its validation replaces nothing (BR-24)
        release_claim(deps.documents, document)
    log_access(deps, espace, ps, req, "delete", "allowed", target=document.document_id)


def open_emergency(deps: ProDeps, ps: ProIdentity, ins: str, mode: str, reason: str, req: RequestRef) -> datetime:
    """BR-34: samu or break_glass, with a reason, 24 hours, unless the holder refused the mode."""
    if mode not in policy.EMERGENCY_MODES:
        raise ValidationError("Mode d'accès en urgence inconnu (« samu » ou « break_glass »).", field="mode")
    if len(reason.strip()) < 10:
        raise ValidationError("Le motif de l'accès en urgence est obligatoire (10 caractères au moins).",
                              field="reason")
    espace = find_patient(deps, ins)
    grants = deps.access.grants(espace.espace_id, ps.rpps)
    try:
        policy.may_open_emergency(espace, grants, mode)
    except DomainError as exc:
        _refuse(deps, espace, ps, req, "emergency", exc, mode)
    until = req.at + policy.EMERGENCY_TTL
    deps.access.open_emergency(espace.espace_id, ps.rpps, mode, reason.strip(), req.at, until)
    if log_access(deps, espace, ps, req, "emergency", "allowed", mode):
        notify_access(deps, espace, req.at)  # the holder is told once per request (BR-34, BR-36)
    _notify_administrator(deps, espace, ps, req, mode, until)
    return until


def _notify_administrator(deps: ProDeps, espace: Espace, ps: ProIdentity, req: RequestRef, mode: str,
                          until: datetime) -> None:
    """BR-34: the administrator professional is told afterwards, in their notices (GET /pro/notifications):
    who opened which mode until when, for which patient (names and birth date, never the NIR); the
    details are in the access log the administrator reads."""
    administrator = deps.access.administrator(espace.espace_id)
    if administrator is None or administrator == ps.rpps:
        return
    deps.access.notify_professional(administrator, req.key(ps.rpps, "emergency_notice", espace.espace_id), req.at, {
        "kind": "emergency_access", "mode": mode, "until": until.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "by": {"rpps": ps.rpps, **pro_identity(ps)},
        "patient": {"first_name": espace.first_name, "last_name": espace.last_name,
                    "birth_date": espace.birth_date.isoformat()}})


def professional_notices(deps: ProDeps, ps: ProIdentity, limit: int | None, cursor: str | None) -> Page:
    """The professional's own notices, newest first (no patient lookup: its own partition)."""
    return deps.access.professional_notices(ps.rpps, _page(limit), cursor)


def _require_administrator(deps: ProDeps, ps: ProIdentity, espace: Espace, req: RequestRef, action: str) -> None:
    grants = deps.access.grants(espace.espace_id, ps.rpps)
    if grants.blocked:
        _refuse(deps, espace, ps, req, action, policy.Blocked())
    if not grants.administrator:
        _refuse(deps, espace, ps, req, action, Forbidden("Réservé au professionnel administrateur du profil."))


def admin_access_log(deps: ProDeps, ps: ProIdentity, ins: str, limit: int | None, cursor: str | None,
                     req: RequestRef) -> Page:
    espace = find_patient(deps, ins)
    _require_administrator(deps, ps, espace, req, "access_log")
    log_access(deps, espace, ps, req, "access_log", "allowed", "administrator")
    return deps.access.read_log(espace.espace_id, _page(limit), cursor)


def admin_consents(deps: ProDeps, ps: ProIdentity, ins: str, req: RequestRef) -> tuple[Espace, list[dict[str, Any]]]:
    """FHIR `Consent?patient.identifier=` [design]: who holds an authorisation or a block on this
    espace — the holder's GET /espaces/{id}/professionals — for the administrator only, like the
    access log (BR-32): another professional's standing is the holder's business."""
    espace = find_patient(deps, ins)
    _require_administrator(deps, ps, espace, req, "consent")
    log_access(deps, espace, ps, req, "consent", "allowed", "administrator")
    return espace, deps.access.professionals(espace.espace_id)


def admin_block(deps: ProDeps, ps: ProIdentity, ins: str, rpps: str, req: RequestRef) -> None:
    """BR-32: the administrator blocks another professional at the holder's request."""
    _check_rpps(rpps)
    espace = find_patient(deps, ins)
    _require_administrator(deps, ps, espace, req, "block")
    if rpps == ps.rpps:
        raise StateConflict("Un professionnel ne peut pas se bloquer lui-même.")
    deps.access.set_block(espace.espace_id, rpps, True, req.at)
    log_access(deps, espace, ps, req, "block", "allowed", "administrator", rpps)


def _page(limit: int | None) -> int:
    limit = page_limit(limit)
    return limit


def _check_rpps(rpps: str) -> str:
    if not re.fullmatch(r"[0-9]{11}", rpps or ""):
        raise ValidationError("Le numéro RPPS doit comporter 11 chiffres.", field="rpps")
    return rpps


# --- the holder's side ----------------------------------------------------------------------------
def holder_access_log(deps: ProDeps, espace_id: str, limit: int | None, cursor: str | None,
                      as_representative: bool = False) -> Page:
    page = deps.access.read_log(espace_id, _page(limit), cursor)
    if as_representative:  # BR-17: nothing about a document hidden from the representatives
        page.items = log_for_representatives(deps.documents, espace_id, page.items)
    return page


def holder_professionals(deps: ProDeps, espace_id: str) -> list[dict[str, Any]]:
    return deps.access.professionals(espace_id)


def holder_withdraw(deps: ProDeps, espace_id: str, rpps: str) -> None:
    """The holder withdraws a professional's authorisation: refused from its very next request (BR-30)."""
    deps.access.withdraw_authorisation(espace_id, _check_rpps(rpps))


def holder_block(deps: ProDeps, espace_id: str, rpps: str, blocked: bool, now: datetime) -> None:
    """BR-31: takes effect on the professional's very next request (checked from the store each time)."""
    deps.access.set_block(espace_id, _check_rpps(rpps), blocked, now)


def holder_set_administrator(deps: ProDeps, espace_id: str, rpps: str, now: datetime) -> None:
    """BR-32: only a physician (as its authorisation recorded it) may be designated."""
    rpps = _check_rpps(rpps)
    known: dict[str, Any] = next((p for p in deps.access.professionals(espace_id) if p["rpps"] == rpps), {})
    if not may_be_administrator(known.get("profession"), known.get("authorisation")):
        raise ValidationError("Seul un médecin peut être désigné médecin administrateur (ni un autre professionnel, "
                              "ni le médecin du travail).", field="rpps")
    deps.access.set_administrator(espace_id, rpps, deps.access.administrator(espace_id), now)



# --- the FHIR facade's retrieve (ITI-68): the same read, then a link or the bytes -----------------
INLINE_MAX_BYTES = 4_000_000  # FHIR.md §2: Binary.data only up to 4 MB (a Lambda answer is ≤ 6 MB)


class NotAcceptable(DomainError):
    code = "not_acceptable"
    detail = ("Document trop volumineux pour être renvoyé en application/fhir+json (4 Mo au plus) : "
              "demandez son format natif.")


def retrieve_document(deps: ProDeps, ps: ProIdentity, document_id: str, req: RequestRef, *, inline: bool
                      ) -> tuple[Document, str | bytes]:
    """`read_document` by id, then a short-lived presigned GET (never the bytes through the API), or,
    when the client asks for a FHIR Binary, the bytes of a document of 4 MB at most (406 beyond)."""
    document = read_document(deps, ps, find_document_espace(deps, document_id), document_id, req)
    if not rules.has_content(document):
        raise NotFound("Ce document n'a pas de contenu disponible.")
    if not inline:
        link = deps.store.presign_download(document.object_key, rules.download_filename(document),
                                           document.content_type, rules.DOWNLOAD_URL_TTL, document.object_version)
        return document, str(link["url"])
    if (document.real_size or document.size) > INLINE_MAX_BYTES:
        raise NotAcceptable()
    return document, deps.store.read_head(document.object_key, INLINE_MAX_BYTES + 1, document.object_version)


# --- the FHIR facade's deposit (ITI-65): the same deposit, its bytes inline, all or nothing -------
@dataclass(frozen=True)
class InlineDeposit:
    """One document of an ITI-65 transaction: what the JSON deposit declares, plus its bytes and the
    author's own identifier of it (FHIR masterIdentifier: a second post of it creates nothing)."""

    title: str
    category: str
    content_type: str
    content: bytes
    master_identifier: str
    hidden_from_holder: bool = False
    masked: bool = False
    source: str = ""  # where the bytes came from, for the error's field (e.g. "Bundle.entry[2]")
    replaces: str | None = None  # FHIR relatesTo replaces: the author's own document it replaces (BR-24)
    hidden_from_representatives: bool = False  # BR-17: a minor's document, not for their legal representatives
    label_field: str = ""  # where that label was, for the error's field


def deposit_key(rpps: str, master_identifier: str) -> str:
    import hashlib
    return hashlib.sha256(f"{rpps}|{master_identifier}".encode()).hexdigest()


def check_inline(item: InlineDeposit, field: str) -> None:
    """BR-23 at once on bytes the API holds: the declared metadata as for an upload, then the real size
    and the type by content (domain/documents.check_content, the validation function's own rule);
    the malware verdict comes later, from the same S3 event → validation as an upload."""
    filename = "document." + next(ext for ext, types in rules.CONTENT_TYPES.items() if item.content_type in types) \
        if item.content_type in rules.ALLOWED_CONTENT_TYPES else "document"
    rules.validate_upload(item.title, item.category, filename, item.content_type, max(len(item.content), 1),
                          rules.PRO_MAX_BYTES)
    probe = Document(espace_id="", document_id="", title=item.title, category=item.category, filename=filename,
                     content_type=item.content_type, size=len(item.content), author_type=AuthorType.PRACTITIONER,
                     author_id="", created_at=datetime.min, object_key="", status=DocStatus.REJECTED)
    _, reason = rules.check_content(probe, item.content[:rules.HEAD_SNIFF_BYTES], len(item.content))
    if reason is not None:
        probe.reject_reason = str(reason)
        raise Unprocessable(rules.rejection_reason(probe), field=field)


def deposit_inline(deps: ProDeps, ps: ProIdentity, ins: str, items: list[InlineDeposit], req: RequestRef
                   ) -> list[tuple[Document, bool]]:
    """ITI-65: every document checked before anything is written; then each one as `deposit` writes it
    (pending metadata, access-log `deposit`) with its bytes put in S3; a failure undoes what was
    written. A masterIdentifier this author already deposited points at that document (created False)."""
    for i, item in enumerate(items):
        check_inline(item, item.source or f"documents[{i}]")
    espace = find_patient(deps, ins)
    _check_representatives(espace, items, req)
    grants = deps.access.grants(espace.espace_id, ps.rpps)
    try:
        policy.may_deposit(espace, grants)
    except DomainError as exc:
        _refuse(deps, espace, ps, req, "deposit", exc)
    olds = _inline_replacements(deps, ps, espace, grants, items, req)
    done: list[tuple[Document, bool]] = []
    try:
        for i, item in enumerate(items):
            done.append(_deposit_one(deps, ps, espace, item, req, i, olds.get(i)))
    except Exception:
        _undo(deps, [document for document, created in done if created])
        raise
    for document, created in done:
        if created:
            log_access(deps, espace, ps, req, "deposit", "allowed", target=document.document_id)
            _log_replace(deps, espace, ps, req, document)
    return done


def _check_representatives(espace: Espace, items: list[InlineDeposit], req: RequestRef) -> None:
    """BR-17, the JSON deposit's rule (`require_minor_with_representatives`): a document hidden from the
    legal representatives is for a minor's espace only. The JSON route's 400 is a 422 here: in FHIR a
    well-formed request against a business rule is `business-rule` (FHIR.md §1); same French detail."""
    for item in items:
        if item.hidden_from_representatives:
            try:
                require_minor_with_representatives(espace, req.at)
            except ValidationError as exc:
                raise Unprocessable(exc.detail, field=item.label_field or "securityLabel") from None


def _inline_replacements(deps: ProDeps, ps: ProIdentity, espace: Espace, grants: policy.Grants,
                         items: list[InlineDeposit], req: RequestRef) -> dict[int, Document]:
    """The documents a transaction replaces, checked before anything is written. A deposit already made
    (same masterIdentifier: a retry) is left out: it replaces nothing twice."""
    olds: dict[int, Document] = {}
    for i, item in enumerate(items):
        if item.replaces is None or deps.documents.find_deposit(espace.espace_id, deposit_key(ps.rpps, item.master_identifier)):
            continue
        olds[i] = replace_target(deps, ps, espace, grants, item.replaces, req)
        rules.check_replacement_labels(olds[i], item.hidden_from_holder, item.hidden_from_representatives)
    return olds


def _deposit_one(deps: ProDeps, ps: ProIdentity, espace: Espace, item: InlineDeposit, req: RequestRef,
                 index: int, old: Document | None = None) -> tuple[Document, bool]:
    key = deposit_key(ps.rpps, item.master_identifier)
    existing_id = deps.documents.find_deposit(espace.espace_id, key)
    existing = deps.documents.get(espace.espace_id, existing_id) if existing_id else None
    if existing is not None:
        return existing, False
    document_id = rules.new_document_id(req.at + _millis(index))
    document = Document(
        espace_id=espace.espace_id, document_id=document_id, title=item.title.strip(), category=item.category,
        filename=f"document-{document_id}", content_type=item.content_type, size=len(item.content),
        author_type=AuthorType.PRACTITIONER, author_id=ps.rpps, author_name=ps.name,
        author_profession=ps.profession, created_at=req.at, object_key=object_key(espace.espace_id, document_id),
        masked=_masked(espace, old, item.masked, item.hidden_from_holder), hidden_from_holder=item.hidden_from_holder,
        hidden_until=req.at + rules.HIDDEN_RELEASE_AFTER if item.hidden_from_holder else None,
        deposit_key=key, hidden_from_representatives=item.hidden_from_representatives)
    deps.documents.create(document, rules.claim(old, document) if old else None)
    try:
        deps.store.put(document.object_key, document.content_type, item.content)
    except Exception:
        _undo(deps, [document])
        raise
    return document, True


def _millis(index: int) -> Any:
    from datetime import timedelta
    return timedelta(milliseconds=index)


def _undo(deps: ProDeps, documents: list[Document]) -> None:
    """Remove what a failed transaction wrote: the bytes (every version), then the pending metadata."""
    for document in documents:
        deps.store.delete(document.object_key)
        deps.documents.remove(document, was_pending=True)
        release_claim(deps.documents, document)


# --- the FHIR facade's PATCH DocumentReference/{id}: the author's own deposit --------------------
def author_document(deps: ProDeps, ps: ProIdentity, document_id: str, req: RequestRef, action: str
                    ) -> tuple[Espace, Document]:
    """The author's own deposit (BR-24). FHIR.md §6: a document this PS may see but did not write →
    403; one it may not see → 404 (its existence is not confirmed); a blocked PS → 403 `blocked`."""
    espace = find_document_espace(deps, document_id)
    grants = deps.access.grants(espace.espace_id, ps.rpps)
    if grants.blocked:
        _refuse(deps, espace, ps, req, action, policy.Blocked())
    document = deps.documents.get(espace.espace_id, document_id)
    if document is not None and rules.deposited_by(document, ps.rpps):
        return espace, document
    decision = policy.read_decision(ps, espace, grants, req.at)
    if document is not None and policy.visible_to_professional(ps, document, decision, include_replaced=True):
        _refuse(deps, espace, ps, req, action, Forbidden("Seul l'auteur d'un document peut le modifier."))
    log_access(deps, espace, ps, req, action, "refused:not_found", target=document_id)
    raise NotFound()


class PreconditionFailed(DomainError):
    """FHIR version-aware update: `If-Match` names a version the document has left (HTTP 412)."""

    code = "precondition_failed"
    detail = "Le document a été modifié depuis votre lecture : relisez-le (sa version a changé) puis recommencez."


def _check_version(deps: ProDeps, ps: ProIdentity, espace: Espace, document: Document, if_match: int | None,
                   req: RequestRef, action: str) -> None:
    """`If-Match: W/"n"`: n must be the version read (the optimistic lock the save is conditional on)."""
    if if_match is not None and if_match != document.version:
        _refuse(deps, espace, ps, req, action, PreconditionFailed())


def withdraw_by_id(deps: ProDeps, ps: ProIdentity, document_id: str, req: RequestRef,
                   if_match: int | None = None) -> Document:
    """PATCH /status → entered-in-error: the JSON route's withdraw (BR-24: bytes deleted)."""
    espace, document = author_document(deps, ps, document_id, req, "delete")
    _check_version(deps, ps, espace, document, if_match, req, "delete")
    _withdraw(deps, ps, espace, document, req)
    return document


def relabel_deposit(deps: ProDeps, ps: ProIdentity, document_id: str, label: str, req: RequestRef,
                    if_match: int | None = None) -> Document:
    """PATCH /securityLabel/0 on the author's own deposit (FHIR.md §2). The labels are listed in one
    order (masked, hidden from the holder, hidden from the representatives: the facade's), label 0 is
    the first restriction that applies. `N` lifts that one and only that one: unmasks it (BR-25),
    shows a document hidden from the holder now rather than at its release (BR-26), or makes it
    visible to the minor's legal representatives — for good, the JSON route's reveal (BR-17,
    `set_hidden_from_representatives`, logged `reveal`). `MASQUE_PS` masks it from other professionals
    (never one hidden from the holder: BR-25/26) and lifts nothing; `INVISIBLE_REPRESENTANTS_LEGAUX`
    keeps a hidden document hidden, and is a 409 on any other (BR-17: hiding after the deposit is not
    possible, the representatives may have read it)."""
    espace, document = author_document(deps, ps, document_id, req, "update")
    _check_version(deps, ps, espace, document, if_match, req, "update")
    if document.status == DocStatus.ENTERED_IN_ERROR:
        raise StateConflict("Ce document a été retiré.")
    action = "update"
    if label == "MASQUE_PS":
        rules.set_masked(document, True)
    elif label == "INVISIBLE_REPRESENTANTS_LEGAUX":
        rules.set_hidden_from_representatives(document, True)
    elif document.masked:
        document.masked = False
    elif document.hidden_from_holder:
        document.hidden_from_holder, document.hidden_until = False, None
    elif document.hidden_from_representatives:
        rules.set_hidden_from_representatives(document, False)
        action = "reveal"
    deps.documents.save(document)
    log_access(deps, espace, ps, req, action, "allowed", target=document_id)
    return document


def document_by_identifier(deps: ProDeps, ps: ProIdentity, value: str, document_id: str | None) -> str:
    """The document a PATCH `?identifier=` names (no patient in the request): the masterIdentifier this
    author sent on ITI-65 (its deposit marker, found by key on the by_document index: one Query and
    one GetItem, never a Scan), else — a `urn:uuid` mes emitted — the document of that id (the PATCH by
    id then decides 403/404 as for `DocumentReference/{id}`). Another author's identifier names
    nothing: 404 (BR-24, their deposit is theirs)."""
    found = deps.documents.deposit_of(deposit_key(ps.rpps, value))
    if found is not None:
        return found[1]
    if document_id is None:
        raise NotFound()
    return document_id
