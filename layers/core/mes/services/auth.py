"""Login with password + one-time code at every login, logout (BR-11, BR-12)."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from mes.domain.codes import OTP_TTL_SECONDS, hash_otp, new_otp
from mes.domain.errors import InvalidCredentials, OtpInvalid, RateLimited, Unauthorized
from mes.domain.espace import Status
from mes.ports import Challenge

from . import payloads
from .enrolment import HOLDER_AUDIENCE, AccountDeps, check_challenge, limit_otp_sends, send_otp

MAX_FAILED_LOGINS_PER_HOUR = 10  # BR-12


@dataclass
class LoginChallenge:
    challenge_id: str
    channel: str
    expires_in: int


def login(deps: AccountDeps, *, login: str, password: str, now: datetime) -> LoginChallenge:
    """Unknown login, wrong password or inactive espace: the same answer, the same work."""
    counter = f"login-fail:{deps.keys.login_hmac(str(login))}"
    if deps.ephemeral.count(counter, 3600, now) >= MAX_FAILED_LOGINS_PER_HOUR:
        raise RateLimited(retry_after=3600 - int(now.timestamp()) % 3600)
    credential = deps.credentials.get(login) if isinstance(login, str) and login else None
    if credential is None:
        deps.hasher.dummy_verify(str(password))
    espace = None
    if credential is not None and deps.hasher.verify(credential.password_hash, str(password)):
        espace = deps.repo.get(credential.espace_id)
    if espace is not None and espace.login != credential.login:  # type: ignore[union-attr]
        espace = None  # a login the espace no longer holds (BR-18: handed over at 18, then re-activated)
    if espace is not None and espace.status == Status.SUSPENDED:
        from mes.domain.closure import Suspended
        raise Suspended()  # BR-15: only once the password matched (no enumeration)
    if espace is None or espace.status != Status.ACTIVE:
        deps.ephemeral.hit(counter, 3600, now)
        raise InvalidCredentials()
    limit_otp_sends(deps, espace.espace_id, now)
    channel = espace.otp_channel if (espace.otp_channel == "email" or espace.mobile) else "email"
    to = espace.mobile if channel == "sms" else espace.email
    if not to:
        raise InvalidCredentials()
    challenge_id = secrets.token_urlsafe(18)
    otp = new_otp()
    deps.ephemeral.put_challenge(Challenge(
        challenge_id=challenge_id, kind="login", espace_id=espace.espace_id,
        expires_at=now + timedelta(seconds=OTP_TTL_SECONDS),
        otp_hashes={channel: hash_otp(deps.keys.otp, challenge_id, otp)},
    ))
    send_otp(deps, channel, to, otp)
    return LoginChallenge(challenge_id=challenge_id, channel=channel, expires_in=OTP_TTL_SECONDS)


def verify_otp(deps: AccountDeps, *, challenge_id: str, otp: str, now: datetime) -> tuple[str, int]:
    challenge = check_challenge(deps, challenge_id, "login", now, {"email": otp, "sms": otp})
    if not deps.ephemeral.consume_challenge(challenge_id):
        raise OtpInvalid()
    espace = deps.repo.get(challenge.espace_id)
    if espace is None or espace.status != Status.ACTIVE:
        raise OtpInvalid()
    token = deps.tokens.sign({
        "aud": HOLDER_AUDIENCE, "sub": espace.espace_id, "jti": uuid.uuid4().hex, "scope": "holder",
        "sep": espace.session_epoch,  # BR-14: closure/suspension revoke every token of an older epoch
        "iat": int(now.timestamp()), "exp": int((now + timedelta(seconds=deps.token_ttl)).timestamp()),
    })
    return token, deps.token_ttl


def authenticate(deps: AccountDeps, token: str, audience: str, now: datetime) -> dict[str, Any]:
    """Signature, algorithm, audience, expiry (TokenService), then revocation: the token id (logout)
    and the espace's session epoch (closure, suspension: BR-14/15), read together in one request."""
    claims = deps.tokens.verify(token, audience, now)
    if audience == HOLDER_AUDIENCE:
        revoked, min_epoch = deps.ephemeral.revocation(payloads.text(claims, "jti"), payloads.text(claims, "sub"), now)
        if revoked or payloads.integer(claims, "sep", 0) < min_epoch:
            raise Unauthorized()
    return claims


def logout(deps: AccountDeps, claims: dict[str, Any]) -> None:
    deps.ephemeral.revoke_token(claims["jti"], datetime.fromtimestamp(claims["exp"]).astimezone())
