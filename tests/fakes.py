"""In-memory implementations of every port of `mes.ports`, with the semantics of the real adapters
(`mes.adapters.dynamo`, `mes.adapters.aws`). `tests/contract/` runs one test class against these and
the DynamoDB adapter so the two cannot drift.

What is mirrored on purpose:
- objects go in and out as copies (a caller never mutates the store by accident);
- datetimes are stored at second precision in UTC (DynamoDB stores ISO strings without microseconds);
- `save` is conditioned on the version read (0 = must not exist) and bumps it, as a conditional put;
- the sparse indexes: only `pending` espaces are in the wave index (sharded, sorted by
  "department#espace_id"), only `notified` espaces with a deadline are in the due index (sharded,
  sorted by deadline); a page is at most `limit` items and carries a key when the limit was reached;
- `claim_for_wave` and `mark_created` leave out, without failing, the items whose condition fails;
- `CredentialRepository.activate` is one transaction: login must be new, espace version must match.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec

from mes.adapters.aws import verify_jwt
from mes.domain.errors import ConcurrentUpdate, LoginTaken
from mes.domain.espace import Espace, Status
from mes.domain.keys import Keys
from mes.ports import Challenge, Credential, Page, WaveBatch, WebSession

SHARDS = 8
TIME_FIELDS = ("code_sent_at", "code_expires_at", "notified_at", "opposition_deadline", "opposed_at", "created_at",
               "activated_at", "imported_at", "closed_at", "archived_until", "deletion_due", "suspended_at",
               "suspension_due", "reopened_at", "purged_at")


def second(value: datetime) -> datetime:
    """What a datetime looks like after a DynamoDB round trip."""
    return value.astimezone(UTC).replace(microsecond=0)


def shard_of(espace_id: str, shards: int) -> int:
    """Same spreading as the DynamoDB adapter."""
    return int(hashlib.sha256(espace_id.encode()).hexdigest()[:8], 16) % shards


class InjectedCrash(RuntimeError):
    """Raised by a fake told to fail (simulates a Lambda dying mid-way)."""


class ManualClock:
    """A frozen clock the test moves by hand."""

    def __init__(self, now: datetime | None = None):
        self.now = now or datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now = self.now + timedelta(**kwargs)


# ------------------------------------------------------------------------------------------------
# Repositories
# ------------------------------------------------------------------------------------------------
class FakeEspaceRepository:
    def __init__(self, wave_shards: int = SHARDS, due_shards: int = SHARDS):
        self.items: dict[str, Espace] = {}
        self.batches: dict[str, WaveBatch] = {}
        self.wave_shards = wave_shards
        self.due_shards = due_shards
        self.calls: list[str] = []  # method names, so a test can assert "no lookup happened"

    # -- helpers ---------------------------------------------------------------------------
    @staticmethod
    def _stored(espace: Espace, version: int) -> Espace:
        stored = copy.deepcopy(espace)
        for name in TIME_FIELDS:
            value = getattr(stored, name)
            if value is not None:
                setattr(stored, name, second(value))
        if stored.guardian_id is None:
            stored.guardian_contact = None  # only persisted for a child
        stored.status = Status(stored.status)
        stored.version = version
        return stored

    def _out(self, espace: Espace) -> Espace:
        return copy.deepcopy(espace)

    # -- single items ----------------------------------------------------------------------
    def get(self, espace_id: str) -> Espace | None:
        self.calls.append("get")
        stored = self.items.get(espace_id)
        return self._out(stored) if stored else None

    def get_many(self, espace_ids: Sequence[str]) -> list[Espace]:
        self.calls.append("get_many")
        return [self._out(self.items[i]) for i in dict.fromkeys(espace_ids) if i in self.items]

    def find_by_nir(self, nir_hmac: str) -> list[Espace]:
        self.calls.append("find_by_nir")
        found = [e for e in self.items.values() if e.nir_hmac == nir_hmac]
        return [self._out(e) for e in sorted(found, key=lambda e: e.birth_date.isoformat())]

    def children_of(self, guardian_id: str) -> list[str]:
        self.calls.append("children_of")
        return sorted(e.espace_id for e in self.items.values()
                      if guardian_id in (e.guardian_id, e.representative_id))

    def majority_due_ids(self, shard: int, today: date, limit: int, start: Any | None) -> Page:
        """Same keys as the adapter's sparse `by_majority` index (BR-18)."""
        from mes.domain.children import is_managed, majority_date
        self.calls.append("majority_due_ids")
        keyed = sorted(
            (majority_date(e.birth_date).isoformat(), e.espace_id) for e in self.items.values()
            if (is_managed(e) or e.handover_notice_pending) and e.status != Status.PURGED
            and majority_date(e.birth_date) <= today and shard_of(e.espace_id, self.due_shards) == shard
        )
        selected = [k for k in keyed if start is None or k > start][:limit]
        next_key = selected[-1] if selected and len(selected) == limit else None
        return Page(items=[espace_id for _, espace_id in selected], next_key=next_key)

    def save(self, espace: Espace) -> None:
        self.calls.append("save")
        current = self.items.get(espace.espace_id)
        if espace.version == 0:
            if current is not None:
                raise ConcurrentUpdate()
        elif current is None or current.version != espace.version:
            raise ConcurrentUpdate()
        self.items[espace.espace_id] = self._stored(espace, espace.version + 1)
        espace.version += 1

    def add_new(self, espaces: Sequence[Espace]) -> int:
        self.calls.append("add_new")
        inserted = 0
        for espace in espaces:
            if espace.espace_id not in self.items:
                self.items[espace.espace_id] = self._stored(espace, 1)
                inserted += 1
        return inserted

    # -- notification wave -----------------------------------------------------------------
    def pending_page(self, shard: int, department: str | None, limit: int, start: Any | None) -> Page:
        self.calls.append("pending_page")
        keyed = sorted(
            (f"{e.department}#{e.espace_id}", e) for e in self.items.values()
            if e.status == Status.PENDING and shard_of(e.espace_id, self.wave_shards) == shard
            and (department is None or e.department == department)
        )
        selected = [(k, e) for k, e in keyed if start is None or k > start][:limit]
        next_key = selected[-1][0] if selected and len(selected) == limit else None
        return Page(items=[self._out(e) for _, e in selected], next_key=next_key)

    def claim_for_wave(self, espaces: Sequence[Espace], batch: WaveBatch) -> list[str]:
        self.calls.append("claim_for_wave")
        claimed = [e for e in espaces
                   if (s := self.items.get(e.espace_id)) is not None and s.version == e.version
                   and s.status == Status.PENDING]
        if not claimed:
            return []
        if batch.batch_id in self.batches:
            raise ConcurrentUpdate()
        for espace in claimed:
            self.items[espace.espace_id] = self._stored(espace, espace.version + 1)
            espace.version += 1
        self.batches[batch.batch_id] = WaveBatch(batch_id=batch.batch_id, espace_ids=[e.espace_id for e in claimed],
                                                 claimed_at=second(batch.claimed_at))
        return [e.espace_id for e in claimed]

    def inflight_batches(self) -> list[WaveBatch]:
        self.calls.append("inflight_batches")
        return [copy.deepcopy(self.batches[k]) for k in sorted(self.batches)]

    def finish_batch(self, batch_id: str) -> None:
        self.calls.append("finish_batch")
        self.batches.pop(batch_id, None)

    # -- automatic creation ----------------------------------------------------------------
    @staticmethod
    def _due(espace: Espace, now: datetime) -> bool:
        # Same comparison as the adapter: ISO strings at second precision, `due_at < now` (the
        # deadline instant still belongs to the opposition window, BR-07).
        return (espace.status == Status.NOTIFIED and espace.opposition_deadline is not None
                and second(espace.opposition_deadline) < second(now))

    def due_ids(self, shard: int, now: datetime, limit: int, start: Any | None) -> Page:
        self.calls.append("due_ids")
        keyed = sorted(
            (second(e.opposition_deadline), e.espace_id) for e in self.items.values()  # type: ignore[arg-type]
            if self._due(e, now) and shard_of(e.espace_id, self.due_shards) == shard
        )
        selected = [k for k in keyed if start is None or k > start][:limit]
        next_key = selected[-1] if selected and len(selected) == limit else None
        return Page(items=[espace_id for _, espace_id in selected], next_key=next_key)

    def mark_created(self, espace_ids: Sequence[str], now: datetime) -> int:
        self.calls.append("mark_created")
        created = 0
        for espace_id in espace_ids:
            stored = self.items.get(espace_id)
            if stored is None or not self._due(stored, now):
                continue
            stored.status = Status.CREATED
            stored.created_at = second(now)
            stored.version += 1
            created += 1
        return created


