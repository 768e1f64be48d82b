"""Suspension follow-up (BR-15), daily: a suspended espace whose suspension was not lifted within
6 weeks is closed (archived). Reads only the due espaces (sparse index); idempotent: the transition
is conditional, and the holder's e-mail follows the one run that made it."""

from __future__ import annotations

from typing import Any

from mes.bootstrap import Container, get_container
from mes.jobs import run_scheduled
from mes.observability import logger
from mes.progress import Progress, log_progress
from mes.settings import JobSettings


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: Any, deps: Container | None = None,
            progress: Progress | None = None) -> dict[str, Any]:
    """`progress`: each batch's counts (the CLI's progress bar); in Lambda a DEBUG log line."""
    container = deps or get_container(JobSettings)
    progress = progress or log_progress

    def work(now, detail, should_continue):  # type: ignore[no-untyped-def]
        from mes.services.closure import run_suspension_followup
        return run_suspension_followup(container.closure_deps(), now=now, should_continue=should_continue,
                                       progress=progress).as_dict()

    return run_scheduled(event, context, container.job_settings.idempotency_table, "suspension_followup", work)
