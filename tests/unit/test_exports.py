"""The data export (issue #5) with fakes: providers assembled, the zip's layout, idempotence, who may
see which export, rate limit, the sections' content."""

from __future__ import annotations

import dataclasses
import io
import json
import zipfile
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from mes.domain.documents import AuthorType, DocStatus, Document
from mes.domain.errors import NotFound, RateLimited
from mes.domain.espace import Espace, Status
from mes.domain.exports import MAX_EXPORTS_PER_DAY, ExportStatus, archive_name, check_rate
from mes.services import exports
from mes.services.export_sections import AccessLogSection, DocumentsSection, EspaceSection
from mes.services.exports import ExportDeps
from tests.fakes import FakeEphemeralStore, FakeEspaceRepository
from tests.fakes_export import (
    FakeDocumentList,
    FakeExportQueue,
    FakeExportRepository,
    FakeExportStore,
    FakeObjectReader,
)

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class Section:
    def __init__(self, data, files=None):
        self.data, self.files, self.calls = data, files, 0

    def export_espace(self, espace_id):
        self.calls += 1
        return {"espace": espace_id, **self.data} if isinstance(self.data, dict) else self.data


class WithFiles(Section):
    def export_files(self, espace_id):
        return [(path, (lambda content=content: io.BytesIO(content))) for path, content in self.files.items()]


def an_espace(espace_id: str, **changes) -> Espace:
    base = Espace(espace_id=espace_id, nir_hmac=f"nirhmac-{espace_id}", birth_date=date(1980, 1, 1),
                  vitale_hmac=f"vitalehmac-{espace_id}", first_name="Camille", last_name="Martin", department="44",
                  status=Status.ACTIVE, email="c@example.org", login="camille.m")
    return dataclasses.replace(base, **changes)


@pytest.fixture
def deps() -> ExportDeps:
    espaces = FakeEspaceRepository()
    espaces.add_new([an_espace("esp-1"), an_espace("esp-2"), an_espace("kid-1", guardian_id="esp-1")])
    providers = [("espace", Section({"status": "active"})), ("documents", WithFiles([{"id": "d1"}],
                                                                                    {"documents/d1/a.pdf": b"%PDF"})),
                 ("access_log", Section([])), ("reimbursements", Section([{"id": "r1"}]))]
    return ExportDeps(espaces=espaces, exports=FakeExportRepository(), store=FakeExportStore(),
                      queue=FakeExportQueue(), ephemeral=FakeEphemeralStore(), providers=providers)


def build(deps, export):
    return exports.build_export(deps, export.espace_id, export.export_id, NOW)


def test_providers_are_assembled_in_order_into_one_zip(deps):
    export = exports.request_export(deps, {"sub": "esp-1"}, "me", NOW)
    assert deps.queue.sent == [("esp-1", export.export_id)]
    assert build(deps, export) == "built"
    archive = zipfile.ZipFile(io.BytesIO(deps.store.objects[f"exports/esp-1/{export.export_id}.zip"]))
    assert archive.namelist() == ["espace.json", "documents.json", "access_log.json", "reimbursements.json",
                                  "documents/d1/a.pdf", "manifest.json"]
    assert json.loads(archive.read("espace.json")) == {"espace": "esp-1", "status": "active"}
    assert json.loads(archive.read("reimbursements.json")) == [{"id": "r1"}]
    assert archive.read("documents/d1/a.pdf") == b"%PDF"
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["sections"] == ["espace.json", "documents.json", "access_log.json", "reimbursements.json"]
    assert manifest["files"] == ["documents/d1/a.pdf"] and manifest["generated_at"] == "2026-03-02T09:00:00Z"
    assert manifest["missing_files"] == []


def test_a_document_deleted_during_the_build_is_listed_as_missing(deps):
    def gone():
        raise FileNotFoundError("documents/esp-1/d2")

    class Racy(WithFiles):
        def export_files(self, espace_id):
            return [*super().export_files(espace_id), ("documents/d2/b.pdf", gone)]

    deps.providers[1] = ("documents", Racy([{"id": "d1"}, {"id": "d2"}], {"documents/d1/a.pdf": b"%PDF"}))
    export = exports.request_export(deps, {"sub": "esp-1"}, "me", NOW)
    assert build(deps, export) == "built"
    archive = zipfile.ZipFile(io.BytesIO(deps.store.objects[export.object_key]))
    manifest = json.loads(archive.read("manifest.json"))
    assert (manifest["files"], manifest["missing_files"]) == (["documents/d1/a.pdf"], ["documents/d2/b.pdf"])


