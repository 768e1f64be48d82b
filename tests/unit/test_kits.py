"""The shared kits (issue 10): `retry_on_conflict` and the DynamoDB kit's transaction retry, paging
cursors and timestamps. The repositories that use them are tested against moto in tests/contract."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import UTC, datetime, timedelta, timezone

import pytest
from pynamodb.exceptions import CancellationReason, TransactWriteError, VerboseClientError

from mes.adapters import dynamo_kit as kit
from mes.domain.errors import ConcurrentUpdate, NotFound, ValidationError
from mes.services.retry import retry_on_conflict


# -- retry_on_conflict ----------------------------------------------------------------------------
def test_retry_on_conflict_retries_a_concurrent_update_then_returns() -> None:
    calls = []

    def attempt() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise ConcurrentUpdate()
        return "saved"

    assert retry_on_conflict(attempt) == "saved"
    assert len(calls) == 3


def test_retry_on_conflict_gives_up_after_three_tries_with_concurrent_update() -> None:
    calls = []

    def attempt() -> None:
        calls.append(1)
        raise ConcurrentUpdate()

    with pytest.raises(ConcurrentUpdate):
        retry_on_conflict(attempt)
    assert len(calls) == 3  # the 9 loops it replaces all made 3 tries


def test_retry_on_conflict_lets_any_other_error_through_at_once() -> None:
    calls = []

    def attempt() -> None:
        calls.append(1)
        raise NotFound()

    with pytest.raises(NotFound):
        retry_on_conflict(attempt)
    assert len(calls) == 1


# -- transact_with_retry --------------------------------------------------------------------------
def _cancelled(*codes: str | None) -> TransactWriteError:
    reasons = [CancellationReason(code=c) if c else None for c in codes]
    cause = VerboseClientError({"Error": {"Code": "TransactionCanceledException", "Message": "cancelled"}},
                               "TransactWriteItems", cancellation_reasons=reasons)
    return TransactWriteError("Failed to write transaction items", cause=cause)


@pytest.fixture
def fake_transactions(monkeypatch: pytest.MonkeyPatch) -> list:
    """Each transaction raises the next planned outcome (an exception) or commits (None)."""
    plan: list = []

    @contextmanager
    def transaction(region: str):
        yield kit.OrderedTransactWrite(connection=None)  # nothing added: reasons read in their own order
        outcome = plan.pop(0) if plan else None
        if outcome is not None:
            raise outcome

    monkeypatch.setattr(kit, "transaction", transaction)
    return plan


def test_transact_with_retry_drops_the_items_whose_condition_failed(fake_transactions: list) -> None:
    fake_transactions += [_cancelled("ConditionalCheckFailed", None, None)]
    written: list[list[str]] = []
    result = kit.transact_with_retry("eu-west-3", ["a", "b", "c"], lambda tx, items: written.append(list(items)))
    assert result == ["b", "c"]
    assert written == [["a", "b", "c"], ["b", "c"]]


def test_transact_with_retry_retries_a_conflict_six_times_then_concurrent_update(fake_transactions: list) -> None:
    fake_transactions += [_cancelled("TransactionConflict", None)] * 10
    written: list[list[str]] = []
    with pytest.raises(ConcurrentUpdate):
        kit.transact_with_retry("eu-west-3", ["a", "b"], lambda tx, items: written.append(list(items)))
    assert written == [["a", "b"]] * kit.MAX_TRANSACTION_RETRIES == [["a", "b"]] * 6


def test_transact_with_retry_returns_nothing_when_every_item_failed(fake_transactions: list) -> None:
    fake_transactions += [_cancelled("ConditionalCheckFailed", "ConditionalCheckFailed")]
    written: list[list[str]] = []
    assert kit.transact_with_retry("eu-west-3", ["a", "b"], lambda tx, items: written.append(list(items))) == []
    assert written == [["a", "b"]]


def test_a_cancellation_without_reasons_is_raised_as_it_came(fake_transactions: list) -> None:
    error = TransactWriteError("throttled")
    fake_transactions += [error]
    with pytest.raises(TransactWriteError) as raised:
        kit.transact_with_retry("eu-west-3", ["a"], lambda tx, items: None)
    assert raised.value is error


def test_failed_indexes_reads_the_cancellation_reasons() -> None:
    assert kit.failed_indexes(_cancelled(None, "ConditionalCheckFailed", "TransactionConflict",
                                         "ConditionalCheckFailed"), kit.OrderedTransactWrite(connection=None)) == {1, 3}


def test_failed_indexes_answer_in_the_order_the_operations_were_added() -> None:
    """PynamoDB sends condition checks, deletes, puts, then updates: a document's create adds its put,
    the quota update, the deposit marker's put and a replaced document's put, and sends put, put, put,
    update. The quota's failure (reason 3) is the operation added second."""
    tx = kit.OrderedTransactWrite(connection=None)
    tx.kinds = ["save", "update", "save", "save"]
    assert kit.failed_indexes(_cancelled(None, None, None, "ConditionalCheckFailed"), tx) == {1}
    assert kit.failed_indexes(_cancelled(None, "ConditionalCheckFailed", None, None), tx) == {2}
    tx.kinds = ["update", "delete"]  # the purge's tombstone, then the login's deletion: sent delete, update
    assert kit.failed_indexes(_cancelled(None, "ConditionalCheckFailed"), tx) == {0}


# -- cursors and timestamps ------------------------------------------------------------------------
def test_a_cursor_round_trips_and_a_bad_one_is_a_400_on_cursor() -> None:
    key = {"espace_id": {"S": "e1"}, "document_id": {"S": "d9"}}
    assert kit.decode_cursor(kit.encode_cursor(key)) == key
    assert kit.encode_cursor(None) is None and kit.decode_cursor(None) is None
    for bad in ("not-base64!", kit.encode_cursor({"a": 1})[:-3], "WzFd"):  # "WzFd" is [1]: not an object
        with pytest.raises(ValidationError) as raised:
            kit.decode_cursor(bad)
        assert raised.value.field == "cursor"


def test_times_are_utc_to_the_second_and_shards_are_stable() -> None:
    paris = timezone(timedelta(hours=1))
    assert kit.iso(datetime(2027, 1, 15, 9, 30, 5, 999, tzinfo=paris)) == "2027-01-15T08:30:05Z"
    assert kit.from_iso("2027-01-15T08:30:05Z") == datetime(2027, 1, 15, 8, 30, 5, tzinfo=UTC)
    assert kit.from_iso(None) is None
    assert kit.shard_of("espace-1", 8) == kit.shard_of("espace-1", 8)
    assert {kit.shard_of(f"espace-{i}", 8) for i in range(200)} == set(range(8))
