"""Documents use cases (BR-22 to BR-27): upload straight to S3, validation of the real bytes,
listing, download, masking, deletion, release of documents hidden from the holder."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from mes.domain import documents as rules
from mes.domain.documents import AuthorType, DocStatus, Document, RejectReason
from mes.domain.errors import ConcurrentUpdate, ValidationError
from mes.domain.espace import Espace, HolderSettings
from mes.domain.texts import french_date
from mes.observability import logger
from mes.ports import DocumentRepository, DocumentStore, EspaceRepository, MalwareScanner, Notifier, Page
from mes.progress import Progress, Tally
from mes.services.paging import page_limit

from .espaces import resolve, resolve_acting
from .paging import BudgetSpent, due_pages
from .retry import retry_on_conflict


@dataclass
class DocumentDeps:
    espaces: EspaceRepository
    documents: DocumentRepository
    store: DocumentStore
    scanner: MalwareScanner
    notifier: Notifier
    template_name: Callable[[str], str]


def object_key(espace_id: str, document_id: str) -> str:
    """Random (two UUID-like ids), never derived from the file name (BR-23)."""
    return f"documents/{espace_id}/{document_id}"


def parse_object_key(key: str) -> tuple[str, str] | None:
    parts = key.split("/")
    if len(parts) != 3 or parts[0] != "documents":
        return None
    return parts[1], parts[2]


# --- holder ------------------------------------------------------------------------------------
def request_upload(deps: DocumentDeps, claims: dict, espace_id: str, *, title: str, category: str, filename: str,
                   content_type: str, size: int, now: datetime) -> tuple[Document, dict]:
    espace = resolve(deps.espaces, claims, espace_id)
    rules.validate_upload(title, category, filename, content_type, size, rules.HOLDER_MAX_BYTES)
    document_id = rules.new_document_id(now)
    document = Document(
        espace_id=espace.espace_id, document_id=document_id, title=title.strip(), category=category,
        filename=filename, content_type=content_type, size=size, author_type=AuthorType.PATIENT,
        author_id=espace.espace_id, created_at=now, object_key=object_key(espace.espace_id, document_id),
        masked=espace.settings.documents_masked_by_default)  # BR-25
    return document, announce(deps.documents, deps.store, document)


def announce(documents: DocumentRepository, store: DocumentStore, document: Document,
             claimed: Document | None = None) -> dict:
    """BR-23, for holders and professionals alike: the metadata first (`pending`, with the quota, and
    the claim on the document a replacement replaces), then a presigned upload limited to the
    author's maximum; if signing fails, no orphan metadata and no claim left."""
    documents.create(document, claimed)
    try:
        return store.presign_upload(document.object_key, document.content_type, document.max_bytes,
                                    rules.UPLOAD_URL_TTL)
    except Exception:
        documents.remove(document, was_pending=True)
        release_claim(documents, document)
        raise


def release_claim(documents: DocumentRepository, document: Document) -> None:
    """A replacement withdrawn or undone before its validation gives its claim back: the document it
    would have replaced stays current and may be replaced again (BR-24)."""
    replaces = document.replaces
    if not replaces:
        return

    def attempt() -> None:
        old = documents.get(document.espace_id, replaces)
        if old is not None and rules.release(old, document.document_id):
            documents.save(old)

    retry_on_conflict(attempt)


def list_documents(deps: DocumentDeps, claims: dict, espace_id: str, *, category: str | None, limit: int | None,
                   cursor: str | None) -> Page:
    acting = resolve_acting(deps.espaces, claims, espace_id)
    if category is not None and category not in rules.CATEGORIES:
        raise ValidationError("Catégorie de document inconnue.", field="category")
    limit = page_limit(limit)
    page = deps.documents.list(acting.espace_id, category=category, limit=limit, cursor=cursor, holder_only=True,
                               as_representative=acting.as_representative)
    page.items = [d for d in page.items if rules.visible_to_holder(d, acting.as_representative)]  # BR-17
    return page



