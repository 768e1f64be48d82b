"""In-memory fakes for the reimbursement history (BR-21) and the data export (issue #5), with the
semantics of `mes.adapters.reimbursements_dynamo` and `mes.adapters.exports_aws`
(`tests/contract/test_reimbursements_repository.py` runs one test class against both)."""

from __future__ import annotations

import copy
import io
from collections.abc import Callable
from datetime import date, datetime
from typing import IO, Any

from mes.domain.documents import Document
from mes.domain.exports import Export, ExportStatus
from mes.domain.reimbursements import Reimbursement
from mes.ports import Page


def _sk(r: Reimbursement) -> str:
    return f"{r.care_date.isoformat()}#{r.reimbursement_id}"


class FakeReimbursementRepository:
    def __init__(self) -> None:
        self.items: dict[tuple[str, str], Reimbursement] = {}
        self.batch_gets = 0

    def existing_ids(self, keys: list[tuple[str, str]]) -> set[tuple[str, str]]:
        self.batch_gets += (len(keys) + 99) // 100
        return {k for k in keys if k in self.items}

    def add(self, items: list[Reimbursement]) -> None:
        for r in items:
            self.items[(r.espace_id, _sk(r))] = copy.deepcopy(r)

    def list(self, espace_id: str, *, since: date, until: date | None, limit: int, cursor: str | None) -> Page:
        upper = f"{until.isoformat()}#~" if until else "9999"
        keys = sorted((sk for (e, sk) in self.items if e == espace_id and since.isoformat() <= sk <= upper),
                      reverse=True)
        if cursor:
            keys = [k for k in keys if k < cursor]
        page = keys[:limit]
        return Page(items=[copy.deepcopy(self.items[(espace_id, k)]) for k in page],
                    next_key=page[-1] if len(page) == limit else None)

    def purge_espace(self, espace_id: str) -> int:
        keys = [k for k in self.items if k[0] == espace_id]
        for k in keys:
            del self.items[k]
        return len(keys)

    def export_espace(self, espace_id: str) -> list:
        return [self.items[k].as_dict() for k in sorted((k for k in self.items if k[0] == espace_id), reverse=True)]


class FakeExportRepository:
    def __init__(self) -> None:
        self.items: dict[tuple[str, str], Export] = {}

    def create(self, e: Export) -> None:
        assert (e.espace_id, e.export_id) not in self.items
        self.items[(e.espace_id, e.export_id)] = copy.deepcopy(e)

    def get(self, espace_id: str, export_id: str) -> Export | None:
        found = self.items.get((espace_id, export_id))
        return copy.deepcopy(found) if found else None

    def mark_ready(self, espace_id: str, export_id: str, now: datetime, size: int) -> None:
        e = self.items.get((espace_id, export_id))
        if e and e.status == ExportStatus.PENDING:
            e.status, e.ready_at, e.size = ExportStatus.READY, now, size

    def mark_failed(self, espace_id: str, export_id: str) -> None:
        e = self.items.get((espace_id, export_id))
        if e and e.status == ExportStatus.PENDING:
            e.status = ExportStatus.FAILED


class FakeExportStore:
    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}
        self.writes = 0

    def write(self, key: str, build: Callable[[IO[bytes]], None]) -> int:
        buffer = io.BytesIO()
        build(buffer)
        self.objects[key] = buffer.getvalue()
        self.writes += 1
        return len(self.objects[key])

    def presign_download(self, key: str, filename: str, ttl: int) -> dict[str, Any]:
        return {"url": f"https://exports.local/{key}?response-content-disposition=attachment;filename={filename}",
                "expires_in": ttl}


class FakeExportQueue:
    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []
        self.broken = False

    def send(self, espace_id: str, export_id: str) -> None:
        if self.broken:
            raise RuntimeError("queue unavailable")
        self.sent.append((espace_id, export_id))


class FakeDocumentList:
    """The documents repository's `list` as the holder sees it (holder_only), paged, newest first."""

    def __init__(self, documents: list[Document]):
        self.documents = sorted(documents, key=lambda d: d.document_id, reverse=True)
        self.calls = 0

    def list(self, espace_id: str, *, category: str | None, limit: int, cursor: str | None,
             holder_only: bool) -> Page:
        self.calls += 1
        visible = [d for d in self.documents if d.espace_id == espace_id and (
            not holder_only or (not d.hidden_from_holder and str(d.status) in ("pending", "available")))]
        if cursor:
            visible = [d for d in visible if d.document_id < cursor]
        page = visible[:limit]
        return Page(items=page, next_key=page[-1].document_id if len(page) == limit else None)


class FakeObjectReader:
    def __init__(self, objects: dict[str, bytes]):
        self.objects = objects
        self.opened: list[str] = []

    def open(self, key: str, version_id: str | None = None) -> IO[bytes]:
        self.opened.append(key)
        return io.BytesIO(self.objects[key])