class FakeCredentialRepository:
    def __init__(self, espaces: FakeEspaceRepository):
        self.espaces = espaces
        self.items: dict[str, Credential] = {}

    def get(self, login: str) -> Credential | None:
        found = self.items.get(login)
        return copy.deepcopy(found) if found else None

    def activate(self, espace: Espace, credential: Credential, previous_login: str | None = None) -> None:
        """One transaction: nothing is written unless both conditions hold. `previous_login`: a
        reopened espace's login, re-bound (same login) or replaced (BR-14)."""
        taken = self.items.get(credential.login)
        if taken is not None and taken.espace_id != credential.espace_id:
            raise LoginTaken()
        current = self.espaces.items.get(espace.espace_id)
        if current is None or current.version != espace.version:
            raise ConcurrentUpdate()
        self.items[credential.login] = copy.deepcopy(credential)
        if previous_login and previous_login != credential.login:
            old = self.items.get(previous_login)
            if old is not None and old.espace_id == credential.espace_id:
                del self.items[previous_login]
        self.espaces.items[espace.espace_id] = self.espaces._stored(espace, espace.version + 1)
        espace.version += 1


class FakeEphemeralStore:
    def __init__(self) -> None:
        self.challenges: dict[str, Challenge] = {}
        self.revoked: dict[str, datetime] = {}
        self.counters: dict[str, int] = {}
        self.sessions: dict[str, tuple[int, datetime]] = {}  # espace id → (minimum epoch, until)
        self.web_sessions: dict[str, WebSession] = {}  # keyed hash of the cookie's id → session

    def put_challenge(self, challenge: Challenge) -> None:
        if challenge.challenge_id in self.challenges:
            raise RuntimeError("challenge already exists")  # the adapter's conditional put fails too
        stored = copy.deepcopy(challenge)
        stored.expires_at = second(stored.expires_at)
        stored.attempts, stored.used = 0, False
        self.challenges[challenge.challenge_id] = stored

    def get_challenge(self, challenge_id: str) -> Challenge | None:
        found = self.challenges.get(challenge_id)
        return copy.deepcopy(found) if found else None

    def record_attempt(self, challenge_id: str) -> int:
        found = self.challenges.get(challenge_id)
        if found is None:
            return 0
        found.attempts += 1
        return found.attempts

    def take_attempt(self, challenge_id: str, limit: int) -> bool:
        found = self.challenges.get(challenge_id)
        if found is None or found.attempts >= limit:
            return False
        found.attempts += 1
        return True

    def consume_challenge(self, challenge_id: str) -> bool:
        found = self.challenges.get(challenge_id)
        if found is None or found.used:
            return False
        found.used = True
        return True

    def replace_code(self, challenge: Challenge, *, sent_before: datetime, max_attempts: int) -> bool:
        found = self.challenges.get(challenge.challenge_id)
        if (found is None or found.used or found.attempts >= max_attempts
                or (found.sent_at is not None and found.sent_at > sent_before)):
            return False
        found.otp_hashes, found.data = dict(challenge.otp_hashes), copy.deepcopy(challenge.data)
        found.sent_at, found.expires_at = challenge.sent_at, second(challenge.expires_at)
        return True

    def revoke_token(self, jti: str, expires_at: datetime) -> None:
        self.revoked[jti] = expires_at

    def is_revoked(self, jti: str) -> bool:
        return jti in self.revoked

    def revocation(self, jti: str, espace_id: str, now: datetime) -> tuple[bool, int]:
        min_epoch, until = self.sessions.get(espace_id, (0, now))
        return jti in self.revoked, (min_epoch if until > now else 0)

    def put_session(self, session: WebSession, expires_at: datetime) -> None:
        if session.session_hash in self.web_sessions:
            raise RuntimeError("session already exists")
        self.web_sessions[session.session_hash] = copy.deepcopy(session)

    def get_session(self, session_hash: str) -> WebSession | None:
        found = self.web_sessions.get(session_hash)
        return copy.deepcopy(found) if found else None

    def rotate_session(self, old: WebSession, new: WebSession, expires_at: datetime) -> bool:
        stored = self.web_sessions.get(old.session_hash)
        if stored is None or stored.last_active != old.last_active or new.session_hash in self.web_sessions:
            return False
        del self.web_sessions[old.session_hash]
        self.web_sessions[new.session_hash] = copy.deepcopy(new)
        return True

    def end_session(self, session_hash: str) -> None:
        self.web_sessions.pop(session_hash, None)

    def set_sessions(self, espace_id: str, min_epoch: int, until: datetime) -> None:
        """What the closure/suspension transaction writes next to the espace (BR-14)."""
        self.sessions[espace_id] = (min_epoch, until)

    @staticmethod
    def _window(key: str, window_seconds: int, now: datetime) -> str:
        start = int(now.timestamp()) // window_seconds * window_seconds
        return f"rl#{key}#{start}"

    def count(self, key: str, window_seconds: int, now: datetime) -> int:
        return self.counters.get(self._window(key, window_seconds, now), 0)

    def hit(self, key: str, window_seconds: int, now: datetime) -> int:
        window = self._window(key, window_seconds, now)
        self.counters[window] = self.counters.get(window, 0) + 1
        return self.counters[window]


