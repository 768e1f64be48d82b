"""Models of routes/enrolment.py: enrolment session, opposition, activation, code renewal (BR-06 to BR-10)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field, StrictBool, StrictStr

from .common import (
    BirthDate,
    Body,
    ChallengeId,
    Nir,
    Otp,
    Out,
    ProvisionalCode,
    VitaleSerial,
    body_config,
    iso,
)
from .espaces import EspaceRef

if TYPE_CHECKING:
    from mes.domain.espace import Espace
    from mes.ports import Challenge


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


class SessionResponse(Out):
    enrolment_token: str
    espace: EspaceRef

    @classmethod
    def from_domain(cls, token: str, espace: Espace) -> SessionResponse:
        """The enrolment token and the espace with its opposition deadline (BR-07)."""
        return cls(enrolment_token=token, espace=EspaceRef.from_domain(espace, with_deadline=True))


class Receipt(Out):
    id: str
    at: str


class OppositionResponse(Out):
    status: Literal["opposed"]
    receipt: Receipt

    @classmethod
    def from_domain(cls, espace: Espace) -> OppositionResponse:
        """BR-07: the receipt of an opposition (its id and time)."""
        assert espace.opposed_at is not None and espace.receipt_id is not None
        return cls(status="opposed", receipt=Receipt(id=espace.receipt_id, at=iso(espace.opposed_at)))


class ChallengeResponse(Out):
    challenge_id: str
    channels: list[str]

    @classmethod
    def from_domain(cls, challenge: Challenge) -> ChallengeResponse:
        """The channels a one-time code went to, never the codes."""
        return cls(challenge_id=challenge.challenge_id, channels=sorted(challenge.otp_hashes))


class AcceptedResponse(Out):
    status: Literal["accepted"]
    detail: str
