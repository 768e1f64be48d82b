"""The medical profile and measurements (BR-19) for the holder, and the sections a professional
may see (BR-20) through the same access policy and access log as the documents."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from mes.domain.professionals import ProIdentity
from mes.services import profile
from mes.services.professionals import RequestRef

from ..models.profile import (
    MeasurementIn,
    MeasurementList,
    MeasurementListQuery,
    MeasurementOut,
    ProfileOut,
    ProfileSectionBody,
    ProProfileOut,
)
from ..routing import get_container, route

bp = Blueprint(__name__)


@route(bp, "/espaces/{espace_id}/profile", "GET", auth="holder", response=ProfileOut, errors=(401, 404))
def get_profile(claims: dict, espace_id: str) -> dict[str, Any]:
    """Every section of the medical profile (null when never filled)."""
    # Sections are stored as validated and normalised (no nulls inside): answered as stored.
    return profile.get_profile(get_container().profile_deps(), claims, espace_id)


@route(bp, "/espaces/{espace_id}/profile/{section}", "PUT", auth="holder", body=ProfileSectionBody,
       errors=(400, 401, 404))
def put_section(claims: dict, espace_id: str, section: str, body: ProfileSectionBody) -> dict[str, Any]:
    """Replace one section (unknown section: 404); answers the section as stored."""
    c = get_container()
    return profile.put_section(c.profile_deps(), claims, espace_id, section, body.root, c.clock())


@route(bp, "/espaces/{espace_id}/measurements", "POST", auth="holder", body=MeasurementIn,
       response=MeasurementOut, status=201, errors=(400, 401, 404, 409))
def add_measurement(claims: dict, espace_id: str, body: MeasurementIn) -> MeasurementOut:
    """Append a measurement; the same (type, measured_at) again answers the stored one, never a duplicate."""
    c = get_container()
    measurement = profile.add_measurement(c.profile_deps(), claims, espace_id, body.model_dump(), c.clock())
    return MeasurementOut.from_domain(measurement)


@route(bp, "/espaces/{espace_id}/measurements", "GET", auth="holder", query=MeasurementListQuery,
       response=MeasurementList, errors=(400, 401, 404))
def list_measurements(claims: dict, espace_id: str, query: Any) -> MeasurementList:
    """Newest first, by type (optional) and period (`from`, `to`: dates or ISO times). One Query per page."""
    page = profile.list_measurements(get_container().profile_deps(), claims, espace_id, type_=query.type,
                                     start=getattr(query, "from"), end=query.to, limit=query.limit,
                                     cursor=query.cursor)
    return MeasurementList.from_domain(page)


@route(bp, "/pro/patients/{ins}/profile", "GET", auth="pro", response=ProProfileOut, errors=(401, 403, 404))
def pro_profile(ps: ProIdentity, req: RequestRef, ins: str) -> dict[str, Any]:
    """BR-20: vaccinations, advance directives, trusted person, emergency contacts; nothing else."""
    c = get_container()
    return profile.professional_profile(c.pro_deps(), c.profiles, ps, ins, req)
