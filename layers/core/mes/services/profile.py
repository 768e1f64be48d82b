"""Medical profile and measurements use cases (BR-19, BR-20).

The holder reads and replaces the sections and appends measurements of their own espace or of a
child's they manage (`resolve_id`: anything else is 'not found'). A professional reads only the
BR-20 sections, through the same access policy and access log as the document reads."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from mes.domain import access as policy
from mes.domain import measurements as rules
from mes.domain import profile as sections
from mes.domain.measurements import Measurement
from mes.domain.professionals import ProIdentity
from mes.ports import EspaceRepository, Page, ProfileRepository
from mes.services.paging import page_limit

from . import professionals as pro
from .access_log import log_access, notify_access
from .espaces import resolve_id


@dataclass
class ProfileDeps:
    espaces: EspaceRepository
    profiles: ProfileRepository


# --- holder ------------------------------------------------------------------------------------
def get_profile(deps: ProfileDeps, claims: dict, espace_id: str) -> dict[str, dict[str, Any] | None]:
    """Every section (None when never filled): one Query."""
    target = resolve_id(deps.espaces, claims, espace_id)
    stored = deps.profiles.sections(target)
    return {name: stored.get(name) for name in sections.SECTIONS}


def put_section(deps: ProfileDeps, claims: dict, espace_id: str, section: str, data: Any,
                now: datetime) -> dict[str, Any]:
    """Replace one section (BR-19). Unknown section → 404 (the path names no resource)."""
    sections.section_model(section)
    target = resolve_id(deps.espaces, claims, espace_id)
    stored = sections.validate_section(section, data, sections.today_of(now))
    deps.profiles.put_section(target, section, stored, now)
    return stored


def add_measurement(deps: ProfileDeps, claims: dict, espace_id: str, data: dict[str, Any],
                    now: datetime) -> Measurement:
    """Append one measurement; a retry of the same one answers the stored one (no duplicate)."""
    target = resolve_id(deps.espaces, claims, espace_id)
    measurement = rules.new_measurement(target, data, now)
    stored, created = deps.profiles.add_measurement(measurement)
    return stored if created else rules.replay(stored, measurement)


def list_measurements(deps: ProfileDeps, claims: dict, espace_id: str, *, type_: str | None, start: str | None,
                      end: str | None, limit: int | None, cursor: str | None) -> Page:
    """Newest first, by type and period: one Query per page."""
    target = resolve_id(deps.espaces, claims, espace_id)
    if type_ is not None:
        rules.check_type(type_)
    lo, hi = rules.period(start, end)
    return deps.profiles.measurements(target, type_=type_, start=lo, end=hi, limit=page_limit(limit), cursor=cursor)



# --- professionals (BR-20) ----------------------------------------------------------------------
def professional_profile(deps: pro.ProDeps, profiles: ProfileRepository, ps: ProIdentity, ins: str,
                         req: pro.RequestRef) -> dict[str, dict[str, Any] | None]:
    """Exactly the BR-20 sections, after the same decision as a document list (authorisation,
    block, emergency, occupational physician; refusals logged), then one access-log record.
    A section mirroring a document category (vaccinations: CAR_VAC, advance directives: DIR_ANT)
    is None for a profession the matrix does not let read that category (BR-29)."""
    espace, decision = pro.read_context(deps, ps, ins, req, "profile")
    visible = sections.professional_sections(policy.readable_categories(ps))
    stored = profiles.some_sections(espace.espace_id, [name for name, shown in visible.items() if shown])
    if log_access(deps, espace, ps, req, "profile", "allowed", decision.mode):
        notify_access(deps, espace, req.at)
    return {name: stored.get(name) if shown else None for name, shown in visible.items()}
