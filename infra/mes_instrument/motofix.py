"""A performance fix for moto's DynamoDB TransactWriteItems (test double only, never in Lambda).

moto 5.2.5 backs up a transaction by deep-copying the whole touched table once per item of the
transaction (moto/dynamodb/models/__init__.py, transact_write_items): a 99-item claim on a table of
10,000 people copies a million items, so a local wave grows quadratically. AWS has no such cost.
This keeps moto's semantics (conditions, cancellation reasons, all-or-nothing) but snapshots only
the items the transaction touches and restores them if it is cancelled."""

from __future__ import annotations

import copy
import threading
from typing import Any

_applied = False
_lock = threading.Lock()


def apply() -> None:
    global _applied
    if _applied:
        return
    import moto.dynamodb.models as models
    from moto.dynamodb.models.table import Table

    real_copy = copy

    class _NoTableCopy:
        """moto's module-level `copy`, except that a Table is not copied (we snapshot items)."""

        @staticmethod
        def deepcopy(obj: Any, memo: Any = None) -> Any:
            return obj if isinstance(obj, Table) else real_copy.deepcopy(obj, memo)

        def __getattr__(self, name: str) -> Any:
            return getattr(real_copy, name)

    models.copy = _NoTableCopy()  # type: ignore[assignment]
    original = models.DynamoDBBackend.transact_write_items

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        snapshots = []
        for entry in transact_items:
            try:
                op_type, op = next(iter(entry.items()))
                table = self.get_table(op["TableName"])
                if op_type == "Put":
                    key = {table.hash_key_attr: op["Item"][table.hash_key_attr]}
                    if table.range_key_attr is not None:
                        key[table.range_key_attr] = op["Item"][table.range_key_attr]
                else:
                    key = op["Key"]
                current = self.get_item(op["TableName"], key)
                snapshots.append((op["TableName"], key, real_copy.deepcopy(current.to_json()["Attributes"])
                                  if current else None))
            except Exception:  # noqa: BLE001 - moto itself reports malformed entries
                continue
        with _lock:
            try:
                original(self, transact_items)
            except Exception:
                for table_name, key, attributes in reversed(snapshots):
                    if attributes is None:
                        self.delete_item(table_name, key)
                    else:
                        self.put_item(table_name, attributes)
                raise

    models.DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
    _applied = True
