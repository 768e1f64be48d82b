"""``AWS::SNS::Topic``."""

from __future__ import annotations

from typing import Any

from mes_local.provision.base import Context, string_attributes, truthy

_TOPIC_ATTRIBUTES = ("DisplayName", "KmsMasterKeyId", "FifoTopic", "ContentBasedDeduplication",
                     "SignatureVersion", "TracingConfig")


def topic(ctx: Context, logical_id: str, props: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    fifo = truthy(props.get("FifoTopic"))
    name = props.get("TopicName") or ctx.default_name(logical_id) + (".fifo" if fifo else "")
    created = ctx.client("sns").create_topic(Name=name, Attributes=string_attributes(props, _TOPIC_ATTRIBUTES))
    return created["TopicArn"], {"TopicArn": created["TopicArn"], "TopicName": name}


CREATORS = {"AWS::SNS::Topic": (topic, "TopicArn")}
