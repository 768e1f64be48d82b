"""Export providers for the data that existed before the export (issue #5): the espace summary, the
documents (metadata + files) and the access log. Each has `export_espace(espace_id)`; newer areas
(reimbursements, profile, messages) implement the same method on their own repository."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from mes.domain.documents import Document, exported_to_holder, has_content
from mes.domain.espace import Espace
from mes.domain.exports import archive_name
from mes.ports import EspaceRepository

PAGE = 100


def _iso(value: Any) -> str | None:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value else None


class EspaceSection:
    """Status, identity summary (never the NIR nor any HMAC), contacts, settings, children, dates."""

    def __init__(self, espaces: EspaceRepository):
        self.espaces = espaces

    def export_espace(self, espace_id: str) -> dict:
        espace: Espace | None = self.espaces.get(espace_id)
        if espace is None:
            return {}
        return {
            "id": espace.espace_id, "status": str(espace.status),
            "identity": {"first_name": espace.first_name, "last_name": espace.last_name,
                         "birth_date": espace.birth_date.isoformat()},
            "department": espace.department,
            "contacts": {"email": espace.email, "mobile": espace.mobile, "address": espace.address},
            "login": espace.login,
            "managed_by_guardian": espace.is_child,
            "children": [] if espace.is_child else [{"id": i} for i in self.espaces.children_of(espace_id)],
            "settings": {**espace.settings.as_dict(), "otp_channel": espace.otp_channel},
            "dates": {"notified_at": _iso(espace.notified_at), "opposition_deadline": _iso(espace.opposition_deadline),
                      "opposed_at": _iso(espace.opposed_at), "created_at": _iso(espace.created_at),
                      "activated_at": _iso(espace.activated_at)},
            "opposition_receipt": espace.receipt_id,
        }


class DocumentsSection:
    """What the holder sees (BR-26: not the documents still hidden from them) and the earlier versions
    of those documents (BR-24: replaced, bytes kept), with the bytes of the available and replaced
    ones under documents/<id>/<file name>."""

    representative_aware = True

    def __init__(self, documents: Any, reader: Any):
        self.documents = documents
        self.reader = reader  # open(object_key) -> a readable stream

    def _all(self, espace_id: str, as_representative: bool = False) -> Iterator[Document]:
        cursor = None
        while True:
            page = self.documents.list(espace_id, category=None, limit=PAGE, cursor=cursor, holder_only=False)
            yield from (d for d in page.items if exported_to_holder(d, as_representative))  # BR-17, BR-24
            cursor = page.next_key
            if not cursor:
                return

    @staticmethod
    def path(d: Document) -> str:
        return f"documents/{d.document_id}/{archive_name(d.filename)}"

    def export_espace(self, espace_id: str, as_representative: bool = False) -> list:
        return [{"id": d.document_id, "title": d.title, "category": d.category, "filename": d.filename,
                 "content_type": d.content_type, "size": d.real_size or d.size, "status": str(d.status),
                 "masked": d.masked, "author_type": str(d.author_type), "created_at": _iso(d.created_at),
                 "file": self.path(d) if has_content(d) else None}
                for d in self._all(espace_id, as_representative)]

    def export_files(self, espace_id: str, as_representative: bool = False) -> list:
        return [(self.path(d), (lambda key=d.object_key, version=d.object_version: self.reader.open(key, version)))
                for d in self._all(espace_id, as_representative) if has_content(d)]


class AccessLogSection:
    """Every professional action and refused attempt (BR-35), newest first."""

    representative_aware = True

    def __init__(self, access: Any, documents: Any = None):
        self.access = access
        self.documents = documents

    def export_espace(self, espace_id: str, as_representative: bool = False) -> list:
        items: list = []
        cursor = None
        while True:
            page = self.access.read_log(espace_id, PAGE, cursor)
            if as_representative:  # BR-17: nothing about a document hidden from the representatives
                from mes.services.children import log_for_representatives
                page.items = log_for_representatives(self.documents, espace_id, page.items)
            items.extend(page.items)
            cursor = page.next_key
            if not cursor:
                return items
