"""Build the stateful resources of ``template.yaml`` against any AWS-compatible endpoint.

``template.yaml`` is the single source of truth. moto cannot deploy a SAM template (its
CloudFormation does not run the transform), so this package reads the template itself and
creates, through boto3, every resource the code talks to. One module per role:

- ``template``: the template read with cfn-lint's CloudFormation YAML loader, the parameters, the
  references between resources and the creation order;
- ``intrinsics``: ``Ref``, ``Fn::GetAtt``, ``Fn::Sub``... and conditions, resolved locally;
- one provisioner per service: ``dynamodb`` (tables), ``s3`` (buckets with their CORS rules,
  notifications to SQS queues and server access logging, bucket policies), ``kms`` (keys and
  aliases), ``secretsmanager`` (the secret), ``ses`` (identity and templates), ``sns`` (topics),
  ``sqs`` (queues, dead-letter redrive included, and queue policies);
- ``env``: the functions' environment, resolved to the local values.

Functions, IAM, alarms, log groups (``AWS::Logs::LogGroup``: moto would store them but nothing
writes there locally, Lambda and API Gateway do in AWS), the API and its account settings
(``AWS::ApiGateway::Account``), Deny-only bucket policies, GuardDuty and CloudFront (the web
page's distribution, its origin access control, functions and headers policy: locally the page is
served by the local stack itself) are skipped (see ``skipped`` in the returned dict, resource id ->
type), and so is any resource whose properties name a skipped one (the web bucket's policy, which
admits only the distribution), with that reason: locally, handlers are invoked in-process and
S3 -> SQS notifications are drained by the local stack.

Typical use (moto ``mock_aws`` in tests, a moto server in the local stack)::

    result = provision(boto3.session.Session())
    os.environ.update(result["env"])   # what the Lambda functions would see

Bucket policies are applied with their ``Allow`` statements only: moto evaluates every matching
``Deny`` statement while ignoring its ``Condition`` (a TLS-only policy would block everything), so
the Deny statements are asserted statically by ``tests/infra`` instead; a policy made only of
Deny statements is skipped. The Allow statements matter locally: moto accepts a bucket's
``LoggingConfiguration`` only when the target bucket's policy lets ``logging.s3.amazonaws.com``
write, so logging is configured last, once every bucket and policy exists (moto does not deliver
access logs; the configuration is checked and stored). Queue policies are applied (moto stores
them and does not let them get in the way of S3 notifications). ``AWS::GuardDuty::*`` (malware
scan) has no local equivalent: locally, nothing tags the uploaded objects
``GuardDutyMalwareScanStatus``; the local tooling does.
"""

from __future__ import annotations

import copy
from typing import Any

from mes_local.provision import dynamodb, kms, s3, secretsmanager, ses, sns, sqs
from mes_local.provision.base import Context, Creator
from mes_local.provision.env import function_environment
from mes_local.provision.intrinsics import Resolver
from mes_local.provision.secretsmanager import generate_password
from mes_local.provision.template import (
    DEFAULT_TEMPLATE_PATH,
    LOCAL_PARAMETER_DEFAULTS,
    TemplateError,
    creation_order,
    effective_parameters,
    load_template,
    references,
)

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

# type -> (its provisioner, the attribute that holds its ARN)
CREATORS: dict[str, tuple[Creator, str]] = {
    **kms.CREATORS, **secretsmanager.CREATORS, **dynamodb.CREATORS, **s3.CREATORS, **ses.CREATORS,
    **sns.CREATORS, **sqs.CREATORS,
}
SUPPORTED_TYPES = frozenset(CREATORS)


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
    values = effective_parameters(template, parameters)
    resolver = Resolver(template, stack_name, account_id, region, values)
    ctx = Context(session, stack_name, account_id, region, resolver)
    supported, skipped = _partition(resources, resolver)
    created = {logical_id: _create(ctx, logical_id, resources[logical_id])
               for logical_id in creation_order(resources, supported)}
    s3.configure_logging(ctx, created, resources)
    return {
        "stack_name": stack_name,
        "region": region,
        "account_id": account_id,
        "parameters": values,
        "resources": created,
        "env": function_environment(template, resolver),
        "skipped": skipped,
    }


def _partition(resources: dict[str, Any], resolver: Resolver) -> tuple[list[str], dict[str, str]]:
    """The logical ids to create, and the skipped ones with why (their type, a false condition, or
    a skipped resource they need)."""
    supported, skipped = [], {}
    for logical_id, resource in resources.items():
        kind = resource.get("Type")
        if kind not in CREATORS or (kind == "AWS::S3::BucketPolicy" and not s3.has_allow(resource)):
            skipped[logical_id] = kind
        elif "Condition" in resource and not resolver.condition(resource["Condition"]):
            skipped[logical_id] = f"{kind} (condition {resource['Condition']} is false)"
        else:
            supported.append(logical_id)
    _skip_dependents(resources, supported, skipped)
    return supported, skipped


def _skip_dependents(resources: dict[str, Any], supported: list[str], skipped: dict[str, str]) -> None:
    """A resource whose properties name a skipped one cannot be built locally either (the web
    bucket's policy admits only the CloudFront distribution, which is AWS-only): it is skipped
    with that reason, and so on until nothing changes."""
    changed = True
    while changed:
        changed = False
        for logical_id in list(supported):
            missing = sorted(references(resources[logical_id].get("Properties") or {}) & set(skipped))
            if missing:
                supported.remove(logical_id)
                skipped[logical_id] = f"{resources[logical_id]['Type']} (needs {missing[0]}, which is not provisioned locally)"
                changed = True


def _create(ctx: Context, logical_id: str, resource: dict[str, Any]) -> dict[str, Any]:
    creator, arn_attribute = CREATORS[resource["Type"]]
    ref, attrs = creator(ctx, logical_id, ctx.resolver.resolve(resource.get("Properties") or {}))
    ctx.resolver.refs[logical_id] = ref
    ctx.resolver.attrs[logical_id] = attrs
    return {"type": resource["Type"], "ref": ref, "arn": attrs.get(arn_attribute), "attrs": attrs}


def resolved_env(session: Any, **kwargs: Any) -> dict[str, str]:
    """Shortcut: ``provision(session, **kwargs)["env"]``."""
    return provision(session, **kwargs)["env"]
