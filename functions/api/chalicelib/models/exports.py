"""Models of routes/exports.py: the data export (GDPR, issue #5)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from .common import Body, Download, Out, body_config, iso

if TYPE_CHECKING:
    from mes.domain.exports import Export


class ExportRequest(Body):
    """No field: the archive holds everything (an empty body or `{}`; any field is refused)."""

    model_config = body_config({})


class ExportCreated(Out):
    export_id: str

    @classmethod
    def from_domain(cls, export: Export) -> ExportCreated:
        return cls(export_id=export.export_id)


class ExportOut(Out):
    export_id: str
    status: Literal["pending", "ready", "failed"]
    created_at: str
    expires_at: str
    download: Download | None = None

    @classmethod
    def from_domain(cls, export: Export, download: dict[str, Any] | None) -> ExportOut:
        return cls(export_id=export.export_id, status=str(export.status), created_at=iso(export.created_at),  # type: ignore[arg-type]
                   expires_at=iso(export.expires_at), download=Download(**download) if download else None)
