"""Enrolment: sessions with the provisional code, opposition, activation, code renewal (BR-06 to BR-12)."""

from __future__ import annotations

import hmac
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from mes.domain import espace as lifecycle
from mes.domain.codes import OTP_TTL_SECONDS, code_matches, derive_code, hash_otp, new_otp, otp_matches
from mes.domain.errors import (
    CodeExpired,
    CodeLocked,
    CodeUsed,
    InvalidCredentials,
    LoginTaken,
    NotOpposed,
    OtpInvalid,
    OtpLocked,
    RateLimited,
    StateConflict,
    Unauthorized,
    ValidationError,
)
from mes.domain.espace import MAX_CODE_ATTEMPTS, Espace, Status
from mes.domain.identity import (
    normalise_mobile,
    normalise_nir,
    normalise_vitale_serial,
    parse_birth_date,
    validate_email,
    validate_login,
    validate_password,
)
from mes.domain.keys import Keys
from mes.domain.texts import french_date, opposition_receipt_text
from mes.ports import (
    Challenge,
    Credential,
    CredentialRepository,
    EphemeralStore,
    EspaceRepository,
    Notifier,
    PasswordHasher,
    TokenService,
)

from . import payloads, pdf
from .retry import retry_on_conflict

ENROLMENT_AUDIENCE = "mes-enrolment"
HOLDER_AUDIENCE = "mes-holder"
MAX_OTP_SENDS_PER_10_MIN = 5  # BR-12: SMS cost
MAX_OTP_ATTEMPTS = 5  # BR-11: ≤ 5 tries per one-time code
MAX_RENEWALS_PER_DAY = 3
RENEWAL_ADVICE_SECONDS = 60  # Retry-After of a locked provisional code while a renewal is possible


@dataclass
class AccountDeps:
    repo: EspaceRepository
    credentials: CredentialRepository
    ephemeral: EphemeralStore
    notifier: Notifier
    tokens: TokenService
    hasher: PasswordHasher
    keys: Keys
    template_name: Callable[[str], str]
    token_ttl: int = 900
    enrolment_ttl: int = 900


def identify(deps: AccountDeps, nir: str, birth_date: str, vitale_serial: str, now: datetime) -> list[Espace]:
    """BR-01/02/03: an invalid NIR is a 400 before any lookup; the lookup is by HMAC only."""
    clear = normalise_nir(nir)
    birth = parse_birth_date(birth_date, today=now.date())
    serial = normalise_vitale_serial(vitale_serial)
    vitale_hmac = deps.keys.vitale_hmac(serial)
    return [e for e in deps.repo.find_by_nir(deps.keys.nir_hmac(clear))
            if e.birth_date == birth and hmac.compare_digest(e.vitale_hmac, vitale_hmac)]


def save_with_retry(deps: AccountDeps, espace_id: str, change: Callable[[Espace], object]) -> Espace:
    """Read the espace, apply `change`, save conditionally; retried on a concurrent update."""
    def attempt() -> Espace:
        espace = deps.repo.get(espace_id)
        if espace is None:
            raise InvalidCredentials()
        change(espace)
        deps.repo.save(espace)
        return espace

    return retry_on_conflict(attempt)


def start_session(deps: AccountDeps, *, nir: str, birth_date: str, vitale_serial: str, code: str,
                  now: datetime) -> tuple[str, Espace]:
    """POST /enrolment/sessions. Used/expired are told apart only once NIR + birth date + serial matched."""
    people = identify(deps, nir, birth_date, vitale_serial, now)
    chosen = check_code(deps, people, code, now)
    token = deps.tokens.sign({
        "aud": ENROLMENT_AUDIENCE, "sub": chosen.espace_id, "seq": chosen.code_seq, "jti": uuid.uuid4().hex,
        "iat": int(now.timestamp()), "exp": int((now + timedelta(seconds=deps.enrolment_ttl)).timestamp()),
    })
    return token, chosen


