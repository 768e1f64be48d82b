"""``AWS::SQS::Queue`` (dead-letter redrive included) and ``AWS::SQS::QueuePolicy``."""

from __future__ import annotations

import json
from typing import Any

from mes_local.provision.base import Context, string_attributes, truthy

_QUEUE_ATTRIBUTES = (
    "DelaySeconds", "MaximumMessageSize", "MessageRetentionPeriod", "ReceiveMessageWaitTimeSeconds",
    "VisibilityTimeout", "SqsManagedSseEnabled", "KmsMasterKeyId", "KmsDataKeyReusePeriodSeconds",
    "FifoQueue", "ContentBasedDeduplication", "DeduplicationScope", "FifoThroughputLimit",
)
_JSON_ATTRIBUTES = ("RedrivePolicy", "RedriveAllowPolicy")


def queue_attributes(props: dict[str, Any]) -> dict[str, str]:
    attributes = string_attributes(props, _QUEUE_ATTRIBUTES)
    for key in _JSON_ATTRIBUTES:
        if props.get(key) is not None:
            value = props[key]
            attributes[key] = value if isinstance(value, str) else json.dumps(value)
    return attributes


def queue(ctx: Context, logical_id: str, props: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    """An existing queue is found again by name and gets the template's (mutable) attributes."""
    sqs = ctx.client("sqs")
    fifo = truthy(props.get("FifoQueue"))
    name = props.get("QueueName") or ctx.default_name(logical_id) + (".fifo" if fifo else "")
    attributes = queue_attributes(props)
    try:
        url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    except sqs.exceptions.QueueNameExists:
        url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
        mutable = {k: v for k, v in attributes.items() if k != "FifoQueue"}
        if mutable:
            sqs.set_queue_attributes(QueueUrl=url, Attributes=mutable)
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return url, {"Arn": arn, "QueueName": name, "QueueUrl": url}


def queue_policy(ctx: Context, logical_id: str, props: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    """The ``Policy`` attribute of each queue (by URL, as ``Ref`` gives)."""
    sqs = ctx.client("sqs")
    document = props["PolicyDocument"]
    policy = document if isinstance(document, str) else json.dumps(document)
    for url in props.get("Queues") or []:
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": policy})
    return ctx.default_name(logical_id), {"Id": ctx.default_name(logical_id)}


CREATORS = {"AWS::SQS::Queue": (queue, "Arn"), "AWS::SQS::QueuePolicy": (queue_policy, "Id")}
