"""Login: identifier + password, then a one-time code at every login (BR-11); the web session
renewed through an HttpOnly cookie (WEB.md "Session"); logout."""

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
from ..routing import WithSession, get_container, route

bp = Blueprint(__name__)


@route(bp, "/auth/login", "POST", auth=None, body=LoginRequest, response=LoginResponse, status=202,
       errors=(400, 401, 403, 429))
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


@route(bp, "/auth/otp", "POST", auth=None, body=OtpRequest, response=TokenResponse, errors=(400, 401, 429),
       session="issue")
def verify_otp(body: OtpRequest) -> WithSession:
    """Exchange the one-time code for a holder token and a session cookie."""
    c = get_container()
    issued = auth.login_with_otp(c.account_deps(), challenge_id=body.challenge_id, otp=body.otp, now=c.clock())
    return WithSession(TokenResponse.from_domain(issued), issued.session_id)


@route(bp, "/auth/refresh", "POST", auth=None, response=TokenResponse, errors=(401,), session="renew")
def refresh(session_id: str) -> WithSession:
    """Renew the holder token with the session cookie, within 30 minutes of the last activity."""
    c = get_container()
    issued = auth.refresh(c.account_deps(), session_id=session_id, now=c.clock())
    return WithSession(TokenResponse.from_domain(issued), issued.session_id)


@route(bp, "/auth/logout", "POST", auth="holder", status=204, errors=(401,), session="end")
def logout(claims: dict, session_id: str) -> None:
    """Revoke the token and end the web session."""
    deps = get_container().account_deps()
    auth.logout(deps, claims)
    auth.end_session(deps, session_id)