def _holder_document(deps: DocumentDeps, claims: dict, espace_id: str, document_id: str) -> tuple[str, Document]:
    acting = resolve_acting(deps.espaces, claims, espace_id)
    return acting.espace_id, rules.holder_view(deps.documents.get(acting.espace_id, document_id),
                                               acting.as_representative)


def get_document(deps: DocumentDeps, claims: dict, espace_id: str, document_id: str,
                 now: datetime | None = None) -> tuple[Document, dict | None]:
    _, document = _holder_document(deps, claims, espace_id, document_id)
    if now is not None and rules.upload_abandoned(document, now):
        document = settle_abandoned(deps, document, now)
    download = None
    if document.status == DocStatus.AVAILABLE:
        download = deps.store.presign_download(document.object_key, rules.download_filename(document), document.content_type,
                                               rules.DOWNLOAD_URL_TTL, document.object_version)
    return document, download


def settle_abandoned(deps: DocumentDeps, document: Document, now: datetime) -> Document:
    """Issue 11: an upload whose bytes never arrived is rejected `missing_object` (« Le fichier n'a pas été
    reçu. »), which gives its pending slot and bytes back (BR-23 quota) and lets the page say so; bytes that
    are there are left to the validation. Bytes arriving later still are deleted by it (rejected)."""
    if deps.store.head(document.object_key) is not None:
        return document
    outcome = _finish(deps, document, None, RejectReason.MISSING, 0, now)
    if outcome.status == "skipped":  # settled meanwhile by the validation
        return deps.documents.get(document.espace_id, document.document_id) or document
    return document


def set_masked(deps: DocumentDeps, claims: dict, espace_id: str, document_id: str, masked: bool) -> Document:
    def attempt() -> Document:
        _, document = _holder_document(deps, claims, espace_id, document_id)
        rules.set_masked(document, masked)
        deps.documents.save(document)
        return document

    return retry_on_conflict(attempt)


def delete_document(deps: DocumentDeps, claims: dict, espace_id: str, document_id: str) -> None:
    """BR-24: own uploads only; the bytes (every version) go first, then the metadata."""
    target, document = _holder_document(deps, claims, espace_id, document_id)
    rules.holder_may_delete(document, target)
    deps.store.delete(document.object_key)
    deps.documents.remove(document, was_pending=document.status == DocStatus.PENDING)


def get_settings(deps: DocumentDeps, claims: dict, espace_id: str) -> Espace:
    return resolve(deps.espaces, claims, espace_id)


def update_settings(deps: DocumentDeps, claims: dict, espace_id: str, changes: dict) -> Espace:
    def attempt() -> Espace:
        espace = resolve(deps.espaces, claims, espace_id)
        current = espace.settings.as_dict()
        if "documents_masked_by_default" in changes:
            current["documents_masked_by_default"] = changes["documents_masked_by_default"]
        for group in ("notifications", "emergency"):
            if changes.get(group):
                current[group] = {**current[group], **changes[group]}
        if "otp_channel" in changes:
            if changes["otp_channel"] == "sms" and not espace.mobile:
                raise ValidationError("Aucun numéro de mobile vérifié : le code ne peut pas être envoyé par SMS.",
                                      field="otp_channel")
            espace.otp_channel = changes["otp_channel"]
        espace.settings = HolderSettings.from_dict(current)
        deps.espaces.save(espace)
        return espace

    return retry_on_conflict(attempt)


# --- validation function ------------------------------------------------------------------------
@dataclass
class ScanOutcome:
    document_id: str | None
    status: str  # available | rejected | skipped | pending_scan
    reason: str | None = None


class ScanNotReady(Exception):
    """The malware verdict is not there yet: the message must come back later."""


# The malware scanner's verdicts ("pending" apart): the reject reason each one gives, None for clean.
VERDICT_REASONS: dict[str, RejectReason | None] = {
    "clean": None,
    "infected": RejectReason.MALWARE,
    "unscannable": RejectReason.UNSCANNABLE,
}


