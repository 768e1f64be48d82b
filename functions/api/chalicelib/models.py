"""Request and response models (pydantic). Unknown fields are refused (400 validation_error);
openapi.json is generated from these."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictStr


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


class EspaceSummary(Out):
    id: str
    status: str
    identity: Identity
    children: list[ChildRef]
    settings: EspaceSettings
    activated_at: str | None = None


class Problem(Out):
    type: str
    title: str
    status: int
    detail: str
    code: str
    field: str | None = None
