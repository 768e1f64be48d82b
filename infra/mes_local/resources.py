"""Build the stateful resources of ``template.yaml`` against any AWS-compatible endpoint.

``template.yaml`` is the single source of truth. moto cannot deploy a SAM template (its
CloudFormation does not run the transform), so this module reads the template itself and
creates, through boto3, every resource the code talks to: DynamoDB tables, S3 buckets (with
their CORS rules and their notifications to SQS queues), KMS keys and aliases, the Secrets Manager
secret, SES identity and templates, SNS topics, SQS queues (dead-letter redrive included) and their
queue policies, and each bucket's server access logging (``LoggingConfiguration``). Functions,
IAM, alarms, log groups (``AWS::Logs::LogGroup``: moto would store them but nothing writes there
locally, Lambda and API Gateway do in AWS), the API and its account settings
(``AWS::ApiGateway::Account``), Deny-only bucket policies and GuardDuty are skipped (see
``skipped`` in the returned dict, resource id -> type): locally, handlers are invoked in-process
and S3 -> SQS notifications are drained by the local stack.

Typical use (moto ``mock_aws`` in tests, a moto server in the local stack)::

    result = provision(boto3.session.Session())
    os.environ.update(result["env"])   # what the Lambda functions would see

Bucket policies are applied with their ``Allow`` statements only: moto evaluates every matching
``Deny`` statement while ignoring its ``Condition`` (a TLS-only policy would block everything), so
the Deny statements are asserted statically by ``tests/infra`` instead; a policy made only of
Deny statements is skipped. The Allow statements matter locally: moto accepts a bucket's
``LoggingConfiguration`` only when the target bucket's policy lets ``logging.s3.amazonaws.com``
write, so logging is configured last, once every bucket and policy exists (moto does not deliver
access logs; the configuration is checked and stored). Queue policies are applied (moto stores them and does not let them
get in the way of S3 notifications). ``AWS::GuardDuty::*`` (malware scan) has no local equivalent:
locally, nothing tags the uploaded objects ``GuardDutyMalwareScanStatus``; the local tooling does.
"""

from __future__ import annotations

import base64
import copy
import functools
import json
import re
import secrets
import string
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import yaml

__all__ = [
    "DEFAULT_TEMPLATE_PATH",
    "LOCAL_PARAMETER_DEFAULTS",
    "SUPPORTED_TYPES",
    "TemplateError",
    "generate_password",
    "load_template",
    "provision",
    "resolved_env",
]

DEFAULT_TEMPLATE_PATH = Path(__file__).resolve().parents[2] / "template.yaml"

# Parameter values used when provisioning locally, unless the caller overrides them.
LOCAL_PARAMETER_DEFAULTS: dict[str, str] = {"Stage": "local"}

LOGICAL_ID_TAG = "aws:cloudformation:logical-id"
STACK_NAME_TAG = "aws:cloudformation:stack-name"


class TemplateError(ValueError):
    """The template cannot be resolved or provisioned (unknown reference, unsupported function...)."""


# -------------------------------------------------------------------------------------------------
# YAML loading
# -------------------------------------------------------------------------------------------------
class _CfnLoader(yaml.SafeLoader):
    """A safe YAML loader that knows the CloudFormation short-form tags.

    Timestamps are left as strings (``AWSTemplateFormatVersion: 2010-09-09`` stays a string).
    """


_CfnLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _construct_cfn_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    if suffix in ("Ref", "Condition"):
        return {suffix: value}
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{suffix}": value}


_CfnLoader.add_multi_constructor("!", _construct_cfn_tag)


def load_template(path: str | Path | None = None) -> dict[str, Any]:
    """Parse a CloudFormation/SAM YAML template; short tags become their long forms.

    ``!Ref X`` -> ``{"Ref": "X"}``, ``!GetAtt A.B`` -> ``{"Fn::GetAtt": ["A", "B"]}``,
    ``!Sub s`` -> ``{"Fn::Sub": s}``, ``!Condition C`` -> ``{"Condition": "C"}``, and any other
    ``!Name v`` -> ``{"Fn::Name": v}``. Default path: the repository's ``template.yaml``.
    """
    path = Path(path) if path is not None else DEFAULT_TEMPLATE_PATH
    stat = path.stat()
    return copy.deepcopy(_parse_template(str(path), stat.st_mtime_ns, stat.st_size))


@functools.lru_cache(maxsize=8)
def _parse_template(path: str, mtime_ns: int, size: int) -> dict[str, Any]:
    """Parsed once per file version (the test suite provisions moto for every test)."""
    with open(path, encoding="utf-8") as handle:
        template = yaml.load(handle, Loader=_CfnLoader)  # noqa: S506 - SafeLoader subclass
    if not isinstance(template, dict) or "Resources" not in template:
        raise TemplateError(f"{path} is not a CloudFormation template")
    return template


# -------------------------------------------------------------------------------------------------
# Secrets Manager's GenerateSecretString, done locally
# -------------------------------------------------------------------------------------------------
_PUNCTUATION = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"


