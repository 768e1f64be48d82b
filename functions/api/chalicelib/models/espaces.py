"""Models of routes/espaces.py: the espace summary, and the reference to an espace other areas answer."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field

from mes.domain.children import representatives

from .common import Out, iso_or_none

if TYPE_CHECKING:
    from mes.domain.espace import Espace


class EspaceRef(Out):
    id: str
    status: str
    opposition_deadline: str | None = None

    @classmethod
    def from_domain(cls, espace: Espace, *, with_deadline: bool = False) -> EspaceRef:
        """Id and status; the opposition deadline only where the route shows it (enrolment session)."""
        deadline = iso_or_none(espace.opposition_deadline) if with_deadline else None
        return cls(id=espace.espace_id, status=str(espace.status), opposition_deadline=deadline)


class EspaceResponse(Out):
    espace: EspaceRef

    @classmethod
    def from_domain(cls, espace: Espace) -> EspaceResponse:
        return cls(espace=EspaceRef.from_domain(espace))


class Identity(Out):
    first_name: str
    last_name: str
    birth_date: str


class ChildRef(Out):
    id: str
    first_name: str = Field(description="the child's first name, as on file (the page names the espace with it)")


class EspaceSettings(Out):
    otp_channel: str


class RepresentativeRef(Out):
    id: str
    role: Literal["guardian", "representative"]


class EspaceSummary(Out):
    id: str
    status: str
    identity: Identity
    children: list[ChildRef]
    settings: EspaceSettings
    activated_at: str | None = None
    representatives: list[RepresentativeRef] = []  # BR-16: who manages this (child's) espace

    @classmethod
    def from_domain(cls, espace: Espace, children: list[Espace]) -> EspaceSummary:
        """Never the NIR: only what the holder's summary shows."""
        return cls(
            id=espace.espace_id, status=str(espace.status),
            identity=Identity(first_name=espace.first_name, last_name=espace.last_name,
                              birth_date=espace.birth_date.isoformat()),
            children=[ChildRef(id=c.espace_id, first_name=c.first_name) for c in children],
            settings=EspaceSettings(otp_channel=espace.otp_channel),
            activated_at=iso_or_none(espace.activated_at),
            representatives=[RepresentativeRef(id=i, role=role) for i, role in representatives(espace)],  # type: ignore[arg-type]
        )