def _code_locked(deps: AccountDeps, people: list[Espace], now: datetime) -> CodeLocked:
    """BR-12: a locked provisional code stays locked until a renewal (BR-09), so retrying with it is
    useless; Retry-After is when a retry can succeed: RENEWAL_ADVICE_SECONDS (time to request a new
    code and receive it) while a renewal is still possible today, else the seconds until the daily
    renewal limit (MAX_RENEWALS_PER_DAY, a fixed UTC-day window) resets. Only callers who matched
    NIR + birth date + Vitale serial ever get here."""
    day = 86400
    at = int(now.timestamp())
    spent = all(deps.ephemeral.count(f"renew:{e.espace_id}", day, now) >= MAX_RENEWALS_PER_DAY for e in people)
    return CodeLocked(retry_after=(day - at % day) if spent else RENEWAL_ADVICE_SECONDS)


def _count_wrong_code(deps: AccountDeps, holding: list[Espace], now: datetime) -> InvalidCredentials | CodeLocked:
    """A wrong code is counted against each matching person (twins on one card share the attempts);
    returns the error to raise: locked once any of them reached MAX_CODE_ATTEMPTS (BR-12)."""
    locked = False
    for person in holding:
        def bump(e: Espace) -> None:
            e.code_attempts += 1
        updated = save_with_retry(deps, person.espace_id, bump)
        locked = locked or updated.code_attempts >= MAX_CODE_ATTEMPTS
    if locked:
        return _code_locked(deps, holding, now)
    return InvalidCredentials()


def _check_code_usable(deps: AccountDeps, chosen: Espace, now: datetime) -> None:
    """BR-06/BR-12: the matching code must be unlocked, unused, unexpired, on an activatable espace."""
    if chosen.code_locked:
        raise _code_locked(deps, [chosen], now)
    if chosen.current_code_used:
        raise CodeUsed()
    if chosen.code_expires_at is not None and now > chosen.code_expires_at:
        raise CodeExpired()
    if chosen.status not in lifecycle.ACTIVATABLE:
        raise StateConflict()


def check_code(deps: AccountDeps, people: list[Espace], code: str, now: datetime) -> Espace:
    """The provisional code of one of `people` (already matched on NIR + birth date + serial), with
    the errors of BR-06/BR-12; also used to attach a child to its guardian (BR-16)."""
    holding = [e for e in people if e.code_seq > 0]
    if not holding:
        raise InvalidCredentials()
    chosen = next((e for e in holding if code_matches(deps.keys.code, e.espace_id, e.code_seq, code)), None)
    if chosen is None:
        raise _count_wrong_code(deps, holding, now)
    _check_code_usable(deps, chosen, now)
    return chosen


def _session_espace(deps: AccountDeps, claims: dict[str, Any]) -> Espace:
    espace = deps.repo.get(claims["sub"])
    if espace is None:
        raise Unauthorized()
    if espace.code_seq != claims.get("seq") or espace.current_code_used:
        raise CodeUsed()
    return espace


def oppose(deps: AccountDeps, claims: dict[str, Any], *, now: datetime) -> Espace:
    """BR-07: within the window; a receipt (id + date) as proof, also e-mailed when possible."""
    espace = _session_espace(deps, claims)
    receipt_id = f"OPP-{now:%Y%m%d}-{secrets.token_hex(4).upper()}"
    lifecycle.oppose(espace, now, receipt_id)
    deps.repo.save(espace)
    contact = espace.delivery_contact()
    if contact.email:
        deps.notifier.send_templated(deps.template_name("opposition-receipt"), contact.email,
                                     {"receipt_id": receipt_id, "at": french_date(now)})
    return espace


@dataclass(frozen=True)
class ReceiptFile:
    """The opposition receipt as a PDF file and the name it is saved under."""

    content: bytes
    filename: str


def opposition_receipt(deps: AccountDeps, claims: dict[str, Any]) -> ReceiptFile:
    """BR-07: the proof of an opposition as a PDF, for the enrolment token of the opposed espace.
    The token's own espace only (its `sub`); any code sequence, since the code that opposed is spent;
    nothing of the NIR in it. One read."""
    espace = deps.repo.get(payloads.text(claims, "sub"))
    if espace is None:
        raise Unauthorized()
    if espace.status != Status.OPPOSED or espace.receipt_id is None or espace.opposed_at is None:
        raise NotOpposed()
    title, paragraphs = opposition_receipt_text(receipt_id=espace.receipt_id, opposed_at=espace.opposed_at,
                                                first_name=espace.first_name, last_name=espace.last_name)
    blocks = [pdf.Block(title, size=16, bold=True, space=0),
              *(pdf.Block(text, bold=True, space=14) if heading else pdf.Block(text) for heading, text in paragraphs)]
    return ReceiptFile(pdf.render(blocks, title=title), f"justificatif-opposition-{espace.receipt_id}.pdf")


