"""Consent, blocks, administrator and emergency access (table `access`) and the access log
(table `access-log`, append-only: the application role has PutItem and Query on it, nothing else).

Everything about one professional on one espace sits under `ps#{rpps}#…`, so one Query answers the
authorisation check, whatever the number of other professionals on the espace (BR-30)."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import PutError, TransactWriteError
from pynamodb.models import Model

from mes.adapters.dynamo_kit import (
    bind,
    decode_cursor,
    encode_cursor,
    failed_indexes,
    from_iso,
    iso,
    one_page,
    transaction,
)
from mes.domain.access import Grants
from mes.ports import Page


class AccessItem(Model):
    espace_id = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    rpps = UnicodeAttribute(null=True)
    kind = UnicodeAttribute(null=True)
    basis = UnicodeAttribute(null=True)
    mode = UnicodeAttribute(null=True)
    reason = UnicodeAttribute(null=True)
    profession = UnicodeAttribute(null=True)
    structure = UnicodeAttribute(null=True)
    name = UnicodeAttribute(null=True)
    at = UnicodeAttribute(null=True)
    until = UnicodeAttribute(null=True)
    patient = UnicodeAttribute(null=True)  # a notice's patient: names and birth date, JSON
    expires = NumberAttribute(null=True)  # TTL of professionals' notices and request markers


class LogItem(Model):
    espace_id = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)  # "{at}#{write order}": newest first (see `_order`)
    at = UnicodeAttribute()
    rpps = UnicodeAttribute()
    profession = UnicodeAttribute(null=True)
    structure = UnicodeAttribute(null=True)
    name = UnicodeAttribute(null=True)
    action = UnicodeAttribute()
    decision = UnicodeAttribute()
    mode = UnicodeAttribute(null=True)
    target = UnicodeAttribute(null=True)
    channel = UnicodeAttribute(null=True)  # "api" | "fhir"; absent on records older than the FHIR facade


@dataclass(frozen=True)
class AccessModels:
    item: type[AccessItem]
    log: type[LogItem]


@cache
def access_models(access_table: str, log_table: str, region_name: str) -> AccessModels:
    """The access and access-log models bound to the deployed tables."""
    return AccessModels(bind(AccessItem, access_table, region_name), bind(LogItem, log_table, region_name))


def _order(now: datetime, request_key: str) -> str:
    """A record's sort key: the request's time (to the second), then the instant of the write, so
    records of the same second stay newest first, then a piece of the request key. It need not be
    reproducible: the request marker, not this key, makes the write happen once."""
    return f"{iso(now)}#{time.time_ns():020d}#{request_key[:12]}"


class DynamoAccessRepository:
    # A request marker (sk "request#{key}" in the access table, beside the partition it guards)
    # remembers a professional's request for a week at least (TTL; DynamoDB deletes expired items
    # later, never earlier): a client retrying later than that is making a new request.
    REQUEST_MEMORY = timedelta(days=7)

    def __init__(self, models: AccessModels):
        self.Item, self.Log = models.item, models.log

    def _put_once(self, partition: str, request_key: str, item: AccessItem | LogItem, now: datetime) -> bool:
        """Write `item` unless this request was already written: one transaction with a conditional
        put of the request's marker. The key of the request is its identity (PS + Idempotency-Key or
        request id), never its time, so a retry a second or a day later finds the marker. True if
        written, False if a retry found it there. One request, like the single PutItem it replaces."""
        marker = self.Item(espace_id=partition, sk=f"request#{request_key}", kind="request", at=iso(now),
                           expires=int((now + self.REQUEST_MEMORY).timestamp()))
        try:
            with transaction(self.Item.Meta.region) as tx:
                tx.save(marker, condition=self.Item.sk.does_not_exist())
                tx.save(item)
            return True
        except TransactWriteError as exc:
            if 0 in failed_indexes(exc, tx):
                return False
            raise

    def grants(self, espace_id: str, rpps: str) -> Grants:
        grants = Grants()
        for item in self.Item.query(espace_id, self.Item.sk.startswith(f"ps#{rpps}#"), consistent_read=True):
            kind = item.kind
            if kind == "authorisation":
                grants.authorisation = item.basis
            elif kind == "block":
                grants.blocked = True
            elif kind == "administrator":
                grants.administrator = True
            elif kind == "emergency":
                grants.emergency_mode, grants.emergency_until = item.mode, from_iso(item.until)
        return grants

    def put_authorisation(self, espace_id: str, rpps: str, basis: str, identity: dict, now: datetime) -> bool:
        """True the first time this professional is authorised on this espace (BR-30: notify then)."""
        item = self.Item(espace_id=espace_id, sk=f"ps#{rpps}#authorisation", rpps=rpps, kind="authorisation",
                         basis=basis, at=iso(now), **identity)
        try:
            item.save(condition=self.Item.sk.does_not_exist())
            return True
        except PutError as exc:
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise
        item.save()  # a new basis replaces the old one
        return False

    def withdraw_authorisation(self, espace_id: str, rpps: str) -> None:
        self.Item(espace_id=espace_id, sk=f"ps#{rpps}#authorisation").delete()

    def set_block(self, espace_id: str, rpps: str, blocked: bool, now: datetime) -> None:
        if blocked:
            self.Item(espace_id=espace_id, sk=f"ps#{rpps}#block", rpps=rpps, kind="block", at=iso(now)).save()
        else:
            self.Item(espace_id=espace_id, sk=f"ps#{rpps}#block").delete()

    def set_administrator(self, espace_id: str, rpps: str, previous: str | None, now: datetime) -> None:
        if previous and previous != rpps:
            self.Item(espace_id=espace_id, sk=f"ps#{previous}#administrator").delete()
        self.Item(espace_id=espace_id, sk=f"ps#{rpps}#administrator", rpps=rpps, kind="administrator",
                  at=iso(now)).save()
        self.Item(espace_id=espace_id, sk="administrator", rpps=rpps, kind="pointer", at=iso(now)).save()

    def administrator(self, espace_id: str) -> str | None:
        try:
            return self.Item.get(espace_id, "administrator", consistent_read=True).rpps
        except self.Item.DoesNotExist:
            return None

    def open_emergency(self, espace_id: str, rpps: str, mode: str, reason: str, now: datetime,
                       until: datetime) -> None:
        self.Item(espace_id=espace_id, sk=f"ps#{rpps}#emergency", rpps=rpps, kind="emergency", mode=mode,
                  reason=reason, at=iso(now), until=iso(until)).save()

    def professionals(self, espace_id: str) -> list[dict[str, Any]]:
        """The holder's view: every professional with an authorisation, a block or the administrator role."""
        by_rpps: dict[str, dict[str, Any]] = {}
        for item in self.Item.query(espace_id, self.Item.sk.startswith("ps#")):
            entry = by_rpps.setdefault(item.rpps, {"rpps": item.rpps, "authorisation": None, "blocked": False,
                                                   "administrator": False})
            if item.kind == "authorisation":
                entry.update(authorisation=item.basis, profession=item.profession, structure=item.structure,
                             name=item.name, authorised_at=item.at)
            elif item.kind == "block":
                entry["blocked"] = True
            elif item.kind == "administrator":
                entry["administrator"] = True
        return sorted(by_rpps.values(), key=lambda e: e["rpps"])

    # -- professionals' notices (their own partition "pro#{rpps}", newest first) ----------------
    NOTICE_TTL = timedelta(days=365)

    def notify_professional(self, rpps: str, request_key: str, now: datetime, notice: dict[str, Any]) -> bool:
        """One notice per request (`request_key`: see `_put_once`): a retried request writes nothing."""
        item = self.Item(espace_id=f"pro#{rpps}", sk=f"notice#{_order(now, request_key)}", rpps=notice["by"]["rpps"],
                         kind=notice["kind"], mode=notice.get("mode"), profession=notice["by"].get("profession"),
                         structure=notice["by"].get("structure"), name=notice["by"].get("name"), at=iso(now),
                         until=notice.get("until"), patient=json.dumps(notice["patient"], ensure_ascii=False),
                         expires=int((now + self.NOTICE_TTL).timestamp()))
        return self._put_once(f"pro#{rpps}", request_key, item, now)

    def professional_notices(self, rpps: str, limit: int, cursor: str | None) -> Page:
        result = self.Item.query(f"pro#{rpps}", self.Item.sk.startswith("notice#"), scan_index_forward=False,
                                 limit=limit, page_size=limit, last_evaluated_key=decode_cursor(cursor))
        items, last = one_page(result)
        return Page(items=[{"at": i.at, "kind": i.kind, "mode": i.mode, "until": i.until,
                            "patient": json.loads(i.patient or "{}"),
                            "by": {"rpps": i.rpps, "profession": i.profession, "structure": i.structure,
                                   "name": i.name}} for i in items], next_key=encode_cursor(last))

    # -- access log -------------------------------------------------------------------------
    def log(self, espace_id: str, request_key: str, now: datetime, entry: dict[str, Any]) -> bool:
        """Append once: a retry of the same request, whenever it comes, writes nothing (BR-35). The
        record keeps the time of the first write, so the log stays newest first."""
        item = self.Log(espace_id=espace_id, sk=_order(now, request_key), at=iso(now), **entry)
        return self._put_once(espace_id, request_key, item, now)

    def read_log(self, espace_id: str, limit: int, cursor: str | None) -> Page:
        result = self.Log.query(espace_id, scan_index_forward=False, limit=limit, page_size=limit,
                                last_evaluated_key=decode_cursor(cursor))
        items, last = one_page(result)
        return Page(items=[{"at": i.at, "rpps": i.rpps, "profession": i.profession, "structure": i.structure,
                            "name": i.name, "action": i.action, "decision": i.decision, "mode": i.mode,
                            "target": i.target, "channel": i.channel or "api"} for i in items], next_key=encode_cursor(last))
