"""Population import (BR-04): the insurer drops a CSV in the population bucket (S3 event).
Bad rows are reported by line and skipped; a re-delivered event re-imports nobody."""

from __future__ import annotations

from typing import Any

from mes.bootstrap import Container, get_container
from mes.jobs import s3_files
from mes.observability import logger
from mes.progress import Progress, log_progress
from mes.services.population import import_population, read_csv
from mes.settings import JobSettings


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: Any, deps: Container | None = None,
            progress: Progress | None = None) -> dict[str, Any]:
    """`progress`: each batch's counts (the CLI's progress bar); in Lambda a DEBUG log line."""
    container = deps or get_container(JobSettings)
    progress = progress or log_progress
    reports = []
    for _, key, text in s3_files(event, container.client("s3")):
        report = import_population(read_csv(text), repo=container.espaces, keys=container.keys,
                                   now=container.clock(), progress=progress).as_dict()
        logger.info("population imported", extra={"key": key, **{k: v for k, v in report.items() if k != "errors"}})
        reports.append({"key": key, **report})
    return {"files": reports}
