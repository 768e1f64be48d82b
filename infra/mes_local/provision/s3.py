"""``AWS::S3::Bucket`` (encryption, public access block, ownership, versioning, lifecycle, CORS,
notifications to SQS/SNS, tags), ``AWS::S3::BucketPolicy`` (its Allow statements only) and the
buckets' server access logging, configured last (see the package docstring)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from mes_local.provision.base import Context, statements, truthy
from mes_local.provision.template import TemplateError


def bucket(ctx: Context, logical_id: str, props: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    s3 = ctx.client("s3")
    name = props.get("BucketName") or ctx.default_name(logical_id).lower()
    kwargs: dict[str, Any] = {"Bucket": name}
    if ctx.region != "us-east-1":
        kwargs["CreateBucketConfiguration"] = {"LocationConstraint": ctx.region}
    try:
        s3.create_bucket(**kwargs)
    except s3.exceptions.BucketAlreadyOwnedByYou:
        pass
    for key, configure in _CONFIGURATIONS:
        if props.get(key):
            configure(s3, name, props[key])
    suffix = ctx.url_suffix
    return name, {
        "Arn": f"arn:{ctx.partition}:s3:::{name}",
        "DomainName": f"{name}.s3.{suffix}",
        "RegionalDomainName": f"{name}.s3.{ctx.region}.{suffix}",
        "WebsiteURL": f"http://{name}.s3-website.{ctx.region}.{suffix}",
    }


# -- one function per bucket property (called with the S3 client, the bucket, the property) -------
def _encryption(s3: Any, name: str, encryption: dict[str, Any]) -> None:
    rules = []
    for rule in encryption.get("ServerSideEncryptionConfiguration") or []:
        entry: dict[str, Any] = {}
        if rule.get("ServerSideEncryptionByDefault"):
            entry["ApplyServerSideEncryptionByDefault"] = dict(rule["ServerSideEncryptionByDefault"])
        if "BucketKeyEnabled" in rule:
            entry["BucketKeyEnabled"] = truthy(rule["BucketKeyEnabled"])
        rules.append(entry)
    s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={"Rules": rules})


def _public_access_block(s3: Any, name: str, block: dict[str, Any]) -> None:
    s3.put_public_access_block(
        Bucket=name, PublicAccessBlockConfiguration={k: truthy(v) for k, v in block.items()})


def _ownership(s3: Any, name: str, ownership: dict[str, Any]) -> None:
    s3.put_bucket_ownership_controls(Bucket=name, OwnershipControls=ownership)


def _versioning(s3: Any, name: str, versioning: dict[str, Any]) -> None:
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": versioning["Status"]})


def _lifecycle(s3: Any, name: str, lifecycle: dict[str, Any]) -> None:
    rules = [lifecycle_rule(i, r) for i, r in enumerate(lifecycle.get("Rules") or [])]
    s3.put_bucket_lifecycle_configuration(Bucket=name, LifecycleConfiguration={"Rules": rules})


def _cors(s3: Any, name: str, cors: dict[str, Any]) -> None:
    s3.put_bucket_cors(Bucket=name, CORSConfiguration={
        "CORSRules": [cors_rule(rule) for rule in cors.get("CorsRules") or []]})


def _tags(s3: Any, name: str, tags: list[dict[str, str]]) -> None:
    s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": list(tags)})


def _notifications(s3: Any, bucket_name: str, props: dict[str, Any]) -> None:
    """CloudFormation's NotificationConfiguration -> PutBucketNotificationConfiguration.

    Queue and topic destinations must already exist: their ARNs come from ``Fn::GetAtt``, so
    the creation order puts them (and the queue policy the bucket ``DependsOn``) first. Lambda
    destinations are refused: functions are not provisioned locally. ``Filter.S3Key.Rules``
    become ``Filter.Key.FilterRules``. S3 sends an ``s3:TestEvent`` message to each destination
    whenever the configuration is written (so does moto); to stay idempotent, an unchanged
    configuration is not written again. EventBridgeConfiguration is not applied: in AWS its only
    consumer is GuardDuty Malware Protection, which has no local equivalent, and moto does not
    report it back (so writing it would rewrite the configuration and send a new s3:TestEvent).
    """
    if props.get("LambdaConfigurations"):
        raise TemplateError(f"bucket {bucket_name}: LambdaConfigurations cannot be provisioned locally")
    config: dict[str, Any] = {}
    for cfn_key, target_key, api_target in (("QueueConfigurations", "Queue", "QueueArn"),
                                            ("TopicConfigurations", "Topic", "TopicArn")):
        entries = [_notification(index, entry, target_key, api_target)
                   for index, entry in enumerate(props.get(cfn_key) or [])]
        if entries:
            config[cfn_key] = entries
    current = s3.get_bucket_notification_configuration(Bucket=bucket_name)
    current.pop("ResponseMetadata", None)
    if comparable_notifications(current) != comparable_notifications(config):
        s3.put_bucket_notification_configuration(Bucket=bucket_name, NotificationConfiguration=config)


_CONFIGURATIONS: tuple[tuple[str, Callable[[Any, str, Any], None]], ...] = (
    ("BucketEncryption", _encryption),
    ("PublicAccessBlockConfiguration", _public_access_block),
    ("OwnershipControls", _ownership),
    ("VersioningConfiguration", _versioning),
    ("LifecycleConfiguration", _lifecycle),
    ("CorsConfiguration", _cors),
    ("NotificationConfiguration", _notifications),
    ("Tags", _tags),
)


def _notification(index: int, entry: dict[str, Any], target_key: str, api_target: str) -> dict[str, Any]:
    api_entry: dict[str, Any] = {
        "Id": f"{api_target[:-3].lower()}-{index}",
        api_target: entry[target_key],
        "Events": [entry["Event"]],
    }
    rules = (((entry.get("Filter") or {}).get("S3Key") or {}).get("Rules")) or []
    if rules:
        api_entry["Filter"] = {"Key": {"FilterRules": [
            {"Name": rule["Name"], "Value": rule["Value"]} for rule in rules]}}
    return api_entry


def comparable_notifications(config: dict[str, Any]) -> Any:
    """A notification configuration without the parts S3 may add or reorder (ids, rule order)."""
    comparable: dict[str, Any] = {}
    for key in ("QueueConfigurations", "TopicConfigurations", "LambdaFunctionConfigurations"):
        entries = sorted(_comparable_entry(entry) for entry in config.get(key) or [])
        if entries:
            comparable[key] = entries
    return comparable


def _comparable_entry(entry: dict[str, Any]) -> tuple[Any, ...]:
    target = entry.get("QueueArn") or entry.get("TopicArn") or entry.get("LambdaFunctionArn")
    rules = ((entry.get("Filter") or {}).get("Key") or {}).get("FilterRules") or []
    return (target, tuple(sorted(entry.get("Events") or [])),
            tuple(sorted((r["Name"].lower(), r["Value"]) for r in rules)))


def cors_rule(rule: dict[str, Any]) -> dict[str, Any]:
    """CloudFormation's CorsRules entry -> the S3 API's CORSRules entry."""
    entry: dict[str, Any] = {
        "AllowedMethods": list(rule["AllowedMethods"]),
        "AllowedOrigins": list(rule["AllowedOrigins"]),
    }
    for cfn_key, api_key in (("AllowedHeaders", "AllowedHeaders"), ("ExposedHeaders", "ExposeHeaders")):
        if rule.get(cfn_key):
            entry[api_key] = list(rule[cfn_key])
    if rule.get("MaxAge") is not None:
        entry["MaxAgeSeconds"] = int(rule["MaxAge"])
    if rule.get("Id"):
        entry["ID"] = rule["Id"]
    return entry


def lifecycle_rule(index: int, rule: dict[str, Any]) -> dict[str, Any]:
    """CloudFormation's LifecycleConfiguration rule -> the S3 API's (the common fields)."""
    entry: dict[str, Any] = {
        "ID": rule.get("Id") or f"rule-{index}",
        "Status": rule.get("Status", "Enabled"),
        "Filter": {"Prefix": rule.get("Prefix", "")},
    }
    if rule.get("ExpirationInDays") is not None:
        entry["Expiration"] = {"Days": int(rule["ExpirationInDays"])}
    noncurrent = rule.get("NoncurrentVersionExpirationInDays")
    if rule.get("NoncurrentVersionExpiration"):
        noncurrent = rule["NoncurrentVersionExpiration"]["NoncurrentDays"]
    if noncurrent is not None:
        entry["NoncurrentVersionExpiration"] = {"NoncurrentDays": int(noncurrent)}
    if rule.get("AbortIncompleteMultipartUpload"):
        entry["AbortIncompleteMultipartUpload"] = {
            "DaysAfterInitiation": int(rule["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"])}
    return entry


# -- bucket policies and access logging ------------------------------------------------------------
def bucket_policy(ctx: Context, logical_id: str, props: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    """``AWS::S3::BucketPolicy`` with its Allow statements only (see the package docstring)."""
    document = props["PolicyDocument"]
    document = json.loads(document) if isinstance(document, str) else document
    allows = [s for s in statements(document) if s.get("Effect") == "Allow"]
    policy = {**document, "Statement": allows}
    ctx.client("s3").put_bucket_policy(Bucket=props["Bucket"], Policy=json.dumps(policy))
    return ctx.default_name(logical_id), {"Id": ctx.default_name(logical_id)}


def has_allow(resource: dict[str, Any]) -> bool:
    """Whether a bucket policy resource (unresolved) has an Allow statement worth applying locally."""
    document = (resource.get("Properties") or {}).get("PolicyDocument") or {}
    return isinstance(document, dict) and any(s.get("Effect") == "Allow" for s in statements(document))


def configure_logging(ctx: Context, created: dict[str, dict[str, Any]], resources: dict[str, Any]) -> None:
    """Each created bucket's ``LoggingConfiguration`` -> PutBucketLogging, once every bucket policy
    exists (moto checks the target bucket's policy when logging is configured)."""
    for logical_id, entry in created.items():
        if entry["type"] != "AWS::S3::Bucket":
            continue
        config = (resources[logical_id].get("Properties") or {}).get("LoggingConfiguration")
        if config:
            props = ctx.resolver.resolve(config)
            enabled = {"TargetBucket": props["DestinationBucketName"],
                       "TargetPrefix": props.get("LogFilePrefix", "")}
            ctx.client("s3").put_bucket_logging(Bucket=entry["ref"],
                                                BucketLoggingStatus={"LoggingEnabled": enabled})


CREATORS = {"AWS::S3::Bucket": (bucket, "Arn"), "AWS::S3::BucketPolicy": (bucket_policy, "Id")}
