"""Request and response models of the children and legal representatives routes (BR-16, BR-17)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field, StrictBool

from .common import BirthDate, Body, Nir, Out, ProvisionalCode, VitaleSerial, body_config

if TYPE_CHECKING:
    from mes.domain.espace import Espace


class ChildAttachRequest(Body):
    model_config = body_config({"nir": "216092A00405626", "birth_date": "2016-09-21", "vitale_serial": "20260000003",
                                "code": "aB3dE5gH7jK9"})
    nir: Nir = Field(description="the child's NIR, 15 characters (key included)")
    birth_date: BirthDate = Field(description="the child's birth date, YYYY-MM-DD")
    vitale_serial: VitaleSerial = Field(description="the serial of the carte Vitale the child is on")
    code: ProvisionalCode = Field(description="the child's provisional code, sent to the guardian")


class RepresentativeRequest(Body):
    model_config = body_config({"nir": "185057800608491", "birth_date": "1985-05-01"})
    nir: Nir = Field(description="the other legal representative's NIR")
    birth_date: BirthDate = Field(description="the other legal representative's birth date, YYYY-MM-DD")


class RepresentativeOut(Out):
    id: str
    first_name: str
    last_name: str


class RepresentativeCreated(Out):
    representative: RepresentativeOut

    @classmethod
    def from_domain(cls, person: Espace) -> RepresentativeCreated:
        """The invited representative: id and names only."""
        return cls(representative=RepresentativeOut(id=person.espace_id, first_name=person.first_name,
                                                     last_name=person.last_name))


class ProDocumentPatch(Body):
    model_config = body_config({"hidden_from_representatives": False})
    hidden_from_representatives: StrictBool = Field(
        description="BR-17: only `false` (make visible to the legal representatives again, irreversible)")
