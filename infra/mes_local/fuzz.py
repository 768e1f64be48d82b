"""schemathesis against the served /openapi.json, with a holder, an enrolment and a PS token.

`failures()` starts its own local stack (moto + API + demo data) on free ports, runs every
schemathesis check with a fixed seed (deterministic generation, bounded examples) and returns the
number of failures: the bench figure `security.schemathesis_failures` (target 0).
`python -m mes_local.fuzz` prints it."""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
SEED = 20261130
MAX_EXAMPLES = 8
PRO_RPPS = "10003456789"
# Operations left out of the run, and why (everything else gets every check):
EXCLUDED = {
    # it revokes the one holder token every other operation uses; tests/integration covers it
    "logout": "revokes the shared holder token",
    # a success closes the demo espace (and revokes every session); tests/integration/test_closure covers it
    "close_espace": "closes the demo espace",
}
# positive_data_acceptance is not checked where a schema-valid request is still refused with 400 for
# what no JSON Schema can say: a NIR's key (97 - n mod 97, in bodies and in the {ins} path of every
# professional's route), a birth date or a measurement in the past, an opaque pagination cursor that
# the server never issued, a password not containing the login, a minimum length once trimmed.
# Every other check runs on them, negative_data_rejection included.
SEMANTIC_400 = ("create_session", "renew_code", "attach_child", "invite_representative", "start_activation",
                "add_measurement", "put_section", "pro_emergency",
                # otp_channel "sms" (a login code resent by "sms") needs a verified mobile on file
                "patch_settings", "resend_otp",
                # attachments must be existing documents of the espace or conversation
                "reply", "pro_send",
                # an opaque `cursor` query parameter
                "access_log", "list_conversations", "read_conversation", "list_documents", "list_measurements",
                "list_reimbursements", "pro_notifications", "pro_read",
                # {ins} in the path
                "pro_authorise", "pro_list_documents", "pro_get_document", "pro_deposit", "pro_withdraw",
                "pro_access_log", "pro_block", "pro_start", "pro_profile", "pro_reveal_document",
                # the FHIR facade: an INS in `patient.identifier`/`identifier` (its NIR key), an opaque
                # `_cursor`, a date the pattern allows but the calendar does not (2026-02-30)
                "fhir_search_documents", "fhir_search_documents_post", "fhir_search_patients",
                "fhir_search_audit_events", "fhir_search_consents",
                # a FHIR transaction (PCH-01): its entries are whole FHIR resources whose LOINC/UCUM
                # codes, NIR key, instants and the dispatch on their resourceType (422 for what no
                # handler takes) are checked by mes.adapters.fhir, not restated as JSON Schema
                # ITI-65: the Bundle's resources (FHIR R4 itself is not one JSON Schema), the subject's
                # NIR key, a contained author equal to the token's RPPS, base64 bytes whose content
                # matches the declared type (BR-23)
                "fhir_transaction")


# Headers an operation needs that no OpenAPI document can state (an `Accept` header parameter is
# ignored by the specification): a file route answers its bytes only when Accept asks for them first
# (chalicelib.routing.check_accept), else 406. Every check still runs on these operations.
OPERATION_HEADERS = {"opposition_receipt": {"Accept": "application/pdf"}}


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, timeout: float = 2) -> bytes:
    with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - the local stack only
        return response.read()


def _post(url: str, body: dict[str, Any]) -> dict[str, Any]:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        return json.loads(response.read())


@contextmanager
def local_stack(workdir: Path) -> Iterator[tuple[str, dict[str, str]]]:
    """`python -m mes_local.stack` on free ports with the demo data; stopped (SIGTERM) on exit."""
    aws_port, api_port, web_port = _free_port(), _free_port(), _free_port()
    env = {**os.environ, "MES_AWS_ENDPOINT": f"http://127.0.0.1:{aws_port}", "MES_API_PORT": str(api_port),
           "MES_WEB_PORT": str(web_port),
           "MES_DEMO": "1", "PYTHONUNBUFFERED": "1"}
    env.pop("AWS_ENDPOINT_URL", None)
    api = f"http://127.0.0.1:{api_port}"
    with open(workdir / "stack.out", "wb") as out, open(workdir / "stack.err", "wb") as err:
        process = subprocess.Popen([sys.executable, "-m", "mes_local.stack"], cwd=ROOT, env=env,
                                   stdin=subprocess.DEVNULL, stdout=out, stderr=err)
    try:
        deadline = time.monotonic() + 90
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the local stack exited with {process.returncode}: "
                                   f"{(workdir / 'stack.err').read_text(errors='replace')[-2000:]}")
            try:
                _get(api + "/openapi.json")
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("the local stack did not start within 90 s") from None
                time.sleep(0.3)
        yield api, env
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _mes(env: dict[str, str], *args: str) -> str:
    result = subprocess.run([sys.executable, "-m", "mes_local.cli", *args], env=env, cwd=ROOT, capture_output=True,
                            text=True, timeout=60, stdin=subprocess.DEVNULL)
    if result.returncode != 0:
        raise RuntimeError(f"mes {args[0]} failed: {result.stderr[-500:]}")
    return result.stdout


