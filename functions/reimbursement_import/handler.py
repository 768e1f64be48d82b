"""Reimbursement history import (BR-21): the insurer drops a CSV or JSON Lines file in the
reimbursements bucket (S3 event). Bad lines are reported by line and skipped; lines older than two
years (from the event's time) are ignored; a re-delivered event or a re-run imports nothing twice."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from mes.bootstrap import Container, get_container
from mes.jobs import s3_files
from mes.observability import logger
from mes.progress import Progress, log_progress
from mes.services.reimbursements import import_reimbursements, read_lines
from mes.settings import JobSettings


def _event_time(record: dict[str, Any], fallback: datetime) -> datetime:
    raw = record.get("eventTime")
    if not raw:
        return fallback
    return datetime.fromisoformat(raw.replace("Z", "+00:00")).astimezone(UTC).replace(microsecond=0)


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: Any, deps: Container | None = None,
            progress: Progress | None = None) -> dict[str, Any]:
    """`progress`: each batch's counts (the CLI's progress bar); in Lambda a DEBUG log line."""
    container = deps or get_container(JobSettings)
    progress = progress or log_progress
    reports = []
    for record, key, text in s3_files(event, container.client("s3")):
        report = import_reimbursements(read_lines(text, key), espaces=container.espaces,
                                       repo=container.reimbursements, keys=container.keys,
                                       now=_event_time(record, container.clock()),
                                       progress=progress).as_dict()
        logger.info("reimbursements imported",
                    extra={"key": key, **{k: v for k, v in report.items() if k != "errors"}})
        reports.append({"key": key, **report})
    return {"files": reports}
