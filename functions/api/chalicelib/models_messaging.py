"""Request and response models of the secure messaging (BR-37 to BR-39)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, StrictStr

from .models import Body, DocumentOut, Download, Out


class ConversationStart(Body):
    subject: StrictStr = Field(description="objet, 200 caractères au plus")
    body: StrictStr = Field(description="message, 10 000 caractères au plus")
    attachments: list[StrictStr] = Field(default_factory=list,
                                         description="identifiants de documents (10 au plus)")


class MessageRequest(Body):
    body: StrictStr
    attachments: list[StrictStr] = Field(default_factory=list, description="identifiants de documents (10 au plus)")


class ConversationCreated(Out):
    conversation_id: str


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


class ConversationList(Out):
    items: list[ConversationOut]
    next_cursor: str | None


class AttachmentOut(Out):
    document_id: str
    title: str
    filename: str
    content_type: str
    size: int
    category: str


class MessageOut(Out):
    id: str
    author: Literal["professional", "holder"]
    at: str
    body: str
    attachments: list[AttachmentOut]


class ConversationPage(Out):
    """`conversation` comes with the first page; null on the following ones (one Query per page)."""

    conversation: ConversationOut | None
    items: list[MessageOut]
    next_cursor: str | None


class AttachmentDetail(DocumentOut):
    download: Download | None = None