def tokens(api: str, env: dict[str, str]) -> dict[str, str]:
    """The demo holder's token (password + the one-time code read from the outbox), a PS token
    (`mes pro-token`), and an enrolment token of the demo child (never activated: a session on it)."""
    from mes_local.demo import DEMO_EMAIL, DEMO_LOGIN, DEMO_PASSWORD
    challenge = _post(api + "/auth/login", {"login": DEMO_LOGIN, "password": DEMO_PASSWORD})["challenge_id"]
    sent = json.loads(_mes(env, "outbox", "--to", DEMO_EMAIL, "--json"))
    otp = [e["data"]["otp"] for e in sent if "otp" in e["data"]][-1]
    holder = _post(api + "/auth/otp", {"challenge_id": challenge, "otp": otp})["access_token"]
    pro = _mes(env, "pro-token", "--rpps", PRO_RPPS, "--profession", "10", "--ttl", "3600").strip().splitlines()[-1]
    from mes_local.demo import demo_people
    louis = demo_people()[1]  # reached by letter: his code is in the print file
    letters = json.loads(_mes(env, "outbox", "--json"))
    code = [e["data"]["code"] for e in letters if e["channel"] == "letter" and "code" in e["data"]
            and "Sanguinaires" in e["data"].get("address", "")][-1]
    enrolment = _post(api + "/enrolment/sessions", {"nir": louis["nir"], "birth_date": louis["birth_date"],
                                                    "vitale_serial": louis["vitale_serial"],
                                                    "code": code})["enrolment_token"]
    return {"holder": holder, "pro": pro, "enrolment": enrolment}


def config_toml(auth: dict[str, str]) -> str:
    # Every check, from the configuration (a `--checks all` on the command line would override the
    # per-operation exceptions below).
    lines = ["[checks]", "enabled = true", ""]
    for scheme, token in sorted(auth.items()):
        lines += [f"[auth.openapi.{scheme}]", f'bearer = "{token}"', ""]
    for operation_id in SEMANTIC_400:
        lines += ["[[operations]]", f'include-operation-id = "{operation_id}"',
                  "checks.positive_data_acceptance.enabled = false", ""]
    for operation_id, headers in sorted(OPERATION_HEADERS.items()):
        values = ", ".join(f'{name} = "{value}"' for name, value in headers.items())
        lines += ["[[operations]]", f'include-operation-id = "{operation_id}"', f"headers = {{ {values} }}", ""]
    return "\n".join(lines)


def run(api: str, auth: dict[str, str], workdir: Path, max_examples: int = MAX_EXAMPLES) -> dict[str, Any]:
    """Every check, fixed seed, deterministic generation. Returns {"failures": n, "report": {...}}."""
    config = workdir / "schemathesis.toml"
    config.write_text(config_toml(auth))
    report = workdir / "report.json"
    command = [sys.executable, "-m", "schemathesis.cli", "--config-file", str(config), "--no-color", "run",
               f"{api}/openapi.json", "--url", api, "--seed", str(SEED), "--generation-deterministic",
               "--max-examples", str(max_examples), "--workers", "1",
               "--report", "json", "--report-json-path", str(report), "--request-timeout", "30",
               "--phases", "examples,coverage,fuzzing"]
    for operation_id in EXCLUDED:
        command += ["--exclude-operation-id", operation_id]
    result = subprocess.run(command, cwd=workdir, capture_output=True, text=True, timeout=900,
                            stdin=subprocess.DEVNULL, env={**os.environ, "SCHEMATHESIS_TELEMETRY": "false"})
    (workdir / "schemathesis.out").write_text(result.stdout + result.stderr)
    data = json.loads(report.read_text()) if report.exists() else {}
    return {"exit": result.returncode, "output": result.stdout + result.stderr, "report": data}


def measure(max_examples: int = MAX_EXAMPLES) -> dict[str, int]:
    """A fresh local stack, every check, fixed seed: failures, operations tested, test cases generated."""
    with tempfile.TemporaryDirectory() as folder, local_stack(Path(folder)) as (api, env):
        outcome = run(api, tokens(api, env), Path(folder), max_examples)
    report = outcome["report"]
    return {"failures": count(outcome), "operations": int(report["operations"]["tested"]),
            "test_cases": int(report["test_cases"]["generated"])}


def figures() -> dict[str, int]:
    """The bench's `security.schemathesis_*` lines."""
    return {f"security.schemathesis_{name}": value for name, value in measure().items()}


def failures(max_examples: int = MAX_EXAMPLES) -> int:
    """security.schemathesis_failures (target 0)."""
    return measure(max_examples)["failures"]


def count(outcome: dict[str, Any]) -> int:
    """Unique failures plus operations that errored; a run that produced no report is an error."""
    report = outcome["report"]
    if not report or not report.get("complete"):
        raise RuntimeError(f"schemathesis did not complete (exit {outcome['exit']}):\n{outcome['output'][-3000:]}")
    return int(report["test_cases"]["unique_failures"]) + int(report["operations"]["errored"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mes_local.fuzz", description=__doc__.split("\n")[0])
    parser.add_argument("--max-examples", type=int, default=MAX_EXAMPLES)
    args = parser.parse_args(argv)
    figures = measure(args.max_examples)
    print(f"security.schemathesis_failures: {figures['failures']}")
    print(f"security.schemathesis_operations: {figures['operations']}")
    print(f"security.schemathesis_test_cases: {figures['test_cases']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
