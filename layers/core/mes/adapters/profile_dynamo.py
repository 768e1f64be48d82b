"""The medical profile in DynamoDB (table `profiles`), everything of one espace under its id:

- a section: sk `S#{section}`, its JSON in `data` (one item per section: a PUT is one put, the
  whole profile one Query);
- a measurement: sk `M#{type}#{measured_at}` (a type over a period: one Query on the key, newest
  first) and `time_sk` `{measured_at}#{type}` for the local secondary index `by_time` (every type
  over a period, newest first; sections do not carry it, so the index holds measurements only).

(type, measured_at) is the measurement's identity: the conditional put makes a retry a no-op."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from functools import cache
from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import PutError
from pynamodb.expressions.condition import Condition
from pynamodb.indexes import AllProjection, LocalSecondaryIndex
from pynamodb.models import Model

from mes.adapters.dynamo_kit import bind, from_iso, iso, one_page
from mes.domain.errors import ValidationError
from mes.domain.measurements import KINDS, Measurement
from mes.ports import Page

SECTION = "S#"
MEASUREMENT = "M#"


class ByTime(LocalSecondaryIndex):
    class Meta:
        index_name = "by_time"
        projection = AllProjection()
    espace_id = UnicodeAttribute(hash_key=True)
    time_sk = UnicodeAttribute(range_key=True)


class ProfileItem(Model):
    espace_id = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    # section
    data = UnicodeAttribute(null=True)
    updated_at = UnicodeAttribute(null=True)
    # measurement
    time_sk = UnicodeAttribute(null=True)
    type = UnicodeAttribute(null=True)
    measured_at = UnicodeAttribute(null=True)
    unit = UnicodeAttribute(null=True)
    value = NumberAttribute(null=True)
    systolic = NumberAttribute(null=True)
    diastolic = NumberAttribute(null=True)
    note = UnicodeAttribute(null=True)
    recorded_at = UnicodeAttribute(null=True)
    by_time = ByTime()


@cache
def profile_model(table: str, region_name: str) -> type[ProfileItem]:
    """`ProfileItem` bound to the deployed table (one class per table name and region)."""
    return bind(ProfileItem, table, region_name)


def measurement_sk(type_: str, at: str) -> str:
    return f"{MEASUREMENT}{type_}#{at}"


def _cursor_out(last: dict | None) -> str | None:
    if not last:
        return None
    key = {name: value["S"] for name, value in last.items() if name != "espace_id"}
    return base64.urlsafe_b64encode(json.dumps(key, separators=(",", ":")).encode()).decode()


def _cursor_in(cursor: str | None, espace_id: str, names: set[str]) -> dict | None:
    """A cursor holds the sort keys only: the espace is always the caller's (never taken from it)."""
    if not cursor:
        return None
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        if not isinstance(key, dict) or set(key) != names or not all(isinstance(v, str) for v in key.values()):
            raise ValueError
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValidationError("Curseur de pagination invalide.", field="cursor") from exc
    return {"espace_id": {"S": espace_id}, **{name: {"S": value} for name, value in key.items()}}


