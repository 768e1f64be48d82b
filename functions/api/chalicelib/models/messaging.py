"""Request and response models of the secure messaging (BR-37 to BR-39)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field, StrictStr

from .common import Body, DocumentId, Download, Out, body_config, iso, iso_or_none
from .documents import DocumentOut

if TYPE_CHECKING:
    from mes.domain.messaging import Attachment, Conversation, Message
    from mes.ports import Page


class ConversationStart(Body):
    model_config = body_config({"subject": "Résultats de votre prise de sang",
                                "body": "Bonjour, vos résultats sont disponibles dans vos documents.",
                                "attachments": []})
    subject: StrictStr = Field(min_length=1, max_length=200, description="objet, 200 caractères au plus")
    body: StrictStr = Field(min_length=1, max_length=10_000, description="message, 10 000 caractères au plus")
    attachments: list[DocumentId] = Field(default_factory=list, max_length=10,
                                          description="identifiants de documents (10 au plus)")


class MessageRequest(Body):
    model_config = body_config({"body": "Merci docteur, je prends rendez-vous.", "attachments": []})
    body: StrictStr = Field(min_length=1, max_length=10_000, description="message, 10 000 caractères au plus")
    attachments: list[DocumentId] = Field(default_factory=list, max_length=10,
                                          description="identifiants de documents (10 au plus)")


class ConversationCreated(Out):
    conversation_id: str

    @classmethod
    def from_domain(cls, conversation: Conversation) -> ConversationCreated:
        return cls(conversation_id=conversation.conversation_id)


class ProfessionalRef(Out):
    rpps: str
    profession: str | None = None
    structure: str | None = None
    name: str | None = None


class ConversationOut(Out):
    id: str
    subject: str
    status: Literal["open", "closed"]
    professional: ProfessionalRef
    created_at: str
    last_message_at: str
    closed_at: str | None = None
    message_count: int

    @classmethod
    def from_domain(cls, c: Conversation) -> ConversationOut:
        return cls(id=c.conversation_id, subject=c.subject, status=str(c.status),  # type: ignore[arg-type]
                   professional=ProfessionalRef(rpps=c.rpps, profession=c.profession, structure=c.structure,
                                                name=c.name),
                   created_at=iso(c.created_at), last_message_at=iso(c.last_at), closed_at=iso_or_none(c.closed_at),
                   message_count=c.message_count)


class ConversationList(Out):
    items: list[ConversationOut]
    next_cursor: str | None

    @classmethod
    def from_domain(cls, page: Page) -> ConversationList:
        return cls(items=[ConversationOut.from_domain(c) for c in page.items], next_cursor=page.next_key)


class AttachmentOut(Out):
    document_id: str
    title: str
    filename: str
    content_type: str
    size: int
    category: str

    @classmethod
    def from_domain(cls, a: Attachment) -> AttachmentOut:
        return cls(**a.as_dict())


class MessageOut(Out):
    id: str
    author: Literal["professional", "holder"]
    at: str
    body: str
    attachments: list[AttachmentOut]

    @classmethod
    def from_domain(cls, m: Message) -> MessageOut:
        return cls(id=m.message_id, author=str(m.author), at=iso(m.at), body=m.body,  # type: ignore[arg-type]
                   attachments=[AttachmentOut.from_domain(a) for a in m.attachments])


class ConversationPage(Out):
    """`conversation` comes with the first page; null on the following ones (one Query per page)."""

    conversation: ConversationOut | None
    items: list[MessageOut]
    next_cursor: str | None

    @classmethod
    def from_domain(cls, conversation: Conversation | None, page: Page) -> ConversationPage:
        return cls(conversation=ConversationOut.from_domain(conversation) if conversation else None,
                   items=[MessageOut.from_domain(m) for m in page.items], next_cursor=page.next_key)


class AttachmentDetail(DocumentOut):
    download: Download | None = None
