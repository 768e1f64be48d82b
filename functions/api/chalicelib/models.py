"""Request and response models (pydantic). Unknown fields are refused (400 validation_error);
openapi.json is generated from these."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SessionRequest(Body):
    nir: StrictStr = Field(description="NIR, 15 caractères (clé incluse)")
    birth_date: StrictStr = Field(description="YYYY-MM-DD")
    vitale_serial: StrictStr
    code: StrictStr = Field(description="code provisoire, 12 caractères")


class ActivationRequest(Body):
    email: StrictStr
    mobile: StrictStr | None = None
    otp_channel: Literal["email", "sms"] = "email"
    login: StrictStr
    password: StrictStr
    accept_terms: StrictBool


class ActivationConfirmRequest(Body):
    challenge_id: StrictStr
    otp: StrictStr
    sms_otp: StrictStr | None = None


class CodeRenewalRequest(Body):
    nir: StrictStr
    birth_date: StrictStr
    vitale_serial: StrictStr
    channel: Literal["email", "sms"]


class LoginRequest(Body):
    login: StrictStr
    password: StrictStr


class OtpRequest(Body):
    challenge_id: StrictStr
    otp: StrictStr


class Out(BaseModel):
    pass


class EspaceRef(Out):
    id: str
    status: str
    opposition_deadline: str | None = None


class SessionResponse(Out):
    enrolment_token: str
    espace: EspaceRef


class Receipt(Out):
    id: str
    at: str


class OppositionResponse(Out):
    status: Literal["opposed"]
    receipt: Receipt


class ChallengeResponse(Out):
    challenge_id: str
    channels: list[str]


class EspaceResponse(Out):
    espace: EspaceRef


class AcceptedResponse(Out):
    status: Literal["accepted"]
    detail: str


class LoginResponse(Out):
    challenge_id: str
    channel: str
    expires_in: int


class TokenResponse(Out):
    access_token: str
    token_type: Literal["Bearer"]
    expires_in: int


class Identity(Out):
    first_name: str
    last_name: str
    birth_date: str


class ChildRef(Out):
    id: str


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


class Problem(Out):
    type: str
    title: str
    status: int
    detail: str
    code: str
    field: str | None = None


# --- documents (issue #3) ------------------------------------------------------------------------
class DocumentUploadRequest(Body):
    title: StrictStr
    category: StrictStr = Field(description="BR-22: SYNTHESE, ORD_SOIN, RADIO_SC, BIOLOGIE, CPT_REND, DEPISTAG, "
                                            "CERT_MED, AUTR_DOC, DOC_ADM, DIR_ANT, CAR_VAC, VDP, REMB")
    filename: StrictStr
    content_type: StrictStr
    size: StrictInt = Field(description="declared size in bytes (≤ 5,000,000 for holders)")


class DocumentPatch(Body):
    masked: StrictBool


class DocumentListQuery(Body):
    category: str | None = None
    cursor: str | None = None
    limit: int | None = None


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
    created_at: str
    reject_reason: str | None = Field(None, description="when `status` is `rejected`: too_large, empty, "
                                                        "unknown_type, type_mismatch, malware, unscannable, "
                                                        "missing_object")
    rejection_reason: str | None = Field(None, description="when `status` is `rejected`: the reason in French, "
                                                           "for the uploader (the only one who sees it)")
    hidden_from_representatives: bool = False  # BR-17


class Upload(Out):
    method: str
    url: str
    fields: dict[str, str] | None = None
    headers: dict[str, str] | None = None
    expires_in: int


class Download(Out):
    url: str
    expires_in: int


class DocumentCreated(Out):
    document: DocumentOut
    upload: Upload


class DocumentDetail(DocumentOut):
    download: Download | None = None


class DocumentList(Out):
    items: list[DocumentOut]
    next_cursor: str | None


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
    notifications: NotificationSettings


class EmergencyPatch(Body):
    samu: StrictBool | None = None
    break_glass: StrictBool | None = None
    masked_documents: StrictBool | None = None


class NotificationPatch(Body):
    documents: StrictBool | None = None
    messages: StrictBool | None = None
    accesses: StrictBool | None = None


class SettingsPatch(Body):
    emergency: EmergencyPatch | None = None
    documents_masked_by_default: StrictBool | None = None
    otp_channel: Literal["email", "sms"] | None = None
    notifications: NotificationPatch | None = None


# --- professionals and consent (issue #4) -------------------------------------------------------------
class AuthorisationRequest(Body):
    basis: Literal["consent", "care_team", "occupational_consent"]


class AuthorisationOut(Out):
    basis: str
    first: bool


class ProDocumentUploadRequest(DocumentUploadRequest):
    hidden_from_holder: StrictBool = False
    hidden_from_representatives: StrictBool = False  # BR-17: a minor's document, not for their representatives


class EmergencyRequest(Body):
    mode: Literal["samu", "break_glass"]
    reason: StrictStr


class EmergencyOut(Out):
    mode: str
    expires_at: str


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


class AccessLog(Out):
    items: list[LogEntry]
    next_cursor: str | None


class ListQuery(Body):
    cursor: str | None = None
    limit: int | None = None


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


class AdministratorRequest(Body):
    rpps: StrictStr


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
