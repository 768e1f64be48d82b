"""Issue #5 on the local stack (subprocess, real HTTP, the `mes` CLI): `mes reimbursements import`,
the holder's history, and an export built by the stack's queue poller then downloaded."""

from __future__ import annotations

import csv
import io
import json
import time
import urllib.request
import zipfile
from pathlib import Path

from mes.domain.reimbursements import COLUMNS
from mes_local.demo import demo_people
from tests.e2e.test_local_stack import Stack, _counts, stack  # noqa: F401 - the module's stack fixture
from tests.support import leaks


def _login(stack: Stack) -> str:  # noqa: F811
    status, body = stack.http("POST", "/auth/login", {"login": "demo.camille", "password": "camille-demo-2026"})
    assert status == 202, body
    otps = [e["data"]["otp"] for e in json.loads(stack.mes("outbox", "--to", "demo.camille@example.org", "--json"))
            if e["template"] == "otp"]
    status, body = stack.http("POST", "/auth/otp", {"challenge_id": body["challenge_id"], "otp": otps[-1]})
    assert status == 200, body
    leaks.remember(body["access_token"])
    return body["access_token"]


def test_reimbursements_import_history_and_export(stack: Stack, tmp_path: Path):  # noqa: F811
    camille = demo_people()[0]
    leaks.remember(camille["nir"])
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS)
    writer.writeheader()
    writer.writerow({"line_id": "CLI-1", "nir": camille["nir"], "birth_date": camille["birth_date"], "first_name": "",
                     "care_date": time.strftime("%Y-%m-%d", time.gmtime(time.time() - 86400 * 20)),
                     "act_label": "Consultation", "professional_name": "Dr Demo", "amount_paid": "26.50",
                     "amount_reimbursed": "18.55"})
    writer.writerow({"line_id": "CLI-2", "nir": "not a nir", "birth_date": "1990-01-01", "first_name": "",
                     "care_date": "2026-01-01", "act_label": "X", "professional_name": "", "amount_paid": "1",
                     "amount_reimbursed": "1"})
    path = tmp_path / "remboursements.csv"
    path.write_text(out.getvalue(), encoding="utf-8")

    output = stack.mes("reimbursements", "import", str(path))
    counts = _counts(output)
    assert (counts["imported"], counts["rejected"], counts["already known"]) == ("1", "1", "0"), output
    assert "line 3: field nir:" in output
    assert _counts(stack.mes("reimbursements", "import", str(path)))["already known"] == "1"

    token = _login(stack)
    status, body = stack.http("GET", "/espaces/me/reimbursements", token=token)
    assert status == 200, body
    assert [(i["act_label"], i["amount_reimbursed"]) for i in body["items"]] == [("Consultation", "18.55")]

    status, body = stack.http("POST", "/espaces/me/exports", token=token)
    assert status == 202, body
    export_id = body["export_id"]
    deadline = time.monotonic() + 30
    while True:  # the stack's poller drains the export queue every second
        status, body = stack.http("GET", f"/espaces/me/exports/{export_id}", token=token)
        assert status == 200, body
        if body["status"] != "pending" or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert body["status"] == "ready", (body, stack.logs())
    with urllib.request.urlopen(body["download"]["url"], timeout=10) as response:  # noqa: S310
        archive = zipfile.ZipFile(io.BytesIO(response.read()))
    assert json.loads(archive.read("espace.json"))["identity"]["first_name"] == camille["first_name"]
    assert [r["act_label"] for r in json.loads(archive.read("reimbursements.json"))] == ["Consultation"]
