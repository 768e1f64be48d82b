"""Models of routes/documents.py: the holder's documents (BR-22 to BR-27) and settings."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal, Self

from pydantic import Field, StrictBool, StrictStr

from mes.domain.documents import (
    ALLOWED_CONTENT_TYPES,
    CATEGORIES,
    HOLDER_MAX_BYTES,
    DocStatus,
    rejection_reason,
)
from mes.services.auth import otp_channels

from .common import Body, Cursor, Download, Limit, Out, WholeNumber, body_config, iso

if TYPE_CHECKING:
    from mes.domain.documents import Document
    from mes.domain.espace import Espace
    from mes.ports import Page


DOCUMENT_EXAMPLE = {"title": "Compte rendu de consultation", "category": "CPT_REND", "filename": "compte-rendu.pdf",
                    "content_type": "application/pdf", "size": 48213}


class DocumentUploadRequest(Body):
    model_config = body_config(DOCUMENT_EXAMPLE)
    # The lists and bounds are the domain's (mes.domain.documents), which refuses the rest with its
    # French detail; the schema states them so that a generator builds valid uploads.
    title: StrictStr = Field(min_length=1, max_length=200, json_schema_extra={"pattern": r"\S"},
                             description="not blank, 200 characters at most")
    category: StrictStr = Field(max_length=16, json_schema_extra={"enum": list(CATEGORIES)},
                                description="BR-22: SYNTHESE, ORD_SOIN, RADIO_SC, BIOLOGIE, CPT_REND, DEPISTAG, "
                                            "CERT_MED, AUTR_DOC, DOC_ADM, DIR_ANT, CAR_VAC, VDP, REMB")
    filename: StrictStr = Field(min_length=1, max_length=255, json_schema_extra={"pattern": r"^[^/\\]*[^/\\\s][^/\\]*$"},
                                description="no / nor \\, not blank")
    content_type: StrictStr = Field(max_length=100, json_schema_extra={"enum": sorted(set(ALLOWED_CONTENT_TYPES))},
                                    description="PDF, text, RTF, JPEG, PNG or TIFF (checked again on the bytes)")
    size: WholeNumber = Field(description="declared size in bytes (≤ 5,000,000 for holders)",
                            json_schema_extra={"minimum": 1, "maximum": HOLDER_MAX_BYTES})


class DocumentPatch(Body):
    model_config = body_config({"masked": True})
    masked: StrictBool


class DocumentListQuery(Body):
    category: Annotated[str, Field(max_length=16)] | None = None
    cursor: Cursor | None = None
    limit: Limit | None = None


class DocumentOut(Out):
    id: str
    title: str
    category: str
    filename: str
    content_type: str
    size: int
    status: str
    masked: bool
    author_type: str
    author_name: str | None = Field(None, description="a professional's deposit: its name as its Pro Santé Connect "
                                                     "token gave it (issue 11)")
    author_profession: str | None = Field(None, description="a professional's deposit: its profession code "
                                                           "(RPPS, e.g. 10 médecin)")
    created_at: str
    reject_reason: str | None = Field(None, description="when `status` is `rejected`: too_large, empty, "
                                                        "unknown_type, type_mismatch, malware, unscannable, "
                                                        "missing_object")
    rejection_reason: str | None = Field(None, description="when `status` is `rejected`: the reason in French, "
                                                           "for the uploader (the only one who sees it)")
    hidden_from_representatives: bool = False  # BR-17
    replaces: str | None = Field(None, description="BR-24: the id of the document this one replaces")
    replaced_by: str | None = Field(None, description="when `status` is `replaced`: the id of its replacement")

    @classmethod
    def from_domain(cls, d: Document, **extra: Any) -> Self:
        """The document's metadata as every reader sees it; subclasses add their fields (`download`)."""
        return cls(id=d.document_id, title=d.title, category=d.category, filename=d.filename,
                   content_type=d.content_type, size=d.size, status=str(d.status), masked=d.masked,
                   author_type=str(d.author_type), author_name=d.author_name,
                   author_profession=d.author_profession, created_at=iso(d.created_at), reject_reason=d.reject_reason,
                   rejection_reason=rejection_reason(d), hidden_from_representatives=d.hidden_from_representatives,
                   replaces=d.replaces, replaced_by=d.replaced_by if d.status == DocStatus.REPLACED else None,
                   **extra)


class Upload(Out):
    method: str
    url: str
    fields: dict[str, str] | None = None
    headers: dict[str, str] | None = None
    expires_in: int


class DocumentCreated(Out):
    document: DocumentOut
    upload: Upload

    @classmethod
    def from_domain(cls, document: Document, upload: dict[str, Any]) -> DocumentCreated:
        return cls(document=DocumentOut.from_domain(document), upload=Upload(**upload))


class DocumentDetail(DocumentOut):
    download: Download | None = None


class DocumentList(Out):
    items: list[DocumentOut]
    next_cursor: str | None

    @classmethod
    def from_domain(cls, page: Page) -> DocumentList:
        return cls(items=[DocumentOut.from_domain(d) for d in page.items], next_cursor=page.next_key)


class EmergencySettings(Out):
    samu: bool
    break_glass: bool
    masked_documents: bool


class NotificationSettings(Out):
    documents: bool
    messages: bool
    accesses: bool


class SettingsOut(Out):
    emergency: EmergencySettings
    documents_masked_by_default: bool
    otp_channel: str
    otp_channels: list[Literal["email", "sms"]] = Field(
        description="the channels a login code may go to: SMS only with a proven mobile (BR-10, BR-11)")
    notifications: NotificationSettings

    @classmethod
    def from_domain(cls, espace: Espace) -> SettingsOut:
        s = espace.settings
        return cls(emergency=s.emergency, documents_masked_by_default=s.documents_masked_by_default,  # type: ignore[arg-type]
                   otp_channel=espace.otp_channel, otp_channels=otp_channels(espace),  # type: ignore[arg-type]
                   notifications=s.notifications)  # type: ignore[arg-type]


class EmergencyPatch(Body):
    samu: StrictBool | None = None
    break_glass: StrictBool | None = None
    masked_documents: StrictBool | None = None


class NotificationPatch(Body):
    documents: StrictBool | None = None
    messages: StrictBool | None = None
    accesses: StrictBool | None = None


class SettingsPatch(Body):
    model_config = body_config({"emergency": {"break_glass": False}, "documents_masked_by_default": True,
                                "otp_channel": "email", "notifications": {"documents": True}})
    emergency: EmergencyPatch | None = None
    documents_masked_by_default: StrictBool | None = None
    otp_channel: Literal["email", "sms"] | None = None
    notifications: NotificationPatch | None = None
