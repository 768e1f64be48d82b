"""Closing one's espace (BR-14): password re-entered, every session revoked at once."""

from __future__ import annotations

from chalice import Blueprint

from mes.services import closure

from ..models.closure import ClosureRequest, ClosureResponse
from ..routing import get_container, route

bp = Blueprint(__name__)


@route(bp, "/espaces/{espace_id}/closure", "POST", auth="holder", body=ClosureRequest, response=ClosureResponse,
       errors=(400, 401, 404, 409, 429))
def close_espace(claims: dict, espace_id: str, body: ClosureRequest) -> ClosureResponse:
    """Close the espace: archived 10 years, or deleted within 3 months on request; all sessions end."""
    c = get_container()
    espace = closure.close_espace(c.closure_deps(api=True), claims, espace_id, password=body.password,
                                  delete_data=body.delete_data, now=c.clock())
    return ClosureResponse.from_domain(espace)
