"""Ports: what the use cases need from the outside world. Adapters (DynamoDB, SES, SNS, S3, KMS)
and the in-memory fakes of the unit tests both implement them."""

from __future__ import annotations

import builtins
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import IO, Generic, Protocol, TypeAlias, TypedDict, TypeVar

from mes.domain.access import Grants
from mes.domain.documents import Document
from mes.domain.espace import Contact, Espace
from mes.domain.exports import Export
from mes.domain.measurements import Measurement
from mes.domain.messaging import Conversation, Message
from mes.domain.professionals import ProIdentity
from mes.domain.reimbursements import Reimbursement

T = TypeVar("T")

# Where the next page starts: an opaque cursor string (API pages) or DynamoDB's LastEvaluatedKey
# (the jobs' pages); callers only hand it back.
PageKey: TypeAlias = "str | dict[str, dict[str, object]]"
# JSON-like data the ports carry without looking into it (token claims, profile sections, notices).
JsonDict: TypeAlias = "dict[str, object]"


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
class Page(Generic[T]):
    items: list[T]
    next_key: PageKey | None = None


@dataclass
class Challenge:
    challenge_id: str
    kind: str  # "activation" | "login"
    espace_id: str
    expires_at: datetime
    otp_hashes: dict[str, str]  # channel → hash
    attempts: int = 0
    used: bool = False
    data: JsonDict = field(default_factory=dict)
    sent_at: datetime | None = None  # the last send of its code (login resend wait)


@dataclass
class WebSession:
    """A holder's web session (WEB.md "Session"), stored under the keyed hash of its id only."""

    session_hash: str
    espace_id: str
    epoch: int  # the espace's session epoch at login: closure and suspension bump it (BR-14, BR-15)
    last_active: datetime


class EspaceRepository(Protocol):
    def get(self, espace_id: str) -> Espace | None: ...
    def get_many(self, espace_ids: Sequence[str]) -> list[Espace]: ...
    def find_by_nir(self, nir_hmac: str) -> list[Espace]: ...
    def add_new(self, espaces: Sequence[Espace]) -> int:
        """Insert the espaces that do not exist yet (by id); return how many were inserted."""

    def save(self, espace: Espace) -> None:
        """Write the espace if its stored version is still `espace.version`; bump the version.
        Raises ConcurrentUpdate otherwise."""

    def pending_page(self, shard: int, department: str | None, limit: int, start: PageKey | None) -> Page[Espace]: ...
    def claim_for_wave(self, espaces: Sequence[Espace], batch: WaveBatch) -> list[str]:
        """Persist notified espaces (transitioned in memory, `version` = the version read) and the
        batch record atomically; espaces that changed meanwhile are left out. Returns claimed ids."""

    def inflight_batches(self) -> list[WaveBatch]: ...
    def finish_batch(self, batch_id: str) -> None: ...
    def due_ids(self, shard: int, now: datetime, limit: int, start: PageKey | None) -> Page[str]: ...
    def mark_created(self, espace_ids: Sequence[str], now: datetime) -> int:
        """Conditional transition notified → created for those still notified and due."""

    def children_of(self, guardian_id: str) -> list[str]:
        """Espaces managed by this login: as the guardian on file or the second representative (BR-16)."""

    def majority_due_ids(self, shard: int, today: date, limit: int, start: PageKey | None) -> Page[str]:
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
    def replace_code(self, challenge: Challenge, *, sent_before: datetime, max_attempts: int) -> bool:
        """Store `challenge.otp_hashes`, `sent_at` and `expires_at` in place of the stored ones, in one
        conditional write: only if the stored challenge is unused, has fewer than `max_attempts` tries
        (the tries counter is kept) and was last sent at or before `sent_before`; False otherwise."""

    def revoke_token(self, jti: str, expires_at: datetime) -> None: ...
    def is_revoked(self, jti: str) -> bool: ...
    def revocation(self, jti: str, espace_id: str, now: datetime) -> tuple[bool, int]:
        """(token id revoked?, the espace's minimum valid session epoch) in one read (BR-14)."""

    def put_session(self, session: WebSession, expires_at: datetime) -> None: ...
    def get_session(self, session_hash: str) -> WebSession | None: ...
    def rotate_session(self, old: WebSession, new: WebSession, expires_at: datetime) -> bool:
        """Replace `old` by `new` only if `old` is still stored as it was read (one conditional
        write): of two refreshes with the same session, one wins; False for the other."""
    def end_session(self, session_hash: str) -> None: ...

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
    def sign(self, claims: Mapping[str, object]) -> str: ...
    def verify(self, token: str, audience: str, now: datetime) -> JsonDict: ...


