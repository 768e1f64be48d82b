"""The holder's espace (holder token)."""

from __future__ import annotations

from chalice import Blueprint

from mes.bootstrap import get_container
from mes.domain.children import representatives
from mes.services import espaces

from ..models import ChildRef, EspaceSettings, EspaceSummary, Identity, RepresentativeRef
from ..routing import route

bp = Blueprint(__name__)


@route(bp, "/espaces/{espace_id}", "GET", auth="holder", response=EspaceSummary, errors=(401, 404))
def get_espace(claims: dict, espace_id: str) -> EspaceSummary:
    """Status, identity summary (never the NIR), children, settings. `me` is the caller's own espace."""
    c = get_container()
    espace, children = espaces.get_espace(c.espaces, claims, espace_id)
    return EspaceSummary(
        id=espace.espace_id, status=str(espace.status),
        identity=Identity(first_name=espace.first_name, last_name=espace.last_name,
                          birth_date=espace.birth_date.isoformat()),
        children=[ChildRef(id=i) for i in children],
        settings=EspaceSettings(otp_channel=espace.otp_channel),
        activated_at=espace.activated_at.strftime("%Y-%m-%dT%H:%M:%SZ") if espace.activated_at else None,
        representatives=[RepresentativeRef(id=i, role=role) for i, role in representatives(espace)],  # type: ignore[arg-type]
    )