def generate_password(spec: dict[str, Any] | None = None) -> str:
    """A random password following the GenerateSecretString options (``secrets`` module)."""
    spec = spec or {}
    length = int(spec.get("PasswordLength", 32))
    excluded = set(spec.get("ExcludeCharacters", ""))
    groups = []
    if not _truthy(spec.get("ExcludeLowercase")):
        groups.append(string.ascii_lowercase)
    if not _truthy(spec.get("ExcludeUppercase")):
        groups.append(string.ascii_uppercase)
    if not _truthy(spec.get("ExcludeNumbers")):
        groups.append(string.digits)
    if not _truthy(spec.get("ExcludePunctuation")):
        groups.append(_PUNCTUATION)
    if _truthy(spec.get("IncludeSpace")):
        groups.append(" ")
    groups = [g for g in ("".join(c for c in group if c not in excluded) for group in groups) if g]
    if not groups:
        raise TemplateError("GenerateSecretString excludes every character")
    alphabet = "".join(groups)
    require_each = _truthy(spec.get("RequireEachIncludedType", True)) and length >= len(groups)
    while True:
        password = "".join(secrets.choice(alphabet) for _ in range(length))
        if not require_each or all(any(c in group for c in password) for group in groups):
            return password


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return bool(value)


# -------------------------------------------------------------------------------------------------
# Intrinsic functions
# -------------------------------------------------------------------------------------------------
class _NoValue:
    def __repr__(self) -> str:
        return "AWS::NoValue"


NO_VALUE = _NoValue()
_SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")


def _references(value: Any) -> set[str]:
    """Logical ids (or parameters) referenced by ``value`` (Ref, GetAtt, Sub)."""
    found: set[str] = set()
    if isinstance(value, dict):
        if len(value) == 1:
            (key, arg), = value.items()
            if key == "Ref" and isinstance(arg, str):
                found.add(arg)
            elif key == "Fn::GetAtt":
                target = arg.split(".", 1)[0] if isinstance(arg, str) else arg[0]
                if isinstance(target, str):
                    found.add(target)
            elif key == "Fn::Sub":
                text, variables = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1] or {})
                for name in _SUB_VARIABLE.findall(text):
                    if not name.startswith("!") and name.split(".", 1)[0] not in variables:
                        found.add(name.split(".", 1)[0])
                found |= _references(variables)
                return found
        for item in value.values():
            found |= _references(item)
    elif isinstance(value, list):
        for item in value:
            found |= _references(item)
    return found


