"""Document rules without AWS (BR-22 to BR-26): magic bytes, limits, who may delete and mask."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from mes.domain import documents as rules
from mes.domain.documents import EICAR, AuthorType, Document, RejectReason
from mes.domain.errors import Forbidden, NotFound, StateConflict, ValidationError

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def document(**kw) -> Document:
    base = dict(espace_id="e1", document_id=rules.new_document_id(NOW), title="t", category="BIOLOGIE",
                filename="a.pdf", content_type="application/pdf", size=10, author_type=AuthorType.PATIENT,
                author_id="e1", created_at=NOW, object_key="documents/e1/x")
    return Document(**{**base, **kw})


@pytest.mark.parametrize("head,expected", [
    (b"%PDF-1.7\n", "pdf"), (b"\xff\xd8\xff\xe1", "jpeg"), (b"\x89PNG\r\n\x1a\n\x00", "png"),
    (b"II*\x00\x08", "tiff"), (b"MM\x00*\x00", "tiff"), (b"{\\rtf1\\ansi", "rtf"),
    (b"Compte rendu d'hospitalisation\n", "txt"),
    (b"<html><script>alert(1)</script>", None), (b"<!DOCTYPE html>", None), (b"<svg onload=x>", None),
    (b"MZ\x90\x00\x03\x00", None), (b"PK\x03\x04", None), (b"", None), (b"\x00\x00\x00", None),
])
def test_given_the_first_bytes_when_sniffing_then_the_type_comes_from_the_content(head, expected):
    assert rules.sniff(head) == expected


def test_given_a_declared_type_that_the_bytes_contradict_then_type_mismatch():
    assert rules.check_content(document(content_type="image/png"), b"%PDF-1.4", 100) == ("pdf", RejectReason.TYPE_MISMATCH)
    assert rules.check_content(document(), b"%PDF-1.4", 100) == ("pdf", None)


def test_given_the_real_size_then_holders_are_limited_to_five_million_bytes():
    assert rules.check_content(document(), b"%PDF-1.4", 5_000_000)[1] is None
    assert rules.check_content(document(), b"%PDF-1.4", 5_000_001)[1] == RejectReason.TOO_LARGE
    assert rules.check_content(document(author_type=AuthorType.PRACTITIONER), b"%PDF-1.4", 5_000_001)[1] is None
    assert rules.check_content(document(), b"", 0)[1] == RejectReason.EMPTY


def test_a_utf8_character_cut_by_the_header_read_is_still_text():
    read = ("a" + "é" * 2048).encode()[:4096]  # the 4 KB read ends inside a two-byte character
    assert read.endswith(b"\xc3") and len(read) == 4096
    assert rules.sniff(read) == "txt"
    assert rules.sniff(b"abc\xc3") is None  # not a truncated read: invalid


def test_eicar_is_plain_text_so_only_the_scanner_rejects_it():
    assert rules.sniff(EICAR) == "txt"


@pytest.mark.parametrize("field,kw", [
    ("category", {"category": "RADIO"}), ("content_type", {"content_type": "text/html"}),
    ("size", {"size": 5_000_001}), ("size", {"size": 0}), ("filename", {"filename": "../etc/passwd"}),
    ("title", {"title": "  "}),
])
def test_given_bad_upload_metadata_then_the_field_is_named(field, kw):
    args = {"title": "t", "category": "BIOLOGIE", "filename": "a.pdf", "content_type": "application/pdf", "size": 10,
            **kw}
    with pytest.raises(ValidationError) as exc:
        rules.validate_upload(**args)
    assert exc.value.field == field


def test_the_holder_deletes_only_their_own_uploads():
    rules.holder_may_delete(document(), "e1")
    with pytest.raises(Forbidden):
        rules.holder_may_delete(document(author_type=AuthorType.PRACTITIONER, author_id="10003456789"), "e1")
    with pytest.raises(Forbidden):
        rules.holder_may_delete(document(author_type=AuthorType.ORGANISATION, author_id="750712184"), "e1")


def test_hidden_from_holder_is_invisible_and_cannot_be_masked():
    hidden = document(hidden_from_holder=True)
    with pytest.raises(NotFound):
        rules.holder_view(hidden)
    with pytest.raises(StateConflict):
        rules.set_masked(hidden, True)
    assert rules.set_masked(document(), True).masked is True


def test_document_ids_sort_by_creation_time_and_are_unpredictable():
    earlier, later = rules.new_document_id(NOW), rules.new_document_id(NOW.replace(minute=1))
    assert earlier < later and len(earlier) == 32
    assert rules.new_document_id(NOW) != rules.new_document_id(NOW)
    assert all(c in "0123456789abcdef" for c in earlier)


@pytest.mark.parametrize("reason,kw,text", [
    (RejectReason.TOO_LARGE, {}, "Le fichier dépasse 5 Mo."),
    (RejectReason.TOO_LARGE, {"author_type": AuthorType.PRACTITIONER, "author_id": "10003456789"},
     "Le fichier dépasse 20 Mo."),
    (RejectReason.UNKNOWN_TYPE, {}, "Le fichier n'est pas un PDF valide."),
    (RejectReason.TYPE_MISMATCH, {"content_type": "image/png"}, "Le fichier n'est pas une image PNG valide."),
    (RejectReason.MALWARE, {}, "Un logiciel malveillant a été détecté."),
    (RejectReason.EMPTY, {}, "Le fichier est vide."),
])
def test_a_rejected_document_tells_its_uploader_why_in_french(reason, kw, text):
    """BR-23: every reason code has its French text, in one place."""
    rejected = rules.reject(document(**kw), reason, NOW)
    assert rules.rejection_reason(rejected) == text
    assert rules.rejection_reason(document()) is None  # pending: nothing to explain
    assert set(rules.REJECTION_TEXTS) == set(RejectReason)


def test_only_the_holders_own_rejected_uploads_stay_visible_to_the_holder():
    """BR-23/24: the holder sees their rejected upload (to learn why, then delete it); a professional's
    rejected deposit stays between the professional and the validation."""
    own = rules.reject(document(), RejectReason.MALWARE, NOW)
    assert rules.holder_view(own) is own
    rules.holder_may_delete(own, "e1")
    by_pro = rules.reject(document(author_type=AuthorType.PRACTITIONER, author_id="10003456789"),
                          RejectReason.MALWARE, NOW)
    assert not rules.visible_to_holder(by_pro)
    with pytest.raises(NotFound):
        rules.holder_view(by_pro)
