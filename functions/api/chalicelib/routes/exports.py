"""Export of all the holder's data (issue #5): request an archive, then poll it and download it."""

from __future__ import annotations

from chalice import Blueprint

from mes.services import exports

from ..models.exports import ExportCreated, ExportOut, ExportRequest
from ..routing import get_container, route

bp = Blueprint(__name__)


@route(bp, "/espaces/{espace_id}/exports", "POST", auth="holder", body=ExportRequest, response=ExportCreated,
       status=202, errors=(400, 401, 404, 429))
def request_export(claims: dict, espace_id: str, body: ExportRequest) -> ExportCreated:
    """Ask for one archive (JSON + document files) of all the espace's data; built asynchronously."""
    c = get_container()
    return ExportCreated.from_domain(exports.request_export(c.export_deps(), claims, espace_id, c.clock()))


@route(bp, "/espaces/{espace_id}/exports/{export_id}", "GET", auth="holder", response=ExportOut,
       errors=(401, 404))
def get_export(claims: dict, espace_id: str, export_id: str) -> ExportOut:
    """pending, ready (with a short-lived download, as an attachment) or failed."""
    c = get_container()
    export, download = exports.export_status(c.export_deps(), claims, espace_id, export_id, c.clock())
    return ExportOut.from_domain(export, download)