def test_a_new_provider_is_a_new_section(deps):
    deps.providers = [*deps.providers, ("profile", Section({"allergies": ["pollen"]}))]
    export = exports.request_export(deps, {"sub": "esp-1"}, "me", NOW)
    build(deps, export)
    archive = zipfile.ZipFile(io.BytesIO(deps.store.objects[export.object_key]))
    assert json.loads(archive.read("profile.json")) == {"espace": "esp-1", "allergies": ["pollen"]}


def test_bootstrap_names_one_container_attribute_per_section():
    from mes.bootstrap import EXPORT_PROVIDERS, Container
    names = [name for name, _ in EXPORT_PROVIDERS]
    assert names[:4] == ["espace", "documents", "access_log", "reimbursements"]
    assert len(set(names)) == len(names)
    for _, attribute in EXPORT_PROVIDERS:
        assert hasattr(Container, attribute), attribute


def test_a_duplicate_message_rebuilds_nothing(deps):
    export = exports.request_export(deps, {"sub": "esp-1"}, "me", NOW)
    assert [build(deps, export), build(deps, export)] == ["built", "skipped"]
    assert deps.store.writes == 1
    assert deps.providers[0][1].calls == 1


def test_ready_export_gives_a_short_lived_attachment_download(deps):
    export = exports.request_export(deps, {"sub": "esp-1"}, "me", NOW)
    found, download = exports.export_status(deps, {"sub": "esp-1"}, "me", export.export_id, NOW)
    assert (found.status, download) == (ExportStatus.PENDING, None)
    build(deps, export)
    found, download = exports.export_status(deps, {"sub": "esp-1"}, "esp-1", export.export_id, NOW)
    assert found.status == ExportStatus.READY and download["expires_in"] == 300
    assert "attachment" in download["url"] and "mon-espace-sante-20260302.zip" in download["url"]


def test_someone_elses_or_an_expired_export_is_not_found(deps):
    export = exports.request_export(deps, {"sub": "esp-1"}, "me", NOW)
    for claims, espace in (({"sub": "esp-2"}, "me"), ({"sub": "esp-2"}, "esp-1"), ({"sub": "esp-1"}, "kid-1")):
        with pytest.raises(NotFound):
            exports.export_status(deps, claims, espace, export.export_id, NOW)
    later = NOW + timedelta(days=7)
    with pytest.raises(NotFound):
        exports.export_status(deps, {"sub": "esp-1"}, "me", export.export_id, later)
    assert exports.build_export(deps, "esp-1", export.export_id, later) == "missing"
    assert deps.store.writes == 0


def test_a_child_through_the_guardian_only(deps):
    export = exports.request_export(deps, {"sub": "esp-1"}, "kid-1", NOW)
    assert export.espace_id == "kid-1"
    with pytest.raises(NotFound):
        exports.request_export(deps, {"sub": "esp-2"}, "kid-1", NOW)


def test_rate_limit_per_espace_and_day(deps):
    for _ in range(MAX_EXPORTS_PER_DAY):
        exports.request_export(deps, {"sub": "esp-1"}, "me", NOW)
    with pytest.raises(RateLimited) as exc:
        exports.request_export(deps, {"sub": "esp-1"}, "me", NOW)
    assert exc.value.retry_after
    exports.request_export(deps, {"sub": "esp-2"}, "me", NOW)  # others are not affected
    exports.request_export(deps, {"sub": "esp-1"}, "me", NOW + timedelta(days=1))


PARIS_WINTER = timezone(timedelta(hours=1))


@pytest.mark.parametrize(("now", "retry_after", "wait"), [
    (datetime(2026, 3, 2, 0, 0, 0, tzinfo=UTC), 86400, "24 heures"),  # the window has just begun
    (datetime(2026, 3, 2, 0, 0, 1, tzinfo=UTC), 86399, "24 heures"),  # just after midnight
    (datetime(2026, 3, 2, 9, 0, tzinfo=UTC), 15 * 3600, "15 heures"),
    (datetime(2026, 3, 2, 23, 0, 1, tzinfo=UTC), 3599, "60 minutes"),
    (datetime(2026, 3, 2, 23, 59, 30, tzinfo=UTC), 30, "1 minute"),
    (datetime(2026, 3, 2, 23, 59, 59, 900000, tzinfo=UTC), 1, "1 minute"),  # never 0
    (datetime(2026, 3, 3, 0, 30, tzinfo=PARIS_WINTER), 1800, "30 minutes"),  # 23:30 UTC: the day is UTC's
])
def test_retry_after_is_the_seconds_until_the_utc_day_ends(now, retry_after, wait):
    """Over the daily limit, Retry-After says when a request is accepted again: the end of the UTC day
    the store counts in (not a flat hour, not "tomorrow" in Paris); the French detail agrees."""
    check_rate(MAX_EXPORTS_PER_DAY, now)  # the fifth of the day passes
    with pytest.raises(RateLimited) as exc:
        check_rate(MAX_EXPORTS_PER_DAY + 1, now)
    assert exc.value.retry_after == retry_after
    assert exc.value.detail == ("Trop de demandes d'export pour aujourd'hui. Vous pourrez réessayer dans "
                                f"{wait} au plus.")


