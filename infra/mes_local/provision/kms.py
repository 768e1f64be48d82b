"""``AWS::KMS::Key`` (found again by its alias or its ``aws:cloudformation:*`` tags) and ``AWS::KMS::Alias``."""

from __future__ import annotations

import json
from typing import Any

from mes_local.provision.base import LOGICAL_ID_TAG, STACK_NAME_TAG, Context, truthy
from mes_local.provision.template import TemplateError

_USABLE = ("Enabled", "Creating")


def key(ctx: Context, logical_id: str, props: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    kms = ctx.client("kms")
    metadata = _find_key(ctx, logical_id)
    if metadata is None:
        metadata = kms.create_key(**_create_arguments(ctx, logical_id, props))["KeyMetadata"]
    if truthy(props.get("EnableKeyRotation")) and metadata.get("KeySpec") == "SYMMETRIC_DEFAULT":
        kms.enable_key_rotation(KeyId=metadata["KeyId"])
    return metadata["KeyId"], {"Arn": metadata["Arn"], "KeyId": metadata["KeyId"]}


def _create_arguments(ctx: Context, logical_id: str, props: dict[str, Any]) -> dict[str, Any]:
    kwargs: dict[str, Any] = {
        "KeySpec": props.get("KeySpec", "SYMMETRIC_DEFAULT"),
        "KeyUsage": props.get("KeyUsage", "ENCRYPT_DECRYPT"),
        "Tags": [{"TagKey": t["Key"], "TagValue": t["Value"]}
                 for t in ctx.cfn_tags(logical_id) + list(props.get("Tags") or [])],
    }
    if props.get("Description"):
        kwargs["Description"] = props["Description"]
    if props.get("KeyPolicy"):
        policy = props["KeyPolicy"]
        kwargs["Policy"] = policy if isinstance(policy, str) else json.dumps(policy)
    if props.get("MultiRegion") is not None:
        kwargs["MultiRegion"] = truthy(props["MultiRegion"])
    return kwargs


def _targets(props: dict[str, Any], logical_id: str) -> bool:
    """Whether an (unresolved) alias points at ``logical_id`` by ``Ref`` or ``Fn::GetAtt``."""
    target = props.get("TargetKeyId")
    return target == {"Ref": logical_id} or (
        isinstance(target, dict) and target.get("Fn::GetAtt", [None])[0] == logical_id)


def _aliases_of(ctx: Context, logical_id: str) -> list[str]:
    aliases = []
    for resource in ctx.resolver.resources.values():
        props = resource.get("Properties") or {}
        if resource.get("Type") != "AWS::KMS::Alias" or not _targets(props, logical_id):
            continue
        try:
            aliases.append(ctx.resolver.resolve(props["AliasName"]))
        except TemplateError:
            continue
    return aliases


def _find_key(ctx: Context, logical_id: str) -> dict[str, Any] | None:
    kms = ctx.client("kms")
    for alias in _aliases_of(ctx, logical_id):
        try:
            metadata = kms.describe_key(KeyId=alias)["KeyMetadata"]
        except kms.exceptions.NotFoundException:
            continue
        if metadata.get("KeyState") in _USABLE:
            return metadata
    return _find_key_by_tags(kms, {LOGICAL_ID_TAG: logical_id, STACK_NAME_TAG: ctx.stack_name})


def _find_key_by_tags(kms: Any, wanted: dict[str, str]) -> dict[str, Any] | None:
    for page in kms.get_paginator("list_keys").paginate():
        for listed in page["Keys"]:
            tags = kms.list_resource_tags(KeyId=listed["KeyId"]).get("Tags", [])
            if all({"TagKey": k, "TagValue": v} in tags for k, v in wanted.items()):
                metadata = kms.describe_key(KeyId=listed["KeyId"])["KeyMetadata"]
                if metadata.get("KeyState") in _USABLE:
                    return metadata
    return None


def alias(ctx: Context, logical_id: str, props: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    kms = ctx.client("kms")
    name, target = props["AliasName"], props["TargetKeyId"]
    try:
        kms.create_alias(AliasName=name, TargetKeyId=target)
    except kms.exceptions.AlreadyExistsException:
        kms.update_alias(AliasName=name, TargetKeyId=target)
    return name, {"Arn": ctx.arn("kms", name)}


CREATORS = {"AWS::KMS::Key": (key, "Arn"), "AWS::KMS::Alias": (alias, "Arn")}
