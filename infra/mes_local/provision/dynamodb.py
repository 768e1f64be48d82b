"""``AWS::DynamoDB::Table``: the table with its indexes, encryption, stream, TTL and backups."""

from __future__ import annotations

from typing import Any

from mes_local.provision.base import Context, truthy

_DEFAULT_THROUGHPUT = {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}


def table(ctx: Context, logical_id: str, props: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    ddb = ctx.client("dynamodb")
    name = props.get("TableName") or ctx.default_name(logical_id)
    try:
        description = ddb.describe_table(TableName=name)["Table"]
    except ddb.exceptions.ResourceNotFoundException:
        description = ddb.create_table(**create_arguments(name, props))["TableDescription"]
    _time_to_live(ddb, name, props.get("TimeToLiveSpecification"))
    _point_in_time_recovery(ddb, name, props.get("PointInTimeRecoverySpecification"))
    return name, {"Arn": description["TableArn"], "StreamArn": description.get("LatestStreamArn")}


def create_arguments(name: str, props: dict[str, Any]) -> dict[str, Any]:
    """CloudFormation's table properties -> CreateTable's arguments."""
    billing = props.get("BillingMode", "PROVISIONED")
    throughput = props.get("ProvisionedThroughput") or _DEFAULT_THROUGHPUT
    provisioned = billing == "PROVISIONED"
    kwargs: dict[str, Any] = {
        "TableName": name,
        "KeySchema": props["KeySchema"],
        "AttributeDefinitions": props["AttributeDefinitions"],
        "BillingMode": billing,
    }
    if provisioned:
        kwargs["ProvisionedThroughput"] = _ints(throughput)
    optional = {"GlobalSecondaryIndexes": _indexes(props.get("GlobalSecondaryIndexes"),
                                                   throughput if provisioned else None),
                "LocalSecondaryIndexes": _indexes(props.get("LocalSecondaryIndexes"), None),
                "SSESpecification": _sse(props.get("SSESpecification")),
                "StreamSpecification": _stream(props.get("StreamSpecification")),
                "Tags": list(props.get("Tags") or [])}
    kwargs.update({key: value for key, value in optional.items() if value})
    return kwargs


def _indexes(indexes: list[dict[str, Any]] | None, throughput: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The index entries; given a throughput (global indexes of a provisioned table), each index gets
    its own throughput or the table's."""
    entries = []
    for index in indexes or []:
        entry = {k: index[k] for k in ("IndexName", "KeySchema", "Projection")}
        if throughput is not None:
            entry["ProvisionedThroughput"] = _ints(index.get("ProvisionedThroughput") or throughput)
        entries.append(entry)
    return entries


def _sse(sse: dict[str, Any] | None) -> dict[str, Any] | None:
    if not sse or not truthy(sse.get("SSEEnabled")):
        return None
    spec: dict[str, Any] = {"Enabled": True, "SSEType": sse.get("SSEType", "KMS")}
    if sse.get("KMSMasterKeyId"):
        spec["KMSMasterKeyId"] = sse["KMSMasterKeyId"]
    return spec


def _stream(stream: dict[str, Any] | None) -> dict[str, Any] | None:
    return {"StreamEnabled": True, "StreamViewType": stream["StreamViewType"]} if stream else None


def _time_to_live(ddb: Any, name: str, ttl: dict[str, Any] | None) -> None:
    if not ttl or not truthy(ttl.get("Enabled")):
        return
    current = ddb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
    if current.get("TimeToLiveStatus") not in ("ENABLED", "ENABLING"):
        ddb.update_time_to_live(
            TableName=name,
            TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl["AttributeName"]},
        )


def _point_in_time_recovery(ddb: Any, name: str, pitr: dict[str, Any] | None) -> None:
    if pitr and truthy(pitr.get("PointInTimeRecoveryEnabled")):
        ddb.update_continuous_backups(
            TableName=name,
            PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True},
        )


def _ints(throughput: dict[str, Any]) -> dict[str, int]:
    return {k: int(v) for k, v in throughput.items()}


CREATORS = {"AWS::DynamoDB::Table": (table, "Arn")}