class DynamoProfileRepository:
    def __init__(self, model: type[ProfileItem]):
        self.Item = model

    # -- sections ---------------------------------------------------------------------------
    def put_section(self, espace_id: str, name: str, data: dict[str, Any], now: datetime) -> None:
        """One unconditional put: the section is replaced as a whole."""
        self.Item(espace_id=espace_id, sk=SECTION + name, data=json.dumps(data, ensure_ascii=False),
                  updated_at=iso(now)).save()

    def sections(self, espace_id: str) -> dict[str, dict[str, Any]]:
        """Every section of the espace: one Query (twelve small items at most)."""
        found = {}
        for item in self.Item.query(espace_id, self.Item.sk.startswith(SECTION), consistent_read=True):
            found[item.sk[len(SECTION):]] = json.loads(item.data or "{}")
        return found

    def some_sections(self, espace_id: str, names: Sequence[str]) -> dict[str, dict[str, Any]]:
        """Only the named sections (one BatchGetItem): the others are never read (BR-20)."""
        keys = [(espace_id, SECTION + name) for name in names]
        return {item.sk[len(SECTION):]: json.loads(item.data or "{}")
                for item in self.Item.batch_get(keys, consistent_read=True)}

    # -- measurements -----------------------------------------------------------------------
    def _to_item(self, m: Measurement) -> ProfileItem:
        at = iso(m.measured_at)
        return self.Item(espace_id=m.espace_id, sk=measurement_sk(m.type, at), time_sk=f"{at}#{m.type}", type=m.type,
                         measured_at=at, unit=m.unit, value=m.value, systolic=m.systolic, diastolic=m.diastolic,
                         note=m.note, recorded_at=iso(m.recorded_at))

    @staticmethod
    def _to_domain(item: ProfileItem) -> Measurement:
        kind = KINDS.get(item.type)
        whole = kind is None or kind.decimals == 0  # blood pressure, heart rate, saturation

        def number(v: Any, integer: bool = True) -> Any:
            return None if v is None else (int(v) if integer else float(v))
        return Measurement(
            espace_id=item.espace_id, type=item.type, measured_at=from_iso(item.measured_at),  # type: ignore[arg-type]
            unit=item.unit, recorded_at=from_iso(item.recorded_at),  # type: ignore[arg-type]
            value=number(item.value, whole), systolic=number(item.systolic), diastolic=number(item.diastolic), note=item.note)

    def add_measurement(self, m: Measurement) -> tuple[Measurement, bool]:
        """Append (conditional put on the measurement's key). (stored, True) when written; the
        measurement already stored under that key and False when there was one."""
        try:
            self._to_item(m).save(condition=self.Item.sk.does_not_exist())
            return m, True
        except PutError as exc:
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise
        item = self.Item.get(m.espace_id, measurement_sk(m.type, iso(m.measured_at)), consistent_read=True)
        return self._to_domain(item), False

    def measurements(self, espace_id: str, *, type_: str | None, start: datetime | None, end: datetime | None,
                     limit: int, cursor: str | None) -> Page:
        """One Query per page, newest first: on the key for one type, on `by_time` for all types."""
        lo, hi = (iso(start) if start else ""), (iso(end) if end else "~")
        condition: Condition | None
        if type_ is not None:
            condition = self.Item.sk.between(measurement_sk(type_, lo), measurement_sk(type_, hi + "~"))
            start_key = _cursor_in(cursor, espace_id, {"sk"})
            self._check_start(start_key, "sk", measurement_sk(type_, lo), measurement_sk(type_, hi + "~"))
            result = self.Item.query(espace_id, condition, scan_index_forward=False, limit=limit, page_size=limit,
                                     last_evaluated_key=start_key, consistent_read=True)
        else:
            condition = self.Item.time_sk.between(lo or "0", hi + "~") if (lo or end) else None
            start_key = _cursor_in(cursor, espace_id, {"sk", "time_sk"})
            self._check_start(start_key, "time_sk", lo or "0", hi + "~")
            result = self.Item.by_time.query(espace_id, condition, scan_index_forward=False, limit=limit,
                                             page_size=limit, last_evaluated_key=start_key, consistent_read=True)
        items, last = one_page(result)
        return Page(items=[self._to_domain(i) for i in items], next_key=_cursor_out(last))

    @staticmethod
    def _check_start(start_key: dict[str, Any] | None, name: str, lo: str, hi: str) -> None:
        """A cursor from another query (other type or period) would make DynamoDB fail: refuse it."""
        if start_key is not None and not lo <= start_key[name]["S"] <= hi:
            raise ValidationError("Curseur de pagination invalide pour cette recherche.", field="cursor")

    # -- closure, deletion, export ------------------------------------------------------------
    def _all(self, espace_id: str, **kwargs: Any) -> Iterable[ProfileItem]:
        return self.Item.query(espace_id, consistent_read=True, **kwargs)

    def purge_espace(self, espace_id: str) -> int:
        """Delete every item of the espace (Query on the key, keys only, then BatchWriteItem by 25;
        PynamoDB retries unprocessed items). Idempotent: a second run finds nothing and returns 0."""
        keys = [(item.espace_id, item.sk) for item in self._all(espace_id, attributes_to_get=["espace_id", "sk"])]
        with self.Item.batch_write() as batch:
            for pk, sk in keys:
                batch.delete(self.Item(espace_id=pk, sk=sk))
        return len(keys)

    def export_espace(self, espace_id: str) -> dict[str, Any]:
        """Everything of the espace, JSON-serialisable: sections by name, measurements oldest first."""
        sections: dict[str, Any] = {}
        measurements: list[dict[str, Any]] = []
        for item in self._all(espace_id):
            if item.sk.startswith(SECTION):
                sections[item.sk[len(SECTION):]] = json.loads(item.data or "{}")
            elif item.sk.startswith(MEASUREMENT):
                measurements.append(self._to_domain(item).as_dict())
        measurements.sort(key=lambda m: (m["measured_at"], m["type"]))
        return {"sections": sections, "measurements": measurements}
