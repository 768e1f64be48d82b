"""Secure messaging use cases (BR-37 to BR-39).

Professional side: every action goes through the access policy (`mes.domain.access`, via
`mes.domain.messaging`) and writes one access-log record (`access_log.log_access`, BR-35).
Holder side: the holder's own espace (or a represented child's), as for documents.

Notifications of a new professional message carry no content (BR-39): no subject, no body, no name."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mes.domain import access as policy
from mes.domain import children as family
from mes.domain import documents as doc_rules
from mes.domain import messaging as rules
from mes.domain.codes import keyed_hash
from mes.domain.documents import AuthorType, DocStatus, Document
from mes.domain.errors import ConcurrentUpdate, DomainError, NotFound, ValidationError
from mes.domain.espace import Espace, Status
from mes.domain.messaging import Author, Conversation, DuplicateRequest, Message
from mes.domain.professionals import ProIdentity
from mes.ports import (
    AttachmentCopier,
    AttachmentGrant,
    DocumentRepository,
    EspaceRepository,
    MessageRepository,
    Page,
)
from mes.services.paging import page_limit

from .access_log import RequestRef, find_patient, log_access, pro_identity
from .documents import object_key
from .espaces import resolve, resolve_acting, resolve_id
from .professionals import ProDeps

NOTICE_TEMPLATE = "new-message"


@dataclass
class MessagingDeps:
    pro: ProDeps  # espaces, documents, access (grants + log), store, notifier, keys, template_name
    messages: MessageRepository
    copier: AttachmentCopier

    @property
    def espaces(self) -> EspaceRepository:
        return self.pro.espaces

    @property
    def documents(self) -> DocumentRepository:
        return self.pro.documents

    @property
    def template_name(self) -> Callable[[str], str]:
        return self.pro.template_name



def notify_holder(deps: MessagingDeps, espace: Espace) -> str | None:
    """BR-39 [design]: only an active espace, only if `settings.notifications.messages`; by SMS when
    the holder chose SMS for their codes and has a mobile, by e-mail otherwise (a child's notice goes
    to the guardian's e-mail). No subject, no body, no professional's name: nothing but the fact."""
    if espace.status != Status.ACTIVE or not espace.settings.notifications.get("messages", True):
        return None
    if not espace.is_child and espace.otp_channel == "sms" and espace.mobile:
        deps.pro.notifier.send_sms(NOTICE_TEMPLATE, espace.mobile, {})
        return "sms"
    email = espace.delivery_contact().email if espace.is_child else espace.email
    if email:
        deps.pro.notifier.send_templated(deps.template_name(NOTICE_TEMPLATE), email, {"first_name": espace.first_name})
        return "email"
    return None


# --- professional ----------------------------------------------------------------------------------
def _request_key(deps: MessagingDeps, ps: ProIdentity, req: RequestRef) -> str:
    """[design] A professional's retried request (same Idempotency-Key, or API Gateway's request id)
    writes nothing twice and notifies once: its key is remembered with what it created."""
    return keyed_hash(deps.pro.keys.messages, "request", f"{ps.rpps}|{req.request_id}")[:40]


def _refuse(deps: MessagingDeps, espace: Espace, ps: ProIdentity, req: RequestRef, action: str,
            error: DomainError, target: str | None = None) -> None:
    log_access(deps.pro, espace, ps, req, action, "refused:" + error.code, target=target)
    raise error


def _pro_attachments(deps: MessagingDeps, ps: ProIdentity, espace: Espace, grants: policy.Grants,
                     ids: list[str], req: RequestRef) -> list[rules.Attachment]:
    if not ids:
        return []
    decision = policy.read_decision(ps, espace, grants, req.at)
    return [rules.professional_attachment(deps.documents.get(espace.espace_id, i), ps, decision) for i in ids]


def start(deps: MessagingDeps, ps: ProIdentity, ins: str, *, subject: str, body: str, attachments: list[str] | None,
          req: RequestRef) -> Conversation:
    """BR-37: a professional starts a conversation with a patient (no read authorisation needed, as for a
    deposit; a block refuses it, logged). One access-log record; the holder is notified without content."""
    subject, body = rules.check_subject(subject), rules.check_body(body)
    ids = rules.check_attachment_ids(attachments)
    espace = find_patient(deps.pro, ins)
    grants = deps.pro.access.grants(espace.espace_id, ps.rpps)
    try:
        rules.may_start(espace, grants)
        attached = _pro_attachments(deps, ps, espace, grants, ids, req)
    except DomainError as exc:
        _refuse(deps, espace, ps, req, "conversation_start", exc)
    conversation_id = rules.new_id(req.at)
    conversation = Conversation(espace_id=espace.espace_id, conversation_id=conversation_id, rpps=ps.rpps,
                                subject=subject, created_at=req.at, last_at=req.at, **pro_identity(ps))
    first = Message(espace_id=espace.espace_id, conversation_id=conversation_id, message_id=rules.new_id(req.at),
                    author=Author.PROFESSIONAL, author_id=ps.rpps, at=req.at, body=body, attachments=attached)
    try:
        deps.messages.start(conversation, first, _request_key(deps, ps, req))
    except DuplicateRequest as dup:
        return deps.messages.get(espace.espace_id, dup.conversation_id) or conversation
    log_access(deps.pro, espace, ps, req, "conversation_start", "allowed", target=conversation_id)
    notify_holder(deps, espace)
    return conversation


def _own_conversation(deps: MessagingDeps, ps: ProIdentity, conversation_id: str, req: RequestRef, action: str,
                      ) -> tuple[Conversation, Espace, policy.Grants]:
    """The professional's own conversation (another professional's: 404), on an espace it may still
    reach, and not blocked (403 `blocked`, logged)."""
    conversation = rules.professional_may_act(deps.messages.find_for_professional(ps.rpps, conversation_id), ps)
    espace = deps.espaces.get(conversation.espace_id)
    if espace is None or espace.status not in rules.WRITABLE_STATUSES:
        raise NotFound()
    grants = deps.pro.access.grants(espace.espace_id, ps.rpps)
    if grants.blocked:
        _refuse(deps, espace, ps, req, action, policy.Blocked(), conversation_id)
    return conversation, espace, grants


def pro_read(deps: MessagingDeps, ps: ProIdentity, conversation_id: str, *, limit: int | None, cursor: str | None,
             req: RequestRef) -> tuple[Conversation, Page]:
    limit = page_limit(limit)
    conversation, espace, _ = _own_conversation(deps, ps, conversation_id, req, "conversation_read")
    _, page = deps.messages.page(espace.espace_id, conversation_id, limit, cursor)
    log_access(deps.pro, espace, ps, req, "conversation_read", "allowed", target=conversation_id)
    return conversation, page


def pro_send(deps: MessagingDeps, ps: ProIdentity, conversation_id: str, *, body: str,
             attachments: list[str] | None, req: RequestRef) -> Message:
    body = rules.check_body(body)
    ids = rules.check_attachment_ids(attachments)
    conversation, espace, grants = _own_conversation(deps, ps, conversation_id, req, "message")
    try:
        rules.may_write(conversation, Author.PROFESSIONAL, grants)
        attached = _pro_attachments(deps, ps, espace, grants, ids, req)
    except DomainError as exc:
        _refuse(deps, espace, ps, req, "message", exc, conversation_id)
    message = Message(espace_id=espace.espace_id, conversation_id=conversation_id, message_id=rules.new_id(req.at),
                      author=Author.PROFESSIONAL, author_id=ps.rpps, at=req.at, body=body, attachments=attached)
    try:
        deps.messages.add_message(conversation, message, _request_key(deps, ps, req))
    except DuplicateRequest as dup:
        return deps.messages.message(espace.espace_id, dup.conversation_id, dup.message_id) or message
    log_access(deps.pro, espace, ps, req, "message", "allowed", target=conversation_id)
    notify_holder(deps, espace)
    return message


def pro_close(deps: MessagingDeps, ps: ProIdentity, conversation_id: str, req: RequestRef) -> Conversation:
    """BR-38: only the professional of the conversation ends it; closing twice changes nothing."""
    conversation, espace, _ = _own_conversation(deps, ps, conversation_id, req, "conversation_close")
    if rules.close(conversation, ps, req.at) and not deps.messages.close(conversation):
        conversation = deps.messages.get(espace.espace_id, conversation_id) or conversation  # closed meanwhile
    log_access(deps.pro, espace, ps, req, "conversation_close", "allowed", target=conversation_id)
    return conversation


def pro_attachment(deps: MessagingDeps, ps: ProIdentity, conversation_id: str, document_id: str,
                   req: RequestRef) -> tuple[Document, dict | None]:
    """[design] An attachment the holder sent in this conversation is readable by its professional,
    whatever the access matrix or masking say: sending it is the holder's consent for that document
    and that professional. It stays so while the document is available (withdrawn or deleted: 404)
    and the professional is not blocked. Logged as a read in mode `conversation`."""
    conversation, espace, _ = _own_conversation(deps, ps, conversation_id, req, "read")
    grant = deps.messages.attachment(espace.espace_id, conversation_id, document_id)
    document = deps.documents.get(espace.espace_id, document_id) if grant else None
    if document is None or document.status != DocStatus.AVAILABLE:
        log_access(deps.pro, espace, ps, req, "read", "refused:not_found", "conversation", document_id)
        raise NotFound()
    log_access(deps.pro, espace, ps, req, "read", "allowed", "conversation", document_id)
    download = deps.pro.store.presign_download(document.object_key, doc_rules.download_filename(document), document.content_type,
                                               doc_rules.DOWNLOAD_URL_TTL, document.object_version)
    return document, download


# --- holder -------------------------------------------------------------------------------------------
def list_conversations(deps: MessagingDeps, claims: dict, espace_id: str, *, limit: int | None,
                       cursor: str | None) -> Page:
    target = resolve_id(deps.espaces, claims, espace_id)
    return deps.messages.list_for_holder(target, page_limit(limit), cursor)


def read(deps: MessagingDeps, claims: dict, espace_id: str, conversation_id: str, *, limit: int | None,
         cursor: str | None) -> tuple[Conversation | None, Page]:
    """One Query per page: the conversation comes with the first page (None on the following ones)."""
    limit = page_limit(limit)
    target = resolve_id(deps.espaces, claims, espace_id)
    conversation, page = deps.messages.page(target, conversation_id, limit, cursor)
    if conversation is None and cursor is None:
        raise NotFound()
    return conversation, page


def reply(deps: MessagingDeps, claims: dict, espace_id: str, conversation_id: str, *, body: str,
          attachments: list[str] | None, now: Any) -> Message:
    """BR-37/38: the holder replies while the professional has not ended the conversation."""
    body = rules.check_body(body)
    ids = rules.check_attachment_ids(attachments)
    acting = resolve_acting(deps.espaces, claims, espace_id)
    target = acting.espace_id
    conversation = deps.messages.get(target, conversation_id)
    if conversation is None:
        raise NotFound()
    rules.may_write(conversation, Author.HOLDER)
    attached = [rules.holder_attachment(deps.documents.get(target, i), target, acting.as_representative)
                for i in ids]  # BR-17: a representative attaches only what they may read
    message = Message(espace_id=target, conversation_id=conversation_id, message_id=rules.new_id(now),
                      author=Author.HOLDER, author_id=target, at=now, body=body, attachments=attached)
    deps.messages.add_message(conversation, message)
    return message


def _shared_original(deps: MessagingDeps, target: str, conversation_id: str, document_id: str,
                     as_representative: bool) -> tuple[AttachmentGrant, Document]:
    """BR-39: the grant of a document a professional attached, and the document, available and
    visible to the reader (BR-17, as the document reads); NotFound otherwise."""
    grant = deps.messages.attachment(target, conversation_id, document_id)
    if grant is None or grant["sent_by"] != str(Author.PROFESSIONAL):
        raise NotFound()
    original = deps.documents.get(target, document_id)
    if (original is None or original.status != DocStatus.AVAILABLE
            or not doc_rules.visible_to_holder(original, as_representative)):
        raise NotFound()
    return grant, original


def _create_copy(deps: MessagingDeps, espace: Espace, original: Document, copy_id: str, now: Any) -> Document:
    """The holder's own document for the copy (`pending`), within the holder's size limit."""
    target = espace.espace_id
    size = original.real_size or original.size
    if size > doc_rules.HOLDER_MAX_BYTES:
        raise ValidationError("Ce document dépasse la taille des documents que vous pouvez ajouter "
                              f"({doc_rules.HOLDER_MAX_BYTES} octets).", field="document_id")
    copy = Document(espace_id=target, document_id=copy_id, title=original.title, category=original.category,
                    filename=original.filename, content_type=original.content_type, size=size,
                    author_type=AuthorType.PATIENT, author_id=target, created_at=now,
                    object_key=object_key(target, copy_id), masked=espace.settings.documents_masked_by_default)
    try:
        deps.documents.create(copy)
    except ConcurrentUpdate:
        copy = deps.documents.get(target, copy_id) or copy  # a concurrent retry created it
    return copy


def save_attachment(deps: MessagingDeps, claims: dict, espace_id: str, conversation_id: str, document_id: str,
                    now: Any) -> Document:
    """BR-39 [design]: a server-side S3 copy (SSE-KMS, project key) into a new document of the holder,
    authored by the holder (theirs to delete, BR-24; it outlives a withdrawal of the original). It goes
    through the validation function like any upload (`pending`, then `available`). Idempotent: the copy's
    id is derived from (conversation, document), so a retry returns the same document."""
    espace = resolve(deps.espaces, claims, espace_id)
    target = espace.espace_id
    as_representative = family.is_representative_only(espace, claims["sub"])
    grant, original = _shared_original(deps, target, conversation_id, document_id, as_representative)
    copy_id = rules.saved_copy_id(grant["message_id"], keyed_hash(deps.pro.keys.messages, "saved-attachment",
                                                                 f"{conversation_id}|{document_id}"))
    existing = deps.documents.get(target, copy_id)
    if existing is None:
        existing = _create_copy(deps, espace, original, copy_id, now)
    if existing.status == DocStatus.PENDING:
        try:
            # again after a crash: same bytes (the original's validated version, BR-23)
            deps.copier.copy(original.object_key, existing.object_key, original.object_version)
        except Exception:
            deps.documents.remove(existing, was_pending=True)
            raise
    return existing