def test_a_request_is_accepted_again_exactly_when_retry_after_says(deps):
    late = datetime(2026, 3, 2, 23, 59, 30, tzinfo=UTC)
    for _ in range(MAX_EXPORTS_PER_DAY):
        exports.request_export(deps, {"sub": "esp-1"}, "me", late)
    with pytest.raises(RateLimited) as exc:
        exports.request_export(deps, {"sub": "esp-1"}, "me", late)
    assert exc.value.retry_after == 30
    with pytest.raises(RateLimited):  # one second earlier, still the same day's window
        exports.request_export(deps, {"sub": "esp-1"}, "me", late + timedelta(seconds=29))
    exports.request_export(deps, {"sub": "esp-1"}, "me", late + timedelta(seconds=exc.value.retry_after))


def test_no_pending_orphan_when_the_queue_is_down(deps):
    deps.queue.broken = True
    with pytest.raises(RuntimeError):
        exports.request_export(deps, {"sub": "esp-1"}, "me", NOW)
    (record,) = deps.exports.items.values()
    assert record.status == ExportStatus.FAILED


def test_espace_section_never_holds_the_nir_nor_any_hmac():
    espaces = FakeEspaceRepository()
    espaces.add_new([an_espace("esp-1"), an_espace("kid-1", guardian_id="esp-1")])
    section = EspaceSection(espaces).export_espace("esp-1")
    text = json.dumps(section)
    assert "nirhmac" not in text and "vitalehmac" not in text
    assert section["identity"] == {"first_name": "Camille", "last_name": "Martin", "birth_date": "1980-01-01"}
    assert section["children"] == [{"id": "kid-1"}] and section["settings"]["otp_channel"] == "email"
    assert EspaceSection(espaces).export_espace("kid-1")["managed_by_guardian"] is True


def test_documents_section_pages_and_exports_only_what_the_holder_sees():
    def doc(i, status=DocStatus.AVAILABLE, **kw):
        return Document(espace_id="esp-1", document_id=f"{i:04d}", title=f"T{i}", category="BIOLOGIE",
                        filename=f"f{i}.pdf", content_type="application/pdf", size=4, author_type=AuthorType.PATIENT,
                        author_id="esp-1", created_at=NOW, object_key=f"documents/esp-1/{i:04d}",
                        status=status, **kw)

    docs = [doc(i) for i in range(150)] + [doc(900, hidden_from_holder=True), doc(901, status=DocStatus.REJECTED),
                                           doc(902, status=DocStatus.PENDING), doc(903, status=DocStatus.REPLACED),
                                           doc(904, status=DocStatus.REPLACED, hidden_from_holder=True)]
    listing = FakeDocumentList(docs)
    reader = FakeObjectReader({d.object_key: b"%PDF" for d in docs})
    section = DocumentsSection(listing, reader)
    metadata = section.export_espace("esp-1")
    assert len(metadata) == 153 and listing.calls == 2  # 100 a page; not the two hidden from the holder
    files_of = {m["id"]: m["file"] for m in metadata}
    assert files_of["0902"] is None and files_of["0901"] is None  # pending, own rejected upload: listed, no file
    assert files_of["0903"] == "documents/0903/f903.pdf"  # BR-24: a replaced version keeps its bytes
    files = section.export_files("esp-1")
    assert len(files) == 151 and reader.opened == []  # opened lazily, one at a time, while zipping
    path, opener = files[1]
    assert path == "documents/0149/f149.pdf" and opener().read() == b"%PDF"


def test_access_log_section_reads_every_page():
    class Log:
        def read_log(self, espace_id, limit, cursor):
            from mes.ports import Page
            start = int(cursor or 0)
            items = [{"at": str(i)} for i in range(start, min(start + limit, 230))]
            return Page(items=items, next_key=str(start + limit) if start + limit < 230 else None)

    assert len(AccessLogSection(Log()).export_espace("esp-1")) == 230


@pytest.mark.parametrize("name,safe", [("../../etc/passwd", "_.._etc_passwd"), ("bilan sanguin.pdf",
                                                                               "bilan sanguin.pdf"),
                                       ("échographie.png", "echographie.png"), ("...", "document")])
def test_archive_names_stay_inside_their_folder(name, safe):
    assert archive_name(name) == safe
    assert "/" not in archive_name(name)
