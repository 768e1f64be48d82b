"""Models of routes/professionals.py: a professional's authorisations, deposits, emergency access and
notices (BR-28 to BR-34)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Literal

from pydantic import Field, StrictBool, StrictStr

from mes.domain.documents import PRO_MAX_BYTES, DocStatus

from .common import Body, Out, WholeNumber, body_config, iso
from .documents import DOCUMENT_EXAMPLE, DocumentListQuery, DocumentUploadRequest

_STATUS = "(?:" + "|".join(sorted(str(s) for s in DocStatus)) + ")"
STATUS_PATTERN = f"^{_STATUS}(?:,{_STATUS})*$"

if TYPE_CHECKING:
    from mes.ports import Page


class AuthorisationRequest(Body):
    model_config = body_config({"basis": "consent"})
    basis: Literal["consent", "care_team", "occupational_consent"]


class AuthorisationOut(Out):
    basis: str
    first: bool


class ProDocumentUploadRequest(DocumentUploadRequest):
    model_config = body_config({**DOCUMENT_EXAMPLE, "hidden_from_holder": False, "hidden_from_representatives": False})
    size: WholeNumber = Field(description="declared size in bytes (≤ 20 MB for professionals)",
                            json_schema_extra={"minimum": 1, "maximum": PRO_MAX_BYTES})
    hidden_from_holder: StrictBool = False
    hidden_from_representatives: StrictBool = False  # BR-17: a minor's document, not for their representatives
    replaces: StrictStr | None = Field(None, pattern=r"^[0-9a-f]{32}$",
                                       description="BR-24: the id of the author's own available document this "
                                                   "one replaces; it becomes `replaced` once this one is validated "
                                                   "(409 `not_replaceable` if it is not available or already "
                                                   "claimed, 403 if another professional wrote it)")


class ProDocumentListQuery(DocumentListQuery):
    status: str | None = Field(None, max_length=60, pattern=STATUS_PATTERN,
                               description="only these statuses, comma = OR (e.g. `available,replaced`); "
                                           "without it: the latest versions (replaced documents are listed only "
                                           "when asked, BR-24)")

    @property
    def statuses(self) -> frozenset[str] | None:
        return frozenset(self.status.split(",")) if self.status else None


class EmergencyRequest(Body):
    model_config = body_config({"mode": "samu", "reason": "Patient inconscient, appel du centre 15"})
    mode: Literal["samu", "break_glass"]
    reason: StrictStr = Field(max_length=1000, description="BR-34: 10 to 1,000 characters (10 at least once trimmed)",
                              json_schema_extra={"minLength": 10})


class EmergencyOut(Out):
    mode: str
    expires_at: str

    @classmethod
    def from_domain(cls, mode: str, until: datetime) -> EmergencyOut:
        return cls(mode=mode, expires_at=iso(until))


class NoticeActor(Out):
    rpps: str
    profession: str | None
    structure: str | None
    name: str | None


class NoticePatient(Out):
    first_name: str
    last_name: str
    birth_date: str


class Notice(Out):
    at: str
    kind: Literal["emergency_access"]
    mode: str | None
    until: str | None
    patient: NoticePatient
    by: NoticeActor


class Notices(Out):
    items: list[Notice]
    next_cursor: str | None

    @classmethod
    def from_domain(cls, page: Page) -> Notices:
        return cls(items=[Notice(**i) for i in page.items], next_cursor=page.next_key)
