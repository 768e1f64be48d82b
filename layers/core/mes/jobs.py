"""What every scheduled function shares: the EventBridge envelope (Powertools parser), "now" taken
from the event's `time`, Powertools idempotency keyed on the event id (a duplicate event returns
the first result and changes nothing; a run that crashed is retried because Powertools deletes the
in-progress record on failure), and a time budget so a run stops well before the Lambda limit."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, cast

from mes.observability import logger

SAFETY_MARGIN_MS = 60_000


class LocalContext:
    """A Lambda context for in-process invocations (CLI, local stack, tests)."""

    function_name = "local"
    memory_limit_in_mb = 1024
    invoked_function_arn = "arn:aws:lambda:eu-west-3:123456789012:function:local"
    aws_request_id = "local-request"

    def __init__(self, budget_ms: int = 15 * 60 * 1000):
        import time
        self._deadline = time.monotonic() + budget_ms / 1000

    def get_remaining_time_in_millis(self) -> int:
        import time
        return max(0, int((self._deadline - time.monotonic()) * 1000))


@lru_cache(maxsize=4)
def _persistence(table_name: str) -> Any:
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer
    return DynamoDBPersistenceLayer(table_name=table_name)


def event_time(event: dict[str, Any]) -> tuple[str, datetime, dict[str, Any]]:
    from aws_lambda_powertools.utilities.parser import parse
    from aws_lambda_powertools.utilities.parser.models import EventBridgeModel
    parsed = parse(event=event, model=EventBridgeModel)
    now = parsed.time.astimezone(UTC).replace(microsecond=0)
    detail = cast("dict[str, Any] | None", parsed.detail)  # a dict: EventBridgeModel with no detail model
    return parsed.id, now, dict(detail or {})


def run_scheduled(event: dict[str, Any], context: Any, idempotency_table: str, name: str,
                  work: Callable[[datetime, dict[str, Any], Callable[[], bool]], dict[str, Any]]) -> dict[str, Any]:
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent_function

    context = context or LocalContext()
    event_id, now, detail = event_time(event)
    config = IdempotencyConfig(event_key_jmespath="id", expires_after_seconds=7 * 24 * 3600)
    config.register_lambda_context(context)

    def should_continue() -> bool:
        return context.get_remaining_time_in_millis() > SAFETY_MARGIN_MS

    @idempotent_function(data_keyword_argument="event", persistence_store=_persistence(idempotency_table),
                         config=config)
    def process(event: dict[str, Any]) -> dict[str, Any]:
        logger.info("job started", extra={"job": name, "event_id": event_id, "now": now.isoformat()})
        result = work(now, detail, should_continue)
        logger.info("job finished", extra={"job": name, "event_id": event_id, "result": result})
        return result

    return process(event={"id": f"{name}:{event_id}"})


def s3_files(event: dict[str, Any], s3: Any) -> Iterator[tuple[dict[str, Any], str, str]]:
    """Each object of an S3 event (the import functions): its record, its key and its UTF-8 text."""
    from urllib.parse import unquote_plus
    for record in event.get("Records", []):
        key = unquote_plus(record["s3"]["object"]["key"])
        body = s3.get_object(Bucket=record["s3"]["bucket"]["name"], Key=key)["Body"].read()
        yield record, key, body.decode("utf-8-sig")
