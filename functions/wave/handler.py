"""Notification wave (BR-05), scheduled. Event: EventBridge, `detail` may hold
{"department": "44", "limit": 1000}. Resumable: each run finishes batches a dead run claimed, then
continues with whoever is still pending, until done or the time budget is spent."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from mes.bootstrap import Container, get_container
from mes.jobs import run_scheduled
from mes.observability import logger, metrics
from mes.progress import Progress, log_progress
from mes.services.wave import run_wave
from mes.settings import JobSettings


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: Any, deps: Container | None = None,
            progress: Progress | None = None) -> dict[str, Any]:
    """`progress`: each batch's counts (the CLI's progress bar); in Lambda a DEBUG log line."""
    container = deps or get_container(JobSettings)
    progress = progress or log_progress

    def work(now, detail, should_continue):  # type: ignore[no-untyped-def]
        limit = detail.get("limit")
        result = run_wave(container.wave_deps(), now=now, department=detail.get("department") or None,
                          limit=int(limit) if limit else None, should_continue=should_continue,
                          progress=progress).as_dict()
        metrics.add_metric(name="NotifiedByEmail", unit=MetricUnit.Count, value=result["notified_email"])
        metrics.add_metric(name="NotifiedByLetter", unit=MetricUnit.Count, value=result["notified_letter"])
        metrics.flush_metrics()
        return result

    return run_scheduled(event, context, container.job_settings.idempotency_table, "wave", work)
