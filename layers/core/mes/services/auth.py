"""Login with password + one-time code at every login, logout (BR-11, BR-12)."""

from __future__ import annotations

import math
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from mes.domain.codes import OTP_TTL_SECONDS, hash_otp, keyed_hash, new_otp
from mes.domain.errors import (
    InvalidCredentials,
    OtpInvalid,
    RateLimited,
    SessionExpired,
    Unauthorized,
    ValidationError,
)
from mes.domain.espace import Espace, Status
from mes.ports import Challenge, WebSession

from . import payloads
from .enrolment import (
    HOLDER_AUDIENCE,
    MAX_OTP_ATTEMPTS,
    AccountDeps,
    check_challenge,
    limit_otp_sends,
    live_challenge,
    otp_locked,
    send_otp,
)

MAX_FAILED_LOGINS_PER_HOUR = 10  # BR-12
# WEB.md journey 5: "Renvoyer le code" after a short wait: a login code may be sent again (or by the
# other channel) once RESEND_WAIT_SECONDS have passed since its last send; BR-12's 5 sends per
# 10 minutes per espace still applies across logins and resends.
RESEND_WAIT_SECONDS = 30
SESSION_IDLE_SECONDS = 1800  # WEB.md "Session": logged out after 30 minutes without activity [design]


@dataclass
class LoginChallenge:
    challenge_id: str
    channel: str
    expires_in: int
    resend_after: int = RESEND_WAIT_SECONDS
    channels: list[str] = field(default_factory=lambda: ["email"])


def _check_failed_logins(deps: AccountDeps, counter: str, now: datetime) -> None:
    """BR-12: at most MAX_FAILED_LOGINS_PER_HOUR failures per login, in a fixed one-hour window."""
    if deps.ephemeral.count(counter, 3600, now) >= MAX_FAILED_LOGINS_PER_HOUR:
        raise RateLimited(retry_after=3600 - int(now.timestamp()) % 3600)


def _espace_for_password(deps: AccountDeps, login: str, password: str) -> Espace | None:
    """The espace whose current login and password these are, else None; an unknown login costs a
    dummy hash check, so it takes the same work as a wrong password."""
    credential = deps.credentials.get(login) if isinstance(login, str) and login else None
    if credential is None:
        deps.hasher.dummy_verify(str(password))
        return None
    if not deps.hasher.verify(credential.password_hash, str(password)):
        return None
    espace = deps.repo.get(credential.espace_id)
    if espace is not None and espace.login != credential.login:
        return None  # a login the espace no longer holds (BR-18: handed over at 18, then re-activated)
    return espace


def _active_espace(deps: AccountDeps, espace: Espace | None, counter: str, now: datetime) -> Espace:
    if espace is not None and espace.status == Status.SUSPENDED:
        from mes.domain.closure import Suspended
        raise Suspended()  # BR-15: only once the password matched (no enumeration)
    if espace is None or espace.status != Status.ACTIVE:
        deps.ephemeral.hit(counter, 3600, now)
        raise InvalidCredentials()
    return espace


def _otp_destination(espace: Espace) -> tuple[str, str]:
    """The channel chosen at activation (e-mail when no mobile is left) and its address."""
    channel = espace.otp_channel if (espace.otp_channel == "email" or espace.mobile) else "email"
    to = espace.mobile if channel == "sms" else espace.email
    if not to:
        raise InvalidCredentials()
    return channel, to


