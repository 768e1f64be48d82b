"""Enrolment: provisional code → session → opposition or activation; code renewal (BR-06 to BR-10)."""

from __future__ import annotations

from chalice import Blueprint

from mes.services import enrolment

from ..models.enrolment import (
    AcceptedResponse,
    ActivationConfirmRequest,
    ActivationRequest,
    ChallengeResponse,
    CodeRenewalRequest,
    OppositionResponse,
    SessionRequest,
    SessionResponse,
)
from ..models.espaces import EspaceResponse
from ..routing import FileAnswer, get_container, route

bp = Blueprint(__name__)


@route(bp, "/enrolment/sessions", "POST", auth=None, body=SessionRequest, response=SessionResponse, status=201,
       errors=(400, 401, 409, 410, 429))
def create_session(body: SessionRequest) -> SessionResponse:
    """Open an enrolment session with NIR, birth date, carte Vitale serial and provisional code."""
    c = get_container()
    token, espace = enrolment.start_session(c.account_deps(), nir=body.nir, birth_date=body.birth_date,
                                            vitale_serial=body.vitale_serial, code=body.code, now=c.clock())
    return SessionResponse.from_domain(token, espace)


@route(bp, "/enrolment/opposition", "POST", auth="enrolment", response=OppositionResponse, errors=(401, 409))
def oppose(claims: dict) -> OppositionResponse:
    """Oppose the creation of the espace (BR-07)."""
    c = get_container()
    espace = enrolment.oppose(c.account_deps(), claims, now=c.clock())
    return OppositionResponse.from_domain(espace)


@route(bp, "/enrolment/opposition/receipt", "GET", auth="enrolment", produces="application/pdf",
       errors=(401, 406, 409))
def opposition_receipt(claims: dict) -> FileAnswer:
    """Download the opposition receipt as a PDF (BR-07); send `Accept: application/pdf`."""
    c = get_container()
    receipt = enrolment.opposition_receipt(c.account_deps(), claims)
    return FileAnswer(receipt.content, "application/pdf", receipt.filename)


@route(bp, "/enrolment/activation", "POST", auth="enrolment", body=ActivationRequest, response=ChallengeResponse,
       status=202, errors=(400, 401, 409, 429))
def start_activation(claims: dict, body: ActivationRequest) -> ChallengeResponse:
    """Choose identifier and password; one-time codes are sent to prove the contacts (BR-10)."""
    c = get_container()
    challenge = enrolment.start_activation(
        c.account_deps(), claims, email=body.email, mobile=body.mobile, otp_channel=body.otp_channel,
        login=body.login, password=body.password, accept_terms=body.accept_terms, now=c.clock())
    return ChallengeResponse.from_domain(challenge)


@route(bp, "/enrolment/activation/confirm", "POST", auth="enrolment", body=ActivationConfirmRequest,
       response=EspaceResponse, status=201, errors=(400, 401, 409, 429))
def confirm_activation(claims: dict, body: ActivationConfirmRequest) -> EspaceResponse:
    """Prove the contacts with the one-time codes: the espace becomes active."""
    c = get_container()
    espace = enrolment.confirm_activation(c.account_deps(), claims, challenge_id=body.challenge_id, otp=body.otp,
                                          sms_otp=body.sms_otp, now=c.clock())
    return EspaceResponse.from_domain(espace)


RENEWAL_ACCEPTED = ("Si ces informations correspondent à un profil Mon espace santé avec des coordonnées "
                    "enregistrées, un nouveau code vient d'être envoyé. Sinon, contactez votre caisse "
                    "d'assurance maladie au 3422.")


@route(bp, "/enrolment/codes", "POST", auth=None, body=CodeRenewalRequest, response=AcceptedResponse, status=202,
       errors=(400,))
def renew_code(body: CodeRenewalRequest) -> AcceptedResponse:
    """Ask for a new provisional code, sent to the contact on file (BR-09). Same answer for everybody."""
    c = get_container()
    enrolment.renew_code(c.account_deps(), nir=body.nir, birth_date=body.birth_date,
                         vitale_serial=body.vitale_serial, channel=body.channel, now=c.clock())
    return AcceptedResponse(status="accepted", detail=RENEWAL_ACCEPTED)
