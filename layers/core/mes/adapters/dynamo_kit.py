"""The DynamoDB kit shared by every repository: timestamps, shards, one-request paging with opaque
cursors, and transactions with the cancellation-reason retry.

Nothing here knows a table: each repository keeps its models and mappings, and uses these pieces
instead of its own copy. Public names only; `tests/infra/test_architecture.py` forbids importing
another module's `_private` name.
"""

from __future__ import annotations

import base64
import hashlib
import json
import types
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar, cast

from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError
from pynamodb.models import Model
from pynamodb.pagination import ResultIterator
from pynamodb.transactions import TransactWrite

from mes.domain.errors import ConcurrentUpdate, ValidationError

T = TypeVar("T")
M = TypeVar("M", bound=Model)

DUE_SHARDS = 8  # the `by_due` index: automatic creation, purge and suspension partitions
MAX_TRANSACTION_RETRIES = 6  # a batch transaction is tried at most this many times


# -- models bound to tables ---------------------------------------------------------------------
_BOUND: dict[tuple[type[Model], str, str], type[Model]] = {}


def bind(model: type[M], table: str, region: str) -> type[M]:
    """The module-level `model` bound to a deployed table: a subclass whose `Meta` names the table
    and region (PynamoDB gives each subclass its own indexes, connection and `DoesNotExist`). One
    class per (model, table, region), so every container of a process on the same tables shares it,
    and a container on other tables (another test stack) gets its own."""
    key = (model, table, region)
    if key not in _BOUND:
        meta = type("Meta", (), {"table_name": table, "region": region})
        _BOUND[key] = types.new_class(model.__name__, (model,), exec_body=lambda ns: ns.update(
            {"Meta": meta, "__module__": model.__module__, "__qualname__": model.__qualname__}))
    return cast("type[M]", _BOUND[key])


# -- timestamps ---------------------------------------------------------------------------------
def iso(value: datetime) -> str:
    """UTC, to the second, sortable as text: the format of every time attribute and index key."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def from_iso(value: str | None) -> datetime | None:
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC) if value else None


# -- shards -------------------------------------------------------------------------------------
def shard_of(key: str, shards: int) -> int:
    """A stable shard of a sparse index's partition (`pending#3`, `due#5`…) for an id."""
    return int(hashlib.sha256(key.encode()).hexdigest()[:8], 16) % shards


# -- paging -------------------------------------------------------------------------------------
def encode_cursor(key: dict[str, Any] | None) -> str | None:
    """A LastEvaluatedKey as an opaque URL-safe cursor (None at the last page)."""
    return base64.urlsafe_b64encode(json.dumps(key, separators=(",", ":")).encode()).decode() if key else None


def decode_cursor(cursor: str | None) -> dict[str, Any] | None:
    """The cursor back to an ExclusiveStartKey; anything else is a 400 on the `cursor` field."""
    if not cursor:
        return None
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        if not isinstance(key, dict):
            raise ValueError
        return key
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValidationError("Curseur de pagination invalide.", field="cursor") from exc


def one_page(result: ResultIterator[M]) -> tuple[list[M], dict[str, Any] | None]:
    """Exactly one Query request: the first raw page of a PynamoDB result and its LastEvaluatedKey
    (iterating the result would fetch more pages when a filter leaves the first one short)."""
    page = next(result.page_iter, None)
    if page is None:
        return [], None
    raw = page.get("Items") or []
    items = [result._map_fn(i) if result._map_fn else i for i in raw]
    return items, result.page_iter.last_evaluated_key


# -- transactions -------------------------------------------------------------------------------
SENT_ORDER = {"condition_check": 0, "delete": 1, "save": 2, "update": 3}


class OrderedTransactWrite(TransactWrite):
    """PynamoDB sends a transaction's condition checks first, then its deletes, puts and updates,
    whatever order the code added them in, and DynamoDB's CancellationReasons follow the order sent.
    This one records the order operations were added in, so `failed_indexes` answers in that order
    (a document's quota update added second is not reason 1 when a put was added after it)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kinds: list[str] = []

    def condition_check(self, *args: Any, **kwargs: Any) -> None:
        self.kinds.append("condition_check")
        super().condition_check(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> None:
        self.kinds.append("delete")
        super().delete(*args, **kwargs)

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.kinds.append("save")
        super().save(*args, **kwargs)

    def update(self, *args: Any, **kwargs: Any) -> None:
        self.kinds.append("update")
        super().update(*args, **kwargs)

    def added_position(self, sent: int) -> int:
        """The position (in the order added) of the operation sent at index `sent`."""
        order = sorted(range(len(self.kinds)), key=lambda i: (SENT_ORDER[self.kinds[i]], i))
        return order[sent] if sent < len(order) else sent


def transaction(region: str | None) -> OrderedTransactWrite:
    """A TransactWrite on its own connection (use it as a context manager)."""
    return OrderedTransactWrite(connection=Connection(region=region))


def failed_indexes(exc: TransactWriteError, tx: OrderedTransactWrite) -> set[int]:
    """The positions, in the order `tx`'s operations were added, of those whose condition failed,
    read from the CancellationReasons; a cancellation without reasons (not a condition) is re-raised
    as it came."""
    reasons = exc.cancellation_reasons or []
    failed = {tx.added_position(i) for i, r in enumerate(reasons) if r is not None and r.code == "ConditionalCheckFailed"}
    if not reasons:
        raise exc
    return failed


def transact_with_retry(region: str | None, items: Sequence[T], write: Callable[[OrderedTransactWrite, list[T]], None],
                        tries: int = MAX_TRANSACTION_RETRIES) -> list[T]:
    """Write `items` in one transaction (`write(tx, items)` adds one operation per item, in order,
    and may add more after them). When it is cancelled, the items whose condition failed are
    dropped and the rest is tried again (a conflict with another transaction is simply retried),
    at most `tries` times in all. Returns the items written (empty when every one failed);
    ConcurrentUpdate when the tries run out."""
    remaining = list(items)
    for _ in range(tries):
        if not remaining:
            return []
        try:
            with transaction(region) as tx:
                write(tx, remaining)
        except TransactWriteError as exc:
            failed = failed_indexes(exc, tx)
            remaining = [item for i, item in enumerate(remaining) if i not in failed]
            continue
        return remaining
    raise ConcurrentUpdate()