def login(deps: AccountDeps, *, login: str, password: str, now: datetime) -> LoginChallenge:
    """Unknown login, wrong password or inactive espace: the same answer, the same work."""
    counter = f"login-fail:{deps.keys.login_hmac(str(login))}"
    _check_failed_logins(deps, counter, now)
    espace = _active_espace(deps, _espace_for_password(deps, login, password), counter, now)
    limit_otp_sends(deps, espace.espace_id, now)
    channel, to = _otp_destination(espace)
    challenge_id = secrets.token_urlsafe(18)
    otp = new_otp()
    deps.ephemeral.put_challenge(Challenge(
        challenge_id=challenge_id, kind="login", espace_id=espace.espace_id,
        expires_at=now + timedelta(seconds=OTP_TTL_SECONDS),
        otp_hashes={channel: hash_otp(deps.keys.otp, challenge_id, otp)},
        sent_at=now,
    ))
    send_otp(deps, channel, to, otp)
    return LoginChallenge(challenge_id=challenge_id, channel=channel, expires_in=OTP_TTL_SECONDS,
                          channels=otp_channels(espace))


def otp_channels(espace: Espace) -> list[str]:
    """The channels a login code may go to: the e-mail, and SMS only with the mobile proven at
    activation (BR-10; an active espace's mobile is always a verified one)."""
    return ["email", "sms"] if espace.mobile else ["email"]


def _resendable(deps: AccountDeps, challenge_id: str, now: datetime) -> tuple[Challenge, Espace]:
    """The login challenge, as `POST /auth/otp` sees it: unknown, expired or used → OtpInvalid, its
    5 tries spent → OtpLocked (a resend never lifts a lock, BR-12)."""
    challenge = live_challenge(deps, challenge_id, "login", now)
    if challenge.attempts >= MAX_OTP_ATTEMPTS:
        raise otp_locked(challenge, now)
    espace = deps.repo.get(challenge.espace_id)
    if espace is None or espace.status != Status.ACTIVE:
        raise OtpInvalid()
    return challenge, espace


def _resend_channel(espace: Espace, requested: str | None, challenge: Challenge) -> tuple[str, str]:
    channel = requested or next(iter(challenge.otp_hashes), "email")
    if channel not in otp_channels(espace):
        raise ValidationError("Aucun numéro de mobile vérifié : le code ne peut être envoyé que par e-mail.",
                              field="channel")
    to = espace.mobile if channel == "sms" else espace.email
    if not to:
        raise OtpInvalid()
    return channel, to


def resend_otp(deps: AccountDeps, *, challenge_id: str, channel: str | None, now: datetime) -> LoginChallenge:
    """A new code on the same login challenge, to `channel` or the challenge's one (WEB.md journey 5).
    The previous code stops working; the tries counter is kept; the new code is valid OTP_TTL_SECONDS."""
    challenge, espace = _resendable(deps, challenge_id, now)
    channel, to = _resend_channel(espace, channel, challenge)
    if challenge.sent_at is not None and (left := RESEND_WAIT_SECONDS - (now - challenge.sent_at).total_seconds()) > 0:
        raise RateLimited(retry_after=math.ceil(left))
    limit_otp_sends(deps, espace.espace_id, now)
    otp = new_otp()
    challenge.otp_hashes = {channel: hash_otp(deps.keys.otp, challenge_id, otp)}
    challenge.sent_at, challenge.expires_at = now, now + timedelta(seconds=OTP_TTL_SECONDS)
    if not deps.ephemeral.replace_code(challenge, sent_before=now - timedelta(seconds=RESEND_WAIT_SECONDS),
                                       max_attempts=MAX_OTP_ATTEMPTS):
        _resendable(deps, challenge_id, now)  # used or locked meanwhile: that answer
        raise RateLimited(retry_after=RESEND_WAIT_SECONDS)  # a parallel resend won
    send_otp(deps, channel, to, otp)
    return LoginChallenge(challenge_id=challenge_id, channel=channel, expires_in=OTP_TTL_SECONDS,
                          channels=otp_channels(espace))


def _otp_espace(deps: AccountDeps, challenge_id: str, otp: str, now: datetime) -> Espace:
    challenge = check_challenge(deps, challenge_id, "login", now, {"email": otp, "sms": otp})
    if not deps.ephemeral.consume_challenge(challenge_id):
        raise OtpInvalid()
    espace = deps.repo.get(challenge.espace_id)
    if espace is None or espace.status != Status.ACTIVE:
        raise OtpInvalid()
    return espace


