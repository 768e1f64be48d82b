"""Request and response models of the children and legal representatives routes (BR-16, BR-17)."""

from __future__ import annotations

from pydantic import Field, StrictBool, StrictStr

from .models import Body, Out


class ChildAttachRequest(Body):
    nir: StrictStr = Field(description="the child's NIR, 15 characters (key included)")
    birth_date: StrictStr = Field(description="the child's birth date, YYYY-MM-DD")
    vitale_serial: StrictStr = Field(description="the serial of the carte Vitale the child is on")
    code: StrictStr = Field(description="the child's provisional code, sent to the guardian")


class RepresentativeRequest(Body):
    nir: StrictStr = Field(description="the other legal representative's NIR")
    birth_date: StrictStr = Field(description="the other legal representative's birth date, YYYY-MM-DD")


class RepresentativeOut(Out):
    id: str
    first_name: str
    last_name: str


class RepresentativeCreated(Out):
    representative: RepresentativeOut


class ProDocumentPatch(Body):
    hidden_from_representatives: StrictBool = Field(
        description="BR-17: only `false` (make visible to the legal representatives again, irreversible)")
