"""Export of all the holder's data (issue #5): SQS message {espace_id, export_id} → one zip in the
exports bucket. Idempotent (a ready export is not rebuilt; the zip's key is fixed), partial batch
failures reported; the last failed attempt (the queue's maxReceiveCount) marks the export failed
before the message goes to the DLQ."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from mes.bootstrap import Container, get_container
from mes.domain.exports import MAX_ATTEMPTS
from mes.observability import logger
from mes.services.exports import build_export, mark_failed
from mes.settings import JobSettings


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: Any, deps: Container | None = None) -> dict[str, Any]:
    container = deps or get_container(JobSettings)
    processor = BatchProcessor(event_type=EventType.SQS)

    def record_handler(record: SQSRecord) -> str:
        body = json.loads(record.body)
        espace_id, export_id = str(body["espace_id"]), str(body["export_id"])
        export_deps = container.export_deps()
        try:
            return build_export(export_deps, espace_id, export_id, container.clock())
        except Exception:
            if int(record.attributes.approximate_receive_count or 1) >= MAX_ATTEMPTS:
                logger.exception("export failed for good", extra={"export_id": export_id})
                mark_failed(export_deps, espace_id, export_id)
            raise

    return process_partial_response(event=event, record_handler=record_handler, processor=processor,
                                    context=context)
