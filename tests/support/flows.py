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


def pro_headers(psc: Any, clock: Any, rpps: str, profession: str, **claims: Any) -> dict[str, str]:
    """A Pro Santé Connect token from the local stand-in, as the Authorization header (remembered by the
    log-leak check)."""
    value = psc.issue(rpps, profession, now=clock(), **claims)
    remember(value)
    return {"Authorization": f"Bearer {value}"}


def holder(api: Any, container: Any, clock: Any, *, seed: int, email: str, login: str,
           password: str = "une phrase de passe assez longue") -> dict[str, Any]:
    """An activated, logged-in holder, made only through the wave, the API and the outbox."""
    row = people(1, seed=seed, department="44")[0]
    row["email"] = email
    population(container, [row])
    scheduled("wave", clock(), {"department": "44"})
    ident = {k: row[k] for k in ("nir", "birth_date", "vitale_serial")}
    r = api.http.post("/enrolment/sessions", headers={"Content-Type": "application/json"},
                      body=json.dumps({**ident, "code": last_code(container, email)}))
    assert r.status_code == 201, r.body
    etoken = r.json_body["enrolment_token"]
    remember(etoken, password)
    auth = {"Authorization": f"Bearer {etoken}", "Content-Type": "application/json"}
    r = api.http.post("/enrolment/activation", headers=auth, body=json.dumps(
        {"email": email, "otp_channel": "email", "login": login, "password": password, "accept_terms": True}))
    assert r.status_code == 202, r.body
    otp = sent(container, email, "otp")[-1]["data"]["otp"]
    r = api.http.post("/enrolment/activation/confirm", headers=auth,
                      body=json.dumps({"challenge_id": r.json_body["challenge_id"], "otp": otp}))
    assert r.status_code == 201, r.body
    espace_id = r.json_body["espace"]["id"]
    r = api.http.post("/auth/login", headers={"Content-Type": "application/json"},
                      body=json.dumps({"login": login, "password": password}))
    otp = sent(container, email, "otp")[-1]["data"]["otp"]
    r = api.http.post("/auth/otp", headers={"Content-Type": "application/json"},
                      body=json.dumps({"challenge_id": r.json_body["challenge_id"], "otp": otp}))
    token = r.json_body["access_token"]
    session_id = (r.headers.get("set-cookie") or r.headers.get("Set-Cookie") or "").partition(";")[0].partition("=")[2]
    remember(token, session_id)  # the web session cookie's value is a secret too (WEB.md "Session")
    return {"token": token, "espace_id": espace_id, "row": row, "session_id": session_id,
            "headers": {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}}


def upload(form: dict[str, Any], content: bytes, filename: str = "document") -> int:
    """What a browser does with the presigned POST: straight to S3, never through the API."""
    import requests
    response = requests.post(form["url"], data=form["fields"], files={"file": (filename, content)}, timeout=30)
    return response.status_code


def scan(container: Any) -> dict[str, int]:
    """The S3 → SQS → validation function event source, as the local stack runs it."""
    from mes_local.queues import drain
    return drain(container.client("sqs"), container.settings.document_scan_queue_url, "document_scan")