class _Resolver:
    def __init__(self, template: dict[str, Any], stack_name: str, account_id: str, region: str,
                 parameters: dict[str, Any]) -> None:
        self.template = template
        self.partition = "aws-cn" if region.startswith("cn-") else "aws"
        self.pseudo: dict[str, Any] = {
            "AWS::StackName": stack_name,
            "AWS::AccountId": account_id,
            "AWS::Region": region,
            "AWS::Partition": self.partition,
            "AWS::URLSuffix": "amazonaws.com.cn" if self.partition == "aws-cn" else "amazonaws.com",
            "AWS::StackId": f"arn:{self.partition}:cloudformation:{region}:{account_id}:stack/{stack_name}/local",
            "AWS::NotificationARNs": [],
            "AWS::NoValue": NO_VALUE,
        }
        self.parameters = parameters
        self.refs: dict[str, Any] = {}
        self.attrs: dict[str, dict[str, Any]] = {}
        self._conditions: dict[str, bool] = {}

    # -- conditions ------------------------------------------------------------------------------
    def condition(self, name: str) -> bool:
        if name not in self._conditions:
            definitions = self.template.get("Conditions") or {}
            if name not in definitions:
                raise TemplateError(f"unknown condition {name!r}")
            self._conditions[name] = bool(self.resolve(definitions[name]))
        return self._conditions[name]

    # -- references ------------------------------------------------------------------------------
    def ref(self, name: str) -> Any:
        if name in self.pseudo:
            return self.pseudo[name]
        if name in self.parameters:
            return self.parameters[name]
        if name in self.refs:
            return self.refs[name]
        resources = self.template.get("Resources") or {}
        if name in resources:
            raise TemplateError(
                f"Ref to {name} ({resources[name].get('Type')}), which is not provisioned locally"
            )
        raise TemplateError(f"Ref to unknown name {name!r}")

    def get_att(self, logical_id: str, attribute: str) -> Any:
        if logical_id in self.attrs and attribute in self.attrs[logical_id]:
            value = self.attrs[logical_id][attribute]
            if value is None:
                raise TemplateError(f"{logical_id}.{attribute} has no value locally")
            return value
        resources = self.template.get("Resources") or {}
        if logical_id not in resources:
            raise TemplateError(f"GetAtt on unknown resource {logical_id!r}")
        raise TemplateError(
            f"GetAtt {logical_id}.{attribute} is not available locally "
            f"({resources[logical_id].get('Type')})"
        )

    def sub(self, text: str, variables: dict[str, Any]) -> str:
        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in variables:
                value = variables[name]
            elif "." in name and not name.startswith("AWS::"):
                logical_id, attribute = name.split(".", 1)
                value = self.get_att(logical_id, attribute)
            else:
                value = self.ref(name)
            if isinstance(value, list):
                value = ",".join(str(v) for v in value)
            return str(value)

        return _SUB_VARIABLE.sub(replace, text)

    # -- the walker ------------------------------------------------------------------------------
    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            items = [self.resolve(item) for item in value]
            return [item for item in items if item is not NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            (key, arg), = value.items()
            handler = self._functions.get(key)
            if handler is not None:
                return handler(self, arg)
        resolved = {key: self.resolve(item) for key, item in value.items()}
        return {key: item for key, item in resolved.items() if item is not NO_VALUE}

    def _fn_ref(self, arg: Any) -> Any:
        return self.ref(self.resolve(arg))

    def _fn_get_att(self, arg: Any) -> Any:
        if isinstance(arg, str):
            arg = arg.split(".", 1)
        logical_id, attribute = (self.resolve(part) for part in arg)
        return self.get_att(logical_id, attribute)

    def _fn_sub(self, arg: Any) -> str:
        if isinstance(arg, str):
            return self.sub(arg, {})
        text, variables = arg[0], arg[1] if len(arg) > 1 else {}
        return self.sub(self.resolve(text), {k: self.resolve(v) for k, v in (variables or {}).items()})

    def _fn_join(self, arg: Any) -> str:
        delimiter, items = arg
        return str(self.resolve(delimiter)).join(str(item) for item in self.resolve(items))

    def _fn_select(self, arg: Any) -> Any:
        index, items = arg
        return self.resolve(items)[int(self.resolve(index))]

    def _fn_split(self, arg: Any) -> list[str]:
        delimiter, text = arg
        return str(self.resolve(text)).split(self.resolve(delimiter))

    def _fn_if(self, arg: Any) -> Any:
        name, when_true, when_false = arg
        return self.resolve(when_true if self.condition(name) else when_false)

    def _fn_equals(self, arg: Any) -> bool:
        left, right = (self.resolve(item) for item in arg)
        return str(left) == str(right) if not isinstance(left, list | dict) else left == right

    def _fn_not(self, arg: Any) -> bool:
        return not self._boolean(arg[0])

    def _fn_and(self, arg: Any) -> bool:
        return all(self._boolean(item) for item in arg)

    def _fn_or(self, arg: Any) -> bool:
        return any(self._boolean(item) for item in arg)

    def _fn_condition(self, arg: Any) -> bool:
        return self.condition(arg)

    def _boolean(self, value: Any) -> bool:
        if isinstance(value, dict) and set(value) == {"Condition"}:
            return self.condition(value["Condition"])
        return bool(self.resolve(value))

    def _fn_find_in_map(self, arg: Any) -> Any:
        map_name, top, second = (self.resolve(item) for item in arg[:3])
        try:
            return self.template["Mappings"][map_name][top][second]
        except KeyError as exc:
            raise TemplateError(f"Fn::FindInMap {map_name}/{top}/{second} not found") from exc

    def _fn_base64(self, arg: Any) -> str:
        return base64.b64encode(str(self.resolve(arg)).encode()).decode()

    def _fn_get_azs(self, arg: Any) -> list[str]:
        region = self.resolve(arg) or self.pseudo["AWS::Region"]
        return [f"{region}{suffix}" for suffix in "abc"]

    def _fn_to_json_string(self, arg: Any) -> str:
        return json.dumps(self.resolve(arg), separators=(",", ":"))

    def _fn_unsupported(self, arg: Any) -> Any:
        raise TemplateError(f"unsupported intrinsic function with argument {arg!r}")

    _functions: dict[str, Callable[[_Resolver, Any], Any]] = {
        "Ref": _fn_ref,
        "Fn::GetAtt": _fn_get_att,
        "Fn::Sub": _fn_sub,
        "Fn::Join": _fn_join,
        "Fn::Select": _fn_select,
        "Fn::Split": _fn_split,
        "Fn::If": _fn_if,
        "Fn::Equals": _fn_equals,
        "Fn::Not": _fn_not,
        "Fn::And": _fn_and,
        "Fn::Or": _fn_or,
        "Condition": _fn_condition,
        "Fn::FindInMap": _fn_find_in_map,
        "Fn::Base64": _fn_base64,
        "Fn::GetAZs": _fn_get_azs,
        "Fn::ToJsonString": _fn_to_json_string,
        "Fn::ImportValue": _fn_unsupported,
        "Fn::Cidr": _fn_unsupported,
        "Fn::Transform": _fn_unsupported,
    }


# -------------------------------------------------------------------------------------------------
# Provisioning
# -------------------------------------------------------------------------------------------------
def _error_code(exc: Exception) -> str:
    return getattr(exc, "response", {}).get("Error", {}).get("Code", "")


class _Provisioner:
    def __init__(self, session: Any, stack_name: str, account_id: str, region: str,
                 resolver: _Resolver) -> None:
        self.session = session
        self.stack_name = stack_name
        self.account_id = account_id
        self.region = region
        self.resolver = resolver
        self.partition = resolver.partition
        self._clients: dict[str, Any] = {}

    def client(self, name: str) -> Any:
        if name not in self._clients:
            self._clients[name] = self.session.client(name, region_name=self.region)
        return self._clients[name]

    def default_name(self, logical_id: str) -> str:
        """CloudFormation would add a random suffix; locally the name is deterministic."""
        return f"{self.stack_name}-{logical_id}"

    def cfn_tags(self, logical_id: str) -> list[dict[str, str]]:
        return [
            {"Key": LOGICAL_ID_TAG, "Value": logical_id},
            {"Key": STACK_NAME_TAG, "Value": self.stack_name},
        ]

    # -- DynamoDB --------------------------------------------------------------------------------
    def dynamodb_table(self, logical_id: str, props: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        ddb = self.client("dynamodb")
        name = props.get("TableName") or self.default_name(logical_id)
        billing = props.get("BillingMode", "PROVISIONED")
        throughput = props.get("ProvisionedThroughput") or {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}
        try:
            description = ddb.describe_table(TableName=name)["Table"]
        except ddb.exceptions.ResourceNotFoundException:
            kwargs: dict[str, Any] = {
                "TableName": name,
                "KeySchema": props["KeySchema"],
                "AttributeDefinitions": props["AttributeDefinitions"],
                "BillingMode": billing,
            }
            if billing == "PROVISIONED":
                kwargs["ProvisionedThroughput"] = _ints(throughput)
            for key in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
                indexes = []
                for index in props.get(key) or []:
                    entry = {k: index[k] for k in ("IndexName", "KeySchema", "Projection")}
                    if key == "GlobalSecondaryIndexes" and billing == "PROVISIONED":
                        entry["ProvisionedThroughput"] = _ints(index.get("ProvisionedThroughput") or throughput)
                    indexes.append(entry)
                if indexes:
                    kwargs[key] = indexes
            sse = props.get("SSESpecification")
            if sse and _truthy(sse.get("SSEEnabled")):
                kwargs["SSESpecification"] = {"Enabled": True, "SSEType": sse.get("SSEType", "KMS")}
                if sse.get("KMSMasterKeyId"):
                    kwargs["SSESpecification"]["KMSMasterKeyId"] = sse["KMSMasterKeyId"]
            stream = props.get("StreamSpecification")
            if stream:
                kwargs["StreamSpecification"] = {"StreamEnabled": True,
                                                 "StreamViewType": stream["StreamViewType"]}
            tags = list(props.get("Tags") or [])
            if tags:
                kwargs["Tags"] = tags
            description = ddb.create_table(**kwargs)["TableDescription"]

        ttl = props.get("TimeToLiveSpecification")
        if ttl and _truthy(ttl.get("Enabled")):
            current = ddb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
            if current.get("TimeToLiveStatus") not in ("ENABLED", "ENABLING"):
                ddb.update_time_to_live(
                    TableName=name,
                    TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl["AttributeName"]},
                )
        pitr = props.get("PointInTimeRecoverySpecification")
        if pitr and _truthy(pitr.get("PointInTimeRecoveryEnabled")):
            ddb.update_continuous_backups(
                TableName=name,
                PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True},
            )
        arn = description["TableArn"]
        return name, {"Arn": arn, "StreamArn": description.get("LatestStreamArn")}

    # -- S3 --------------------------------------------------------------------------------------
    def s3_bucket(self, logical_id: str, props: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        s3 = self.client("s3")
        name = props.get("BucketName") or self.default_name(logical_id).lower()
        kwargs: dict[str, Any] = {"Bucket": name}
        if self.region != "us-east-1":
            kwargs["CreateBucketConfiguration"] = {"LocationConstraint": self.region}
        try:
            s3.create_bucket(**kwargs)
        except s3.exceptions.BucketAlreadyOwnedByYou:
            pass

        encryption = props.get("BucketEncryption")
        if encryption:
            rules = []
            for rule in encryption.get("ServerSideEncryptionConfiguration") or []:
                entry: dict[str, Any] = {}
                default = rule.get("ServerSideEncryptionByDefault")
                if default:
                    entry["ApplyServerSideEncryptionByDefault"] = dict(default)
                if "BucketKeyEnabled" in rule:
                    entry["BucketKeyEnabled"] = _truthy(rule["BucketKeyEnabled"])
                rules.append(entry)
            s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={"Rules": rules})
        block = props.get("PublicAccessBlockConfiguration")
        if block:
            s3.put_public_access_block(
                Bucket=name,
                PublicAccessBlockConfiguration={k: _truthy(v) for k, v in block.items()},
            )
        ownership = props.get("OwnershipControls")
        if ownership:
            s3.put_bucket_ownership_controls(Bucket=name, OwnershipControls=ownership)
        versioning = props.get("VersioningConfiguration")
        if versioning:
            s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": versioning["Status"]})
        lifecycle = props.get("LifecycleConfiguration")
        if lifecycle:
            s3.put_bucket_lifecycle_configuration(
                Bucket=name,
                LifecycleConfiguration={"Rules": [_lifecycle_rule(i, r) for i, r in
                                                  enumerate(lifecycle.get("Rules") or [])]},
            )
        cors = props.get("CorsConfiguration")
        if cors:
            s3.put_bucket_cors(Bucket=name, CORSConfiguration={
                "CORSRules": [_cors_rule(rule) for rule in cors.get("CorsRules") or []]})
        notifications = props.get("NotificationConfiguration")
        if notifications:
            self._bucket_notifications(name, notifications)
        tags = list(props.get("Tags") or [])
        if tags:
            s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": tags})
        suffix = "amazonaws.com.cn" if self.partition == "aws-cn" else "amazonaws.com"
        return name, {
            "Arn": f"arn:{self.partition}:s3:::{name}",
            "DomainName": f"{name}.s3.{suffix}",
            "RegionalDomainName": f"{name}.s3.{self.region}.{suffix}",
            "WebsiteURL": f"http://{name}.s3-website.{self.region}.{suffix}",
        }

    def _bucket_notifications(self, bucket: str, props: dict[str, Any]) -> None:
        """CloudFormation's NotificationConfiguration -> PutBucketNotificationConfiguration.

        Queue and topic destinations must already exist: their ARNs come from ``Fn::GetAtt``, so
        the creation order puts them (and the queue policy the bucket ``DependsOn``) first. Lambda
        destinations are refused: functions are not provisioned locally. ``Filter.S3Key.Rules``
        become ``Filter.Key.FilterRules``. S3 sends an
        ``s3:TestEvent`` message to each destination whenever the configuration is written (so
        does moto); to stay idempotent, an unchanged configuration is not written again.
        """
        s3 = self.client("s3")
        if props.get("LambdaConfigurations"):
            raise TemplateError(f"bucket {bucket}: LambdaConfigurations cannot be provisioned locally")
        config: dict[str, Any] = {}
        for cfn_key, api_key, target_key, api_target in (
            ("QueueConfigurations", "QueueConfigurations", "Queue", "QueueArn"),
            ("TopicConfigurations", "TopicConfigurations", "Topic", "TopicArn"),
        ):
            entries = []
            for index, entry in enumerate(props.get(cfn_key) or []):
                api_entry: dict[str, Any] = {
                    "Id": f"{api_target[:-3].lower()}-{index}",
                    api_target: entry[target_key],
                    "Events": [entry["Event"]],
                }
                rules = (((entry.get("Filter") or {}).get("S3Key") or {}).get("Rules")) or []
                if rules:
                    api_entry["Filter"] = {"Key": {"FilterRules": [
                        {"Name": rule["Name"], "Value": rule["Value"]} for rule in rules]}}
                entries.append(api_entry)
            if entries:
                config[api_key] = entries
        # EventBridgeConfiguration is not applied: in AWS its only consumer is GuardDuty Malware
        # Protection, which has no local equivalent, and moto does not report it back (so writing
        # it would make every provisioning rewrite the configuration and send a new s3:TestEvent).
        current = s3.get_bucket_notification_configuration(Bucket=bucket)
        current.pop("ResponseMetadata", None)
        if _comparable_notifications(current) != _comparable_notifications(config):
            s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration=config)

    # -- KMS -------------------------------------------------------------------------------------
    def _aliases_of(self, logical_id: str) -> list[str]:
        aliases = []
        for resource in (self.resolver.template.get("Resources") or {}).values():
            if resource.get("Type") != "AWS::KMS::Alias":
                continue
            props = resource.get("Properties") or {}
            if props.get("TargetKeyId") == {"Ref": logical_id} or (
                isinstance(props.get("TargetKeyId"), dict)
                and props["TargetKeyId"].get("Fn::GetAtt", [None])[0] == logical_id
            ):
                try:
                    aliases.append(self.resolver.resolve(props["AliasName"]))
                except TemplateError:
                    continue
        return aliases

    def _find_key(self, logical_id: str) -> dict[str, Any] | None:
        kms = self.client("kms")
        usable = ("Enabled", "Creating")
        for alias in self._aliases_of(logical_id):
            try:
                metadata = kms.describe_key(KeyId=alias)["KeyMetadata"]
            except kms.exceptions.NotFoundException:
                continue
            if metadata.get("KeyState") in usable:
                return metadata
        wanted = {LOGICAL_ID_TAG: logical_id, STACK_NAME_TAG: self.stack_name}
        for page in kms.get_paginator("list_keys").paginate():
            for key in page["Keys"]:
                tags = kms.list_resource_tags(KeyId=key["KeyId"]).get("Tags", [])
                if all({"TagKey": k, "TagValue": v} in tags for k, v in wanted.items()):
                    metadata = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
                    if metadata.get("KeyState") in usable:
                        return metadata
        return None

    def kms_key(self, logical_id: str, props: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        kms = self.client("kms")
        metadata = self._find_key(logical_id)
        if metadata is None:
            key_spec = props.get("KeySpec", "SYMMETRIC_DEFAULT")
            kwargs: dict[str, Any] = {
                "KeySpec": key_spec,
                "KeyUsage": props.get("KeyUsage", "ENCRYPT_DECRYPT"),
                "Tags": [{"TagKey": t["Key"], "TagValue": t["Value"]}
                         for t in self.cfn_tags(logical_id) + list(props.get("Tags") or [])],
            }
            if props.get("Description"):
                kwargs["Description"] = props["Description"]
            if props.get("KeyPolicy"):
                policy = props["KeyPolicy"]
                kwargs["Policy"] = policy if isinstance(policy, str) else json.dumps(policy)
            if props.get("MultiRegion") is not None:
                kwargs["MultiRegion"] = _truthy(props["MultiRegion"])
            metadata = kms.create_key(**kwargs)["KeyMetadata"]
        if _truthy(props.get("EnableKeyRotation")) and metadata.get("KeySpec") == "SYMMETRIC_DEFAULT":
            kms.enable_key_rotation(KeyId=metadata["KeyId"])
        return metadata["KeyId"], {"Arn": metadata["Arn"], "KeyId": metadata["KeyId"]}

    def kms_alias(self, logical_id: str, props: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        kms = self.client("kms")
        name, target = props["AliasName"], props["TargetKeyId"]
        try:
            kms.create_alias(AliasName=name, TargetKeyId=target)
        except kms.exceptions.AlreadyExistsException:
            kms.update_alias(AliasName=name, TargetKeyId=target)
        return name, {"Arn": f"arn:{self.partition}:kms:{self.region}:{self.account_id}:{name}"}

    # -- Secrets Manager -------------------------------------------------------------------------
    def secret(self, logical_id: str, props: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        sm = self.client("secretsmanager")
        name = props.get("Name") or self.default_name(logical_id)
        try:
            arn = sm.describe_secret(SecretId=name)["ARN"]
        except sm.exceptions.ResourceNotFoundException:
            if "SecretString" in props:
                value = props["SecretString"]
            else:
                spec = props.get("GenerateSecretString") or {}
                password = generate_password(spec)
                if spec.get("GenerateStringKey"):
                    document = json.loads(spec.get("SecretStringTemplate") or "{}")
                    document[spec["GenerateStringKey"]] = password
                    value = json.dumps(document)
                else:
                    value = password
            kwargs: dict[str, Any] = {"Name": name, "SecretString": value,
                                      "Tags": self.cfn_tags(logical_id) + list(props.get("Tags") or [])}
            if props.get("Description"):
                kwargs["Description"] = props["Description"]
            if props.get("KmsKeyId"):
                kwargs["KmsKeyId"] = props["KmsKeyId"]
            arn = sm.create_secret(**kwargs)["ARN"]
        return arn, {"Id": arn}

    # -- SES -------------------------------------------------------------------------------------
    def ses_identity(self, logical_id: str, props: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        ses = self.client("ses")
        identity = props["EmailIdentity"]
        if "@" in identity:
            ses.verify_email_identity(EmailAddress=identity)
        else:
            ses.verify_domain_identity(Domain=identity)
        return identity, {"Arn": f"arn:{self.partition}:ses:{self.region}:{self.account_id}:identity/{identity}"}

    def ses_template(self, logical_id: str, props: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        ses = self.client("ses")
        template = dict(props["Template"])
        template.setdefault("TemplateName", self.default_name(logical_id))
        try:
            ses.create_template(Template=template)
        except Exception as exc:  # botocore ClientError; moto names it AlreadyExists
            if _error_code(exc) not in ("AlreadyExists", "AlreadyExistsException"):
                raise
            ses.update_template(Template=template)
        name = template["TemplateName"]
        return name, {"Arn": f"arn:{self.partition}:ses:{self.region}:{self.account_id}:template/{name}"}

    # -- SNS / SQS -------------------------------------------------------------------------------
    def sns_topic(self, logical_id: str, props: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        sns = self.client("sns")
        fifo = _truthy(props.get("FifoTopic"))
        name = props.get("TopicName") or self.default_name(logical_id) + (".fifo" if fifo else "")
        attributes = {}
        for key in ("DisplayName", "KmsMasterKeyId", "FifoTopic", "ContentBasedDeduplication",
                    "SignatureVersion", "TracingConfig"):
            if props.get(key) is not None:
                value = props[key]
                attributes[key] = str(value).lower() if isinstance(value, bool) else str(value)
        arn = sns.create_topic(Name=name, Attributes=attributes)["TopicArn"]
        return arn, {"TopicArn": arn, "TopicName": name}

    _QUEUE_ATTRIBUTES = (
        "DelaySeconds", "MaximumMessageSize", "MessageRetentionPeriod", "ReceiveMessageWaitTimeSeconds",
        "VisibilityTimeout", "SqsManagedSseEnabled", "KmsMasterKeyId", "KmsDataKeyReusePeriodSeconds",
        "FifoQueue", "ContentBasedDeduplication", "DeduplicationScope", "FifoThroughputLimit",
    )

    def sqs_queue(self, logical_id: str, props: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        sqs = self.client("sqs")
        fifo = _truthy(props.get("FifoQueue"))
        name = props.get("QueueName") or self.default_name(logical_id) + (".fifo" if fifo else "")
        attributes = {}
        for key in self._QUEUE_ATTRIBUTES:
            if props.get(key) is not None:
                value = props[key]
                attributes[key] = str(value).lower() if isinstance(value, bool) else str(value)
        for key in ("RedrivePolicy", "RedriveAllowPolicy"):
            if props.get(key) is not None:
                value = props[key]
                attributes[key] = value if isinstance(value, str) else json.dumps(value)
        try:
            url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        except sqs.exceptions.QueueNameExists:
            url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
            mutable = {k: v for k, v in attributes.items() if k != "FifoQueue"}
            if mutable:
                sqs.set_queue_attributes(QueueUrl=url, Attributes=mutable)
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        return url, {"Arn": arn, "QueueName": name, "QueueUrl": url}

    def s3_bucket_policy(self, logical_id: str, props: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        """``AWS::S3::BucketPolicy`` with its Allow statements only (see the module docstring)."""
        document = props["PolicyDocument"]
        document = json.loads(document) if isinstance(document, str) else document
        allows = [s for s in _as_statements(document) if s.get("Effect") == "Allow"]
        policy = {**document, "Statement": allows}
        self.client("s3").put_bucket_policy(Bucket=props["Bucket"], Policy=json.dumps(policy))
        return self.default_name(logical_id), {"Id": self.default_name(logical_id)}

    def bucket_logging(self, bucket: str, props: dict[str, Any]) -> None:
        """CloudFormation's ``LoggingConfiguration`` -> PutBucketLogging (after every bucket policy)."""
        enabled: dict[str, Any] = {"TargetBucket": props["DestinationBucketName"],
                                   "TargetPrefix": props.get("LogFilePrefix", "")}
        self.client("s3").put_bucket_logging(Bucket=bucket, BucketLoggingStatus={"LoggingEnabled": enabled})

    def sqs_queue_policy(self, logical_id: str, props: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        """``AWS::SQS::QueuePolicy``: the ``Policy`` attribute of each queue (by URL, as ``Ref`` gives)."""
        sqs = self.client("sqs")
        document = props["PolicyDocument"]
        policy = document if isinstance(document, str) else json.dumps(document)
        for url in props.get("Queues") or []:
            sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": policy})
        return self.default_name(logical_id), {"Id": self.default_name(logical_id)}


def _as_statements(document: dict[str, Any]) -> list[dict[str, Any]]:
    statements = document.get("Statement") or []
    return statements if isinstance(statements, list) else [statements]


def _has_allow(resource: dict[str, Any]) -> bool:
    """Whether a bucket policy resource (unresolved) has an Allow statement worth applying locally."""
    document = (resource.get("Properties") or {}).get("PolicyDocument") or {}
    return isinstance(document, dict) and any(s.get("Effect") == "Allow" for s in _as_statements(document))


def _ints(throughput: dict[str, Any]) -> dict[str, int]:
    return {k: int(v) for k, v in throughput.items()}


def _cors_rule(rule: dict[str, Any]) -> dict[str, Any]:
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


def _comparable_notifications(config: dict[str, Any]) -> Any:
    """A notification configuration without the parts S3 may add or reorder (ids, rule order)."""
    comparable: dict[str, Any] = {}
    for key in ("QueueConfigurations", "TopicConfigurations", "LambdaFunctionConfigurations"):
        entries = []
        for entry in config.get(key) or []:
            target = entry.get("QueueArn") or entry.get("TopicArn") or entry.get("LambdaFunctionArn")
            rules = ((entry.get("Filter") or {}).get("Key") or {}).get("FilterRules") or []
            entries.append((target, tuple(sorted(entry.get("Events") or [])),
                            tuple(sorted((r["Name"].lower(), r["Value"]) for r in rules))))
        if entries:
            comparable[key] = sorted(entries)
    return comparable


def _lifecycle_rule(index: int, rule: dict[str, Any]) -> dict[str, Any]:
    """CloudFormation's LifecycleConfiguration rule -> the S3 API's (the common fields)."""
    entry: dict[str, Any] = {
        "ID": rule.get("Id") or f"rule-{index}",
        "Status": rule.get("Status", "Enabled"),
        "Filter": {"Prefix": rule.get("Prefix", "")},
    }
    if rule.get("ExpirationInDays") is not None:
        entry["Expiration"] = {"Days": int(rule["ExpirationInDays"])}
    if rule.get("NoncurrentVersionExpirationInDays") is not None:
        entry["NoncurrentVersionExpiration"] = {"NoncurrentDays": int(rule["NoncurrentVersionExpirationInDays"])}
    if rule.get("NoncurrentVersionExpiration"):
        entry["NoncurrentVersionExpiration"] = {
            "NoncurrentDays": int(rule["NoncurrentVersionExpiration"]["NoncurrentDays"])}
    if rule.get("AbortIncompleteMultipartUpload"):
        entry["AbortIncompleteMultipartUpload"] = {
            "DaysAfterInitiation": int(rule["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"])}
    return entry


# type -> (method of _Provisioner, how the ARN is found in the attributes)
_CREATORS: dict[str, tuple[str, str]] = {
    "AWS::KMS::Key": ("kms_key", "Arn"),
    "AWS::KMS::Alias": ("kms_alias", "Arn"),
    "AWS::SecretsManager::Secret": ("secret", "Id"),
    "AWS::DynamoDB::Table": ("dynamodb_table", "Arn"),
    "AWS::S3::Bucket": ("s3_bucket", "Arn"),
    "AWS::SES::EmailIdentity": ("ses_identity", "Arn"),
    "AWS::SES::Template": ("ses_template", "Arn"),
    "AWS::SNS::Topic": ("sns_topic", "TopicArn"),
    "AWS::SQS::Queue": ("sqs_queue", "Arn"),
    "AWS::SQS::QueuePolicy": ("sqs_queue_policy", "Id"),
    "AWS::S3::BucketPolicy": ("s3_bucket_policy", "Id"),
}
SUPPORTED_TYPES = frozenset(_CREATORS)


def _effective_parameters(template: dict[str, Any], parameters: dict[str, Any] | None) -> dict[str, Any]:
    declared = template.get("Parameters") or {}
    values: dict[str, Any] = {}
    for name, spec in declared.items():
        if "Default" in spec:
            values[name] = spec["Default"]
    values.update({k: v for k, v in LOCAL_PARAMETER_DEFAULTS.items() if k in declared})
    for name, value in (parameters or {}).items():
        if name not in declared:
            raise TemplateError(f"unknown parameter {name!r}")
        values[name] = value
    for name, spec in declared.items():
        if name not in values:
            raise TemplateError(f"parameter {name!r} has no default and no value")
        allowed = spec.get("AllowedValues")
        if allowed and str(values[name]) not in [str(a) for a in allowed]:
            raise TemplateError(f"parameter {name!r}={values[name]!r} not in {allowed}")
        if not isinstance(values[name], list):
            values[name] = str(values[name])
    return values


def _creation_order(resources: dict[str, Any], wanted: Iterable[str]) -> list[str]:
    """Supported resources, each after the supported resources it references (DependsOn too)."""
    wanted = list(wanted)
    wanted_set = set(wanted)
    order: list[str] = []
    state: dict[str, str] = {}

    def visit(logical_id: str, path: tuple[str, ...]) -> None:
        if state.get(logical_id) == "done":
            return
        if state.get(logical_id) == "visiting":
            raise TemplateError("circular dependency: " + " -> ".join(path + (logical_id,)))
        state[logical_id] = "visiting"
        resource = resources[logical_id]
        depends = resource.get("DependsOn") or []
        depends = [depends] if isinstance(depends, str) else depends
        for dependency in sorted((_references(resource.get("Properties") or {}) | set(depends)) & wanted_set):
            visit(dependency, path + (logical_id,))
        state[logical_id] = "done"
        order.append(logical_id)

    for logical_id in wanted:
        visit(logical_id, ())
    return order


def provision(
    session: Any,
    stack_name: str = "mes-local",
    account_id: str = "123456789012",
    region: str = "eu-west-3",
    template: dict[str, Any] | None = None,
    parameters: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Create the stateful resources of ``template`` (default: ``template.yaml``) and return them.

    Clients are ``session.client(name, region_name=region)``; the endpoint is whatever botocore
    picks (``AWS_ENDPOINT_URL`` for a moto server, or moto's ``mock_aws``). Parameter values are
    the template defaults, then ``LOCAL_PARAMETER_DEFAULTS`` (``Stage=local``), then ``parameters``.
    Existing resources are reused, so calling this twice on the same endpoint is safe and gives the
    same result (KMS keys are found again by their alias or their ``aws:cloudformation:*`` tags;
    a secret keeps its first value; SES templates are updated to the template's text).

    Returns ``{"stack_name", "region", "account_id", "parameters",
    "resources": {LogicalId: {"type", "ref", "arn", "attrs"}}, "env": {...}, "skipped": {...}}``
    where ``env`` is ``Globals.Function.Environment.Variables`` resolved to the local values.
    """
    template = copy.deepcopy(template) if template is not None else load_template()
    resources: dict[str, Any] = template.get("Resources") or {}
    values = _effective_parameters(template, parameters)
    resolver = _Resolver(template, stack_name, account_id, region, values)
    provisioner = _Provisioner(session, stack_name, account_id, region, resolver)

    supported, skipped = [], {}
    for logical_id, resource in resources.items():
        if resource.get("Type") not in _CREATORS or (
                resource.get("Type") == "AWS::S3::BucketPolicy" and not _has_allow(resource)):
            skipped[logical_id] = resource.get("Type")
        elif "Condition" in resource and not resolver.condition(resource["Condition"]):
            skipped[logical_id] = f"{resource['Type']} (condition {resource['Condition']} is false)"
        else:
            supported.append(logical_id)

    created: dict[str, dict[str, Any]] = {}
    for logical_id in _creation_order(resources, supported):
        resource = resources[logical_id]
        method, arn_attribute = _CREATORS[resource["Type"]]
        properties = resolver.resolve(resource.get("Properties") or {})
        ref, attrs = getattr(provisioner, method)(logical_id, properties)
        resolver.refs[logical_id] = ref
        resolver.attrs[logical_id] = attrs
        created[logical_id] = {"type": resource["Type"], "ref": ref, "arn": attrs.get(arn_attribute),
                               "attrs": attrs}

    # Server access logging last: moto checks the target bucket's policy when it is configured.
    for logical_id, entry in created.items():
        if entry["type"] == "AWS::S3::Bucket":
            logging_config = (resources[logical_id].get("Properties") or {}).get("LoggingConfiguration")
            if logging_config:
                provisioner.bucket_logging(entry["ref"], resolver.resolve(logging_config))

    env = _resolve_env(template, resolver)
    return {
        "stack_name": stack_name,
        "region": region,
        "account_id": account_id,
        "parameters": values,
        "resources": created,
        "env": env,
        "skipped": skipped,
    }


def resolved_env(session: Any, **kwargs: Any) -> dict[str, str]:
    """Shortcut: ``provision(session, **kwargs)["env"]``."""
    return provision(session, **kwargs)["env"]


def _resolve_env(template: dict[str, Any], resolver: _Resolver) -> dict[str, str]:
    """``Globals.Function.Environment.Variables`` resolved with the provisioned resources."""
    variables = (((template.get("Globals") or {}).get("Function") or {}).get("Environment") or {}).get(
        "Variables") or {}
    env = {}
    for name, value in variables.items():
        resolved = resolver.resolve(value)
        if resolved is NO_VALUE:
            continue
        if isinstance(resolved, bool):
            resolved = str(resolved).lower()
        elif isinstance(resolved, list | dict):
            resolved = json.dumps(resolved)
        env[name] = str(resolved)
    return env
