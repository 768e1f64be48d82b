"""Reimbursements in DynamoDB (BR-21): one item per insurer line under its espace, sort key
"{care_date}#{id}" so that a page is one Query, newest first, with the date range in the key
condition. `expires_at_epoch` (care date + two years) lets DynamoDB TTL drop old lines in AWS; reads
never rely on it (the key condition starts two years back)."""

from __future__ import annotations

import builtins
from datetime import UTC, date, datetime, time
from functools import cache
from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.models import Model

from mes.adapters.dynamo_kit import bind, decode_cursor, encode_cursor, from_iso, iso, one_page
from mes.domain.reimbursements import HISTORY_YEARS, Reimbursement
from mes.ports import Page

BATCH_GET = 100


class ReimbursementModel(Model):
    espace_id = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)  # "{care_date}#{reimbursement_id}"
    care_date = UnicodeAttribute()
    act_label = UnicodeAttribute()
    professional_name = UnicodeAttribute(null=True)
    amount_paid = NumberAttribute()
    amount_reimbursed = NumberAttribute()
    imported_at = UnicodeAttribute()
    expires_at_epoch = NumberAttribute(null=True)


@cache
def reimbursement_model(table: str, region_name: str) -> type[ReimbursementModel]:
    """`ReimbursementModel` bound to the deployed table (one class per table name and region)."""
    return bind(ReimbursementModel, table, region_name)


def _expiry(care: date) -> int:
    try:
        end = care.replace(year=care.year + HISTORY_YEARS)
    except ValueError:
        end = care.replace(year=care.year + HISTORY_YEARS, day=28)
    return int(datetime.combine(end, time(), tzinfo=UTC).timestamp()) + 86400


class DynamoReimbursementRepository:
    def __init__(self, model: type[ReimbursementModel]):
        self.Item = model

    def _to_model(self, r: Reimbursement) -> ReimbursementModel:
        return self.Item(espace_id=r.espace_id, sk=f"{r.care_date.isoformat()}#{r.reimbursement_id}",
                         care_date=r.care_date.isoformat(), act_label=r.act_label,
                         professional_name=r.professional_name, amount_paid=r.amount_paid,
                         amount_reimbursed=r.amount_reimbursed, imported_at=iso(r.imported_at),
                         expires_at_epoch=_expiry(r.care_date))

    @staticmethod
    def _to_domain(m: ReimbursementModel) -> Reimbursement:
        return Reimbursement(espace_id=m.espace_id, reimbursement_id=m.sk.split("#", 1)[1],
                             care_date=date.fromisoformat(m.care_date), act_label=m.act_label,
                             professional_name=m.professional_name, amount_paid=int(m.amount_paid),
                             amount_reimbursed=int(m.amount_reimbursed),
                             imported_at=from_iso(m.imported_at))  # type: ignore[arg-type]

    def existing_ids(self, keys: list[tuple[str, str]]) -> set[tuple[str, str]]:
        """BatchGetItem, 100 keys a request (PynamoDB retries the unprocessed keys)."""
        found: set[tuple[str, str]] = set()
        for start in range(0, len(keys), BATCH_GET):
            for m in self.Item.batch_get(keys[start:start + BATCH_GET], attributes_to_get=["espace_id", "sk"]):
                found.add((m.espace_id, m.sk))
        return found

    def add(self, items: list[Reimbursement]) -> None:
        """BatchWriteItem, 25 a request. Ids are deterministic: a replay rewrites identical items."""
        with self.Item.batch_write() as batch:
            for r in items:
                batch.save(self._to_model(r))

    def list(self, espace_id: str, *, since: date, until: date | None, limit: int, cursor: str | None) -> Page:
        q = self.Item
        upper = f"{until.isoformat()}#~" if until else "9999"
        result = q.query(espace_id, q.sk.between(since.isoformat(), upper), scan_index_forward=False, limit=limit,
                         page_size=limit, last_evaluated_key=decode_cursor(cursor))
        models, last = one_page(result)
        return Page(items=[self._to_domain(m) for m in models], next_key=encode_cursor(last))

    def _all(self, espace_id: str, **kwargs: Any) -> Any:
        return self.Item.query(espace_id, scan_index_forward=False, **kwargs)

    def purge_espace(self, espace_id: str) -> int:
        """Delete every reimbursement of the espace (keys read with one paginated Query); the count."""
        keys = [(m.espace_id, m.sk) for m in self._all(espace_id, attributes_to_get=["espace_id", "sk"])]
        with self.Item.batch_write() as batch:
            for espace, sk in keys:
                batch.delete(self.Item(espace_id=espace, sk=sk))
        return len(keys)

    def export_espace(self, espace_id: str) -> builtins.list[dict[str, Any]]:
        """The holder's data export section: every stored line, newest first (JSON-serialisable)."""
        return [self._to_domain(m).as_dict() for m in self._all(espace_id)]
