"""Ports: what the use cases need from the outside world. Adapters (DynamoDB, SES, SNS, S3, KMS)
and the in-memory fakes of the unit tests both implement them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from mes.domain.espace import Contact, Espace


@dataclass
class Credential:
    login: str
    espace_id: str
    password_hash: str


@dataclass
class WaveBatch:
    """A claimed batch of the notification wave: written in the same transaction as the claim,
    deleted once delivered, so a crash in between is redone on the next run (same codes)."""

    batch_id: str
    espace_ids: list[str]
    claimed_at: datetime


@dataclass
class Page:
    items: list[Any]
    next_key: Any | None = None


@dataclass
class Challenge:
    challenge_id: str
    kind: str  # "activation" | "login"
    espace_id: str
    expires_at: datetime
    otp_hashes: dict[str, str]  # channel → hash
    attempts: int = 0
    used: bool = False
    data: dict[str, Any] = field(default_factory=dict)


class EspaceRepository(Protocol):
    def get(self, espace_id: str) -> Espace | None: ...
    def get_many(self, espace_ids: Sequence[str]) -> list[Espace]: ...
    def find_by_nir(self, nir_hmac: str) -> list[Espace]: ...
    def add_new(self, espaces: Sequence[Espace]) -> int:
        """Insert the espaces that do not exist yet (by id); return how many were inserted."""

    def save(self, espace: Espace) -> None:
        """Write the espace if its stored version is still `espace.version`; bump the version.
        Raises ConcurrentUpdate otherwise."""

    def pending_page(self, shard: int, department: str | None, limit: int, start: Any | None) -> Page: ...
    def claim_for_wave(self, espaces: Sequence[Espace], batch: WaveBatch) -> list[str]:
        """Persist notified espaces (transitioned in memory, `version` = the version read) and the
        batch record atomically; espaces that changed meanwhile are left out. Returns claimed ids."""

    def inflight_batches(self) -> list[WaveBatch]: ...
    def finish_batch(self, batch_id: str) -> None: ...
    def due_ids(self, shard: int, now: datetime, limit: int, start: Any | None) -> Page: ...
    def mark_created(self, espace_ids: Sequence[str], now: datetime) -> int:
        """Conditional transition notified → created for those still notified and due."""

    def children_of(self, guardian_id: str) -> list[str]:
        """Espaces managed by this login: as the guardian on file or the second representative (BR-16)."""

    def majority_due_ids(self, shard: int, today: Any, limit: int, start: Any | None) -> Page:
        """BR-18: ids of managed espaces whose 18th birthday is `today` or before (or whose young
        adult's code is still to be sent)."""


class CredentialRepository(Protocol):
    def get(self, login: str) -> Credential | None: ...
    def activate(self, espace: Espace, credential: Credential, previous_login: str | None = None) -> None:
        """Create the login (must be new: LoginTaken) and save the espace (version check) atomically.
        `previous_login`: a reopened espace's login (BR-14), replaced by `credential.login` if different."""


class EphemeralStore(Protocol):
    def put_challenge(self, challenge: Challenge) -> None: ...
    def get_challenge(self, challenge_id: str) -> Challenge | None: ...
    def record_attempt(self, challenge_id: str) -> int: ...
    def take_attempt(self, challenge_id: str, limit: int) -> bool:
        """Count one try of the challenge's code if fewer than `limit` were counted (one conditional
        write, so parallel tries cannot exceed the limit); False when the limit is reached."""
    def consume_challenge(self, challenge_id: str) -> bool:
        """Mark used if not used yet; False if someone already used it."""

    def revoke_token(self, jti: str, expires_at: datetime) -> None: ...
    def is_revoked(self, jti: str) -> bool: ...
    def revocation(self, jti: str, espace_id: str, now: datetime) -> tuple[bool, int]:
        """(token id revoked?, the espace's minimum valid session epoch) in one read (BR-14)."""

    def count(self, key: str, window_seconds: int, now: datetime) -> int: ...
    def hit(self, key: str, window_seconds: int, now: datetime) -> int:
        """Count one event in the fixed window containing `now`; return the count so far."""


class Notifier(Protocol):
    def send_bulk_templated(self, template: str, destinations: Sequence[tuple[str, dict[str, str]]]) -> None:
        """≤ 50 destinations: (e-mail address, replacement data)."""

    def send_templated(self, template: str, to: str, data: dict[str, str]) -> None: ...
    def send_sms(self, template: str, to: str, data: dict[str, str]) -> None: ...


class LetterPrinter(Protocol):
    def write_batch(self, batch_id: str, letters: Iterable[dict[str, str]]) -> str:
        """Write one print file for the batch (same id → same object); return its key."""


class TokenService(Protocol):
    def sign(self, claims: dict[str, Any]) -> str: ...
    def verify(self, token: str, audience: str, now: datetime) -> dict[str, Any]: ...


class PasswordHasher(Protocol):
    def hash(self, password: str) -> str: ...
    def verify(self, password_hash: str, password: str) -> bool: ...
    def dummy_verify(self, password: str) -> None: ...


class ProfileRepository(Protocol):
    """Medical profile sections and measurements of an espace (BR-19)."""

    def put_section(self, espace_id: str, name: str, data: dict[str, Any], now: datetime) -> None: ...
    def sections(self, espace_id: str) -> dict[str, dict[str, Any]]: ...
    def some_sections(self, espace_id: str, names: Sequence[str]) -> dict[str, dict[str, Any]]: ...
    def add_measurement(self, measurement: Any, /) -> tuple[Any, bool]:
        """(stored, True) when appended; (the one already stored under its key, False) otherwise."""

    def measurements(self, espace_id: str, *, type_: str | None, start: datetime | None, end: datetime | None,
                     limit: int, cursor: str | None) -> Page: ...
    def purge_espace(self, espace_id: str) -> int:
        """Delete every item of the espace; idempotent; returns how many were deleted."""

    def export_espace(self, espace_id: str) -> dict[str, Any]:
        """Every section and measurement, JSON-serialisable."""


class HolderDataStore(Protocol):
    """A table or bucket holding a holder's data, purged by the retention job (BR-14). Idempotent:
    a rerun after a crash finds what is left and deletes it. Register new stores in
    `mes.bootstrap.Container.holder_data_stores`."""

    def purge_espace(self, espace_id: str) -> int:
        """Delete everything of this espace here; return how many items/objects were deleted."""


__all__ = [
    "Challenge", "Contact", "Credential", "CredentialRepository", "EphemeralStore", "EspaceRepository",
    "HolderDataStore",
    "LetterPrinter", "Notifier", "Page", "PasswordHasher", "ProfileRepository", "TokenService", "WaveBatch",
]