class PasswordHasher(Protocol):
    def hash(self, password: str) -> str: ...
    def verify(self, password_hash: str, password: str) -> bool: ...
    def dummy_verify(self, password: str) -> None: ...


class ProfileRepository(Protocol):
    """Medical profile sections and measurements of an espace (BR-19)."""

    def put_section(self, espace_id: str, name: str, data: JsonDict, now: datetime) -> None: ...
    def sections(self, espace_id: str) -> dict[str, JsonDict]: ...
    def some_sections(self, espace_id: str, names: Sequence[str]) -> dict[str, JsonDict]: ...
    def add_measurement(self, measurement: Measurement, /) -> tuple[Measurement, bool]:
        """(stored, True) when appended; (the one already stored under its key, False) otherwise."""

    def measurements(self, espace_id: str, *, type_: str | None, start: datetime | None, end: datetime | None,
                     limit: int, cursor: str | None) -> Page[Measurement]: ...
    def purge_espace(self, espace_id: str) -> int:
        """Delete every item of the espace; idempotent; returns how many were deleted."""

    def export_espace(self, espace_id: str) -> JsonDict:
        """Every section and measurement, JSON-serialisable."""


class HolderDataStore(Protocol):
    """A table or bucket holding a holder's data, purged by the retention job (BR-14). Idempotent:
    a rerun after a crash finds what is left and deletes it. Register new stores in
    `mes.bootstrap.Container.holder_data_stores`."""

    def purge_espace(self, espace_id: str) -> int:
        """Delete everything of this espace here; return how many items/objects were deleted."""


# -- documents (BR-23 to BR-27) ------------------------------------------------------------------
class DocumentRepository(Protocol):
    """Document metadata and each espace's quota."""

    def create(self, d: Document, also: Document | None = None) -> None:
        """Metadata first (`pending`) and the espace's quota, in one transaction (with `also`, the
        document a replacement claims, on its version)."""

    def remove(self, d: Document, *, was_pending: bool) -> None:
        """Delete the metadata and give back the quota."""

    def save(self, d: Document, *, validated: bool = False, also: Document | None = None) -> None:
        """Conditional on the version read (ConcurrentUpdate otherwise); `also` in the same transaction."""

    def get(self, espace_id: str, document_id: str) -> Document | None: ...
    def list(self, espace_id: str, *, category: str | None, limit: int, cursor: str | None, holder_only: bool,
             as_representative: bool = False) -> Page[Document]:
        """One Query per page, newest first."""

    def espace_of(self, document_id: str) -> str | None:
        """The espace holding a document, from its id alone (the FHIR reads carry no patient)."""

    def quota(self, espace_id: str) -> tuple[int, int]: ...
    def hidden_due(self, shard: int, now: datetime, limit: int,
                   start: PageKey | None) -> Page[tuple[str, str]]: ...
    def get_many(self, keys: Sequence[tuple[str, str]]) -> builtins.list[Document]: ...
    def find_deposit(self, espace_id: str, deposit_key: str) -> str | None:
        """The document id an author's deposit key (FHIR masterIdentifier) was created with, or None."""

    def deposit_of(self, deposit_key: str) -> tuple[str, str] | None:
        """(espace id, document id) of an author's deposit key without the espace (FHIR PATCH ?identifier=)."""


