"""Test helpers that drive the system only through its entry points (handlers, HTTP, outbox)."""

from __future__ import annotations

import csv
import io
import json
import random
import uuid
from datetime import datetime
from typing import Any

from mes_local import outbox
from mes_local.functions import invoke
from mes_local.population import make_person, to_csv
from tests.support.leaks import remember


def population(container: Any, rows: list[dict[str, str]]) -> dict[str, Any]:
    """Drop a CSV in the population bucket and run the import function on the S3 event."""
    for row in rows:
        remember(row.get("nir"), row.get("vitale_serial"), row.get("guardian_nir"))
    s3 = container.client("s3")
    key = f"imports/{uuid.uuid4().hex}.csv"
    s3.put_object(Bucket=container.settings.population_bucket, Key=key, Body=to_csv(rows).encode(),
                  ServerSideEncryption="aws:kms", SSEKMSKeyId=container.settings.data_key_arn)
    event = json.load(open(_events() / "population_import.json"))
    event["Records"][0]["s3"]["bucket"]["name"] = container.settings.population_bucket
    event["Records"][0]["s3"]["object"]["key"] = key
    return invoke("population_import", event)["files"][0]


def scheduled(name: str, at: datetime, detail: dict | None = None, event_id: str | None = None) -> dict[str, Any]:
    event = json.load(open(_events() / f"{name}.json"))
    event["id"] = event_id or str(uuid.uuid4())
    event["time"] = at.strftime("%Y-%m-%dT%H:%M:%SZ")
    event["detail"] = detail or {}
    return invoke(name, event)


def _events():
    from mes_local.functions import ROOT
    return ROOT / "events"


def sent(container: Any, to: str | None = None, template: str | None = None) -> list[dict[str, Any]]:
    entries = outbox.collect(outbox.local_data(), container.client("s3"), container.settings.letters_bucket,
                             container.settings.ses_template_prefix)
    found = [e for e in entries if outbox.matches(e, to) and (template is None or e["template"] == template)]
    for entry in found:
        remember(entry["data"].get("code"), entry["data"].get("otp"))
    return found


def last_code(container: Any, to: str) -> str:
    entries = sent(container, to)
    codes = [e["data"]["code"] for e in entries if "code" in e["data"]]
    assert codes, f"no code sent to {to}"
    return codes[-1]


def people(count: int, seed: int = 1, **overrides: str) -> list[dict[str, str]]:
    rng = random.Random(seed)
    return [{**make_person(rng, i), **overrides} for i in range(count)]


def read_letters(container: Any) -> list[dict[str, str]]:
    s3 = container.client("s3")
    rows = []
    for obj in s3.list_objects_v2(Bucket=container.settings.letters_bucket).get("Contents", []):
        body = s3.get_object(Bucket=container.settings.letters_bucket, Key=obj["Key"])["Body"].read().decode()
        rows.extend(csv.DictReader(io.StringIO(body)))
    return rows
