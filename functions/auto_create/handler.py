"""Automatic creation (BR-08), daily: every notified espace whose opposition deadline has passed."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from mes.bootstrap import Container, get_container
from mes.jobs import run_scheduled
from mes.observability import logger, metrics
from mes.progress import Progress, log_progress
from mes.services.auto_create import run_auto_create
from mes.settings import JobSettings


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: Any, deps: Container | None = None,
            progress: Progress | None = None) -> dict[str, Any]:
    """`progress`: each batch's counts (the CLI's progress bar); in Lambda a DEBUG log line."""
    container = deps or get_container(JobSettings)
    progress = progress or log_progress

    def work(now, detail, should_continue):  # type: ignore[no-untyped-def]
        from mes.adapters.dynamo import DUE_SHARDS
        result = run_auto_create(container.espaces, now=now, shards=DUE_SHARDS,
                                 should_continue=should_continue, progress=progress).as_dict()
        metrics.add_metric(name="EspacesCreated", unit=MetricUnit.Count, value=result["created"])
        metrics.flush_metrics()
        return result

    return run_scheduled(event, context, container.job_settings.idempotency_table, "auto_create", work)