class ObjectHead(TypedDict):
    """What the validation reads of a stored object before its bytes."""

    size: int
    sse: str | None
    kms_key: str | None
    version_id: str | None  # the S3 VersionId of the latest version (None if the bucket is not versioned)


class DocumentStore(Protocol):
    """The documents bucket: presigned transfers, the header read of the validation, deletion.
    `version_id`: one version of the key (the validated one, BR-23); None reads the latest."""

    def presign_upload(self, key: str, content_type: str, max_bytes: int, ttl: int) -> JsonDict: ...
    def presign_download(self, key: str, filename: str, content_type: str, ttl: int,
                         version_id: str | None = None) -> JsonDict: ...
    def head(self, key: str) -> ObjectHead | None:
        """Real size, encryption and version of the latest object, or None if it is gone."""

    def read_head(self, key: str, length: int = ..., version_id: str | None = None) -> bytes:
        """Only the first bytes: the validation function never reads a whole document."""

    def tags(self, key: str, version_id: str | None = None) -> dict[str, str]: ...
    def put(self, key: str, content_type: str, data: bytes) -> None:
        """Bytes the API received inline (a FHIR ITI-65 Binary), SSE-KMS as a presigned upload: the
        bucket's event starts the same validation."""

    def delete(self, key: str) -> None:
        """Every version: the bytes are gone, not hidden."""

    def delete_other_versions(self, key: str, keep: str) -> int:
        """Every version of the key but `keep` (and every delete marker); how many were deleted."""


class MalwareScanner(Protocol):
    def verdict(self, store: DocumentStore, key: str, head: bytes, version_id: str | None = None) -> str: ...


# -- professionals, consent, access log (BR-28 to BR-36) -----------------------------------------
class AccessRepository(Protocol):
    def grants(self, espace_id: str, rpps: str) -> Grants: ...
    def put_authorisation(self, espace_id: str, rpps: str, basis: str, identity: JsonDict, now: datetime) -> bool:
        """True the first time this professional is authorised on this espace (BR-30: notify then)."""

    def withdraw_authorisation(self, espace_id: str, rpps: str) -> None: ...
    def set_block(self, espace_id: str, rpps: str, blocked: bool, now: datetime) -> None: ...
    def set_administrator(self, espace_id: str, rpps: str, previous: str | None, now: datetime) -> None: ...
    def administrator(self, espace_id: str) -> str | None: ...
    def open_emergency(self, espace_id: str, rpps: str, mode: str, reason: str, now: datetime,
                       until: datetime) -> None: ...
    def professionals(self, espace_id: str) -> list[JsonDict]: ...
    def notify_professional(self, rpps: str, request_key: str, now: datetime, notice: JsonDict) -> bool:
        """One notice per request: a retried request writes nothing."""

    def professional_notices(self, rpps: str, limit: int, cursor: str | None) -> Page[JsonDict]: ...
    def log(self, espace_id: str, request_key: str, now: datetime, entry: JsonDict) -> bool:
        """Append once: a retry of the same request, whenever it comes, writes nothing (BR-35)."""

    def read_log(self, espace_id: str, limit: int, cursor: str | None) -> Page[JsonDict]: ...


class ProTokenVerifier(Protocol):
    """Pro Santé Connect (BR-28): the professional's identity from a verified token only."""

    def verify(self, token: str, now: datetime) -> ProIdentity: ...


# -- closure, suspension, retention (BR-14, BR-15) ------------------------------------------------
class LifecycleRepository(Protocol):
    def save_and_revoke(self, espace: Espace, sessions_until: datetime) -> None:
        """The espace (conditional on the version read) and its minimum session epoch, atomically."""

    def due_ids(self, kind: str, shard: int, now: datetime, limit: int, start: PageKey | None) -> Page[str]: ...
    def start_purge(self, espace_id: str, now: datetime) -> Espace | None:
        """Still closed and due (a reopening meanwhile wins): mark the purge started, get the espace."""

    def finish_purge(self, espace: Espace, now: datetime) -> bool:
        """The tombstone and the login's deletion in one transaction, after every store was purged."""

    def close_suspended(self, espace_id: str, now: datetime) -> Espace | None:
        """BR-15: suspended and due → closed, in one conditional update."""


