"""Secure messaging rules and use cases without AWS (BR-37 to BR-39): fakes and a frozen clock."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta

import pytest

from mes.domain import messaging as rules
from mes.domain.access import Blocked, Decision, Grants
from mes.domain.documents import HOLDER_MAX_BYTES, AuthorType, DocStatus, Document
from mes.domain.errors import Forbidden, NotFound, ValidationError
from mes.domain.espace import Espace, HolderSettings, Status
from mes.domain.keys import Keys
from mes.domain.messaging import (
    Author,
    Conversation,
    ConversationClosed,
    ConversationStatus,
    InvalidAttachment,
)
from mes.domain.professionals import ProIdentity
from mes.services import messaging
from mes.services.professionals import ProDeps, RequestRef
from tests.fakes import (
    MASTER_SECRET,
    FakeEspaceRepository,
    ManualClock,
    RecordingNotifier,
    make_nir,
    template_name,
)
from tests.support.messaging_fakes import (
    FakeAccess,
    FakeCopier,
    FakeDocuments,
    FakeMessageRepository,
    FakeStore,
)

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
DOCTOR = ProIdentity(rpps="10000000001", profession="10", structure="750712184", name="Dr Vasseur")
PHARMACIST = ProIdentity(rpps="10000000002", profession="21")
NIR = make_nir(1, date(1980, 5, 4), "44")


# --- the domain: state machine, who may write ---------------------------------------------------------
def conversation(**kw) -> Conversation:
    base = dict(espace_id="e1", conversation_id=rules.new_id(NOW), rpps=DOCTOR.rpps, subject="Objet",
                created_at=NOW, last_at=NOW)
    return Conversation(**{**base, **kw})


def an_espace(status: Status = Status.ACTIVE, **kw) -> Espace:
    base = Espace(espace_id="e1", nir_hmac=Keys.derive(MASTER_SECRET).nir_hmac(NIR), birth_date=date(1980, 5, 4),
                  vitale_hmac="v", first_name="Camille", last_name="Martin", department="44", status=status,
                  email="camille@example.org", mobile="+33612345678")
    return dataclasses.replace(base, **kw)


def test_given_an_open_conversation_when_its_professional_closes_it_then_closed_once():
    c = conversation()
    assert rules.close(c, DOCTOR, NOW + timedelta(hours=1)) is True
    assert (c.status, c.closed_at) == (ConversationStatus.CLOSED, NOW + timedelta(hours=1))
    assert rules.close(c, DOCTOR, NOW + timedelta(hours=2)) is False  # idempotent: the first time stays
    assert c.closed_at == NOW + timedelta(hours=1)


def test_given_a_conversation_then_only_its_professional_acts_on_it_the_holder_never_closes():
    with pytest.raises(NotFound):
        rules.close(conversation(), PHARMACIST, NOW)
    with pytest.raises(NotFound):
        rules.professional_may_act(None, DOCTOR)
    assert rules.professional_may_act(conversation(), DOCTOR).rpps == DOCTOR.rpps


@pytest.mark.parametrize("author", list(Author))
def test_given_a_closed_conversation_nobody_writes(author):
    c = conversation(status=ConversationStatus.CLOSED)
    with pytest.raises(ConversationClosed) as exc:
        rules.may_write(c, author)
    assert exc.value.code == "conversation_closed"
    rules.may_write(conversation(), author)  # open: allowed


def test_given_a_blocked_professional_it_neither_starts_nor_writes_but_needs_no_authorisation():
    with pytest.raises(Blocked):
        rules.may_start(an_espace(), Grants(blocked=True))
    with pytest.raises(Blocked):
        rules.may_write(conversation(), Author.PROFESSIONAL, Grants(blocked=True, authorisation="consent"))
    rules.may_start(an_espace(), Grants())  # no authorisation: writing is like depositing (BR-37)
    rules.may_start(an_espace(Status.CREATED), Grants())


@pytest.mark.parametrize("status", [Status.PENDING, Status.NOTIFIED, Status.OPPOSED, Status.CLOSED])
def test_given_an_espace_that_cannot_receive_then_forbidden(status):
    with pytest.raises(Forbidden):
        rules.may_start(an_espace(status), Grants())


def test_given_bad_subjects_bodies_or_attachment_lists_then_validation_errors():
    for bad in ("", "   ", "x" * 201):
        with pytest.raises(ValidationError):
            rules.check_subject(bad)
    for bad in ("", "\n", "x" * 10_001):
        with pytest.raises(ValidationError):
            rules.check_body(bad)
    for bad in (["a"] * 2, [f"d{i}" for i in range(11)], [""]):
        with pytest.raises(ValidationError):
            rules.check_attachment_ids(bad)
    assert rules.check_subject("  Résultats ") == "Résultats"
    assert rules.check_attachment_ids(None) == []


# --- attachment rules ------------------------------------------------------------------------------------
def document(**kw) -> Document:
    base = dict(espace_id="e1", document_id=rules.new_id(NOW), title="Bilan", category="BIOLOGIE", filename="b.pdf",
                content_type="application/pdf", size=10, author_type=AuthorType.PATIENT, author_id="e1",
                created_at=NOW, object_key="documents/e1/x", status=DocStatus.AVAILABLE)
    return Document(**{**base, **kw})


def test_the_holder_attaches_only_their_own_available_visible_documents():
    assert rules.holder_attachment(document(), "e1").title == "Bilan"
    assert rules.holder_attachment(document(author_type=AuthorType.PRACTITIONER, author_id="1"), "e1")
    for bad in (None, document(status=DocStatus.PENDING), document(status=DocStatus.REJECTED),
                document(espace_id="e2"), document(hidden_from_holder=True, author_type=AuthorType.PRACTITIONER)):
        with pytest.raises(InvalidAttachment):
            rules.holder_attachment(bad, "e1")
    kept = document(author_type=AuthorType.PRACTITIONER, author_id="1", hidden_from_representatives=True)
    for as_representative in (True, False):  # BR-17: a representative never; nobody into a minor's conversation
        with pytest.raises(InvalidAttachment):
            rules.holder_attachment(kept, "e1", as_representative)


REFUSED = Decision(False, "refused", "no_authorisation")
AUTHORISED = Decision(True, "authorisation")


def test_the_professional_attaches_what_it_may_read_or_deposited_never_what_is_hidden_from_the_holder():
    own = document(author_type=AuthorType.PRACTITIONER, author_id=DOCTOR.rpps)
    assert rules.professional_attachment(own, DOCTOR, REFUSED).document_id == own.document_id  # own deposit
    holders = document()
    with pytest.raises(InvalidAttachment):
        rules.professional_attachment(holders, DOCTOR, REFUSED)  # no authorisation
    assert rules.professional_attachment(holders, DOCTOR, AUTHORISED)
    with pytest.raises(InvalidAttachment):
        rules.professional_attachment(document(category="RADIO_SC"), PHARMACIST, AUTHORISED)  # matrix
    with pytest.raises(InvalidAttachment):
        rules.professional_attachment(document(masked=True), DOCTOR, AUTHORISED)  # masked (BR-25)
    with pytest.raises(InvalidAttachment):  # hidden from the holder (BR-26), even its own
        rules.professional_attachment(dataclasses.replace(own, hidden_from_holder=True), DOCTOR, REFUSED)
    with pytest.raises(InvalidAttachment):  # BR-17: never into a channel the representatives read
        rules.professional_attachment(dataclasses.replace(own, hidden_from_representatives=True), DOCTOR, REFUSED)
    with pytest.raises(InvalidAttachment):
        rules.professional_attachment(None, DOCTOR, AUTHORISED)


# --- use cases with fakes and a frozen clock ------------------------------------------------------------
@dataclasses.dataclass
class World:
    clock: ManualClock
    espaces: FakeEspaceRepository
    documents: FakeDocuments
    access: FakeAccess
    notifier: RecordingNotifier
    messages: FakeMessageRepository
    copier: FakeCopier
    deps: messaging.MessagingDeps
    seq: int = 0

    def req(self) -> RequestRef:
        self.seq += 1
        return RequestRef(request_id=f"req-{self.seq}", at=self.clock())


@pytest.fixture
def world() -> World:
    clock = ManualClock(NOW)
    espaces, documents, access, notifier = FakeEspaceRepository(), FakeDocuments(), FakeAccess(), RecordingNotifier()
    espaces.add_new([an_espace()])
    messages, copier = FakeMessageRepository(), FakeCopier()
    pro = ProDeps(espaces=espaces, documents=documents, access=access, store=FakeStore(), notifier=notifier,
                  keys=Keys.derive(MASTER_SECRET), template_name=template_name)
    return World(clock, espaces, documents, access, notifier, messages, copier,
                 messaging.MessagingDeps(pro=pro, messages=messages, copier=copier))


CLAIMS = {"sub": "e1"}


def test_starting_logs_once_stores_and_notifies_by_email_without_content(world):
    c = messaging.start(world.deps, DOCTOR, NIR, subject="Résultats", body="Glycémie 1,32", attachments=[],
                        req=world.req())
    assert (c.created_at, c.rpps, c.status, c.name) == (NOW, DOCTOR.rpps, ConversationStatus.OPEN, "Dr Vasseur")
    assert [(r["action"], r["decision"], r["target"]) for r in world.access.records] == [
        ("conversation_start", "allowed", c.conversation_id)]
    [notice] = world.notifier.sent
    assert (notice.channel, notice.template, notice.to, notice.data) == (
        "email", "mes-test-new-message", "camille@example.org", {"first_name": "Camille"})


def test_the_notice_follows_the_holder_settings(world):
    world.espaces.save(dataclasses.replace(world.espaces.get("e1"), otp_channel="sms"))
    messaging.start(world.deps, DOCTOR, NIR, subject="a", body="b", attachments=None, req=world.req())
    assert [(s.channel, s.template, s.to, s.data) for s in world.notifier.sent] == [
        ("sms", "new-message", "+33612345678", {})]
    espace = world.espaces.get("e1")
    espace.settings = HolderSettings.from_dict({"notifications": {"messages": False}})
    world.espaces.save(espace)
    messaging.start(world.deps, DOCTOR, NIR, subject="a", body="b", attachments=None, req=world.req())
    assert len(world.notifier.sent) == 1


def test_a_created_espace_receives_messages_but_nobody_is_notified_before_activation(world):
    world.espaces.save(dataclasses.replace(world.espaces.get("e1"), status=Status.CREATED))
    messaging.start(world.deps, DOCTOR, NIR, subject="a", body="b", attachments=None, req=world.req())
    assert world.notifier.sent == []


def test_a_blocked_professional_is_refused_logged_and_nothing_is_stored(world):
    world.access.blocked.add(("e1", DOCTOR.rpps))
    with pytest.raises(Blocked):
        messaging.start(world.deps, DOCTOR, NIR, subject="a", body="b", attachments=None, req=world.req())
    assert [(r["action"], r["decision"]) for r in world.access.records] == [("conversation_start", "refused:blocked")]
    assert world.messages.conversations == {} and world.notifier.sent == []


def test_the_holder_replies_until_the_professional_closes(world):
    c = messaging.start(world.deps, DOCTOR, NIR, subject="a", body="b", attachments=None, req=world.req())
    world.clock.advance(minutes=3)
    reply = messaging.reply(world.deps, CLAIMS, "me", c.conversation_id, body="merci", attachments=[],
                            now=world.clock())
    assert (reply.author, reply.at) == (Author.HOLDER, NOW + timedelta(minutes=3))
    assert world.messages.get("e1", c.conversation_id).last_at == NOW + timedelta(minutes=3)
    with pytest.raises(NotFound):  # the holder never closes: there is no such use case; another PS gets 404
        messaging.pro_close(world.deps, PHARMACIST, c.conversation_id, world.req())
    closed = messaging.pro_close(world.deps, DOCTOR, c.conversation_id, world.req())
    assert (closed.status, closed.closed_at) == (ConversationStatus.CLOSED, NOW + timedelta(minutes=3))
    with pytest.raises(ConversationClosed):
        messaging.reply(world.deps, CLAIMS, "me", c.conversation_id, body="encore", attachments=[], now=world.clock())
    with pytest.raises(ConversationClosed):
        messaging.pro_send(world.deps, DOCTOR, c.conversation_id, body="encore", attachments=[], req=world.req())
    with pytest.raises(NotFound):  # another holder
        messaging.reply(world.deps, {"sub": "e2"}, "me", c.conversation_id, body="x", attachments=[],
                        now=world.clock())


def test_saving_an_attachment_copies_it_once_as_the_holder_s_own_document(world):
    report = world.documents.add(document(author_type=AuthorType.PRACTITIONER, author_id=DOCTOR.rpps,
                                          object_key="documents/e1/report"))
    c = messaging.start(world.deps, DOCTOR, NIR, subject="a", body="b", attachments=[report.document_id],
                        req=world.req())
    world.clock.advance(days=1)
    saved = messaging.save_attachment(world.deps, CLAIMS, "me", c.conversation_id, report.document_id, world.clock())
    assert (saved.author_type, saved.author_id, saved.status, saved.title) == (
        AuthorType.PATIENT, "e1", DocStatus.PENDING, "Bilan")
    assert world.copier.copies == [("documents/e1/report", f"documents/e1/{saved.document_id}")]
    again = messaging.save_attachment(world.deps, CLAIMS, "me", c.conversation_id, report.document_id,
                                      world.clock())
    assert again.document_id == saved.document_id and len(world.copier.copies) == 2  # still pending: copied again
    world.documents.add(dataclasses.replace(world.documents.get("e1", saved.document_id), status=DocStatus.AVAILABLE))
    messaging.save_attachment(world.deps, CLAIMS, "me", c.conversation_id, report.document_id, world.clock())
    assert len(world.copier.copies) == 2  # available: nothing copied any more
    with pytest.raises(NotFound):  # never attached in that conversation
        messaging.save_attachment(world.deps, CLAIMS, "me", c.conversation_id, "nope", world.clock())


def test_an_attachment_larger_than_a_holder_upload_cannot_be_saved(world):
    """BR-39 with BR-23: the saved copy is the holder's own document, so it keeps the holder's size
    limit; nothing is created and nothing is copied."""
    big = world.documents.add(document(author_type=AuthorType.PRACTITIONER, author_id=DOCTOR.rpps,
                                       size=HOLDER_MAX_BYTES + 1, object_key="documents/e1/imaging"))
    c = messaging.start(world.deps, DOCTOR, NIR, subject="a", body="b", attachments=[big.document_id],
                        req=world.req())
    with pytest.raises(ValidationError) as caught:
        messaging.save_attachment(world.deps, CLAIMS, "me", c.conversation_id, big.document_id, world.clock())
    assert caught.value.field == "document_id" and str(HOLDER_MAX_BYTES) in caught.value.detail
    assert list(world.documents.items) == [("e1", big.document_id)] and world.copier.copies == []

def test_a_failed_copy_leaves_no_metadata(world):
    report = world.documents.add(document(author_type=AuthorType.PRACTITIONER, author_id=DOCTOR.rpps))
    c = messaging.start(world.deps, DOCTOR, NIR, subject="a", body="b", attachments=[report.document_id],
                        req=world.req())
    world.copier.fail = True
    with pytest.raises(RuntimeError):
        messaging.save_attachment(world.deps, CLAIMS, "me", c.conversation_id, report.document_id, world.clock())
    assert list(world.documents.items) == [("e1", report.document_id)]


def test_the_professional_downloads_only_what_was_attached_in_its_conversation(world):
    mine = world.documents.add(document(masked=True, category="DIR_ANT"))
    c = messaging.start(world.deps, DOCTOR, NIR, subject="a", body="b", attachments=None, req=world.req())
    with pytest.raises(NotFound):
        messaging.pro_attachment(world.deps, DOCTOR, c.conversation_id, mine.document_id, world.req())
    messaging.reply(world.deps, CLAIMS, "me", c.conversation_id, body="voici", attachments=[mine.document_id],
                    now=world.clock())
    got, download = messaging.pro_attachment(world.deps, DOCTOR, c.conversation_id, mine.document_id, world.req())
    assert got.document_id == mine.document_id and download["url"].endswith(mine.object_key)
    assert world.access.records[-1]["mode"] == "conversation"
    with pytest.raises(NotFound):
        messaging.pro_attachment(world.deps, PHARMACIST, c.conversation_id, mine.document_id, world.req())


# --- BR-17: a legal representative replying in a child's conversation ------------------------------------
KID_NIR = make_nir(2, date(2013, 6, 1), "44")
GUARDIAN = {"sub": "e1"}  # Camille, the guardian on file (BR-16)


@pytest.fixture
def kid(world) -> str:
    world.espaces.add_new([dataclasses.replace(
        an_espace(), espace_id="k1", nir_hmac=Keys.derive(MASTER_SECRET).nir_hmac(KID_NIR),
        birth_date=date(2013, 6, 1), first_name="Léo", email=None, mobile=None, guardian_id="e1")])
    return "k1"


def _refusal(call) -> tuple:
    with pytest.raises(InvalidAttachment) as exc:
        call()
    return type(exc.value), exc.value.code, exc.value.detail, exc.value.field


def test_a_representative_cannot_attach_a_document_hidden_from_representatives_nor_learn_it_exists(world, kid):
    """BR-17: the minor asked the PS to hide the document from their legal representatives. The guardian,
    replying in the child's conversation with its (random) id, gets exactly the answer for an id that does
    not exist: no title, nothing stored, nothing sent to the PS."""
    hidden = world.documents.add(document(espace_id=kid, title="Consultation confidentielle",
                                          author_type=AuthorType.PRACTITIONER, author_id=DOCTOR.rpps,
                                          object_key="documents/k1/h", hidden_from_representatives=True))
    shown = world.documents.add(document(espace_id=kid, title="Carnet de vaccination", object_key="documents/k1/v"))
    c = messaging.start(world.deps, DOCTOR, KID_NIR, subject="Suivi", body="Bonjour", attachments=None,
                        req=world.req())
    assert c.espace_id == kid
    world.clock.advance(minutes=1)

    def reply(ids):
        return messaging.reply(world.deps, GUARDIAN, kid, c.conversation_id, body="voici", attachments=ids,
                               now=world.clock())

    unknown = _refusal(lambda: reply(["0" * 32]))
    assert _refusal(lambda: reply([hidden.document_id])) == unknown
    assert _refusal(lambda: reply([shown.document_id, hidden.document_id])) == unknown  # one bad id: none sent
    conversation, page = messaging.read(world.deps, GUARDIAN, kid, c.conversation_id, limit=None, cursor=None)
    assert [m.author for m in page.items] == [Author.PROFESSIONAL]  # nothing stored
    assert "Consultation confidentielle" not in repr(page.items)
    with pytest.raises(NotFound):  # nor reachable by the professional through the conversation
        messaging.pro_attachment(world.deps, DOCTOR, c.conversation_id, hidden.document_id, world.req())
    sent = reply([shown.document_id])  # what the representatives may read, they attach
    assert [a.title for a in sent.attachments] == ["Carnet de vaccination"]


def test_a_representative_never_saves_a_copy_of_a_document_hidden_from_representatives(world, kid):
    """BR-17, as the document reads: a professional's attachment later found hidden from the representatives
    (a message written before the messaging refused such attachments) is not copied into the child's
    documents by the guardian, whose copy would be visible to them: the answer of an unknown attachment."""
    report = world.documents.add(document(espace_id=kid, author_type=AuthorType.PRACTITIONER, author_id=DOCTOR.rpps,
                                          object_key="documents/k1/r"))
    c = messaging.start(world.deps, DOCTOR, KID_NIR, subject="a", body="b", attachments=[report.document_id],
                        req=world.req())
    world.documents.add(dataclasses.replace(report, hidden_from_representatives=True))  # the stored state
    for document_id in (report.document_id, "0" * 32):
        with pytest.raises(NotFound):
            messaging.save_attachment(world.deps, GUARDIAN, kid, c.conversation_id, document_id, world.clock())
    assert world.copier.copies == [] and list(world.documents.items) == [(kid, report.document_id)]


# --- application-level encryption ------------------------------------------------------------------------
def test_the_cipher_binds_each_ciphertext_to_its_espace_conversation_and_item():
    from cryptography.exceptions import InvalidTag

    from mes.adapters.messages_dynamo import MessageCipher
    cipher = MessageCipher(Keys.derive(MASTER_SECRET).messages)
    sealed = cipher.encrypt("Glycémie 1,32 g/L", "e1", "c1", "c#c1#m#1")
    assert "Glycémie" not in sealed and sealed.startswith("v1.")
    assert sealed != cipher.encrypt("Glycémie 1,32 g/L", "e1", "c1", "c#c1#m#1")  # random nonce
    assert cipher.decrypt(sealed, "e1", "c1", "c#c1#m#1") == "Glycémie 1,32 g/L"
    for moved in (("e2", "c1", "c#c1#m#1"), ("e1", "c2", "c#c1#m#1"), ("e1", "c1", "c#c1#m#2")):
        with pytest.raises(InvalidTag):
            cipher.decrypt(sealed, *moved)
    other = MessageCipher(Keys.derive(MASTER_SECRET + "x").messages)
    with pytest.raises(InvalidTag):
        other.decrypt(sealed, "e1", "c1", "c#c1#m#1")
    assert Keys.derive(MASTER_SECRET).messages not in {Keys.derive(MASTER_SECRET).nir, Keys.derive(MASTER_SECRET).otp}


def test_an_attachment_is_copied_and_downloaded_at_its_validated_version(world):
    """BR-23: a later write to the object (a reused upload ticket) is neither copied nor served."""
    report = world.documents.add(document(author_type=AuthorType.PRACTITIONER, author_id=DOCTOR.rpps,
                                          object_key="documents/e1/report", object_version="v-checked"))
    c = messaging.start(world.deps, DOCTOR, NIR, subject="a", body="b", attachments=[report.document_id],
                        req=world.req())
    messaging.save_attachment(world.deps, CLAIMS, "me", c.conversation_id, report.document_id, world.clock())
    assert world.copier.source_versions == ["v-checked"]
    mine = world.documents.add(document(object_version="v-mine"))
    messaging.reply(world.deps, CLAIMS, "me", c.conversation_id, body="voici", attachments=[mine.document_id],
                    now=world.clock())
    _, download = messaging.pro_attachment(world.deps, DOCTOR, c.conversation_id, mine.document_id, world.req())
    assert download["url"].endswith("?versionId=v-mine")
