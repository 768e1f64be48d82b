"""Handover at 18 (BR-18), daily: every managed espace whose holder turns 18 loses its legal
representatives, and the young adult gets their own provisional code. Reads only the due espaces
(sparse keys-only `by_majority` index); idempotent on the event id and resumable after a crash."""

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
        from mes.services.children import run_majority
        result = run_majority(container.majority_deps(), now=now, should_continue=should_continue,
                              progress=progress).as_dict()
        metrics.add_metric(name="MajorityHandovers", unit=MetricUnit.Count, value=result["handed_over"])
        metrics.flush_metrics()
        return result

    return run_scheduled(event, context, container.job_settings.idempotency_table, "majority_handover", work)