def _settled_outcome(deps: DocumentDeps, key: str, document_id: str, document: Document) -> ScanOutcome | None:
    """The outcome of a document that is no longer pending (a duplicate event, a redelivery, or bytes
    written with a reused upload ticket), else None."""
    if document.status == DocStatus.REJECTED:
        deps.store.delete(key)  # a crash may have happened between the status update and the deletion
        return ScanOutcome(document_id, "rejected", document.reject_reason)
    if document.status != DocStatus.PENDING:
        _keep_validated_version(deps, document)
        return ScanOutcome(document_id, "skipped", str(document.status))
    return None


def _keep_validated_version(deps: DocumentDeps, document: Document) -> None:
    """BR-23, the rule of a reused upload ticket: the presigned POST stays usable for its 5 minutes
    after the validation and S3 cannot refuse a second write to the key, so every ObjectCreated
    event of a document that is no longer pending deletes each version of its object but the one
    the validation checked (`object_version`, which every read names). Idempotent: a redelivery
    finds nothing left to delete. Documents validated before the version was recorded are left
    as they are (their tickets expired long ago)."""
    if document.object_version:
        deleted = deps.store.delete_other_versions(document.object_key, document.object_version)
        if deleted:
            logger.warning("unchecked object versions deleted",
                           extra={"document_id": document.document_id, "deleted": deleted})


def _malware_reason(deps: DocumentDeps, key: str, head: bytes, document_id: str,
                    version: str | None = None) -> RejectReason | None:
    verdict = deps.scanner.verdict(deps.store, key, head, version)
    if verdict == "pending":
        raise ScanNotReady(document_id)
    if verdict not in VERDICT_REASONS:
        raise ValueError(f"unknown malware verdict {verdict!r}")
    return VERDICT_REASONS[verdict]


def validate_object(deps: DocumentDeps, key: str, now: datetime) -> ScanOutcome:
    """Idempotent: a duplicate event or a redelivery after a crash gives the same end state."""
    parsed = parse_object_key(key)
    if parsed is None:
        return ScanOutcome(None, "skipped", "foreign_key")
    espace_id, document_id = parsed
    document = deps.documents.get(espace_id, document_id)
    if document is None:
        # No metadata (deleted, or never announced): the bytes must not stay.
        deps.store.delete(key)
        return ScanOutcome(document_id, "skipped", "no_metadata")
    settled = _settled_outcome(deps, key, document_id, document)
    if settled is not None:
        return settled

    head_info = deps.store.head(key)
    if head_info is None:
        return _finish(deps, document, None, RejectReason.MISSING, 0, now)
    size, version = head_info["size"], head_info.get("version_id")
    # Every check reads the same version, the one recorded if it is accepted (BR-23).
    head = deps.store.read_head(key, version_id=version) if 0 < size <= document.max_bytes else b""
    detected, reason = rules.check_content(document, head, size)
    if reason is None:
        reason = _malware_reason(deps, key, head, document_id, version)
    return _finish(deps, document, detected, reason, size, now, version)


def _finish(deps: DocumentDeps, document: Document, detected: str | None, reason: RejectReason | None, size: int,
            now: datetime, version: str | None = None) -> ScanOutcome:
    if reason is None:
        rules.accept(document, detected or "", size, now, version)
    else:
        rules.reject(document, reason, now, size)
    try:
        deps.documents.save(document, validated=True, also=_replaced(deps, document))
    except ConcurrentUpdate:
        current = deps.documents.get(document.espace_id, document.document_id)
        if current is None or current.status == DocStatus.PENDING:
            raise
        if current.status != DocStatus.REJECTED:  # a concurrent event validated another version
            _keep_validated_version(deps, current)
        return ScanOutcome(document.document_id, "skipped", "already_validated")
    if reason is not None:
        deps.store.delete(document.object_key)
    else:
        notify_new_document(deps, document)
    logger.info("document validated", extra={"document_id": document.document_id, "status": str(document.status),
                                              "reason": str(reason) if reason else None})
    return ScanOutcome(document.document_id, str(document.status), str(reason) if reason else None)