def verify_otp(deps: AccountDeps, *, challenge_id: str, otp: str, now: datetime) -> tuple[str, int]:
    return _holder_token(deps, _otp_espace(deps, challenge_id, otp, now), now), deps.token_ttl


def _holder_token(deps: AccountDeps, espace: Espace, now: datetime) -> str:
    return deps.tokens.sign({
        "aud": HOLDER_AUDIENCE, "sub": espace.espace_id, "jti": uuid.uuid4().hex, "scope": "holder",
        "sep": espace.session_epoch,  # BR-14: closure/suspension revoke every token of an older epoch
        "iat": int(now.timestamp()), "exp": int((now + timedelta(seconds=deps.token_ttl)).timestamp()),
    })


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


# -- the web session (WEB.md "Session"): an opaque id in an HttpOnly cookie renews the token ------
@dataclass
class IssuedSession:
    """A holder token and the session id to set in the cookie (never stored, never logged)."""

    access_token: str
    expires_in: int
    session_id: str


def _session_hash(deps: AccountDeps, session_id: str) -> str:
    return keyed_hash(deps.keys.session, "session", session_id)


def _new_session(deps: AccountDeps, espace: Espace, now: datetime) -> tuple[str, WebSession]:
    session_id = secrets.token_urlsafe(32)  # 32 random bytes, 43 URL-safe characters
    return session_id, WebSession(session_hash=_session_hash(deps, session_id), espace_id=espace.espace_id,
                                  epoch=espace.session_epoch, last_active=now.replace(microsecond=0))


def _idle_until(now: datetime) -> datetime:
    return now + timedelta(seconds=SESSION_IDLE_SECONDS)


def login_with_otp(deps: AccountDeps, *, challenge_id: str, otp: str, now: datetime) -> IssuedSession:
    """POST /auth/otp: the holder token, and a web session that renews it without a new code."""
    espace = _otp_espace(deps, challenge_id, otp, now)
    session_id, session = _new_session(deps, espace, now)
    deps.ephemeral.put_session(session, _idle_until(now))
    return IssuedSession(_holder_token(deps, espace, now), deps.token_ttl, session_id)


def _live_session(deps: AccountDeps, session_id: str, now: datetime) -> tuple[WebSession, Espace]:
    """The session and its espace, if the session exists, was active within the last 30 minutes
    (checked here: DynamoDB's TTL deletes late, moto never) and the espace is still active on the
    same session epoch (closure, suspension: BR-14, BR-15); SessionExpired otherwise."""
    session = deps.ephemeral.get_session(_session_hash(deps, session_id)) if session_id else None
    if session is None or (now - session.last_active).total_seconds() > SESSION_IDLE_SECONDS:
        raise SessionExpired()
    espace = deps.repo.get(session.espace_id)
    if espace is None or espace.status != Status.ACTIVE or espace.session_epoch != session.epoch:
        raise SessionExpired()
    return session, espace


def refresh(deps: AccountDeps, *, session_id: str, now: datetime) -> IssuedSession:
    """POST /auth/refresh: a new token and a new session id (the old one stops working); the
    30-minute window restarts. Of two refreshes with the same id, one wins."""
    old, espace = _live_session(deps, session_id, now)
    new_id, new = _new_session(deps, espace, now)
    if not deps.ephemeral.rotate_session(old, new, _idle_until(now)):
        raise SessionExpired()
    return IssuedSession(_holder_token(deps, espace, now), deps.token_ttl, new_id)


def end_session(deps: AccountDeps, session_id: str) -> None:
    """POST /auth/logout: the session ends server-side (nothing to do without a cookie)."""
    if session_id:
        deps.ephemeral.end_session(_session_hash(deps, session_id))
