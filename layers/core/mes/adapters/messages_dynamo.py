"""Secure messages in DynamoDB (table `messages`, BR-37 to BR-39), encrypted twice: the table by
SSE-KMS with the project key, and each subject and body by AES-256-GCM in the application (a key
derived from the master secret, `Keys.messages`), with the espace, the conversation and the item as
associated data: a ciphertext moved to another item does not decrypt. Neither the table, its
backups nor a stream ever hold a subject or a body in clear.

Everything of an espace sits under its partition key:

| sort key | item |
|---|---|
| `c#{conversation_id}#~` | the conversation (status, professional, encrypted subject, last activity) |
| `c#{conversation_id}#m#{message_id}` | a message (author, time, encrypted body and attachment list) |
| `c#{conversation_id}#a#{document_id}` | an attachment of the conversation (the grant to download it) |
| `r#{request key}` | what a professional's request created (a retry writes nothing twice); expires after a day |

- a holder's conversations, newest activity first = 1 Query on the local index `by_activity`
  (sparse: only conversations carry `activity`; strongly consistent);
- a page of a conversation = 1 Query (`sk BETWEEN c#{id}#m# AND c#{id}#~`, newest first): the first
  page carries the conversation item itself, then the messages;
- a professional's conversation = 1 Query on the global index `by_rpps` (sparse, conversations only).
"""

from __future__ import annotations

import base64
import json
import os
from functools import cache
from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import TransactWriteError, UpdateError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, LocalSecondaryIndex
from pynamodb.models import Model

from mes.adapters.dynamo_kit import (
    bind,
    decode_cursor,
    encode_cursor,
    failed_indexes,
    from_iso,
    iso,
    one_page,
    transaction,
)
from mes.domain.errors import ConcurrentUpdate, ValidationError
from mes.domain.messaging import (
    REQUEST_MEMORY_SECONDS,
    Attachment,
    Author,
    Conversation,
    ConversationClosed,
    ConversationStatus,
    DuplicateRequest,
    Message,
)
from mes.ports import AttachmentGrant, Page

CIPHER_VERSION = "v1"


class MessageCipher:
    """AES-256-GCM with a random 96-bit nonce; `v1.` + base64(nonce ‖ ciphertext ‖ tag)."""

    def __init__(self, key: bytes):
        if len(key) != 32:
            raise ValueError("the messages key must be 32 bytes")
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM
        self._aead = AESGCM(key)

    @staticmethod
    def _aad(espace_id: str, conversation_id: str, item: str) -> bytes:
        return f"mes/messages/{CIPHER_VERSION}|{espace_id}|{conversation_id}|{item}".encode()

    def encrypt(self, plain: str, espace_id: str, conversation_id: str, item: str) -> str:
        nonce = os.urandom(12)
        sealed = self._aead.encrypt(nonce, plain.encode("utf-8"), self._aad(espace_id, conversation_id, item))
        return f"{CIPHER_VERSION}." + base64.b64encode(nonce + sealed).decode()

    def decrypt(self, token: str, espace_id: str, conversation_id: str, item: str) -> str:
        version, _, data = token.partition(".")
        if version != CIPHER_VERSION:
            raise ValueError("unknown message cipher version")
        raw = base64.b64decode(data)
        return self._aead.decrypt(raw[:12], raw[12:], self._aad(espace_id, conversation_id, item)).decode("utf-8")


def _key_value(key: dict, name: str) -> str:
    """A string attribute of a decoded cursor (DynamoDB JSON), or "" if it is not one."""
    value = key.get(name)
    return value.get("S", "") if isinstance(value, dict) and isinstance(value.get("S"), str) else ""


def conversation_sk(conversation_id: str) -> str:
    return f"c#{conversation_id}#~"


def message_sk(conversation_id: str, message_id: str) -> str:
    return f"c#{conversation_id}#m#{message_id}"


def attachment_sk(conversation_id: str, document_id: str) -> str:
    return f"c#{conversation_id}#a#{document_id}"


class ByActivity(LocalSecondaryIndex):
    class Meta:
        index_name = "by_activity"
        projection = AllProjection()
    espace_id = UnicodeAttribute(hash_key=True)
    activity = UnicodeAttribute(range_key=True)


