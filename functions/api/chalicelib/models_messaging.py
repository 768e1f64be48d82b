"""Request and response models of the secure messaging (BR-37 to BR-39)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, StrictStr

from .models import Body, DocumentId, DocumentOut, Download, Out, body_config


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
