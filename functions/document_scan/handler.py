"""Document validation (BR-23): S3 event → SQS → this function. Checks the real size, the type by
magic bytes and the malware verdict; the document becomes `available` or `rejected` (bytes deleted).
Partial batch failures are reported, so one bad record never redelivers the others; a record whose
malware verdict is not there yet comes back later."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote_plus

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from mes.bootstrap import Container, get_container
from mes.observability import logger
from mes.services.documents import validate_object
from mes.settings import JobSettings


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: Any, deps: Container | None = None) -> dict[str, Any]:
    container = deps or get_container(JobSettings)
    processor = BatchProcessor(event_type=EventType.SQS)

    def record_handler(record: SQSRecord) -> None:
        body = json.loads(record.body)
        if body.get("Event") == "s3:TestEvent":  # sent once when the notification is configured
            return
        for s3_record in body.get("Records", []):
            if not str(s3_record.get("eventName", "")).startswith("ObjectCreated"):
                continue
            key = unquote_plus(s3_record["s3"]["object"]["key"])
            validate_object(container.document_deps(), key, container.clock())

    return process_partial_response(event=event, record_handler=record_handler, processor=processor,
                                    context=context)
