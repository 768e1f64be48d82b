"""PynamoDB models and repositories. Models stay here and are mapped to domain objects.

Index attributes are derived from the state in one place (`_index_attributes`): a pending espace
carries `wave_pk/wave_sk` (sparse `by_wave` index, read by the notification wave), a notified one
carries `due_pk/due_at` (sparse `by_due`, keys only, read by automatic creation). Any transition
that leaves those states removes them, so both jobs read only what they must.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from pynamodb.exceptions import PutError, TransactWriteError, UpdateError

from mes.adapters.closure_dynamo import lifecycle_due
from mes.adapters.dynamo_kit import (
    DUE_SHARDS,
    OrderedTransactWrite,
    failed_indexes,
    from_iso,
    iso,
    shard_of,
    transact_with_retry,
    transaction,
)
from mes.adapters.espace_models import CoreModels, EspaceModel
from mes.domain.errors import ConcurrentUpdate, LoginTaken
from mes.domain.espace import Contact, Espace, HolderSettings, Status
from mes.ports import Challenge, Credential, Page, WaveBatch, WebSession

WAVE_SHARDS = 8


def _index_attributes(espace: Espace) -> dict[str, str | None]:
    attrs: dict[str, str | None] = {"wave_pk": None, "wave_sk": None, "due_pk": None, "due_at": None}
    if espace.status == Status.PENDING:
        attrs["wave_pk"] = f"pending#{shard_of(espace.espace_id, WAVE_SHARDS)}"
        attrs["wave_sk"] = f"{espace.department}#{espace.espace_id}"
    elif espace.status == Status.NOTIFIED and espace.opposition_deadline is not None:
        attrs["due_pk"] = f"due#{shard_of(espace.espace_id, DUE_SHARDS)}"
        attrs["due_at"] = iso(espace.opposition_deadline)
    else:
        attrs.update(lifecycle_due(espace))  # BR-14/15: the same sparse index, other partitions
    return attrs


_TIMES = ("code_sent_at", "code_expires_at", "notified_at", "opposition_deadline", "opposed_at", "created_at",
          "activated_at", "imported_at", "closed_at", "archived_until", "deletion_due", "suspended_at",
          "suspension_due", "reopened_at", "purged_at")
_PLAIN = ("espace_id", "nir_hmac", "vitale_hmac", "first_name", "last_name", "department", "email", "mobile",
          "address", "guardian_id", "code_seq", "code_used_seq", "code_attempts", "receipt_id", "login",
          "otp_channel", "session_epoch", "suspended_from")


class DynamoEspaceRepository:
    def __init__(self, m: CoreModels):
        self.Espace = m.espace
        self.Job = m.job
        self._region = self.Espace.Meta.region

    # -- mapping ----------------------------------------------------------------------------
    def to_model(self, espace: Espace, version: int) -> EspaceModel:
        item = self.Espace()
        for name in _PLAIN:
            setattr(item, name, getattr(espace, name))
        for name in _TIMES:
            value = getattr(espace, name)
            setattr(item, name, iso(value) if value else None)
        item.birth_date = espace.birth_date.isoformat()
        item.status = str(espace.status)
        contact = espace.guardian_contact
        item.guardian_name = contact.name if contact else None
        item.guardian_email = contact.email if contact else None
        item.guardian_mobile = contact.mobile if contact else None
        item.guardian_address = contact.address if contact else None
        item.settings_json = json.dumps(espace.settings.as_dict())
        item.version = version
        for name, value in _index_attributes(espace).items():
            setattr(item, name, value)
        for name, value in _family_attributes(espace).items():
            setattr(item, name, value)
        return item

    def to_domain(self, item: EspaceModel) -> Espace:
        kwargs: dict[str, Any] = {name: getattr(item, name) for name in _PLAIN}
        for name in ("code_seq", "code_used_seq", "code_attempts", "session_epoch"):
            kwargs[name] = int(kwargs[name] or 0)
        for name in _TIMES:
            kwargs[name] = from_iso(getattr(item, name))
        contact = None
        if item.guardian_id:
            contact = Contact(name=item.guardian_name or "", email=item.guardian_email,
                              mobile=item.guardian_mobile, address=item.guardian_address)
        settings = HolderSettings.from_dict(json.loads(item.settings_json) if item.settings_json else None)
        # a purged tombstone keeps no birth date (BR-14)
        birth = date.fromisoformat(item.birth_date) if item.birth_date else date.min
        return Espace(birth_date=birth, status=Status(item.status),
                      guardian_contact=contact, version=int(item.version or 0), settings=settings,
                      representative_id=item.representative_id,
                      handover_notice_pending=bool(item.handover_notice_pending),
                      handed_over_at=from_iso(item.handed_over_at), **kwargs)

    # -- single items -----------------------------------------------------------------------
    def get(self, espace_id: str) -> Espace | None:
        try:
            return self.to_domain(self.Espace.get(espace_id, consistent_read=True))
        except self.Espace.DoesNotExist:
            return None

    def get_many(self, espace_ids: Sequence[str]) -> list[Espace]:
        return [self.to_domain(i) for i in self.Espace.batch_get(list(espace_ids), consistent_read=True)]

    def find_by_nir(self, nir_hmac: str) -> list[Espace]:
        return [self.to_domain(i) for i in self.Espace.by_nir.query(nir_hmac)]

    def children_of(self, guardian_id: str) -> list[str]:
        """Children managed as the guardian on file, then as the second representative (BR-16): two
        Queries on keys-only indexes, never a Scan."""
        ids = [i.espace_id for i in self.Espace.by_guardian.query(guardian_id)]
        ids += [i.espace_id for i in self.Espace.by_representative.query(guardian_id) if i.espace_id not in ids]
        return ids

    def majority_due_ids(self, shard: int, today: date, limit: int, start: Any | None) -> Page:
        """BR-18: managed espaces whose 18th birthday is today or past (sparse, keys only)."""
        result = self.Espace.by_majority.query(f"majority#{shard}", self.Espace.majority_at <= today.isoformat(),
                                               limit=limit, last_evaluated_key=start)
        return Page(items=[i.espace_id for i in result], next_key=result.last_evaluated_key)

    def save(self, espace: Espace) -> None:
        item = self.to_model(espace, espace.version + 1)
        condition = (self.Espace.version == espace.version) if espace.version else self.Espace.espace_id.does_not_exist()
        try:
            item.save(condition=condition)
        except PutError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                raise ConcurrentUpdate() from exc
            raise
        espace.version += 1

    def add_new(self, espaces: Sequence[Espace]) -> int:
        """Conditional puts (the id must not exist), 100 per transaction: a known person is never
        overwritten, even by a concurrent import (a re-import cannot reset a notified person).
        Those that exist are dropped from the transaction, which is retried with the others."""
        def write(tx: OrderedTransactWrite, chunk: list[Espace]) -> None:
            for espace in chunk:
                tx.save(self.to_model(espace, 1), condition=self.Espace.espace_id.does_not_exist())

        inserted = 0
        for start in range(0, len(espaces), 100):
            written = transact_with_retry(self._region, espaces[start:start + 100], write)
            for espace in written:
                espace.version = 1
            inserted += len(written)
        return inserted

    # -- notification wave ------------------------------------------------------------------
    def pending_page(self, shard: int, department: str | None, limit: int, start: Any | None) -> Page:
        condition = self.Espace.wave_sk.startswith(f"{department}#") if department else None
        result = self.Espace.by_wave.query(f"pending#{shard}", condition, limit=limit, last_evaluated_key=start)
        items = [self.to_domain(i) for i in result]
        return Page(items=items, next_key=result.last_evaluated_key)

    def claim_for_wave(self, espaces: Sequence[Espace], batch: WaveBatch) -> list[str]:
        def write(tx: OrderedTransactWrite, remaining: list[Espace]) -> None:
            for espace in remaining:
                tx.save(self.to_model(espace, espace.version + 1),
                        condition=(self.Espace.version == espace.version) & (self.Espace.status == "pending"))
            record = self.Job(pk="wave#inflight", sk=batch.batch_id, espace_ids=[e.espace_id for e in remaining],
                              claimed_at=iso(batch.claimed_at))
            tx.save(record, condition=self.Job.sk.does_not_exist())  # after the espaces: its index is len(remaining)

        claimed = transact_with_retry(self._region, espaces, write)
        for espace in claimed:
            espace.version += 1
        return [e.espace_id for e in claimed]

    def inflight_batches(self) -> list[WaveBatch]:
        return [WaveBatch(batch_id=i.sk, espace_ids=[str(e) for e in i.espace_ids], claimed_at=from_iso(i.claimed_at) or datetime.now(UTC))
                for i in self.Job.query("wave#inflight", consistent_read=True)]

    def finish_batch(self, batch_id: str) -> None:
        self.Job(pk="wave#inflight", sk=batch_id).delete()

    # -- automatic creation -----------------------------------------------------------------
    def due_ids(self, shard: int, now: datetime, limit: int, start: Any | None) -> Page:
        result = self.Espace.by_due.query(f"due#{shard}", self.Espace.due_at < iso(now), limit=limit,
                                          last_evaluated_key=start)
        return Page(items=[i.espace_id for i in result], next_key=result.last_evaluated_key)

    def mark_created(self, espace_ids: Sequence[str], now: datetime) -> int:
        E = self.Espace

        def write(tx: OrderedTransactWrite, remaining: list[str]) -> None:
            for espace_id in remaining:
                tx.update(E(espace_id=espace_id), actions=[
                    E.status.set("created"), E.created_at.set(iso(now)), E.due_pk.remove(),
                    E.due_at.remove(), E.version.add(1),
                ], condition=(E.status == "notified") & (E.due_at < iso(now)))

        return len(transact_with_retry(self._region, espace_ids, write))


MAJORITY_SHARDS = 8


def _family_attributes(espace: Espace) -> dict[str, Any]:
    """BR-16/BR-18: the second representative (sparse `by_representative`), and the handover date on
    the sparse `by_majority` index while someone manages the espace or its young adult's code is
    still to be sent; the handover removes them."""
    from mes.domain.children import is_managed, majority_date
    attrs: dict[str, Any] = {"representative_id": espace.representative_id,
                             "handover_notice_pending": True if espace.handover_notice_pending else None,
                             "handed_over_at": iso(espace.handed_over_at) if espace.handed_over_at else None,
                             "majority_pk": None, "majority_at": None}
    if (is_managed(espace) or espace.handover_notice_pending) and espace.status != Status.PURGED:
        attrs["majority_pk"] = f"majority#{shard_of(espace.espace_id, MAJORITY_SHARDS)}"
        attrs["majority_at"] = majority_date(espace.birth_date).isoformat()
    return attrs


class DynamoCredentialRepository:
    def __init__(self, m: CoreModels, espaces: DynamoEspaceRepository):
        self.Credential = m.credential
        self.espaces = espaces

    def get(self, login: str) -> Credential | None:
        try:
            item = self.Credential.get(login)
        except self.Credential.DoesNotExist:
            return None
        return Credential(login=item.login, espace_id=item.espace_id, password_hash=item.password_hash)

    def activate(self, espace: Espace, credential: Credential, previous_login: str | None = None) -> None:
        """`previous_login`: a reopened espace's login (BR-14). The same login is re-bound to the
        espace with the new password; a different one replaces it (the old login is deleted)."""
        E = self.espaces.Espace
        C = self.Credential
        try:
            with transaction(self.Credential.Meta.region) as tx:
                tx.save(C(login=credential.login, espace_id=credential.espace_id,
                          password_hash=credential.password_hash),
                        condition=C.login.does_not_exist() | (C.espace_id == credential.espace_id))
                tx.save(self.espaces.to_model(espace, espace.version + 1), condition=E.version == espace.version)
                if previous_login and previous_login != credential.login:
                    tx.delete(C(login=previous_login), condition=C.login.does_not_exist()
                              | (C.espace_id == credential.espace_id))
        except TransactWriteError as exc:
            failed = failed_indexes(exc, tx)
            if 0 in failed:
                raise LoginTaken() from exc
            raise ConcurrentUpdate() from exc
        espace.version += 1


def _window(key: str, window_seconds: int, now: datetime) -> tuple[str, int]:
    start = int(now.timestamp()) // window_seconds * window_seconds
    return f"rl#{key}#{start}", start + window_seconds


class DynamoEphemeralStore:
    def __init__(self, m: CoreModels):
        self.Item = m.ephemeral

    def put_challenge(self, challenge: Challenge) -> None:
        self.Item(pk=f"challenge#{challenge.challenge_id}", kind=challenge.kind, espace_id=challenge.espace_id,
                  expires_at=iso(challenge.expires_at), expires_at_epoch=int(challenge.expires_at.timestamp()),
                  payload=json.dumps({"otp_hashes": challenge.otp_hashes, "data": challenge.data}),
                  sent_at_epoch=int(challenge.sent_at.timestamp()) if challenge.sent_at else None,
                  attempts=0, used=False).save(condition=self.Item.pk.does_not_exist())

    def get_challenge(self, challenge_id: str) -> Challenge | None:
        try:
            item = self.Item.get(f"challenge#{challenge_id}", consistent_read=True)
        except self.Item.DoesNotExist:
            return None
        payload = json.loads(item.payload or "{}")
        return Challenge(challenge_id=challenge_id, kind=item.kind or "", espace_id=item.espace_id or "",
                         expires_at=from_iso(item.expires_at) or datetime.now(UTC), otp_hashes=payload["otp_hashes"],
                         attempts=int(item.attempts or 0), used=bool(item.used), data=payload.get("data", {}),
                         sent_at=datetime.fromtimestamp(item.sent_at_epoch, UTC) if item.sent_at_epoch else None)

    def record_attempt(self, challenge_id: str) -> int:
        item = self.Item(pk=f"challenge#{challenge_id}")
        item.update(actions=[self.Item.attempts.add(1)])
        return int(item.attempts)

    def take_attempt(self, challenge_id: str, limit: int) -> bool:
        item = self.Item(pk=f"challenge#{challenge_id}")
        try:
            item.update(actions=[self.Item.attempts.add(1)],
                        condition=self.Item.pk.exists() & (self.Item.attempts.does_not_exist()
                                                          | (self.Item.attempts < limit)))
        except UpdateError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def consume_challenge(self, challenge_id: str) -> bool:
        item = self.Item(pk=f"challenge#{challenge_id}")
        try:
            item.update(actions=[self.Item.used.set(True)],
                        condition=self.Item.pk.exists() & (self.Item.used == False))  # noqa: E712
        except UpdateError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def replace_code(self, challenge: Challenge, *, sent_before: datetime, max_attempts: int) -> bool:
        M = self.Item
        sent_at = int((challenge.sent_at or sent_before).timestamp())
        try:
            M(pk=f"challenge#{challenge.challenge_id}").update(
                actions=[M.payload.set(json.dumps({"otp_hashes": challenge.otp_hashes, "data": challenge.data})),
                         M.sent_at_epoch.set(sent_at), M.expires_at.set(iso(challenge.expires_at)),
                         M.expires_at_epoch.set(int(challenge.expires_at.timestamp()))],
                condition=M.pk.exists() & (M.used == False)  # noqa: E712
                & (M.attempts.does_not_exist() | (M.attempts < max_attempts))
                & (M.sent_at_epoch.does_not_exist() | (M.sent_at_epoch <= int(sent_before.timestamp()))))
        except UpdateError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def revoke_token(self, jti: str, expires_at: datetime) -> None:
        self.Item(pk=f"revoked#{jti}", kind="revoked", expires_at_epoch=int(expires_at.timestamp())).save()

    def is_revoked(self, jti: str) -> bool:
        return self._exists(f"revoked#{jti}")

    def revocation(self, jti: str, espace_id: str, now: datetime) -> tuple[bool, int]:
        """One BatchGetItem: is this token id revoked (logout), and the espace's minimum session
        epoch (closure, suspension: BR-14), ignored once expired (DynamoDB TTL deletes late)."""
        keys = [f"revoked#{jti}", f"sessions#{espace_id}"]
        revoked, min_epoch = False, 0
        for item in self.Item.batch_get(keys, consistent_read=True,
                                        attributes_to_get=["pk", "min_epoch", "expires_at_epoch"]):
            if item.pk == keys[0]:
                revoked = True
            elif item.expires_at_epoch is None or item.expires_at_epoch > now.timestamp():
                min_epoch = int(item.min_epoch or 0)
        return revoked, min_epoch

    # -- web sessions (WEB.md "Session"): the key is the keyed hash of the cookie's id, never the id
    def _session_item(self, session: WebSession, expires_at: datetime) -> Any:
        return self.Item(pk=f"websession#{session.session_hash}", kind="websession", espace_id=session.espace_id,
                         epoch=session.epoch, last_active_epoch=int(session.last_active.timestamp()),
                         expires_at_epoch=int(expires_at.timestamp()))  # TTL; expiry is also checked on read

    def put_session(self, session: WebSession, expires_at: datetime) -> None:
        self._session_item(session, expires_at).save(condition=self.Item.pk.does_not_exist())

    def get_session(self, session_hash: str) -> WebSession | None:
        try:
            item = self.Item.get(f"websession#{session_hash}", consistent_read=True)
        except self.Item.DoesNotExist:
            return None
        return WebSession(session_hash=session_hash, espace_id=item.espace_id or "", epoch=int(item.epoch or 0),
                          last_active=datetime.fromtimestamp(int(item.last_active_epoch or 0), UTC))

    def rotate_session(self, old: WebSession, new: WebSession, expires_at: datetime) -> bool:
        """One transaction: delete the old id if its last activity is still the one read, put the new."""
        seen = int(old.last_active.timestamp())
        try:
            with transaction(self.Item.Meta.region) as tx:
                tx.delete(self.Item(pk=f"websession#{old.session_hash}"),
                          condition=self.Item.last_active_epoch == seen)
                tx.save(self._session_item(new, expires_at), condition=self.Item.pk.does_not_exist())
        except TransactWriteError as exc:
            failed_indexes(exc, tx)  # re-raised when not a condition; a lost race or a conflict: the other wins
            return False
        return True

    def end_session(self, session_hash: str) -> None:
        self.Item(pk=f"websession#{session_hash}").delete()

    def _exists(self, pk: str) -> bool:
        try:
            self.Item.get(pk, consistent_read=True, attributes_to_get=["pk"])
            return True
        except self.Item.DoesNotExist:
            return False

    def count(self, key: str, window_seconds: int, now: datetime) -> int:
        pk, _ = _window(key, window_seconds, now)
        try:
            return int(self.Item.get(pk, consistent_read=True).hits or 0)
        except self.Item.DoesNotExist:
            return 0

    def hit(self, key: str, window_seconds: int, now: datetime) -> int:
        pk, end = _window(key, window_seconds, now)
        item = self.Item(pk=pk)
        item.update(actions=[self.Item.hits.add(1), self.Item.kind.set("counter"), self.Item.expires_at_epoch.set(end)])
        return int(item.hits)