def send_otp(deps: AccountDeps, channel: str, to: str, otp: str) -> None:
    if channel == "sms":
        deps.notifier.send_sms("otp", to, {"otp": otp})
    else:
        deps.notifier.send_templated(deps.template_name("otp"), to, {"otp": otp})


def limit_otp_sends(deps: AccountDeps, espace_id: str, now: datetime) -> None:
    if deps.ephemeral.hit(f"otp-send:{espace_id}", 600, now) > MAX_OTP_SENDS_PER_10_MIN:
        raise RateLimited(retry_after=600 - int(now.timestamp()) % 600)  # until the fixed window ends


OTP_CHANNELS = ("email", "sms")


def _validate_activation_form(*, email: str, mobile: str | None, otp_channel: str, login: str, password: str,
                              accept_terms: bool) -> tuple[str, str | None, str]:
    """BR-10: the form checks, in the order the holder reads them; returns (email, mobile, login) normalised."""
    if accept_terms is not True:
        raise ValidationError("Vous devez accepter les conditions générales d'utilisation.", field="accept_terms")
    email = validate_email(email)
    mobile = normalise_mobile(mobile) if mobile else None
    if otp_channel not in OTP_CHANNELS:
        raise ValidationError("Canal inconnu : « email » ou « sms ».", field="otp_channel")
    if otp_channel == "sms" and not mobile:
        raise ValidationError("Un numéro de mobile est nécessaire pour recevoir les codes par SMS.", field="mobile")
    login = validate_login(login)
    validate_password(password, login)
    return email, mobile, login


def _activatable_espace(deps: AccountDeps, claims: dict[str, Any], login: str) -> Espace:
    """The session's espace, still activatable, and `login` free (a reopened espace may keep its login, BR-14)."""
    espace = _session_espace(deps, claims)
    if espace.status not in lifecycle.ACTIVATABLE:
        raise StateConflict()
    existing = deps.credentials.get(login)
    if existing is not None and existing.espace_id != espace.espace_id:
        raise LoginTaken()
    return espace


def start_activation(deps: AccountDeps, claims: dict[str, Any], *, email: str, mobile: str | None,
                     otp_channel: str, login: str, password: str, accept_terms: bool, now: datetime) -> Challenge:
    """BR-10: contacts proven by one-time codes before anything is written to the espace."""
    email, mobile, login = _validate_activation_form(email=email, mobile=mobile, otp_channel=otp_channel,
                                                     login=login, password=password, accept_terms=accept_terms)
    espace = _activatable_espace(deps, claims, login)
    limit_otp_sends(deps, espace.espace_id, now)
    challenge_id = secrets.token_urlsafe(18)
    otps = {"email": new_otp()}
    if mobile:
        otps["sms"] = new_otp()
    challenge = Challenge(
        challenge_id=challenge_id, kind="activation", espace_id=espace.espace_id,
        expires_at=now + timedelta(seconds=OTP_TTL_SECONDS),
        otp_hashes={ch: hash_otp(deps.keys.otp, challenge_id, v) for ch, v in otps.items()},
        data={"login": login, "password_hash": deps.hasher.hash(password), "email": email, "mobile": mobile,
              "otp_channel": otp_channel, "seq": espace.code_seq},
    )
    deps.ephemeral.put_challenge(challenge)
    send_otp(deps, "email", email, otps["email"])
    if mobile:
        send_otp(deps, "sms", mobile, otps["sms"])
    return challenge


def otp_locked(challenge: Challenge, now: datetime) -> OtpLocked:
    """BR-11/BR-12 (API.md: a lock is 429 with Retry-After): a challenge's code stays locked for the
    rest of its life, so Retry-After is the seconds until the challenge expires (≤ 10 minutes);
    starting again (a new login or activation) sends a new code, within the send limits."""
    return OtpLocked(retry_after=max(1, int((challenge.expires_at - now).total_seconds())))


