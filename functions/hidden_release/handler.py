"""Daily release of documents hidden from the holder (BR-26): a notice after 14 days, visible after
one month. Reads only the due documents (sparse index); idempotent and resumable."""

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
        from mes.adapters.documents_dynamo import HIDDEN_SHARDS
        from mes.services.documents import release_hidden
        return release_hidden(container.document_deps(), now=now, shards=HIDDEN_SHARDS,
                              should_continue=should_continue, progress=progress).as_dict()

    return run_scheduled(event, context, container.job_settings.idempotency_table, "hidden_release", work)
