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
from mes.domain.errors import ValidationError
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
    return _store(deps.profiles, rules.new_measurement(target, data, now))[0]


def _store(profiles: ProfileRepository, measurement: Measurement) -> tuple[Measurement, bool]:
    """The one write of a measurement (holder and professional): a conditional put on its
    (type, measured_at) identity; the same reading again is a retry (the stored one, False)."""
    stored, created = profiles.add_measurement(measurement)
    return (stored, True) if created else (rules.replay(stored, measurement), False)


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


def professional_measurements(deps: pro.ProDeps, profiles: ProfileRepository, ps: ProIdentity, ins: str,
                              readings: list[dict[str, Any]], req: pro.RequestRef) -> list[tuple[Measurement, bool]]:
    """PCH-01 (FHIR.md §2): a professional posts measurements for a patient. Posting is a deposit
    (BR-30: no read consent; a block refuses it; BR-20 keeps reading them holder-only). Every
    reading is validated by the holder's rules and checked against what is stored before the first
    write, so a refused transaction leaves nothing behind; a retry answers the stored ones (False)."""
    espace = pro.deposit_context(deps, ps, ins, req, "measurement")
    measurements = [_validated(espace.espace_id, data, req, i) for i, data in enumerate(readings)]
    _check_no_conflict(profiles, measurements)
    stored = [_store(profiles, m) for m in measurements]
    for measurement, created in stored:
        if created:
            log_access(deps, espace, ps, req, "measurement", "allowed", target=measurement.measurement_id)
    return stored


def _validated(espace_id: str, data: dict[str, Any], req: pro.RequestRef, index: int) -> Measurement:
    try:
        return rules.new_measurement(espace_id, data, req.at)
    except ValidationError as exc:
        raise ValidationError(exc.detail, field=f"measurement[{index}].{exc.field}") from None


def _check_no_conflict(profiles: ProfileRepository, measurements: list[Measurement]) -> None:
    """A reading already stored with another value (or twice in the request, differently) refuses
    the whole request before any write (one Query per reading)."""
    seen: dict[tuple[str, Any], Measurement] = {}
    for m in measurements:
        previous = seen.setdefault((m.type, m.measured_at), m)
        if previous is not m:
            rules.replay(previous, m)
        found = profiles.measurements(m.espace_id, type_=m.type, start=m.measured_at, end=m.measured_at, limit=1,
                                      cursor=None).items
        if found and found[0].measured_at == m.measured_at:
            rules.replay(found[0], m)
