"""Retention (BR-14), daily: purges the closed espaces whose deletion request (closure + 30 days) or
archive (closure + 10 years) is due. Reads only the due espaces (sparse index); idempotent and
resumable: an espace leaves the index only once every store was purged."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from mes.bootstrap import Container, get_container
from mes.jobs import run_scheduled
from mes.observability import logger, metrics
from mes.progress import Progress, log_progress
from mes.settings import JobSettings


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: Any, deps: Container | None = None,
            progress: Progress | None = None) -> dict[str, Any]:
    """`progress`: each batch's counts (the CLI's progress bar); in Lambda a DEBUG log line."""
    container = deps or get_container(JobSettings)
    progress = progress or log_progress

    def work(now, detail, should_continue):  # type: ignore[no-untyped-def]
        from mes.services.closure import run_retention
        result = run_retention(container.closure_deps(with_stores=True), now=now,
                               should_continue=should_continue, progress=progress).as_dict()
        metrics.add_metric(name="EspacesPurged", unit=MetricUnit.Count, value=result["processed"])
        metrics.flush_metrics()
        return result

    return run_scheduled(event, context, container.job_settings.idempotency_table, "retention", work)