# ------------------------------------------------------------------------------------------------
# Outbound: e-mails, SMS, letters
# ------------------------------------------------------------------------------------------------
@dataclass
class Sent:
    channel: str  # "email" | "sms"
    template: str
    to: str
    data: dict[str, str]
    bulk: bool = False


class _Breakable:
    def __init__(self) -> None:
        self._crashes: dict[str, list[int]] = {}
        self._calls: dict[str, int] = {}

    def break_next(self, method: str, after: int = 0) -> None:
        """The call to `method` that comes after `after` more successful ones raises InjectedCrash."""
        self._crashes.setdefault(method, []).append(self._calls.get(method, 0) + after)

    def heal(self) -> None:
        """Forget the crashes not triggered yet."""
        self._crashes.clear()

    def _maybe_crash(self, method: str) -> None:
        index = self._calls.get(method, 0)
        self._calls[method] = index + 1
        if index in self._crashes.get(method, []):
            self._crashes[method].remove(index)
            raise InjectedCrash(f"injected crash in {method}")


class RecordingNotifier(_Breakable):
    SES_BULK_MAX = 50

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[Sent] = []
        self.bulk_calls: list[tuple[str, int]] = []  # (template, number of destinations)

    def send_bulk_templated(self, template: str, destinations: Sequence[tuple[str, dict[str, str]]]) -> None:
        self._maybe_crash("send_bulk_templated")
        if len(destinations) > self.SES_BULK_MAX:
            raise ValueError(f"SES accepts at most {self.SES_BULK_MAX} destinations, got {len(destinations)}")
        self.bulk_calls.append((template, len(destinations)))
        self.sent.extend(Sent("email", template, to, dict(data), bulk=True) for to, data in destinations)

    def send_templated(self, template: str, to: str, data: dict[str, str]) -> None:
        self._maybe_crash("send_templated")
        self.sent.append(Sent("email", template, to, dict(data)))

    def send_sms(self, template: str, to: str, data: dict[str, str]) -> None:
        self._maybe_crash("send_sms")
        self.sent.append(Sent("sms", template, to, dict(data)))

    def to(self, address: str, template: str | None = None) -> list[Sent]:
        return [s for s in self.sent if s.to == address and (template is None or template in s.template)]

    def last_otp(self, address: str) -> str:
        otps = [s.data["otp"] for s in self.to(address) if "otp" in s.data]
        assert otps, f"no one-time code sent to {address}"
        return otps[-1]


