"""Secure messaging (BR-37 to BR-39): the professional starts and ends a conversation, the holder
replies while it is open; attachments are document references checked on both sides."""

from __future__ import annotations

from chalice import Blueprint

from mes.domain.professionals import ProIdentity
from mes.services import messaging
from mes.services.professionals import RequestRef

from ..models.common import ListQuery
from ..models.documents import DocumentOut
from ..models.messaging import (
    AttachmentDetail,
    ConversationCreated,
    ConversationList,
    ConversationOut,
    ConversationPage,
    ConversationStart,
    MessageOut,
    MessageRequest,
)
from ..routing import get_container, route

bp = Blueprint(__name__)


def deps() -> messaging.MessagingDeps:
    return get_container().messaging_deps()


# --- holder ----------------------------------------------------------------------------------------
@route(bp, "/espaces/{espace_id}/conversations", "GET", auth="holder", query=ListQuery, response=ConversationList,
       errors=(400, 401, 404))
def list_conversations(claims: dict, espace_id: str, query: ListQuery) -> ConversationList:
    """The holder's conversations, newest activity first (one Query per page)."""
    page = messaging.list_conversations(deps(), claims, espace_id, limit=query.limit, cursor=query.cursor)
    return ConversationList.from_domain(page)


@route(bp, "/espaces/{espace_id}/conversations/{conversation_id}", "GET", auth="holder", query=ListQuery,
       response=ConversationPage, errors=(400, 401, 404))
def read_conversation(claims: dict, espace_id: str, conversation_id: str, query: ListQuery) -> ConversationPage:
    """The messages, newest first; the conversation comes with the first page (one Query per page)."""
    conversation, page = messaging.read(deps(), claims, espace_id, conversation_id, limit=query.limit,
                                        cursor=query.cursor)
    return ConversationPage.from_domain(conversation, page)


@route(bp, "/espaces/{espace_id}/conversations/{conversation_id}/messages", "POST", auth="holder",
       body=MessageRequest, response=MessageOut, status=201, errors=(400, 401, 404, 409))
def reply(claims: dict, espace_id: str, conversation_id: str, body: MessageRequest) -> MessageOut:
    """Reply while the professional has not ended the conversation (409 conversation_closed)."""
    message = messaging.reply(deps(), claims, espace_id, conversation_id, body=body.body,
                              attachments=body.attachments, now=get_container().clock())
    return MessageOut.from_domain(message)


@route(bp, "/espaces/{espace_id}/conversations/{conversation_id}/attachments/{document_id}/save", "POST",
       auth="holder", response=DocumentOut, status=201, errors=(400, 401, 404, 429))
def save_attachment(claims: dict, espace_id: str, conversation_id: str, document_id: str) -> DocumentOut:
    """Save a received attachment into one's documents: a copy of one's own (idempotent, BR-39)."""
    document = messaging.save_attachment(deps(), claims, espace_id, conversation_id, document_id,
                                         get_container().clock())
    return DocumentOut.from_domain(document)


# --- professional -----------------------------------------------------------------------------------
@route(bp, "/pro/patients/{ins}/conversations", "POST", auth="pro", body=ConversationStart,
       response=ConversationCreated, status=201, errors=(400, 401, 403, 404))
def start(ps: ProIdentity, req: RequestRef, ins: str, body: ConversationStart) -> ConversationCreated:
    """Start a conversation with a patient (BR-37); the holder is notified without content (BR-39)."""
    conversation = messaging.start(deps(), ps, ins, subject=body.subject, body=body.body,
                                   attachments=body.attachments, req=req)
    return ConversationCreated.from_domain(conversation)


@route(bp, "/pro/conversations/{conversation_id}", "GET", auth="pro", query=ListQuery, response=ConversationPage,
       errors=(400, 401, 403, 404))
def pro_read(ps: ProIdentity, req: RequestRef, conversation_id: str, query: ListQuery) -> ConversationPage:
    """One's own conversation and its messages, newest first."""
    conversation, page = messaging.pro_read(deps(), ps, conversation_id, limit=query.limit, cursor=query.cursor,
                                            req=req)
    return ConversationPage.from_domain(conversation, page)


@route(bp, "/pro/conversations/{conversation_id}/messages", "POST", auth="pro", body=MessageRequest,
       response=MessageOut, status=201, errors=(400, 401, 403, 404, 409))
def pro_send(ps: ProIdentity, req: RequestRef, conversation_id: str, body: MessageRequest) -> MessageOut:
    """Write in one's own open conversation."""
    return MessageOut.from_domain(messaging.pro_send(deps(), ps, conversation_id, body=body.body,
                                                     attachments=body.attachments, req=req))


@route(bp, "/pro/conversations/{conversation_id}/close", "POST", auth="pro", response=ConversationOut,
       errors=(401, 403, 404))
def pro_close(ps: ProIdentity, req: RequestRef, conversation_id: str) -> ConversationOut:
    """End one's own conversation (BR-38); the holder can no longer reply. Closing twice is harmless."""
    return ConversationOut.from_domain(messaging.pro_close(deps(), ps, conversation_id, req))


@route(bp, "/pro/conversations/{conversation_id}/attachments/{document_id}", "GET", auth="pro",
       response=AttachmentDetail, errors=(401, 403, 404))
def pro_attachment(ps: ProIdentity, req: RequestRef, conversation_id: str, document_id: str) -> AttachmentDetail:
    """A document attached in one's own conversation: metadata and a short-lived download."""
    document, download = messaging.pro_attachment(deps(), ps, conversation_id, document_id, req)
    return AttachmentDetail.from_domain(document, download=download)
