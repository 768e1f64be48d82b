"""Who may see what (BR-29 to BR-36): one policy used by every professional route. It checks
writes and filters what reads return; the rules are data (the access matrix files), not code.

Inputs are plain values read by the use case (the espace with the holder's settings, what the
store holds about this professional on this espace, the documents); nothing is cached in a token."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from importlib import resources
from typing import Any

from .documents import DocStatus, Document, deposited_by
from .errors import DomainError, Forbidden
from .espace import Espace, Status
from .professionals import ProIdentity

CURRENT_MATRIX = "2023-10-26"
EMERGENCY_TTL = timedelta(hours=24)  # BR-34 [design]
EMERGENCY_MODES = ("samu", "break_glass")
BASES = ("consent", "care_team", "occupational_consent")
READABLE_STATUSES = (Status.CREATED, Status.ACTIVE)  # BR-08: professionals feed and read created espaces too
DEPOSIT_STATUSES = (Status.CREATED, Status.ACTIVE)


class Blocked(DomainError):
    code = "blocked"
    detail = "Le patient a bloqué votre accès à son profil Mon espace santé."


class EmergencyRefused(DomainError):
    code = "emergency_refused"
    detail = "Le patient a refusé ce mode d'accès en urgence."


class NoAuthorisation(DomainError):
    code = "forbidden"
    detail = "Aucune autorisation d'accès enregistrée pour ce patient."


@cache
def matrix(version: str = CURRENT_MATRIX) -> dict[str, frozenset[str]]:
    """Profession code → readable document categories, from the versioned data file."""
    text = resources.files("mes.domain").joinpath("matrix", f"{version}.json").read_text(encoding="utf-8")
    data = json.loads(text)
    return {code: frozenset(categories) for code, categories in data["professions"].items()}


def readable_categories(ps: ProIdentity, version: str = CURRENT_MATRIX) -> frozenset[str]:
    return matrix(version).get(ps.profession, frozenset())


@dataclass
class Grants:
    """What the store holds about one professional on one espace (one Query)."""

    authorisation: str | None = None  # basis
    blocked: bool = False
    administrator: bool = False
    emergency_mode: str | None = None
    emergency_until: datetime | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def emergency_active(self, now: datetime) -> bool:
        return self.emergency_mode is not None and self.emergency_until is not None and now < self.emergency_until


@dataclass
class Decision:
    allowed: bool
    mode: str  # "authorisation" | "administrator" | "samu" | "break_glass" | "refused"
    reason: str | None = None
    include_masked: bool = False


def read_decision(ps: ProIdentity, espace: Espace, grants: Grants, now: datetime) -> Decision:
    """BR-31 blocking beats everything; then emergency (BR-34), administrator (BR-32), authorisation (BR-30);
    the occupational physician reads only with the express occupational consent (BR-33)."""
    if grants.blocked:
        return Decision(False, "refused", "blocked")
    if espace.status not in READABLE_STATUSES:
        return Decision(False, "refused", "espace_not_readable")
    if grants.emergency_active(now):
        return Decision(True, grants.emergency_mode or "emergency",
                        include_masked=espace.settings.emergency.get("masked_documents", True) or grants.administrator)
    if ps.occupational:
        if grants.authorisation == "occupational_consent":
            return Decision(True, "authorisation")
        return Decision(False, "refused", "no_authorisation")
    if grants.administrator:
        return Decision(True, "administrator", include_masked=True)
    if grants.authorisation in ("consent", "care_team"):
        return Decision(True, "authorisation")
    return Decision(False, "refused", "no_authorisation")


def require_read(decision: Decision) -> None:
    if decision.allowed:
        return
    if decision.reason == "blocked":
        raise Blocked()
    raise NoAuthorisation()


def visible_to_professional(ps: ProIdentity, document: Document, decision: Decision,
                            version: str = CURRENT_MATRIX, *, include_replaced: bool = False) -> bool:
    """BR-25/26/29: the author always sees their own deposits; otherwise the matrix, masking
    (administrator and allowed emergencies see masked ones), and only available documents.
    `include_replaced`: replaced documents too (BR-24), under the same rules — a read by id, or a
    search that asks for them (FHIR `status=superseded`); never in a default list."""
    if document.status == DocStatus.REPLACED and not include_replaced:
        return False
    if deposited_by(document, ps.rpps):  # rejected: to learn why (BR-23)
        return document.status in (DocStatus.AVAILABLE, DocStatus.PENDING, DocStatus.REJECTED, DocStatus.REPLACED)
    if not decision.allowed or document.status not in (DocStatus.AVAILABLE, DocStatus.REPLACED):
        return False
    if document.category not in readable_categories(ps, version):
        return False
    if document.masked and not decision.include_masked:
        return False
    return True


def filter_documents(ps: ProIdentity, documents: list[Document], decision: Decision,
                     version: str = CURRENT_MATRIX, *, include_replaced: bool = False) -> list[Document]:
    return [d for d in documents if visible_to_professional(ps, d, decision, version,
                                                            include_replaced=include_replaced)]


def may_deposit(espace: Espace, grants: Grants) -> None:
    """BR-30/33: depositing needs no read consent (occupational physicians too); a block refuses it."""
    if grants.blocked:
        raise Blocked()
    if espace.status not in DEPOSIT_STATUSES:
        raise Forbidden("Ce profil Mon espace santé ne peut pas recevoir de documents.")


def may_open_emergency(espace: Espace, grants: Grants, mode: str) -> None:
    """BR-34: each mode allowed unless the holder refused it; a block still applies."""
    if grants.blocked:
        raise Blocked()
    if not espace.settings.emergency.get(mode, True):
        raise EmergencyRefused()
