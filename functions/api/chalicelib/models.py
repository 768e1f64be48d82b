"""Request and response models (pydantic). Unknown fields are refused (400 validation_error);
openapi.json is generated from these."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictBool, StrictStr

from mes.domain.documents import ALLOWED_CONTENT_TYPES, CATEGORIES, HOLDER_MAX_BYTES, PRO_MAX_BYTES


def body_config(example: dict[str, Any]) -> ConfigDict:
    """Unknown fields refused; one valid example, shown in openapi.json (and checked by a test)."""
    return ConfigDict(extra="forbid", json_schema_extra={"examples": [example]})


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _whole(value: Any) -> Any:
    """JSON Schema's `integer` includes 355.0: a float without a fraction counts as that integer."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


WholeNumber = Annotated[int, BeforeValidator(_whole), Field(strict=True)]

# --- constrained strings: the models enforce what openapi.json declares (issue 9) ------------------
# BR-01: 15 characters, sex 1/2, month 01-12, 20-42 or 50-99, department digits or 2A/2B; the key
# (97 - number mod 97) is checked by the domain (400 `validation_error`, field `nir`).
NIR_PATTERN = r"^[12][0-9]{2}(?:0[1-9]|1[0-2]|[23][0-9]|4[0-2]|[5-9][0-9])(?:[0-9]{2}|2[AB])[0-9]{8}$"
Nir = Annotated[StrictStr, Field(pattern=NIR_PATTERN, min_length=15, max_length=15,
                                 description="NIR, 15 caractères clé incluse (département 2A/2B en Corse)",
                                 examples=["288052A00412353"])]
BirthDate = Annotated[StrictStr, Field(pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$", max_length=10,
                                       json_schema_extra={"format": "date"}, examples=["1988-05-14"])]
# BR-03: 8 to 13 digits (card without photo), or the serial of a photo card (its last 11 digits count);
# spaces between digits are allowed.
VitaleSerial = Annotated[StrictStr, Field(pattern=r"^ *(?:[0-9] *){8,22}$", max_length=40,
                                          examples=["20260000001"])]
ProvisionalCode = Annotated[StrictStr, Field(pattern=r"^[0-9A-Za-z]{12}$", min_length=12, max_length=12,
                                             description="code provisoire, 12 caractères [0-9A-Za-z] (BR-06)",
                                             examples=["aB3dE5gH7jK9"])]
Otp = Annotated[StrictStr, Field(pattern=r"^[0-9]{6}$", min_length=6, max_length=6,
                                 description="code à usage unique, 6 chiffres (BR-11)", examples=["123456"])]
ChallengeId = Annotated[StrictStr, Field(min_length=1, max_length=64, examples=["Zk3q9xY1AbCdEfGhIjKlMnOp"])]
Rpps = Annotated[StrictStr, Field(pattern=r"^[0-9]{11}$", min_length=11, max_length=11,
                                  description="numéro RPPS, 11 chiffres", examples=["10003456789"])]
Login = Annotated[StrictStr, Field(min_length=1, max_length=100, examples=["demo.camille"])]
Password = Annotated[StrictStr, Field(min_length=1, max_length=128, examples=["camille-demo-2026"])]
DocumentId = Annotated[StrictStr, Field(min_length=1, max_length=64, examples=["0f8e4c2a9b7d4e1f8a6b5c4d3e2f1a0b"])]


class SessionRequest(Body):
    model_config = body_config({"nir": "288052A00412353", "birth_date": "1988-05-14",
                                "vitale_serial": "20260000001", "code": "aB3dE5gH7jK9"})
    nir: Nir
    birth_date: BirthDate
    vitale_serial: VitaleSerial
    code: ProvisionalCode


class ActivationRequest(Body):
    model_config = body_config({"email": "camille@example.org", "mobile": "0612345678", "otp_channel": "email",
                                "login": "camille.santoni", "password": "une phrase de passe assez longue",
                                "accept_terms": True})
    email: StrictStr = Field(pattern=r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$", max_length=254,
                             description="the pattern is the rule (not JSON Schema's stricter `format: email`)")
    mobile: StrictStr | None = Field(None, pattern=r"^(?:0[67](?:[ .-]?[0-9]){8}|\+[1-9](?:[ .-]?[0-9]){7,14})$",
                                     max_length=32, description="06/07 suivi de 8 chiffres, ou E.164 (espaces, points "
                                                                "ou tirets permis entre les chiffres)")
    otp_channel: Literal["email", "sms"] = "email"
    login: StrictStr = Field(pattern=r"^[a-z0-9_.-]{8,100}$", min_length=8, max_length=100,
                             description="BR-10: 8 à 100 caractères [a-z0-9_.-], ni e-mail, ni NIR, ni IBAN")
    password: StrictStr = Field(min_length=12, max_length=128,
                                description="BR-13: 12 à 128 caractères, au moins 4 différents, sans l'identifiant")
    accept_terms: StrictBool = Field(description="must be true (checked by the use case, with its French detail)",
                                     json_schema_extra={"const": True})


class ActivationConfirmRequest(Body):
    model_config = body_config({"challenge_id": "Zk3q9xY1AbCdEfGhIjKlMnOp", "otp": "123456"})
    challenge_id: ChallengeId
    otp: Otp
    sms_otp: Otp | None = None


class CodeRenewalRequest(Body):
    model_config = body_config({"nir": "288052A00412353", "birth_date": "1988-05-14",
                                "vitale_serial": "20260000001", "channel": "email"})
    nir: Nir
    birth_date: BirthDate
    vitale_serial: VitaleSerial
    channel: Literal["email", "sms"]


class LoginRequest(Body):
    model_config = body_config({"login": "demo.camille", "password": "camille-demo-2026"})
    login: Login
    password: Password


class OtpRequest(Body):
    model_config = body_config({"challenge_id": "Zk3q9xY1AbCdEfGhIjKlMnOp", "otp": "123456"})
    challenge_id: ChallengeId
    otp: Otp


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


Cursor = Annotated[str, Field(max_length=2048, description="`next_cursor` of the previous page")]
# 1 to 100, checked by services.paging (400 `validation_error`, field `limit`, with its French detail)
Limit = Annotated[int, Field(description="page size, 50 by default", json_schema_extra={"minimum": 1, "maximum": 100})]


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
    model_config = body_config({"emergency": {"break_glass": False}, "documents_masked_by_default": True,
                                "otp_channel": "email", "notifications": {"documents": True}})
    emergency: EmergencyPatch | None = None
    documents_masked_by_default: StrictBool | None = None
    otp_channel: Literal["email", "sms"] | None = None
    notifications: NotificationPatch | None = None


# --- professionals and consent (issue #4) -------------------------------------------------------------
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


class EmergencyRequest(Body):
    model_config = body_config({"mode": "samu", "reason": "Patient inconscient, appel du centre 15"})
    mode: Literal["samu", "break_glass"]
    reason: StrictStr = Field(max_length=1000, description="BR-34: 10 to 1,000 characters (10 at least once trimmed)",
                              json_schema_extra={"minLength": 10})


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
    cursor: Cursor | None = None
    limit: Limit | None = None


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
    model_config = body_config({"rpps": "10003456789"})
    rpps: Rpps


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
