"""Models of routes/access.py: the access log (BR-35, BR-36), professionals, blocks and the
administrator (BR-30 to BR-32)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from .common import Body, Out, Rpps, body_config

if TYPE_CHECKING:
    from mes.ports import Page


class LogEntry(Out):
    at: str
    rpps: str
    profession: str | None
    structure: str | None
    name: str | None
    action: str
    decision: str
    mode: str | None
    target: str | None
    channel: Literal["api", "fhir"] = "api"  # the FHIR facade's accesses say "fhir" (issue 12)


class AccessLog(Out):
    items: list[LogEntry]
    next_cursor: str | None

    @classmethod
    def from_domain(cls, page: Page) -> AccessLog:
        """A page of access-log entries as the services render them (dicts, never the NIR)."""
        return cls(items=[LogEntry(**i) for i in page.items], next_cursor=page.next_key)


class Professional(Out):
    rpps: str
    authorisation: str | None
    blocked: bool
    administrator: bool
    profession: str | None = None
    structure: str | None = None
    name: str | None = None
    authorised_at: str | None = None


class Professionals(Out):
    items: list[Professional]
    administrator: str | None

    @classmethod
    def from_domain(cls, items: list[dict[str, Any]]) -> Professionals:
        """The professionals of an espace; the administrator is the one flagged so, if any."""
        admin = next((i["rpps"] for i in items if i["administrator"]), None)
        return cls(items=[Professional(**i) for i in items], administrator=admin)


class AdministratorRequest(Body):
    model_config = body_config({"rpps": "10003456789"})
    rpps: Rpps
