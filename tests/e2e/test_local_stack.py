"""The local stack as the acceptance suite drives it (API.md, "The local stack"): `python -m
mes_local.stack` in a subprocess on free ports, the `mes` CLI as subprocesses, the API over real
HTTP. Part of the normal `pytest` run (about 30 s: each CLI call is a new Python process)."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.support import leaks

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 60


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Stack:
    def __init__(self, api: str, env: dict[str, str], stdout: Path, stderr: Path):
        self.api, self.env, self.stdout, self.stderr = api, env, stdout, stderr

    def logs(self) -> str:
        return (f"--- stack stdout ---\n{self.stdout.read_text(errors='replace')[-4000:]}\n"
                f"--- stack stderr ---\n{self.stderr.read_text(errors='replace')[-4000:]}")

    def mes(self, *args: str, status: int = 0, command: list[str] | None = None) -> str:
        result = subprocess.run((command or [sys.executable, "-m", "mes_local.cli"]) + list(args), env=self.env,
                                cwd=ROOT, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
        assert result.returncode == status, (f"mes {' '.join(args)} → {result.returncode}\n"
                                             f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}")
        return result.stdout

    def http(self, method: str, path: str, body: dict | None = None,
             token: str | None = None) -> tuple[int, dict[str, Any]]:
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.api + path, data=data, headers=headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - local stack
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, raw = error.code, error.read()
        return status, (json.loads(raw) if raw else {})


def _wait_until_up(process: subprocess.Popen, url: str, stack: Stack) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the stack exited with {process.returncode}\n{stack.logs()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    pytest.fail(f"the stack did not answer {url} within {START_TIMEOUT} s\n{stack.logs()}")


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("stack")
    aws_port, api_port, web_port = _free_port(), _free_port(), _free_port()
    env = {**os.environ, "MES_AWS_ENDPOINT": f"http://127.0.0.1:{aws_port}", "MES_API_PORT": str(api_port),
           "MES_WEB_PORT": str(web_port),
           "MES_DEMO": "1", "PYTHONUNBUFFERED": "1"}
    env.pop("AWS_ENDPOINT_URL", None)
    stdout, stderr = folder / "stdout.log", folder / "stderr.log"
    with open(stdout, "wb") as out, open(stderr, "wb") as err:
        process = subprocess.Popen([sys.executable, "-m", "mes_local.stack"], cwd=ROOT, env=env,
                                   stdin=subprocess.DEVNULL, stdout=out, stderr=err)
    running = Stack(f"http://127.0.0.1:{api_port}", env, stdout, stderr)
    try:
        _wait_until_up(process, running.api + "/openapi.json", running)
        yield running
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        # The stack's own logs go through the session's leak scan (codes, NIRs, tokens).
        leaks.LINES.extend(line for line in stdout.read_text(errors="replace").splitlines() if line.startswith("{"))
    assert process.returncode == 0, running.logs()
    assert "mes local stack stopped." in stdout.read_text()


def _counts(output: str) -> dict[str, str]:
    return dict(re.findall(r"^([a-z -]+): (\S+)$", output, flags=re.MULTILINE))


def test_the_web_port_forwards_api_calls_as_cloudfront_does(stack: Stack):
    """WEB.md: the page's origin (MES_WEB_PORT) sends /api/* to the API without the prefix, so the page
    and the API share one origin; a refresh without the session cookie is the API's own 401."""
    web = f"http://127.0.0.1:{stack.env['MES_WEB_PORT']}"
    with urllib.request.urlopen(web + "/api/openapi.json", timeout=10) as response:  # noqa: S310
        assert "/auth/refresh" in json.loads(response.read())["paths"]
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    request = urllib.request.Request(web + "/api/auth/refresh", data=b"", method="POST")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)  # noqa: S310
    assert refused.value.code == 401
    assert json.loads(refused.value.read())["code"] in ("session_expired", "unauthorized", "invalid_token")
    assert ("web app" in stack.stdout.read_text())