class RecordingPrinter(_Breakable):
    """One print file per batch id: writing the same id again replaces the file (an S3 put)."""

    def __init__(self) -> None:
        super().__init__()
        self.files: dict[str, list[dict[str, str]]] = {}
        self.writes: list[str] = []

    def write_batch(self, batch_id: str, letters: Iterable[dict[str, str]]) -> str:
        self._maybe_crash("write_batch")
        self.files[batch_id] = [dict(letter) for letter in letters]
        self.writes.append(batch_id)
        return f"letters/{batch_id}.csv"

    @property
    def letters(self) -> list[dict[str, str]]:
        return [letter for batch in self.files.values() for letter in batch]


# ------------------------------------------------------------------------------------------------
# Tokens and passwords
# ------------------------------------------------------------------------------------------------
_LOCAL_KEY = ec.generate_private_key(ec.SECP256R1())


class LocalTokenService:
    """ES256 with a key generated locally (KMS stand-in). Algorithm pinned; `aud`, `iss`, `exp`
    required and checked, `exp` against the `now` given (the injected clock), like the adapter."""

    ALGORITHM = "ES256"

    def __init__(self, issuer: str = "mes", private_key: ec.EllipticCurvePrivateKey | None = None, kid: str = "local"):
        self.issuer = issuer
        self.private_key = private_key or _LOCAL_KEY
        self.public_key = self.private_key.public_key()
        self.kid = kid
        self.signed: list[dict[str, Any]] = []

    def sign(self, claims: dict[str, Any]) -> str:
        payload = {"iss": self.issuer, **claims}
        self.signed.append(payload)
        return jwt.encode(payload, self.private_key, algorithm=self.ALGORITHM, headers={"kid": self.kid})

    def verify(self, token: str, audience: str, now: datetime) -> dict[str, Any]:
        """The real checks (algorithm pinned, kid, aud, iss, exp against `now`); only the key differs."""
        return verify_jwt(token, self.public_key, audience, self.issuer, self.kid, now)


