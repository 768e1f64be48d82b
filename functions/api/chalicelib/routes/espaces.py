"""The holder's espace (holder token)."""

from __future__ import annotations

from chalice import Blueprint

from mes.services import espaces

from ..models.espaces import EspaceSummary
from ..routing import get_container, route

bp = Blueprint(__name__)


@route(bp, "/espaces/{espace_id}", "GET", auth="holder", response=EspaceSummary, errors=(401, 404))
def get_espace(claims: dict, espace_id: str) -> EspaceSummary:
    """Status, identity summary (never the NIR), children, settings. `me` is the caller's own espace."""
    espace, children = espaces.get_summary(get_container().espaces, claims, espace_id)
    return EspaceSummary.from_domain(espace, children)
