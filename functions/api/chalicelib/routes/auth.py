"""Login: identifier + password, then a one-time code at every login (BR-11); logout."""

from __future__ import annotations

from chalice import Blueprint

from mes.services import auth

from ..models.auth import (
    LoginRequest,
    LoginResponse,
    OtpRequest,
    OtpResendRequest,
    OtpResendResponse,
    TokenResponse,
)
from ..routing import get_container, route

bp = Blueprint(__name__)


@route(bp, "/auth/login", "POST", auth=None, body=LoginRequest, response=LoginResponse, status=202,
       errors=(400, 401, 429))
def login(body: LoginRequest) -> LoginResponse:
    """Check identifier and password; a one-time code is sent on the holder's channel."""
    c = get_container()
    challenge = auth.login(c.account_deps(), login=body.login, password=body.password, now=c.clock())
    return LoginResponse.from_domain(challenge)


@route(bp, "/auth/otp/resend", "POST", auth=None, body=OtpResendRequest, response=OtpResendResponse, status=202,
       errors=(400, 401, 429))
def resend_otp(body: OtpResendRequest) -> OtpResendResponse:
    """A new one-time code for the login challenge, after a short wait, on the same or the other channel."""
    c = get_container()
    challenge = auth.resend_otp(c.account_deps(), challenge_id=body.challenge_id, channel=body.channel, now=c.clock())
    return OtpResendResponse.from_domain(challenge)


@route(bp, "/auth/otp", "POST", auth=None, body=OtpRequest, response=TokenResponse, errors=(400, 401, 429))
def verify_otp(body: OtpRequest) -> TokenResponse:
    """Exchange the one-time code for a holder token."""
    c = get_container()
    token, ttl = auth.verify_otp(c.account_deps(), challenge_id=body.challenge_id, otp=body.otp, now=c.clock())
    return TokenResponse(access_token=token, token_type="Bearer", expires_in=ttl)


@route(bp, "/auth/logout", "POST", auth="holder", status=204, errors=(401,))
def logout(claims: dict) -> None:
    """Revoke the token."""
    auth.logout(get_container().account_deps(), claims)
