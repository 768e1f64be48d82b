"""What was sent, read back from the fake AWS: e-mails (SES), SMS (SNS), letters (print files in S3).

Source: moto's model registry — in-process (tests, the stack) or `GET /moto-api/data.json` from
the running stack (CLI). moto keeps no send time, so `stamp_send_times()` (called by the local
stack and the tests, never by mes itself) records one on its message objects."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from typing import Any

from mes.domain.texts import parse_sms


def stamp_send_times() -> None:
    from moto.ses.models import BulkTemplateMessage, TemplateMessage
    from moto.sns.models import SMS

    for cls in (TemplateMessage, BulkTemplateMessage, SMS):
        if getattr(cls, "_mes_stamped", False):
            continue
        original = cls.__init__

        def init(self: Any, *args: Any, __original: Any = original, **kwargs: Any) -> None:
            __original(self, *args, **kwargs)
            self.sent_at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")

        cls.__init__ = init  # type: ignore[method-assign]
        cls._mes_stamped = True  # type: ignore[attr-defined]


def local_data() -> dict[str, Any]:
    """The same structure as moto server's /moto-api/data.json, read in-process."""
    from moto.core.model_instances import model_data

    wanted = {"ses": ("TemplateMessage", "BulkTemplateMessage"), "sns": ("SMS",)}
    results: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for service, names in wanted.items():
        results[service] = {}
        for name in names:
            model = model_data.get(service, {}).get(name)
            rows = []
            for instance in getattr(model, "instances_tracked", []) if model else []:
                rows.append({k: v for k, v in vars(instance).items() if not k.startswith("_")})
            results[service][name] = rows
    return results


def http_data(endpoint: str) -> dict[str, Any]:
    import urllib.request
    with urllib.request.urlopen(f"{endpoint.rstrip('/')}/moto-api/data.json", timeout=30) as response:  # noqa: S310
        return json.loads(response.read())


def _strip(template: str, prefix: str) -> str:
    return template[len(prefix) + 1:] if prefix and template.startswith(prefix + "-") else template


def _addresses(destination: Any) -> list[str]:
    if isinstance(destination, dict):
        return list(destination.get("ToAddresses") or destination.get("to_addresses") or [])
    return []


def collect(data: dict[str, Any], s3: Any = None, letters_bucket: str | None = None,
            template_prefix: str = "") -> list[dict[str, Any]]:
    """Every e-mail (SES), SMS (SNS) and letter (the print files in S3), oldest first."""
    ses = data.get("ses", {})
    entries = [*_templated_emails(ses, template_prefix), *_bulk_emails(ses, template_prefix),
               *_sms(data.get("sns", {}))]
    if s3 is not None and letters_bucket:
        entries.extend(letters(s3, letters_bucket))
    entries.sort(key=lambda e: e.get("sent_at") or "")
    return entries


def _email(to: str, message: dict[str, Any], fields: dict[str, Any], template_prefix: str) -> dict[str, Any]:
    return {"channel": "email", "recipient": to, "template": _strip(message["template"], template_prefix),
            "data": fields, "sent_at": message.get("sent_at")}


def _templated_emails(ses: dict[str, Any], template_prefix: str) -> list[dict[str, Any]]:
    entries = []
    for message in ses.get("TemplateMessage", []):
        fields = json.loads(message.get("template_data") or "{}")
        entries += [_email(to, message, fields, template_prefix) for to in _addresses(message.get("destinations"))]
    return entries


def _bulk_emails(ses: dict[str, Any], template_prefix: str) -> list[dict[str, Any]]:
    entries = []
    for message in ses.get("BulkTemplateMessage", []):
        default = json.loads(message.get("template_data") or "{}")
        for destination in message.get("destinations") or []:
            fields = {**default, **json.loads(destination.get("ReplacementTemplateData") or "{}")}
            entries += [_email(to, message, fields, template_prefix)
                        for to in _addresses(destination.get("Destination"))]
    return entries


def _sms(sns: dict[str, Any]) -> list[dict[str, Any]]:
    entries = []
    for sms in sns.get("SMS", []):
        parsed = parse_sms(sms.get("message", ""))
        template, fields = parsed if parsed else ("unknown", {})
        entries.append({"channel": "sms", "recipient": sms.get("phone_number"), "template": template,
                        "data": {**fields, "text": sms.get("message", "")}, "sent_at": sms.get("sent_at")})
    return entries


def letters(s3: Any, bucket: str) -> list[dict[str, Any]]:
    out = []
    paginator = s3.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=bucket):
        for obj in page.get("Contents", []):
            body = s3.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read().decode("utf-8")
            sent_at = obj["LastModified"].astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            for row in csv.DictReader(io.StringIO(body)):
                data = {k: v for k, v in row.items() if k not in ("recipient", "template")}
                data["print_file"] = obj["Key"]
                out.append({"channel": "letter", "recipient": row.get("recipient", ""),
                            "template": row.get("template", ""), "data": data, "sent_at": sent_at})
    return out


def matches(entry: dict[str, Any], to: str | None) -> bool:
    if not to:
        return True
    needle = to.strip().lower()
    haystack = [str(entry.get("recipient") or "").lower(), str(entry["data"].get("address", "")).lower()]
    return any(needle == h or (entry["channel"] == "letter" and needle in h) for h in haystack)