class FakeHasher:
    """Cheap and deterministic; counts the dummy verifications (same work for unknown logins)."""

    def __init__(self) -> None:
        self.dummy_calls = 0
        self.verify_calls = 0

    def hash(self, password: str) -> str:
        return "fake$" + hashlib.sha256(password.encode()).hexdigest()

    def verify(self, password_hash: str, password: str) -> bool:
        self.verify_calls += 1
        return hmac.compare_digest(password_hash, self.hash(password))

    def dummy_verify(self, password: str) -> None:
        self.dummy_calls += 1
        self.verify(self.hash("dummy"), password)


# ------------------------------------------------------------------------------------------------
# Wiring
# ------------------------------------------------------------------------------------------------
MASTER_SECRET = "unit-test-master-secret-0123456789abcdef"


def template_name(name: str) -> str:
    return f"mes-test-{name}"


@dataclass
class FakeSystem:
    """Every port, wired the way `mes.bootstrap.Container` wires the real adapters."""

    repo: FakeEspaceRepository = field(default_factory=FakeEspaceRepository)
    ephemeral: FakeEphemeralStore = field(default_factory=FakeEphemeralStore)
    notifier: RecordingNotifier = field(default_factory=RecordingNotifier)
    printer: RecordingPrinter = field(default_factory=RecordingPrinter)
    tokens: LocalTokenService = field(default_factory=LocalTokenService)
    hasher: FakeHasher = field(default_factory=FakeHasher)
    keys: Keys = field(default_factory=lambda: Keys.derive(MASTER_SECRET))
    credentials: FakeCredentialRepository = field(init=False)

    def __post_init__(self) -> None:
        self.credentials = FakeCredentialRepository(self.repo)

    def account_deps(self) -> Any:
        from mes.services.enrolment import AccountDeps
        return AccountDeps(repo=self.repo, credentials=self.credentials, ephemeral=self.ephemeral,
                           notifier=self.notifier, tokens=self.tokens, hasher=self.hasher, keys=self.keys,
                           template_name=template_name)

    def wave_deps(self) -> Any:
        from mes.services.wave import WaveDeps
        return WaveDeps(repo=self.repo, notifier=self.notifier, printer=self.printer, keys=self.keys,
                        template_name=template_name, shards=self.repo.wave_shards)


# ------------------------------------------------------------------------------------------------
# People
# ------------------------------------------------------------------------------------------------
def make_nir(sex: int, birth: date, department: str, commune: int = 123, order: int = 456) -> str:
    """A valid NIR (key = 97 - n mod 97, with 2A→19 and 2B→18)."""
    body = f"{sex}{birth.year % 100:02d}{birth.month:02d}{department}{commune:03d}{order:03d}"
    number = int(body.replace("2A", "19").replace("2B", "18"))
    return body + f"{97 - number % 97:02d}"


