"""Export of all the holder's data (issue #5): request an archive, then poll it and download it."""

from __future__ import annotations

from chalice import Blueprint

from mes.bootstrap import get_container
from mes.services import exports

from ..models import Download
from ..models_export import ExportCreated, ExportOut, ExportRequest
from ..routing import route

bp = Blueprint(__name__)


def _iso(value) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


@route(bp, "/espaces/{espace_id}/exports", "POST", auth="holder", body=ExportRequest, response=ExportCreated,
       status=202, errors=(400, 401, 404, 429))
def request_export(claims: dict, espace_id: str, body: ExportRequest) -> ExportCreated:
    """Ask for one archive (JSON + document files) of all the espace's data; built asynchronously."""
    c = get_container()
    return ExportCreated(export_id=exports.request_export(c.export_deps(), claims, espace_id, c.clock()).export_id)


@route(bp, "/espaces/{espace_id}/exports/{export_id}", "GET", auth="holder", response=ExportOut,
       errors=(401, 404))
def get_export(claims: dict, espace_id: str, export_id: str) -> ExportOut:
    """pending, ready (with a short-lived download, as an attachment) or failed."""
    c = get_container()
    export, download = exports.export_status(c.export_deps(), claims, espace_id, export_id, c.clock())
    return ExportOut(export_id=export.export_id, status=str(export.status), created_at=_iso(export.created_at),
                     expires_at=_iso(export.expires_at), download=Download(**download) if download else None)
