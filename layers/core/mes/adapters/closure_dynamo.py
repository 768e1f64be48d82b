"""Closure, suspension and retention in DynamoDB (BR-14, BR-15).

The due dates live in the existing sparse, keys-only, sharded `by_due` index of the espaces table,
in partitions of their own: `purge#{shard}` (closed espaces, at the deletion request's due date or
the archive expiry) and `suspension#{shard}` (suspended espaces, at suspension + 6 weeks); automatic
creation keeps reading `due#{shard}`. So each daily job reads only the espaces it must process.

The purge of an espace's data is a list of stores (`HolderDataStore.purge_espace`), one per table or
bucket holding the holder's data; a new table plugs in with one line in `mes.bootstrap`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pynamodb.exceptions import TransactWriteError, UpdateError
from pynamodb.expressions.update import Action
from pynamodb.models import Model

from mes.adapters.dynamo_kit import (
    DUE_SHARDS,
    OrderedTransactWrite,
    failed_indexes,
    iso,
    shard_of,
    transaction,
)
from mes.adapters.espace_models import CoreModels, EphemeralModel
from mes.domain import closure as rules
from mes.domain.errors import ConcurrentUpdate
from mes.domain.espace import Espace, Status
from mes.ports import Page

PURGE = rules.PURGE
SUSPENSION = rules.SUSPENSION
SESSION_MARGIN_SECONDS = 60  # clock skew between functions

# What a purged tombstone loses: every personal attribute and every index key (BR-14). It keeps
# espace_id, status "purged", closed_at, archived_until, deletion_due, purged_at and version.
PERSONAL = ("nir_hmac", "birth_date", "vitale_hmac", "first_name", "last_name", "department", "email", "mobile",
            "address", "guardian_id", "guardian_name", "guardian_email", "guardian_mobile", "guardian_address",
            "code_seq", "code_used_seq", "code_attempts", "code_sent_at", "code_expires_at", "notified_at", "opposition_deadline", "opposed_at", "receipt_id",
            "created_at", "activated_at", "imported_at", "login", "otp_channel", "settings_json", "suspended_at",
            "suspension_due", "suspended_from", "reopened_at", "wave_pk", "wave_sk", "due_pk", "due_at",
            "purge_started_at")


def lifecycle_due(espace: Espace) -> dict[str, str | None]:
    """Index attributes of a closed or suspended espace (the others carry none of these)."""
    shard = shard_of(espace.espace_id, DUE_SHARDS)
    due = rules.purge_due(espace)
    if due is not None:
        return {"due_pk": f"{PURGE}#{shard}", "due_at": iso(due)}
    if espace.status == Status.SUSPENDED and espace.suspension_due is not None:
        return {"due_pk": f"{SUSPENSION}#{shard}", "due_at": iso(espace.suspension_due)}
    return {}


class DynamoLifecycleRepository:
    def __init__(self, m: CoreModels, espaces: Any):
        self.Espace = m.espace
        self.Ephemeral = m.ephemeral
        self.Credential = m.credential
        self.espaces = espaces  # DynamoEspaceRepository: the domain mapping
        self._region = self.Espace.Meta.region

    def _tx(self) -> OrderedTransactWrite:
        return transaction(self._region)

    def _marker(self, espace: Espace, until: datetime) -> EphemeralModel:
        return self.Ephemeral(pk=f"sessions#{espace.espace_id}", kind="sessions", min_epoch=espace.session_epoch,
                              expires_at_epoch=int(until.timestamp()) + SESSION_MARGIN_SECONDS)

    def save_and_revoke(self, espace: Espace, sessions_until: datetime) -> None:
        """The espace (conditional on the version read) and its minimum session epoch, atomically:
        no instant where the espace is closed and an older token still passes (BR-14)."""
        E = self.Espace
        try:
            with self._tx() as tx:
                tx.save(self.espaces.to_model(espace, espace.version + 1), condition=E.version == espace.version)
                tx.save(self._marker(espace, sessions_until))
        except TransactWriteError as exc:
            raise ConcurrentUpdate() from exc
        espace.version += 1

    def due_ids(self, kind: str, shard: int, now: datetime, limit: int, start: Any | None) -> Page:
        result = self.Espace.by_due.query(f"{kind}#{shard}", self.Espace.due_at <= iso(now), limit=limit,
                                          last_evaluated_key=start)
        return Page(items=[i.espace_id for i in result], next_key=result.last_evaluated_key)

    def _update(self, espace_id: str, actions: list[Any], condition: Any) -> Espace | None:
        """A conditional update returning the new item (ReturnValues ALL_NEW: no read), or None."""
        item = self.Espace(espace_id=espace_id)
        try:
            item.update(actions=actions, condition=condition)
        except UpdateError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                return None
            raise
        return self.espaces.to_domain(item)

    def start_purge(self, espace_id: str, now: datetime) -> Espace | None:
        """Still closed and due (a reopening meanwhile wins): mark the purge started, get the espace."""
        E = self.Espace
        return self._update(espace_id, [E.purge_started_at.set(E.purge_started_at | iso(now))],
                            (E.status == "closed") & E.due_pk.startswith(f"{PURGE}#") & (E.due_at <= iso(now)))

    def finish_purge(self, espace: Espace, now: datetime) -> bool:
        """The tombstone and the login's deletion in one transaction, after every store was purged.
        True for the one run that did it (the holder is informed once)."""
        E, C = self.Espace, self.Credential
        actions: list[Action] = [E.status.set("purged"), E.purged_at.set(iso(now)), E.version.add(1)]
        actions += [getattr(E, name).remove() for name in PERSONAL]
        try:
            with self._tx() as tx:
                tx.update(E(espace_id=espace.espace_id), actions=actions,
                          condition=(E.status == "closed") & E.purge_started_at.exists())
                if espace.login:
                    tx.delete(C(login=espace.login),
                              condition=C.login.does_not_exist() | (C.espace_id == espace.espace_id))
        except TransactWriteError as exc:
            if 0 in failed_indexes(exc, tx):
                return False
            raise
        return True

    def close_suspended(self, espace_id: str, now: datetime) -> Espace | None:
        """BR-15: suspended and due → closed (archived 10 years), in one conditional update."""
        E = self.Espace
        archived_until = rules.add_years(now, rules.ARCHIVE_YEARS)
        shard = shard_of(espace_id, DUE_SHARDS)
        return self._update(espace_id, [
            E.status.set("closed"), E.closed_at.set(iso(now)), E.archived_until.set(iso(archived_until)),
            E.deletion_due.remove(), E.suspended_at.remove(), E.suspension_due.remove(), E.suspended_from.remove(),
            E.due_pk.set(f"{PURGE}#{shard}"), E.due_at.set(iso(archived_until)), E.session_epoch.add(1),
            E.version.add(1),
        ], (E.status == "suspended") & (E.suspension_due <= iso(now)))


# -------------------------------------------------------------------------------------------------
# Purge stores (HolderDataStore): everything of one espace in one table or bucket, idempotent.
# -------------------------------------------------------------------------------------------------
def _delete_partition(model: type[Model], espace_id: str, batch: bool = True) -> int:
    """Every item of the espace's partition (keys only). `batch=False`: DeleteItem one by one, for
    a table where a role must not be able to write (BatchWriteItem would also allow puts)."""
    count = 0
    hash_name = model._hash_keyname
    range_name = model._range_keyname
    attributes = [a for a in (hash_name, range_name) if a]
    if batch:
        with model.batch_write() as writer:
            for item in model.query(espace_id, attributes_to_get=attributes):
                writer.delete(item)
                count += 1
    else:
        for item in model.query(espace_id, attributes_to_get=attributes):
            item.delete()
            count += 1
    return count


class DocumentsPurge:
    """Document metadata (and the quota item) and every S3 object version under the espace's prefix.
    The bytes go first: a crash leaves the metadata, which the rerun finds again."""

    def __init__(self, model: type[Model], s3: Any, bucket: str):
        self.model, self.s3, self.bucket = model, s3, bucket

    def purge_espace(self, espace_id: str) -> int:
        prefix = f"documents/{espace_id}/"
        paginator = self.s3.get_paginator("list_object_versions")
        removed = 0
        for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
            objects = [{"Key": v["Key"], "VersionId": v["VersionId"]}
                       for v in page.get("Versions", []) + page.get("DeleteMarkers", [])]
            for start in range(0, len(objects), 1000):
                chunk = objects[start:start + 1000]
                self.s3.delete_objects(Bucket=self.bucket, Delete={"Objects": chunk, "Quiet": True})
                removed += len(chunk)
        return removed + _delete_partition(self.model, espace_id)


class PartitionPurge:
    """Every item under the espace's partition key (authorisations, blocks, administrator, emergency
    access; or the access log with `batch=False`)."""

    def __init__(self, model: type[Model], batch: bool = True):
        self.model, self.batch = model, batch

    def purge_espace(self, espace_id: str) -> int:
        return _delete_partition(self.model, espace_id, self.batch)


class SessionsPurge:
    """The espace's session marker. Challenges and counters are keyed by random ids or windows and
    expire by TTL within a day (no scan to find them)."""

    def __init__(self, model: type[EphemeralModel]):
        self.model = model

    def purge_espace(self, espace_id: str) -> int:
        self.model(pk=f"sessions#{espace_id}").delete()
        return 1