def _replaced(deps: DocumentDeps, document: Document) -> Document | None:
    """A replacement's validation decides for the document it replaces (BR-24), in the same transaction
    as its own status: accepted → the old one becomes `replaced`; rejected → the old one's claim is
    released (it stays current, nothing is lost). None when there is nothing to change (no
    replacement, or the old one was withdrawn meanwhile)."""
    if not document.replaces:
        return None
    old = deps.documents.get(document.espace_id, document.replaces)
    if old is None:
        return None
    if document.status == DocStatus.AVAILABLE:
        changed = rules.supersede(old, document)
    else:
        changed = rules.release(old, document.document_id)
    return old if changed else None


def notify_new_document(deps: DocumentDeps, document: Document) -> None:
    """BR-27: per the holder's preferences, never the holder's own uploads, never health data."""
    if document.author_type == AuthorType.PATIENT or document.hidden_from_holder:
        return
    holder = deps.espaces.get(document.espace_id)
    if holder is None or not holder.settings.notifications.get("documents", True):
        return
    if holder.is_child and document.hidden_from_representatives:
        return  # BR-17: the e-mail would go to the guardian
    contact = holder.delivery_contact() if holder.is_child else holder
    email = contact.email
    if email:
        deps.notifier.send_templated(deps.template_name("new-document"), email, {"first_name": holder.first_name})


# --- hidden-from-holder release (BR-26) ---------------------------------------------------------
@dataclass
class ReleaseResult:
    notified: int = 0
    released: int = 0
    complete: bool = True

    def as_dict(self) -> dict:
        return {"notified": self.notified, "released": self.released, "complete": self.complete}


def release_hidden(deps: DocumentDeps, *, now: datetime, shards: int,
                   should_continue: Callable[[], bool] = lambda: True,
                   progress: Progress | None = None) -> ReleaseResult:
    result = ReleaseResult()
    tally = Tally("hidden_release", progress, "documents")
    try:
        for page in due_pages(lambda shard, start: deps.documents.hidden_due(shard, now, 100, start), shards,
                              should_continue):
            for document in deps.documents.get_many(page.items) if page.items else []:
                _release_one(deps, document, now, result)
            if page.items:
                tally.batch(len(page.items))
    except BudgetSpent:
        result.complete = False
    return result


def _release_one(deps: DocumentDeps, document: Document, now: datetime, result: ReleaseResult) -> None:
    if not document.hidden_from_holder or document.hidden_until is None:
        return
    if now >= document.hidden_until:
        _release(deps, document, result)  # notify_new_document reads the holder when it needs to
    elif not document.hidden_notice_sent:
        _send_hidden_notice(deps, document, document.hidden_until, deps.espaces.get(document.espace_id), result)


def _release(deps: DocumentDeps, document: Document, result: ReleaseResult) -> None:
    """BR-26: the hiding period is over: visible to the holder, notified like a new document."""
    document.hidden_from_holder = False
    try:
        deps.documents.save(document)
    except ConcurrentUpdate:
        return
    result.released += 1
    if document.status == DocStatus.AVAILABLE:
        notify_new_document(deps, document)


def _send_hidden_notice(deps: DocumentDeps, document: Document, hidden_until: datetime, holder: Espace | None,
                        result: ReleaseResult) -> None:
    """BR-26: the holder is told once that a document waits, with its release date and nothing else."""
    document.hidden_notice_sent = True
    try:
        deps.documents.save(document)  # first: a crash after this sends nothing twice
    except ConcurrentUpdate:
        return
    if document.status == DocStatus.REPLACED:  # BR-24: its replacement, hidden too, has its own notice
        return
    result.notified += 1
    if holder is None or not holder.settings.notifications.get("documents", True) or not holder.email:
        return
    deps.notifier.send_templated(deps.template_name("hidden-document-notice"), holder.email,
                                 {"first_name": holder.first_name, "release_date": french_date(hidden_until)})
