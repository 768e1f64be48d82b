"""Provisional codes (BR-06) and one-time codes (BR-11).

A provisional code is never stored: it is the keyed MAC of (espace id, sequence number) rendered
as 12 characters [0-9A-Za-z]. Only the sequence number is kept, so a job that dies between writing
and sending re-sends the very same code, and a renewal (sequence + 1) revokes the previous one.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
CODE_LENGTH = 12
OTP_DIGITS = 6
OTP_TTL_SECONDS = 600  # BR-11: ≤ 10 minutes
MAX_OTP_ATTEMPTS = 5  # BR-11


def derive_code(key: bytes, espace_id: str, seq: int) -> str:
    """12 base-62 characters from HMAC-SHA256 (≈ 71 bits, unpredictable without the key)."""
    digest = hmac.new(key, f"provisional-code:{espace_id}:{seq}".encode(), hashlib.sha256).digest()
    number = int.from_bytes(digest, "big")
    chars = []
    for _ in range(CODE_LENGTH):
        number, index = divmod(number, len(ALPHABET))
        chars.append(ALPHABET[index])
    return "".join(chars)


def code_matches(key: bytes, espace_id: str, seq: int, candidate: str) -> bool:
    if seq <= 0 or not isinstance(candidate, str):
        return False
    return hmac.compare_digest(derive_code(key, espace_id, seq).encode(), candidate.strip().encode())


def looks_like_code(candidate: str) -> bool:
    return isinstance(candidate, str) and len(candidate) == CODE_LENGTH and all(c in ALPHABET for c in candidate)


def new_otp() -> str:
    """6 digits from the CSPRNG."""
    return f"{secrets.randbelow(10**OTP_DIGITS):0{OTP_DIGITS}d}"


def hash_otp(key: bytes, challenge_id: str, otp: str) -> str:
    """Bound to its challenge: the same digits for another challenge give another hash."""
    return hmac.new(key, f"otp:{challenge_id}:{otp}".encode(), hashlib.sha256).hexdigest()


def otp_matches(key: bytes, challenge_id: str, otp: str, expected_hash: str) -> bool:
    if not isinstance(otp, str) or len(otp) != OTP_DIGITS or not otp.isdigit():
        return False
    return hmac.compare_digest(hash_otp(key, challenge_id, otp), expected_hash)


def keyed_hash(key: bytes, purpose: str, value: str) -> str:
    """HMAC used to find people without storing identifiers in clear (BR-02)."""
    return hmac.new(key, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()
