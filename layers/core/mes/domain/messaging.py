"""Secure messaging (BR-37 to BR-39): conversations between a professional and a holder.

- Only a professional starts a conversation (BR-37), as any professional may deposit a document:
  no read authorisation is needed, a block refuses it (BR-31), and only created or active espaces
  receive messages.
- The holder replies while it is open; only the professional who started it ends it (BR-38);
  afterwards nobody writes in it (409 `conversation_closed`). No holder-to-holder messages: a
  conversation always has exactly one professional and one espace.
- Attachments are references to documents of the conversation's espace, checked on the writer's
  side: the professional attaches a document it may read under the access policy or one it
  deposited; the holder attaches one of their documents. Either way the document must be available
  and visible to the holder (a document hidden from the holder, BR-26, cannot be sent to them).

Pure rules: no boto3. Subjects and bodies are encrypted by the repository (adapters)."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from . import access as policy
from .documents import DocStatus, Document, deposited_by, visible_to_holder
from .errors import DomainError, Forbidden, NotFound, ValidationError
from .espace import Espace
from .professionals import ProIdentity

MAX_SUBJECT = 200
MAX_BODY = 10_000
MAX_ATTACHMENTS = 10  # [design]
WRITABLE_STATUSES = policy.DEPOSIT_STATUSES  # BR-37: like a deposit (created or active espaces)


class ConversationStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class Author(StrEnum):
    PROFESSIONAL = "professional"
    HOLDER = "holder"


class ConversationClosed(DomainError):
    code = "conversation_closed"
    detail = "Cette conversation a été clôturée par le professionnel de santé : vous ne pouvez plus y répondre."


class InvalidAttachment(DomainError):
    code = "invalid_attachment"
    detail = "Pièce jointe introuvable ou non autorisée : seuls vos documents disponibles peuvent être joints."


class DuplicateRequest(Exception):  # noqa: N818 - a signal, not an error the caller sees
    """The same professional request (same Idempotency-Key / request id) was already carried out:
    the ids of what it created are returned instead of writing twice."""

    def __init__(self, conversation_id: str, message_id: str):
        super().__init__(conversation_id)
        self.conversation_id, self.message_id = conversation_id, message_id


REQUEST_MEMORY_SECONDS = 24 * 3600  # [design] how long a professional's request id is remembered


def new_id(now: datetime | None = None) -> str:
    """Time-ordered and unpredictable (12 hex digits of milliseconds + 20 random hex digits)."""
    millis = int((now.timestamp() if now else time.time()) * 1000)
    return f"{millis:012x}{os.urandom(10).hex()}"


@dataclass
class Attachment:
    """What a message shows of an attached document (encrypted with the body)."""

    document_id: str
    title: str
    filename: str
    content_type: str
    size: int
    category: str

    @classmethod
    def of(cls, document: Document) -> Attachment:
        return cls(document.document_id, document.title, document.filename, document.content_type, document.size,
                   document.category)

    def as_dict(self) -> dict[str, Any]:
        return {"document_id": self.document_id, "title": self.title, "filename": self.filename,
                "content_type": self.content_type, "size": self.size, "category": self.category}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Attachment:
        return cls(data["document_id"], data.get("title", ""), data.get("filename", ""),
                   data.get("content_type", ""), int(data.get("size", 0)), data.get("category", ""))


@dataclass
class Conversation:
    espace_id: str
    conversation_id: str
    rpps: str
    subject: str
    created_at: datetime
    last_at: datetime
    status: ConversationStatus = ConversationStatus.OPEN
    closed_at: datetime | None = None
    profession: str | None = None
    structure: str | None = None
    name: str | None = None
    message_count: int = 0


@dataclass
class Message:
    espace_id: str
    conversation_id: str
    message_id: str
    author: Author
    author_id: str  # RPPS for the professional, espace id for the holder
    at: datetime
    body: str
    attachments: list[Attachment] = field(default_factory=list)


# --- writing ---------------------------------------------------------------------------------------
def check_subject(subject: str) -> str:
    subject = (subject or "").strip()
    if not subject or len(subject) > MAX_SUBJECT:
        raise ValidationError(f"L'objet est obligatoire ({MAX_SUBJECT} caractères au plus).", field="subject")
    return subject


def check_body(body: str) -> str:
    if not (body or "").strip() or len(body) > MAX_BODY:
        raise ValidationError(f"Le message est obligatoire ({MAX_BODY} caractères au plus).", field="body")
    return body


def check_attachment_ids(ids: list[str] | None) -> list[str]:
    ids = list(ids or [])
    if len(ids) > MAX_ATTACHMENTS:
        raise ValidationError(f"{MAX_ATTACHMENTS} pièces jointes au plus.", field="attachments")
    if len(set(ids)) != len(ids) or any(not i or len(i) > 64 for i in ids):
        raise ValidationError("Pièces jointes invalides.", field="attachments")
    return ids


def may_start(espace: Espace, grants: policy.Grants) -> None:
    """BR-37 [design]: any professional may write to a patient's messaging, as it may deposit a
    document (no read authorisation); a blocked professional may not (BR-31)."""
    if grants.blocked:
        raise policy.Blocked()
    if espace.status not in WRITABLE_STATUSES:
        raise Forbidden("Ce profil Mon espace santé ne peut pas recevoir de messages.")


def professional_may_act(conversation: Conversation | None, ps: ProIdentity) -> Conversation:
    """A professional sees only its own conversations: another one's is 404."""
    if conversation is None or conversation.rpps != ps.rpps:
        raise NotFound()
    return conversation


