"""Request and response models of the closure route (BR-14)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field, StrictBool, StrictStr

from .common import Body, Out, body_config, iso_or_none

if TYPE_CHECKING:
    from mes.domain.espace import Espace


class ClosureRequest(Body):
    model_config = body_config({"password": "une phrase de passe assez longue", "delete_data": False})
    password: StrictStr = Field(min_length=1, max_length=128, description="le mot de passe du titulaire, saisi à nouveau")
    delete_data: StrictBool = Field(description="demande de suppression des données (sous 3 mois) ; sinon archivage 10 ans")


class ClosureResponse(Out):
    status: Literal["closed"]
    archived_until: str = Field(description="fin de l'archivage : clôture + 10 ans")
    deletion_due: str | None = Field(default=None, description="date prévue de la suppression, si demandée")

    @classmethod
    def from_domain(cls, espace: Espace) -> ClosureResponse:
        return cls(status="closed", archived_until=iso_or_none(espace.archived_until) or "",
                   deletion_due=iso_or_none(espace.deletion_due))