def person(index: int, *, department: str = "44", email: bool = True, mobile: bool = False, address: bool = True,
           birth: date | None = None, guardian: dict[str, str] | None = None) -> dict[str, str]:
    """One row of the insurer's population file; distinct NIR and serial per index."""
    birth = birth or date(1950, 1, 1) + timedelta(days=97 * index % 20000)
    nir_department = department if len(department) == 2 else department[:2]
    return {
        "nir": make_nir(1 + index % 2, birth, nir_department, commune=100 + index // 999, order=1 + index % 999),
        "birth_date": birth.isoformat(),
        "vitale_serial": f"{10_000_000_000 + index:011d}",
        "last_name": "Martin",
        "first_name": f"Prenom{index}",
        "email": f"person{index}@example.org" if email and guardian is None else "",
        "mobile": f"+3361234{index:04d}" if mobile else "",
        "address": f"{index} rue de la Paix, {department}000 Ville" if address and guardian is None else "",
        "department": department,
        "guardian_nir": guardian["nir"] if guardian else "",
        "guardian_birth_date": guardian["birth_date"] if guardian else "",
    }


def rows(*people: dict[str, str]) -> list[tuple[int, dict[str, str]]]:
    """As `mes.services.population.read_csv` returns them: (line number, row), line 1 is the header."""
    return [(i + 2, dict(p)) for i, p in enumerate(people)]


# ------------------------------------------------------------------------------------------------
# Medical profile (BR-19): same semantics as mes.adapters.profile_dynamo (tests/contract checks it)
# ------------------------------------------------------------------------------------------------
class FakeProfileRepository:
    """Sections replaced whole; measurements keyed on (type, measured_at to the second), appended
    only; pages newest first (by type: on the measurement key; all types: by time then type) with
    an opaque cursor that is only valid for the same search; purge and export of one espace."""

    def __init__(self) -> None:
        self.section_items: dict[tuple[str, str], dict[str, Any]] = {}
        self.measurement_items: dict[tuple[str, str, str], Any] = {}
        self.queries = 0

    def put_section(self, espace_id: str, name: str, data: dict[str, Any], now: datetime) -> None:
        self.section_items[(espace_id, name)] = copy.deepcopy(data)

    def sections(self, espace_id: str) -> dict[str, dict[str, Any]]:
        self.queries += 1
        return {n: copy.deepcopy(d) for (e, n), d in self.section_items.items() if e == espace_id}

    def some_sections(self, espace_id: str, names: Sequence[str]) -> dict[str, dict[str, Any]]:
        return {n: copy.deepcopy(self.section_items[(espace_id, n)]) for n in names
                if (espace_id, n) in self.section_items}

    def add_measurement(self, m: Any) -> tuple[Any, bool]:
        key = (m.espace_id, m.type, m.measured_at.strftime("%Y-%m-%dT%H:%M:%SZ"))
        if key in self.measurement_items:
            return self.measurement_items[key], False
        self.measurement_items[key] = m
        return m, True

    def measurements(self, espace_id: str, *, type_: str | None, start: datetime | None, end: datetime | None,
                     limit: int, cursor: str | None) -> Page:
        from mes.domain.errors import ValidationError
        self.queries += 1
        found = [m for (e, t, _), m in self.measurement_items.items()
                 if e == espace_id and (type_ is None or t == type_)
                 and (start is None or m.measured_at >= start) and (end is None or m.measured_at <= end)]
        found.sort(key=lambda m: (m.measured_at, m.type), reverse=True)
        tag = f"{type_}|{start}|{end}|"
        if cursor:
            if not cursor.startswith(tag):
                raise ValidationError("Curseur de pagination invalide.", field="cursor")
            offset = int(cursor[len(tag):])
        else:
            offset = 0
        page = found[offset:offset + limit]
        more = len(page) == limit
        return Page(items=page, next_key=f"{tag}{offset + limit}" if more else None)

    def purge_espace(self, espace_id: str) -> int:
        doomed = [k for k in self.section_items if k[0] == espace_id]
        gone = [k for k in self.measurement_items if k[0] == espace_id]
        for k in doomed:
            del self.section_items[k]
        for k2 in gone:
            del self.measurement_items[k2]
        return len(doomed) + len(gone)

    def export_espace(self, espace_id: str) -> dict[str, Any]:
        measurements = sorted((m for (e, _, _), m in self.measurement_items.items() if e == espace_id),
                              key=lambda m: (m.measured_at, m.type))
        return {"sections": {n: copy.deepcopy(d) for (e, n), d in self.section_items.items() if e == espace_id},
                "measurements": [m.as_dict() for m in measurements]}
# Closure, suspension, retention (BR-14, BR-15): the semantics of mes.adapters.closure_dynamo
# ------------------------------------------------------------------------------------------------
class FakeLifecycleRepository:
    def __init__(self, espaces: FakeEspaceRepository, credentials: FakeCredentialRepository,
                 ephemeral: FakeEphemeralStore):
        self.espaces, self.credentials, self.ephemeral = espaces, credentials, ephemeral
        self.purge_started: set[str] = set()

    def save_and_revoke(self, espace: Espace, sessions_until: datetime) -> None:
        self.espaces.save(espace)  # version check first: nothing written on a lost race
        self.ephemeral.set_sessions(espace.espace_id, espace.session_epoch, sessions_until + timedelta(seconds=60))

    def _due(self, kind: str, espace: Espace, now: datetime) -> datetime | None:
        from mes.domain import closure as rules
        if kind == rules.PURGE:
            due = rules.purge_due(espace)
        else:
            due = espace.suspension_due if espace.status == Status.SUSPENDED else None
        return second(due) if due is not None and second(due) <= second(now) else None

    def due_ids(self, kind: str, shard: int, now: datetime, limit: int, start: Any | None) -> Page:
        keyed = sorted((due, e.espace_id) for e in self.espaces.items.values()
                       if (due := self._due(kind, e, now)) is not None
                       and shard_of(e.espace_id, self.espaces.due_shards) == shard)
        selected = [k for k in keyed if start is None or k > start][:limit]
        next_key = selected[-1] if selected and len(selected) == limit else None
        return Page(items=[espace_id for _, espace_id in selected], next_key=next_key)

    def start_purge(self, espace_id: str, now: datetime) -> Espace | None:
        from mes.domain import closure as rules
        stored = self.espaces.items.get(espace_id)
        if stored is None or self._due(rules.PURGE, stored, now) is None:
            return None
        self.purge_started.add(espace_id)
        return copy.deepcopy(stored)

    def finish_purge(self, espace: Espace, now: datetime) -> bool:
        stored = self.espaces.items.get(espace.espace_id)
        if stored is None or stored.status != Status.CLOSED or espace.espace_id not in self.purge_started:
            return False
        tombstone = Espace(espace_id=stored.espace_id, nir_hmac="", birth_date=date.min, vitale_hmac="", first_name="",
                           last_name="", department="", status=Status.PURGED, closed_at=stored.closed_at,
                           archived_until=stored.archived_until, deletion_due=stored.deletion_due,
                           purged_at=second(now), version=stored.version + 1)
        self.espaces.items[espace.espace_id] = tombstone
        if espace.login and (c := self.credentials.items.get(espace.login)) and c.espace_id == espace.espace_id:
            del self.credentials.items[espace.login]
        return True

    def close_suspended(self, espace_id: str, now: datetime) -> Espace | None:
        from mes.domain import closure as rules
        stored = self.espaces.items.get(espace_id)
        if stored is None or self._due(rules.SUSPENSION, stored, now) is None:
            return None
        rules.close_suspended(stored, second(now))
        stored.version += 1
        return copy.deepcopy(stored)


class FakeHolderStore:
    """A table holding some of a holder's data (documents, authorisations…), told to crash on demand."""

    def __init__(self, name: str = "store") -> None:
        self.name = name
        self.items: dict[str, list[str]] = {}
        self.crash_on: str | None = None

    def purge_espace(self, espace_id: str) -> int:
        if self.crash_on == espace_id:
            raise InjectedCrash(f"{self.name} died purging")
        return len(self.items.pop(espace_id, []))
