"""In-memory fakes for the secure messaging use cases (same behaviour as the DynamoDB adapters, see
tests/contract/test_messages_repository.py)."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from mes.domain.access import Grants
from mes.domain.documents import DocStatus, Document
from mes.domain.errors import ConcurrentUpdate
from mes.domain.messaging import (
    Conversation,
    ConversationClosed,
    ConversationStatus,
    DuplicateRequest,
    Message,
)
from mes.ports import Page


def _iso(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


class FakeMessageRepository:
    def __init__(self) -> None:
        self.conversations: dict[tuple[str, str], Conversation] = {}
        self.messages: dict[tuple[str, str], list[Message]] = {}
        self.grants: dict[tuple[str, str, str], dict[str, Any]] = {}
        self.requests: dict[tuple[str, str], tuple[str, str]] = {}

    def _remember(self, espace_id: str, request_key: str | None, msg: Message) -> None:
        if not request_key:
            return
        if (espace_id, request_key) in self.requests:
            raise DuplicateRequest(*self.requests[(espace_id, request_key)])
        self.requests[(espace_id, request_key)] = (msg.conversation_id, msg.message_id)

    def _grant(self, msg: Message) -> None:
        for a in msg.attachments:
            self.grants[(msg.espace_id, msg.conversation_id, a.document_id)] = {
                "document_id": a.document_id, "message_id": msg.message_id, "sent_by": str(msg.author), "at": msg.at}

    def start(self, conversation: Conversation, first: Message, request_key: str | None = None) -> None:
        key = (conversation.espace_id, conversation.conversation_id)
        if key in self.conversations:
            raise ConcurrentUpdate()
        self._remember(conversation.espace_id, request_key, first)
        conversation.message_count, conversation.last_at = 1, first.at
        self.conversations[key] = copy.deepcopy(conversation)
        self.messages[key] = [copy.deepcopy(first)]
        self._grant(first)

    def add_message(self, conversation: Conversation, msg: Message, request_key: str | None = None) -> None:
        stored = self.conversations[(conversation.espace_id, conversation.conversation_id)]
        if request_key and (msg.espace_id, request_key) in self.requests:
            self._remember(msg.espace_id, request_key, msg)
        if stored.status != ConversationStatus.OPEN:
            raise ConversationClosed()
        self._remember(msg.espace_id, request_key, msg)
        stored.last_at, stored.message_count = msg.at, stored.message_count + 1
        self.messages[(msg.espace_id, msg.conversation_id)].append(copy.deepcopy(msg))
        self._grant(msg)
        conversation.last_at, conversation.message_count = msg.at, conversation.message_count + 1

    def close(self, conversation: Conversation) -> bool:
        stored = self.conversations.get((conversation.espace_id, conversation.conversation_id))
        if stored is None or stored.status != ConversationStatus.OPEN or stored.rpps != conversation.rpps:
            return False
        stored.status, stored.closed_at = ConversationStatus.CLOSED, conversation.closed_at
        return True

    @staticmethod
    def _slice(items: list, limit: int, cursor: str | None) -> Page:
        start = int(cursor or 0)
        chunk = items[start:start + limit]
        return Page(items=chunk, next_key=str(start + limit) if len(chunk) == limit else None)  # as Limit does

    def list_for_holder(self, espace_id: str, limit: int, cursor: str | None) -> Page:
        mine = sorted((c for (e, _), c in self.conversations.items() if e == espace_id),
                      key=lambda c: (_iso(c.last_at), c.conversation_id), reverse=True)
        return self._slice([copy.deepcopy(c) for c in mine], limit, cursor)

    def page(self, espace_id: str, conversation_id: str, limit: int, cursor: str | None
             ) -> tuple[Conversation | None, Page]:
        messages = sorted(self.messages.get((espace_id, conversation_id), []), key=lambda m: m.message_id,
                          reverse=True)
        conversation = self.conversations.get((espace_id, conversation_id)) if cursor is None else None
        return copy.deepcopy(conversation), self._slice(copy.deepcopy(messages), limit, cursor)

    def get(self, espace_id: str, conversation_id: str) -> Conversation | None:
        return copy.deepcopy(self.conversations.get((espace_id, conversation_id)))

    def message(self, espace_id: str, conversation_id: str, message_id: str) -> Message | None:
        for m in self.messages.get((espace_id, conversation_id), []):
            if m.message_id == message_id:
                return copy.deepcopy(m)
        return None

    def find_for_professional(self, rpps: str, conversation_id: str) -> Conversation | None:
        for (_, cid), c in self.conversations.items():
            if cid == conversation_id and c.rpps == rpps:
                return copy.deepcopy(c)
        return None

    def attachment(self, espace_id: str, conversation_id: str, document_id: str) -> dict[str, Any] | None:
        return self.grants.get((espace_id, conversation_id, document_id))

    def purge_espace(self, espace_id: str) -> int:
        count = 0
        for store in (self.conversations, self.messages, self.grants, self.requests):
            for key in [k for k in store if k[0] == espace_id]:
                count += len(self.messages[key]) if store is self.messages else 1
                del store[key]
        return count

    def export_espace(self, espace_id: str) -> dict[str, Any]:
        out = []
        for (e, cid), c in sorted(self.conversations.items(), key=lambda kv: _iso(kv[1].last_at), reverse=True):
            if e != espace_id:
                continue
            out.append({"id": cid, "subject": c.subject, "status": str(c.status),
                        "professional": {"rpps": c.rpps, "profession": c.profession, "structure": c.structure,
                                         "name": c.name},
                        "created_at": _iso(c.created_at), "last_message_at": _iso(c.last_at),
                        "closed_at": _iso(c.closed_at) if c.closed_at else None,
                        "messages": [{"id": m.message_id, "author": str(m.author), "at": _iso(m.at), "body": m.body,
                                      "attachments": [a.as_dict() for a in m.attachments]}
                                     for m in self.messages[(e, cid)]]})
        return {"conversations": out}


class FakeDocuments:
    def __init__(self) -> None:
        self.items: dict[tuple[str, str], Document] = {}

    def add(self, document: Document) -> Document:
        self.items[(document.espace_id, document.document_id)] = copy.deepcopy(document)
        return document

    def get(self, espace_id: str, document_id: str) -> Document | None:
        return copy.deepcopy(self.items.get((espace_id, document_id)))

    def create(self, document: Document) -> None:
        if (document.espace_id, document.document_id) in self.items:
            raise ConcurrentUpdate()
        document.version = 1
        self.add(document)

    def remove(self, document: Document, *, was_pending: bool) -> None:
        self.items.pop((document.espace_id, document.document_id), None)


@dataclass
class FakeAccess:
    blocked: set[tuple[str, str]] = field(default_factory=set)
    authorised: dict[tuple[str, str], str] = field(default_factory=dict)
    records: list[dict[str, Any]] = field(default_factory=list)

    def grants(self, espace_id: str, rpps: str) -> Grants:
        return Grants(authorisation=self.authorised.get((espace_id, rpps)), blocked=(espace_id, rpps) in self.blocked)

    def log(self, espace_id: str, request_id: str, now: datetime, entry: dict[str, Any]) -> bool:
        if any(r["request_id"] == request_id and r["espace_id"] == espace_id for r in self.records):
            return False
        self.records.append({"espace_id": espace_id, "request_id": request_id, "at": now, **entry})
        return True


class FakeStore:
    def presign_download(self, key: str, filename: str, content_type: str, ttl: int,
                         version_id: str | None = None) -> dict[str, Any]:
        return {"url": f"https://s3.example/{key}" + (f"?versionId={version_id}" if version_id else ""),
                "expires_in": ttl}


@dataclass
class FakeCopier:
    copies: list[tuple[str, str]] = field(default_factory=list)
    fail: bool = False
    source_versions: list[str | None] = field(default_factory=list)

    def copy(self, source_key: str, target_key: str, source_version: str | None = None) -> None:
        if self.fail:
            raise RuntimeError("S3 is down")
        self.copies.append((source_key, target_key))
        self.source_versions.append(source_version)


def available(document: Document) -> Document:
    document.status = DocStatus.AVAILABLE
    return document