def may_write(conversation: Conversation, author: Author, grants: policy.Grants | None = None) -> None:
    """BR-38: nobody writes in a closed conversation; a blocked professional does not write."""
    if author == Author.PROFESSIONAL and grants is not None and grants.blocked:
        raise policy.Blocked()
    if conversation.status == ConversationStatus.CLOSED:
        raise ConversationClosed()


def close(conversation: Conversation, ps: ProIdentity, now: datetime) -> bool:
    """BR-38: only the professional of the conversation ends it. Idempotent: False if already closed."""
    professional_may_act(conversation, ps)
    if conversation.status == ConversationStatus.CLOSED:
        return False
    conversation.status = ConversationStatus.CLOSED
    conversation.closed_at = now
    return True


# --- attachments -----------------------------------------------------------------------------------
def _sendable(document: Document | None, as_representative: bool = False) -> bool:
    """Available and readable by whoever attaches it on the holder's side, through the one policy
    the document reads use (`documents.visible_to_holder`: BR-26, and BR-17 for a legal
    representative acting on a minor's espace); and, whoever attaches it, not hidden from the legal
    representatives (BR-17): a minor's conversations are read by them, so the messaging never
    carries what the minor kept from them."""
    return (document is not None and document.status == DocStatus.AVAILABLE
            and visible_to_holder(document, as_representative) and not document.hidden_from_representatives)


def holder_attachment(document: Document | None, espace_id: str, as_representative: bool = False) -> Attachment:
    """The holder, or a legal representative acting on a child's espace (`as_representative`),
    attaches an available document of that espace that they may read (any author, as listed to them).
    One answer for a document that does not exist, is not theirs, or is hidden from them: no oracle."""
    if not _sendable(document, as_representative) or document.espace_id != espace_id:  # type: ignore[union-attr]
        raise InvalidAttachment()
    return Attachment.of(document)  # type: ignore[arg-type]


def professional_attachment(document: Document | None, ps: ProIdentity, decision: policy.Decision) -> Attachment:
    """The professional attaches a document it may read under the access policy, or one it deposited;
    never one hidden from the holder. Same answer whether the document exists or not."""
    if not _sendable(document):
        raise InvalidAttachment("Pièce jointe introuvable ou non autorisée.")
    assert document is not None
    own = deposited_by(document, ps.rpps)
    if not own and not policy.visible_to_professional(ps, document, decision):
        raise InvalidAttachment("Pièce jointe introuvable ou non autorisée.")
    return Attachment.of(document)


def saved_copy_id(message_id: str, digest: str) -> str:
    """The id of the holder's saved copy of an attachment: the message's time (so the copy sorts
    where it was received) + a keyed digest of (conversation, document): a retry finds the same id."""
    return message_id[:12] + digest[:20]