def test_population_wave_outbox_http_and_auto_create(stack: Stack, tmp_path: Path):
    # The API and its OpenAPI document answer
    with urllib.request.urlopen(stack.api + "/openapi.json", timeout=10) as response:  # noqa: S310
        assert "/enrolment/sessions" in json.loads(response.read())["paths"]

    # Six synthetic people of department 44 (the console script gives the same CSV as `-m`)
    text = stack.mes("population", "generate", "--count", "6", "--seed", "3", "--department", "44")
    script = Path(sys.executable).parent / "mes"
    if script.exists():
        assert stack.mes("population", "generate", "--count", "6", "--seed", "3", "--department", "44",
                         command=[str(script)]) == text
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 6 and {r["department"] for r in rows} == {"44"}
    for row in rows:
        leaks.remember(row["nir"], row["vitale_serial"])
    by_email = [r for r in rows if r["email"]]
    by_letter = [r for r in rows if not r["email"]]
    assert by_email and by_letter
    population = tmp_path / "population-44.csv"
    population.write_text(text, encoding="utf-8")

    # Import: all six
    counts = _counts(stack.mes("population", "import", str(population)))
    assert (counts["imported"], counts["already known"], counts["rejected"]) == ("6", "0", "0")

    # The wave for 44 only: e-mails and letters
    counts = _counts(stack.mes("wave", "run", "--department", "44"))
    assert counts["notified by e-mail"] == str(len(by_email))
    assert counts["notified by letter"] == str(len(by_letter))
    assert counts["complete"] == "yes"

    # The outbox shows the codes: an e-mail per person with an e-mail, letters for the others
    sent = json.loads(stack.mes("outbox", "--json"))
    assert all(set(e) == {"channel", "recipient", "template", "data", "sent_at"} and e["sent_at"] for e in sent)
    codes = {}
    for row in by_email:
        mails = [e for e in sent if e["channel"] == "email" and e["recipient"] == row["email"]]
        assert len(mails) == 1 and mails[0]["template"] == "wave-code"
        codes[row["email"]] = mails[0]["data"]["code"]
        assert len(codes[row["email"]]) == 12
    letters = [e for e in sent if e["channel"] == "letter" and "44000" in e["data"].get("address", "")]
    assert len(letters) == len(by_letter) and all(len(e["data"]["code"]) == 12 for e in letters)
    leaks.remember(*codes.values(), *(e["data"]["code"] for e in letters))
    assert len(json.loads(stack.mes("outbox", "--to", by_email[0]["email"], "--json"))) == 1

    # One person opens a session with the code over HTTP, then opposes
    person = by_email[0]
    status, body = stack.http("POST", "/enrolment/sessions", {
        "nir": person["nir"], "birth_date": person["birth_date"], "vitale_serial": person["vitale_serial"],
        "code": codes[person["email"]]})
    assert status == 201, body
    assert body["espace"]["status"] == "notified"
    leaks.remember(body["enrolment_token"])
    deadline = datetime.fromisoformat(body["espace"]["opposition_deadline"].replace("Z", "+00:00"))
    status, body = stack.http("POST", "/enrolment/opposition", token=body["enrolment_token"])
    assert status == 200 and body["status"] == "opposed", body

    # The demo holder logs in: password, then the one-time code read from the outbox
    status, body = stack.http("POST", "/auth/login", {"login": "demo.camille", "password": "camille-demo-2026"})
    assert status == 202, body
    otps = [e["data"]["otp"] for e in json.loads(stack.mes("outbox", "--to", "demo.camille@example.org", "--json"))
            if e["template"] == "otp"]
    status, body = stack.http("POST", "/auth/otp", {"challenge_id": body["challenge_id"], "otp": otps[-1]})
    assert status == 200, body
    leaks.remember(body["access_token"])
    status, body = stack.http("GET", "/espaces/me", token=body["access_token"])
    assert status == 200 and body["status"] == "active", body

    # After the deadline, automatic creation: every notified 44 person but the opposed one
    at = (deadline + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    counts = _counts(stack.mes("auto-create", "run", "--at", at))
    assert int(counts["created"]) >= len(rows) - 1


def test_invoke_with_an_event_file(stack: Stack, tmp_path: Path):
    event = json.loads((ROOT / "events" / "wave.json").read_text())
    event["detail"] = {"department": "971"}
    path = tmp_path / "wave.json"
    path.write_text(json.dumps(event))
    result = json.loads(stack.mes("invoke", "wave", "--event", str(path)))
    assert result["notified_email"] == result["notified_letter"] == 0 and result["complete"] is True


def test_cli_without_a_stack_says_how_to_start_it(tmp_path: Path):
    env = {**os.environ, "MES_AWS_ENDPOINT": f"http://127.0.0.1:{_free_port()}"}
    result = subprocess.run([sys.executable, "-m", "mes_local.cli", "outbox"], env=env, cwd=ROOT,
                            stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1 and "make run" in result.stderr and result.stdout == ""
    result = subprocess.run([sys.executable, "-m", "mes_local.cli", "pro-token", "--rpps", "10000000001",
                             "--profession", "10"], env=env,
                            cwd=ROOT, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1 and "make run" in result.stderr and result.stdout == ""
    result = subprocess.run([sys.executable, "-m", "mes_local.cli", "pro-token", "--rpps", "1000000000",
                             "--profession", "10"], env=env,
                            cwd=ROOT, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "11 digits" in result.stderr and result.stdout == ""


def test_pro_token_is_accepted_by_the_stack_s_pinned_keys(stack: Stack):
    """`mes pro-token` signs with the stand-in's key kept in the stack's SSM; PSC_* (public) trust it."""
    import boto3

    from mes.adapters.psc import PscVerifier
    from mes.bootstrap import utcnow
    ssm = boto3.client("ssm", endpoint_url=stack.env["MES_AWS_ENDPOINT"], region_name="eu-west-3",
                       aws_access_key_id="testing", aws_secret_access_key="testing", aws_session_token="testing")
    env = json.loads(ssm.get_parameter(Name="/mes-local/env")["Parameter"]["Value"])
    token = stack.mes("pro-token", "--rpps", "10003456789", "--profession", "21").strip()
    leaks.remember(token)
    assert PscVerifier(env["PSC_ISSUER"], env["PSC_AUDIENCE"], env["PSC_JWKS"]).verify(token, utcnow()).rpps == \
        "10003456789"
