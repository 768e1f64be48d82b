"""Event sources for the local stack and the tests: moto delivers S3 events to SQS but runs no
Lambda, so we poll the queue and call the same handler with an SQS-shaped event, deleting what
it did not report as failed (what the Lambda event source mapping does)."""

from __future__ import annotations

import threading
from typing import Any

from mes_local.functions import invoke


def drain_once(sqs: Any, queue_url: str, function: str, wait_seconds: int = 0) -> dict[str, int]:
    response = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=wait_seconds,
                                   AttributeNames=["All"])
    messages = response.get("Messages", [])
    if not messages:
        return {"received": 0, "failed": 0}
    arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    event = {"Records": [{
        "messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"],
        "attributes": m.get("Attributes", {}), "messageAttributes": {}, "md5OfBody": m.get("MD5OfBody", ""),
        "eventSource": "aws:sqs", "eventSourceARN": arn, "awsRegion": "eu-west-3"} for m in messages]}
    try:
        result = invoke(function, event)
    except Exception:  # noqa: BLE001 - as Lambda: the invocation failed, the whole batch comes back
        from mes.observability import logger
        logger.warning("batch failed, messages left in the queue", extra={"function": function,
                                                                         "messages": len(messages)})
        return {"received": len(messages), "failed": len(messages)}
    failed = {f["itemIdentifier"] for f in result.get("batchItemFailures", [])}
    done = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)
            if m["MessageId"] not in failed]
    if done:
        sqs.delete_message_batch(QueueUrl=queue_url, Entries=done)
    return {"received": len(messages), "failed": len(failed)}


def drain(sqs: Any, queue_url: str, function: str, max_rounds: int = 50) -> dict[str, int]:
    total = {"received": 0, "failed": 0}
    for _ in range(max_rounds):
        got = drain_once(sqs, queue_url, function)
        if got["received"] == 0:
            break
        total = {k: total[k] + got[k] for k in total}
    return total


class Poller(threading.Thread):
    """The local stack's event source mapping: polls every second until stopped."""

    def __init__(self, sqs: Any, queue_url: str, function: str):
        super().__init__(daemon=True, name=f"poll-{function}")
        self.sqs, self.queue_url, self.function = sqs, queue_url, function
        self.stopped = threading.Event()

    def run(self) -> None:
        from mes.observability import logger
        while not self.stopped.is_set():
            try:
                if drain_once(self.sqs, self.queue_url, self.function)["received"] == 0:
                    self.stopped.wait(1.0)
            except Exception:  # noqa: BLE001 - keep polling, as the real event source does
                logger.exception("local poller failed", extra={"function": self.function})
                self.stopped.wait(2.0)

    def stop(self) -> None:
        self.stopped.set()
