"""Contract: the in-memory message repository (tests/support/messaging_fakes.py) and the DynamoDB
adapter (moto, table built from template.yaml) behave the same (BR-37/38)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from mes.domain.messaging import (
    Attachment,
    Author,
    Conversation,
    ConversationClosed,
    ConversationStatus,
    DuplicateRequest,
    Message,
    new_id,
)
from tests.support.messaging_fakes import FakeMessageRepository

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
DOCTOR = "10000000001"


@pytest.fixture(params=["fake", "dynamo"])
def repo(request):
    if request.param == "fake":
        return FakeMessageRepository()
    return request.getfixturevalue("aws").messages


def started(repo, espace_id="e1", at=NOW, rpps=DOCTOR, attachments=()) -> Conversation:
    c = Conversation(espace_id=espace_id, conversation_id=new_id(at), rpps=rpps, subject=f"Objet {at:%H%M}",
                     created_at=at, last_at=at, profession="10")
    first = Message(espace_id=espace_id, conversation_id=c.conversation_id, message_id=new_id(at),
                    author=Author.PROFESSIONAL, author_id=rpps, at=at, body="Bonjour",
                    attachments=[Attachment(d, "t", "f.pdf", "application/pdf", 1, "BIOLOGIE") for d in attachments])
    repo.start(c, first)
    return c


def write(repo, c, body, at, author=Author.HOLDER):
    repo.add_message(c, Message(espace_id=c.espace_id, conversation_id=c.conversation_id, message_id=new_id(at),
                                author=author, author_id="x", at=at, body=body))


def test_conversations_are_listed_by_latest_activity(repo):
    older = started(repo, at=NOW)
    newer = started(repo, at=NOW + timedelta(minutes=1))
    started(repo, espace_id="e2", at=NOW)
    assert [c.conversation_id for c in repo.list_for_holder("e1", 10, None).items] == [
        newer.conversation_id, older.conversation_id]
    write(repo, older, "réponse", NOW + timedelta(minutes=2))
    listed = repo.list_for_holder("e1", 1, None)
    assert [c.conversation_id for c in listed.items] == [older.conversation_id] and listed.next_key
    assert listed.items[0].message_count == 2 and listed.items[0].subject == "Objet 0900"
    assert [c.conversation_id for c in repo.list_for_holder("e1", 1, listed.next_key).items] == [
        newer.conversation_id]


def test_a_page_carries_the_conversation_first_then_messages_newest_first(repo):
    c = started(repo)
    for i in range(1, 4):
        write(repo, c, f"m{i}", NOW + timedelta(seconds=i))
    conversation, page = repo.page("e1", c.conversation_id, 2, None)
    assert conversation.conversation_id == c.conversation_id and conversation.rpps == DOCTOR
    assert [m.body for m in page.items] == ["m3", "m2"] and page.next_key
    conversation, page = repo.page("e1", c.conversation_id, 2, page.next_key)
    assert conversation is None and [m.body for m in page.items] == ["m1", "Bonjour"]
    assert repo.page("e2", c.conversation_id, 2, None)[0] is None  # another espace: nothing


def test_closing_is_once_and_blocks_every_later_message(repo):
    c = started(repo)
    c.status, c.closed_at = ConversationStatus.CLOSED, NOW + timedelta(hours=1)
    assert repo.close(c) is True
    assert repo.close(c) is False
    assert repo.get("e1", c.conversation_id).status == ConversationStatus.CLOSED
    with pytest.raises(ConversationClosed):
        write(repo, c, "trop tard", NOW + timedelta(hours=2))


def test_professional_lookup_grants_purge_and_export(repo):
    c = started(repo, attachments=["doc-1"])
    assert repo.find_for_professional(DOCTOR, c.conversation_id).espace_id == "e1"
    assert repo.find_for_professional("10000000002", c.conversation_id) is None
    grant = repo.attachment("e1", c.conversation_id, "doc-1")
    assert (grant["sent_by"], grant["at"]) == ("professional", NOW)
    assert repo.attachment("e1", c.conversation_id, "doc-2") is None
    write(repo, c, "merci", NOW + timedelta(minutes=1))
    exported = repo.export_espace("e1")
    assert [(m["author"], m["body"]) for m in exported["conversations"][0]["messages"]] == [
        ("professional", "Bonjour"), ("holder", "merci")]
    assert exported["conversations"][0]["last_message_at"] == "2026-03-02T09:01:00Z"
    assert repo.purge_espace("e1") == 4  # conversation, two messages, one attachment grant
    assert repo.purge_espace("e1") == 0
    assert repo.find_for_professional(DOCTOR, c.conversation_id) is None


def test_a_request_key_is_written_once(repo):
    c = started(repo)
    retry = Conversation(espace_id="e1", conversation_id=new_id(NOW), rpps=DOCTOR, subject="s", created_at=NOW,
                         last_at=NOW)
    first = Message(espace_id="e1", conversation_id=retry.conversation_id, message_id=new_id(NOW),
                    author=Author.PROFESSIONAL, author_id=DOCTOR, at=NOW, body="b")
    repo.start(retry, first, "key-1")
    again = Conversation(**{**retry.__dict__, "conversation_id": new_id(NOW)})
    with pytest.raises(DuplicateRequest) as dup:
        repo.start(again, dataclasses.replace(first, conversation_id=again.conversation_id), "key-1")
    assert (dup.value.conversation_id, dup.value.message_id) == (retry.conversation_id, first.message_id)
    msg = Message(espace_id="e1", conversation_id=c.conversation_id, message_id=new_id(NOW), author=Author.PROFESSIONAL,
                  author_id=DOCTOR, at=NOW, body="x")
    repo.add_message(c, msg, "key-2")
    with pytest.raises(DuplicateRequest) as dup:
        repo.add_message(c, dataclasses.replace(msg, message_id=new_id(NOW)), "key-2")
    assert dup.value.message_id == msg.message_id and repo.message("e1", c.conversation_id, msg.message_id).body == "x"
    c.status, c.closed_at = ConversationStatus.CLOSED, NOW
    repo.close(c)
    with pytest.raises(DuplicateRequest):  # a retry after the closure still finds its first answer
        repo.add_message(c, dataclasses.replace(msg, message_id=new_id(NOW)), "key-2")
    assert len(repo.list_for_holder("e1", 10, None).items) == 2
    assert repo.purge_espace("e1") == 7  # 2 conversations, 3 messages, 2 request markers