# -- secure messaging (BR-37 to BR-39) ------------------------------------------------------------
class MessageRepository(Protocol):
    def start(self, conversation: Conversation, first: Message, request_key: str | None = None) -> None:
        """The conversation, its first message and its attachments, in one transaction."""

    def add_message(self, conversation: Conversation, msg: Message, request_key: str | None = None) -> None: ...
    def close(self, conversation: Conversation) -> bool:
        """Open → closed, once; False if it was already closed."""

    def list_for_holder(self, espace_id: str, limit: int, cursor: str | None) -> Page[Conversation]: ...
    def page(self, espace_id: str, conversation_id: str, limit: int,
             cursor: str | None) -> tuple[Conversation | None, Page[Message]]:
        """One Query: the conversation (first page only) and `limit` messages, newest first."""

    def get(self, espace_id: str, conversation_id: str) -> Conversation | None: ...
    def message(self, espace_id: str, conversation_id: str, message_id: str) -> Message | None: ...
    def find_for_professional(self, rpps: str, conversation_id: str) -> Conversation | None: ...
    def attachment(self, espace_id: str, conversation_id: str, document_id: str) -> AttachmentGrant | None:
        """The grant: this document was attached in this conversation (by whom, in which message)."""

    def purge_espace(self, espace_id: str) -> int: ...
    def export_espace(self, espace_id: str) -> JsonDict: ...


class AttachmentGrant(TypedDict):
    """A document attached in a conversation: by whom, in which message (BR-39)."""

    document_id: str
    message_id: str
    sent_by: str
    at: datetime | None


class AttachmentCopier(Protocol):
    def copy(self, source_key: str, target_key: str, source_version: str | None = None) -> None:
        """Server-side copy; idempotent."""


# -- reimbursement history (BR-21) and data exports ----------------------------------------------
class ReimbursementRepository(Protocol):
    def existing_ids(self, keys: list[tuple[str, str]]) -> set[tuple[str, str]]:
        """Which (espace_id, sort key) already exist (BatchGetItem)."""

    def add(self, items: list[Reimbursement]) -> None: ...
    def list(self, espace_id: str, *, since: date, until: date | None, limit: int,
             cursor: str | None) -> Page[Reimbursement]: ...
    def purge_espace(self, espace_id: str) -> int: ...
    def export_espace(self, espace_id: str) -> builtins.list[JsonDict]: ...


class ExportRepository(Protocol):
    def create(self, e: Export) -> None: ...
    def get(self, espace_id: str, export_id: str) -> Export | None: ...
    def mark_ready(self, espace_id: str, export_id: str, now: datetime, size: int) -> None: ...
    def mark_failed(self, espace_id: str, export_id: str) -> None: ...


class ExportStore(Protocol):
    def write(self, key: str, build: Callable[[IO[bytes]], None]) -> int:
        """Build the archive (in a temporary file), then upload it; its size."""

    def presign_download(self, key: str, filename: str, ttl: int) -> JsonDict: ...


class ExportQueue(Protocol):
    def send(self, espace_id: str, export_id: str) -> None: ...


class ObjectReader(Protocol):
    def open(self, key: str, version_id: str | None = None) -> IO[bytes]:
        """FileNotFoundError when the object is gone (deleted since it was listed)."""


__all__ = [
    "AccessRepository", "AttachmentCopier", "AttachmentGrant", "Challenge", "Contact", "Credential", "CredentialRepository",
    "DocumentRepository", "DocumentStore", "EphemeralStore", "EspaceRepository", "ExportQueue",
    "ExportRepository", "ExportStore", "HolderDataStore", "JsonDict", "LetterPrinter", "LifecycleRepository",
    "MalwareScanner", "MessageRepository", "Notifier", "ObjectHead", "ObjectReader", "Page", "PageKey", "PasswordHasher",
    "ProTokenVerifier", "ProfileRepository", "ReimbursementRepository", "TokenService", "WaveBatch",
]
