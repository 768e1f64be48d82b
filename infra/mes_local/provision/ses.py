"""``AWS::SES::EmailIdentity`` (verified at once locally) and ``AWS::SES::Template`` (updated to the
template's text when it exists)."""

from __future__ import annotations

from typing import Any

from mes_local.provision.base import Context, error_code


def identity(ctx: Context, logical_id: str, props: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    ses = ctx.client("ses")
    name = props["EmailIdentity"]
    if "@" in name:
        ses.verify_email_identity(EmailAddress=name)
    else:
        ses.verify_domain_identity(Domain=name)
    return name, {"Arn": ctx.arn("ses", f"identity/{name}")}


def template(ctx: Context, logical_id: str, props: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    ses = ctx.client("ses")
    body = dict(props["Template"])
    body.setdefault("TemplateName", ctx.default_name(logical_id))
    try:
        ses.create_template(Template=body)
    except Exception as exc:  # botocore ClientError; moto names it AlreadyExists
        if error_code(exc) not in ("AlreadyExists", "AlreadyExistsException"):
            raise
        ses.update_template(Template=body)
    name = body["TemplateName"]
    return name, {"Arn": ctx.arn("ses", f"template/{name}")}


CREATORS = {"AWS::SES::EmailIdentity": (identity, "Arn"), "AWS::SES::Template": (template, "Arn")}
