"""Models of routes/auth.py: login with password, then a one-time code (BR-11 to BR-13)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from .common import Body, ChallengeId, Login, Otp, Out, Password, body_config

if TYPE_CHECKING:
    from mes.services.auth import IssuedSession, LoginChallenge


class LoginRequest(Body):
    model_config = body_config({"login": "demo.camille", "password": "camille-demo-2026"})
    login: Login
    password: Password


class OtpRequest(Body):
    model_config = body_config({"challenge_id": "Zk3q9xY1AbCdEfGhIjKlMnOp", "otp": "123456"})
    challenge_id: ChallengeId
    otp: Otp


class OtpResendRequest(Body):
    """A new login code after `resend_after` seconds; `channel` (else the challenge's one) switches it."""

    model_config = body_config({"challenge_id": "Zk3q9xY1AbCdEfGhIjKlMnOp", "channel": "sms"})
    challenge_id: ChallengeId
    channel: Literal["email", "sms"] | None = None


class OtpResendResponse(Out):
    challenge_id: str
    channel: Literal["email", "sms"]
    expires_in: int
    resend_after: int  # seconds before the code may be sent again

    @classmethod
    def from_domain(cls, challenge: LoginChallenge) -> OtpResendResponse:
        return cls(challenge_id=challenge.challenge_id, channel=challenge.channel,  # type: ignore[arg-type]
                   expires_in=challenge.expires_in, resend_after=challenge.resend_after)


class LoginResponse(Out):
    challenge_id: str
    channel: str
    expires_in: int
    resend_after: int  # seconds before POST /auth/otp/resend is allowed
    channels: list[Literal["email", "sms"]]  # where this holder can receive codes ("sms": a verified mobile)

    @classmethod
    def from_domain(cls, challenge: LoginChallenge) -> LoginResponse:
        """The same shape whether the login exists or not (no enumeration, BR-12)."""
        return cls(challenge_id=challenge.challenge_id, channel=challenge.channel, expires_in=challenge.expires_in,
                   resend_after=challenge.resend_after, channels=challenge.channels)  # type: ignore[arg-type]


class TokenResponse(Out):
    access_token: str
    token_type: Literal["Bearer"]
    expires_in: int

    @classmethod
    def from_domain(cls, issued: IssuedSession) -> TokenResponse:
        """The token only: the session id goes in the HttpOnly cookie, never in the body."""
        return cls(access_token=issued.access_token, token_type="Bearer", expires_in=issued.expires_in)