class ByRpps(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_rpps"
        projection = AllProjection()
    ps_rpps = UnicodeAttribute(hash_key=True)
    conversation_id = UnicodeAttribute(range_key=True)


class MessageItem(Model):
    espace_id = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    kind = UnicodeAttribute()  # conversation | message | attachment
    conversation_id = UnicodeAttribute()
    # conversation
    ps_rpps = UnicodeAttribute(null=True)
    activity = UnicodeAttribute(null=True)  # "{last_at}#{conversation_id}"
    status = UnicodeAttribute(null=True)
    subject_ct = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute(null=True)
    last_at = UnicodeAttribute(null=True)
    closed_at = UnicodeAttribute(null=True)
    profession = UnicodeAttribute(null=True)
    structure = UnicodeAttribute(null=True)
    ps_name = UnicodeAttribute(null=True)
    message_count = NumberAttribute(null=True)
    # message
    message_id = UnicodeAttribute(null=True)
    author = UnicodeAttribute(null=True)
    author_id = UnicodeAttribute(null=True)
    at = UnicodeAttribute(null=True)
    content_ct = UnicodeAttribute(null=True)  # {"body", "attachments"} encrypted
    # attachment
    document_id = UnicodeAttribute(null=True)
    sent_by = UnicodeAttribute(null=True)
    # request marker (sk "r#{request key}"): what a professional's request created; expires (TTL)
    expires_at_epoch = NumberAttribute(null=True)
    by_activity = ByActivity()
    by_rpps = ByRpps()


@cache
def message_model(table: str, region_name: str) -> type[MessageItem]:
    """`MessageItem` bound to the deployed table (one class per table name and region)."""
    return bind(MessageItem, table, region_name)


class DynamoMessageRepository:
    def __init__(self, model: type[MessageItem], cipher: MessageCipher):
        self.Item = model
        self.cipher = cipher
        self._region = model.Meta.region

    # -- mapping ----------------------------------------------------------------------------
    def _conversation_item(self, c: Conversation) -> MessageItem:
        sk = conversation_sk(c.conversation_id)
        return self.Item(
            espace_id=c.espace_id, sk=sk, kind="conversation", conversation_id=c.conversation_id, ps_rpps=c.rpps,
            activity=f"{iso(c.last_at)}#{c.conversation_id}", status=str(c.status),
            subject_ct=self.cipher.encrypt(c.subject, c.espace_id, c.conversation_id, sk),
            created_at=iso(c.created_at), last_at=iso(c.last_at),
            closed_at=iso(c.closed_at) if c.closed_at else None, profession=c.profession, structure=c.structure,
            ps_name=c.name, message_count=c.message_count)

    def _conversation(self, m: MessageItem) -> Conversation:
        return Conversation(
            espace_id=m.espace_id, conversation_id=m.conversation_id, rpps=m.ps_rpps or "",
            subject=self.cipher.decrypt(m.subject_ct, m.espace_id, m.conversation_id, m.sk),
            created_at=from_iso(m.created_at), last_at=from_iso(m.last_at),  # type: ignore[arg-type]
            status=ConversationStatus(m.status), closed_at=from_iso(m.closed_at), profession=m.profession,
            structure=m.structure, name=m.ps_name, message_count=int(m.message_count or 0))

    def _message_item(self, msg: Message) -> MessageItem:
        sk = message_sk(msg.conversation_id, msg.message_id)
        content = json.dumps({"body": msg.body, "attachments": [a.as_dict() for a in msg.attachments]},
                             ensure_ascii=False)
        return self.Item(espace_id=msg.espace_id, sk=sk, kind="message", conversation_id=msg.conversation_id,
                         message_id=msg.message_id, author=str(msg.author), author_id=msg.author_id, at=iso(msg.at),
                         content_ct=self.cipher.encrypt(content, msg.espace_id, msg.conversation_id, sk))

    def _message(self, m: MessageItem) -> Message:
        content = json.loads(self.cipher.decrypt(m.content_ct, m.espace_id, m.conversation_id, m.sk))
        return Message(espace_id=m.espace_id, conversation_id=m.conversation_id, message_id=m.message_id,
                       author=Author(m.author), author_id=m.author_id or "", at=from_iso(m.at),  # type: ignore[arg-type]
                       body=content["body"], attachments=[Attachment.from_dict(a) for a in content["attachments"]])

    def _grant_items(self, msg: Message) -> list[MessageItem]:
        return [self.Item(espace_id=msg.espace_id, sk=attachment_sk(msg.conversation_id, a.document_id),
                          kind="attachment", conversation_id=msg.conversation_id, document_id=a.document_id,
                          message_id=msg.message_id, sent_by=str(msg.author), at=iso(msg.at))
                for a in msg.attachments]

    # -- writes -----------------------------------------------------------------------------
    def _marker(self, espace_id: str, request_key: str, msg: Message) -> MessageItem:
        return self.Item(espace_id=espace_id, sk=f"r#{request_key}", kind="request",
                         conversation_id=msg.conversation_id, message_id=msg.message_id,
                         expires_at_epoch=int(msg.at.timestamp()) + REQUEST_MEMORY_SECONDS)

    def _duplicate(self, espace_id: str, request_key: str, exc: Exception) -> DuplicateRequest:
        marker = self.Item.get(espace_id, f"r#{request_key}", consistent_read=True)
        return DuplicateRequest(marker.conversation_id, marker.message_id or "")

    def start(self, conversation: Conversation, first: Message, request_key: str | None = None) -> None:
        """The conversation, its first message and its attachments, in one transaction; with a request
        key, a marker too: the same request again raises DuplicateRequest instead of writing twice."""
        conversation.message_count = 1
        conversation.last_at = first.at
        q = self.Item
        try:
            with transaction(self._region) as tx:
                if request_key:
                    tx.save(self._marker(conversation.espace_id, request_key, first), condition=q.sk.does_not_exist())
                tx.save(self._conversation_item(conversation), condition=q.sk.does_not_exist())
                tx.save(self._message_item(first), condition=q.sk.does_not_exist())
                for grant in self._grant_items(first):
                    tx.save(grant)
        except TransactWriteError as exc:
            if request_key and 0 in failed_indexes(exc, tx):
                raise self._duplicate(conversation.espace_id, request_key, exc) from exc
            raise ConcurrentUpdate() from exc

    def add_message(self, conversation: Conversation, msg: Message, request_key: str | None = None) -> None:
        """The message and the conversation's activity in one transaction, conditional on the
        conversation being still open: a reply racing the closure gets ConversationClosed (BR-38).
        With a request key, the same request again raises DuplicateRequest."""
        q = self.Item
        header = self.Item(espace_id=conversation.espace_id, sk=conversation_sk(conversation.conversation_id))
        first = 1 if request_key else 0
        try:
            with transaction(self._region) as tx:
                if request_key:
                    tx.save(self._marker(conversation.espace_id, request_key, msg), condition=q.sk.does_not_exist())
                tx.save(self._message_item(msg), condition=q.sk.does_not_exist())
                tx.update(header, actions=[q.last_at.set(iso(msg.at)),
                                           q.activity.set(f"{iso(msg.at)}#{conversation.conversation_id}"),
                                           q.message_count.add(1)],
                          condition=q.status == str(ConversationStatus.OPEN))
                for grant in self._grant_items(msg):
                    tx.save(grant)
        except TransactWriteError as exc:
            failed = failed_indexes(exc, tx)
            if request_key and 0 in failed:
                raise self._duplicate(conversation.espace_id, request_key, exc) from exc
            if first + 1 in failed:
                raise ConversationClosed() from exc
            raise ConcurrentUpdate() from exc
        conversation.last_at = msg.at
        conversation.message_count += 1

    def close(self, conversation: Conversation) -> bool:
        """Open → closed, once; False if it was already closed."""
        q = self.Item
        header = self.Item(espace_id=conversation.espace_id, sk=conversation_sk(conversation.conversation_id))
        try:
            header.update(actions=[q.status.set(str(ConversationStatus.CLOSED)),
                                   q.closed_at.set(iso(conversation.closed_at))],  # type: ignore[arg-type]
                          condition=(q.status == str(ConversationStatus.OPEN)) & (q.ps_rpps == conversation.rpps))
            return True
        except UpdateError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise

    # -- reads ------------------------------------------------------------------------------
    def list_for_holder(self, espace_id: str, limit: int, cursor: str | None) -> Page:
        """Newest activity first: one Query on the local index (strongly consistent)."""
        start = decode_cursor(cursor)
        if start is not None and _key_value(start, "espace_id") != espace_id:
            raise ValidationError("Curseur de pagination invalide.", field="cursor")
        result = self.Item.by_activity.query(espace_id, scan_index_forward=False, limit=limit, page_size=limit,
                                             consistent_read=True, last_evaluated_key=start)
        items, last = one_page(result)
        return Page(items=[self._conversation(m) for m in items], next_key=encode_cursor(last))

    def page(self, espace_id: str, conversation_id: str, limit: int, cursor: str | None
             ) -> tuple[Conversation | None, Page]:
        """One Query: the conversation (first page only) and `limit` messages, newest first."""
        start = decode_cursor(cursor)
        if start is not None:
            if _key_value(start, "espace_id") != espace_id or not _key_value(start, "sk").startswith(
                    f"c#{conversation_id}#m#"):
                raise ValidationError("Curseur de pagination invalide.", field="cursor")
        q = self.Item
        size = limit if start else limit + 1
        result = q.query(espace_id, q.sk.between(f"c#{conversation_id}#m#", conversation_sk(conversation_id)),
                         scan_index_forward=False, limit=size, page_size=size, consistent_read=True,
                         last_evaluated_key=start)
        items, last = one_page(result)
        conversation = None
        messages = []
        for m in items:
            if m.kind == "conversation":
                conversation = self._conversation(m)
            else:
                messages.append(self._message(m))
        return conversation, Page(items=messages, next_key=encode_cursor(last))

    def get(self, espace_id: str, conversation_id: str) -> Conversation | None:
        try:
            return self._conversation(self.Item.get(espace_id, conversation_sk(conversation_id),
                                                    consistent_read=True))
        except self.Item.DoesNotExist:
            return None

    def message(self, espace_id: str, conversation_id: str, message_id: str) -> Message | None:
        try:
            return self._message(self.Item.get(espace_id, message_sk(conversation_id, message_id),
                                               consistent_read=True))
        except self.Item.DoesNotExist:
            return None

    def find_for_professional(self, rpps: str, conversation_id: str) -> Conversation | None:
        """One Query on the sparse index of conversations by professional: another one's is not there."""
        for m in self.Item.by_rpps.query(rpps, self.Item.conversation_id == conversation_id, limit=1):
            return self._conversation(m)
        return None

    def attachment(self, espace_id: str, conversation_id: str, document_id: str) -> AttachmentGrant | None:
        """The grant: this document was attached in this conversation (by whom, in which message)."""
        try:
            m = self.Item.get(espace_id, attachment_sk(conversation_id, document_id), consistent_read=True)
        except self.Item.DoesNotExist:
            return None
        return {"document_id": m.document_id or document_id, "message_id": m.message_id or "",
                "sent_by": m.sent_by or "", "at": from_iso(m.at)}

    # -- closure / deletion and export (wired by the lifecycle and export jobs) --------------
    def purge_espace(self, espace_id: str) -> int:
        """Delete every item of the espace (Query keys only + BatchWriteItem); idempotent: the
        count of items deleted, 0 the second time."""
        q = self.Item
        keys = [(m.espace_id, m.sk) for m in q.query(espace_id, attributes_to_get=["espace_id", "sk"],
                                                     consistent_read=True)]
        with q.batch_write() as batch:
            for pk, sk in keys:
                batch.delete(q(espace_id=pk, sk=sk))
        return len(keys)

    def export_espace(self, espace_id: str) -> dict[str, Any]:
        """Every conversation of the espace with its messages, decrypted, JSON-serialisable."""
        conversations: dict[str, dict[str, Any]] = {}
        messages: dict[str, list[dict[str, Any]]] = {}
        for m in self.Item.query(espace_id, consistent_read=True):
            if m.kind == "conversation":
                c = self._conversation(m)
                conversations[c.conversation_id] = {
                    "id": c.conversation_id, "subject": c.subject, "status": str(c.status),
                    "professional": {"rpps": c.rpps, "profession": c.profession, "structure": c.structure,
                                     "name": c.name},
                    "created_at": iso(c.created_at), "last_message_at": iso(c.last_at),
                    "closed_at": iso(c.closed_at) if c.closed_at else None}
            elif m.kind == "message":
                msg = self._message(m)
                messages.setdefault(msg.conversation_id, []).append(
                    {"id": msg.message_id, "author": str(msg.author), "at": iso(msg.at), "body": msg.body,
                     "attachments": [a.as_dict() for a in msg.attachments]})
        out = []
        for cid, conversation in sorted(conversations.items(), key=lambda kv: kv[1]["last_message_at"],
                                        reverse=True):
            out.append({**conversation, "messages": messages.get(cid, [])})
        return {"conversations": out}