def live_challenge(deps: AccountDeps, challenge_id: str, kind: str, now: datetime) -> Challenge:
    """The challenge of that kind, unused and unexpired, else OtpInvalid (BR-11)."""
    challenge = deps.ephemeral.get_challenge(challenge_id) if isinstance(challenge_id, str) else None
    if challenge is None or challenge.kind != kind or challenge.used or now > challenge.expires_at:
        raise OtpInvalid()
    return challenge


def check_challenge(deps: AccountDeps, challenge_id: str, kind: str, now: datetime,
                     proofs: dict[str, str | None]) -> Challenge:
    challenge = live_challenge(deps, challenge_id, kind, now)
    # A try is counted before the code is compared, in one conditional write: parallel requests
    # cannot get more than MAX_OTP_ATTEMPTS comparisons out of one challenge.
    if challenge.attempts >= MAX_OTP_ATTEMPTS or not deps.ephemeral.take_attempt(challenge_id, MAX_OTP_ATTEMPTS):
        raise otp_locked(challenge, now)
    ok = all(otp_matches(deps.keys.otp, challenge_id, proofs.get(ch) or "", h) for ch, h in challenge.otp_hashes.items())
    if not ok:
        raise OtpInvalid()
    return challenge


def confirm_activation(deps: AccountDeps, claims: dict[str, Any], *, challenge_id: str, otp: str,
                       sms_otp: str | None, now: datetime) -> Espace:
    challenge = check_challenge(deps, challenge_id, "activation", now, {"email": otp, "sms": sms_otp})
    if challenge.espace_id != claims["sub"] or challenge.data.get("seq") != claims.get("seq"):
        raise OtpInvalid()
    espace = _session_espace(deps, claims)
    data = challenge.data
    previous_login = espace.login if espace.status == Status.CLOSED else None  # BR-14: reopening
    login = payloads.text(data, "login")
    lifecycle.activate(espace, now, login, payloads.text(data, "email"), payloads.optional_text(data, "mobile"),
                       payloads.text(data, "otp_channel"))
    credential = Credential(login=login, espace_id=espace.espace_id, password_hash=payloads.text(data, "password_hash"))
    deps.credentials.activate(espace, credential, previous_login=previous_login)
    deps.ephemeral.consume_challenge(challenge_id)
    return espace


def _renewal_address(deps: AccountDeps, person: Espace, channel: str) -> str | None:
    """BR-09: where a renewed code for `person` goes on `channel`, or None when it cannot be renewed
    (not holding a code, already active) or there is no such contact. A child's code goes to the
    guardian's current contact, not the copy made at import."""
    if person.status not in lifecycle.CODE_HOLDING or person.status == Status.ACTIVE:
        return None
    contact = person.delivery_contact()
    if person.guardian_id:
        guardian = deps.repo.get(person.guardian_id)
        if guardian is not None:
            contact = guardian.delivery_contact()
    return (contact.email if channel == "email" else contact.mobile) or None


def _send_renewed_code(deps: AccountDeps, person: Espace, channel: str, to: str, now: datetime) -> None:
    updated = save_with_retry(deps, person.espace_id, lambda e: lifecycle.renew_code(e, now))
    data = {"code": derive_code(deps.keys.code, updated.espace_id, updated.code_seq),
            "expires": french_date(updated.code_expires_at or now)}
    if channel == "sms":
        deps.notifier.send_sms("renewal-code", to, data)
    else:
        deps.notifier.send_templated(deps.template_name("renewal-code"), to, data)


def renew_code(deps: AccountDeps, *, nir: str, birth_date: str, vitale_serial: str, channel: str,
               now: datetime) -> None:
    """BR-09: the new code goes to the contact on file, never in the response; the answer is the
    same whether the person exists, has a contact for that channel, or was rate-limited."""
    if channel not in OTP_CHANNELS:
        raise ValidationError("Canal inconnu : « email » ou « sms ».", field="channel")
    for person in identify(deps, nir, birth_date, vitale_serial, now):
        to = _renewal_address(deps, person, channel)
        if to is None:
            continue
        if deps.ephemeral.hit(f"renew:{person.espace_id}", 86400, now) > MAX_RENEWALS_PER_DAY:
            continue
        _send_renewed_code(deps, person, channel, to, now)
