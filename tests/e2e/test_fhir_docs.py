"""docs/fhir.md works as written against the local stack (issue 12, "done when"): the ```bash blocks of
its section "Calling it against `make run`" are run, in order, as one `bash -euo pipefail` script from
the repository's root against `python -m mes_local.stack` on free ports with the demo data (what
`make run` starts; the doc reads MES_API_PORT and the `mes` CLI MES_AWS_ENDPOINT, defaulting to
8000 and 5000). The section's fhirclient example runs after them, in the same shell. `curl` is
wrapped so that every FHIR resource the script receives on stdout is also validated by
tests/support/fhir.py (fhir.resources R4B and fhirclient R4 strict)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from mes_local.demo import demo_people
from tests.e2e.test_local_stack import ROOT, Stack, stack  # noqa: F401 - the module's own local stack
from tests.support import leaks
from tests.support.fhir import valid

DOC = ROOT / "docs" / "fhir.md"
SECTION = "## Calling it against `make run`"
# Every curl call of the script goes through this wrapper: stdout also copied to a numbered file.
CURL_WRAPPER = """#!/usr/bin/env bash
out="$FHIR_DOCS_CAPTURE/$(date +%s%N).out"
"$FHIR_DOCS_CURL" "$@" | tee "$out"
exit "${PIPESTATUS[0]}"
"""


def section_blocks(text: str) -> tuple[list[str], list[str]]:
    """The section's ```bash and ```python blocks, each in the order of the page."""
    start = text.index(SECTION)
    end = text.find("\n## ", start + len(SECTION))
    section = text[start:end if end >= 0 else len(text)]
    blocks = re.findall(r"^```(bash|python)\n(.*?)^```$", section, flags=re.MULTILINE | re.DOTALL)
    return [code for kind, code in blocks if kind == "bash"], [code for kind, code in blocks if kind == "python"]


def script(bash: list[str], python: list[str]) -> str:
    """The bash blocks one after the other, then each python block on .venv/bin/python in the same shell."""
    parts = list(bash) + [f".venv/bin/python - <<'PYTHON'\n{code}PYTHON\n" for code in python]
    return "\n".join(parts)


def run(stack: Stack, text: str, folder: Path) -> tuple[subprocess.CompletedProcess, list[dict]]:  # noqa: F811
    """`text` under `bash -euo pipefail` from the repository's root against `stack`; (result, the JSON
    bodies curl wrote to stdout)."""
    capture, bin_dir = folder / "capture", folder / "bin"
    capture.mkdir()
    bin_dir.mkdir()
    wrapper = bin_dir / "curl"
    wrapper.write_text(CURL_WRAPPER, encoding="utf-8")
    wrapper.chmod(0o755)
    path = folder / "walkthrough.sh"
    path.write_text(text, encoding="utf-8")
    env = {**stack.env, "PATH": f"{bin_dir}:{stack.env.get('PATH', '')}", "FHIR_DOCS_CAPTURE": str(capture),
           "FHIR_DOCS_CURL": shutil.which("curl") or "curl"}
    result = subprocess.run(["bash", "-euo", "pipefail", str(path)], cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=300)
    bodies = []
    for out in sorted(capture.iterdir()):
        try:
            bodies.append(json.loads(out.read_text(encoding="utf-8")))
        except ValueError:  # a body curl wrote to a file, a 204, a -w line
            continue
    return result, bodies


def _after(output: str, *lines: str) -> None:
    """`lines` appear in `output` in this order (each a whole line or a line's start)."""
    at = 0
    for line in lines:
        found = re.compile("^" + re.escape(line), flags=re.MULTILINE).search(output, at)
        assert found, f"{line!r} not found after character {at} of the walk-through's output:\n{output}"
        at = found.end()


@pytest.fixture(scope="module")
def blocks() -> tuple[list[str], list[str]]:
    bash, python = section_blocks(DOC.read_text(encoding="utf-8"))
    assert len(bash) >= 12 and len(python) == 1, "the section lost its blocks"
    assert (ROOT / ".venv" / "bin" / "mes").exists(), "the doc calls .venv/bin/mes: run `make install`"
    return bash, python


def test_the_walkthrough_runs_as_written(stack: Stack, blocks, tmp_path: Path):  # noqa: F811
    leaks.remember(demo_people()[0]["nir"])  # the stack's own logs must not show it
    result, bodies = run(stack, script(*blocks), tmp_path)
    output = result.stdout
    assert result.returncode == 0, f"the walk-through stopped ({result.returncode}):\n{output}\n{stack.logs()}"
    api = stack.api + "/fhir/R4"
    _after(output,
           "4.0.1 ['AuditEvent', 'Binary', 'Consent', 'DocumentReference', 'Observation', 'Patient']",
           "HTTP 201", "{'basis': 'consent', 'first': True}",
           "HTTP 200", "transaction-response", f"201 Created {api}/List/",
           f"201 Created {api}/DocumentReference/", f"201 Created {api}/Binary/")
    document_id = re.search(rf"^201 Created {re.escape(api)}/DocumentReference/([0-9a-f]{{32}})$", output,
                            flags=re.MULTILINE).group(1)
    _after(output,
           f"{document_id} current",                          # ITI-67 GET, narrowed
           "current Bilan N",                                  # read by id
           "HTTP 302", "HTTP 200", "ITI-68: the same bytes",   # the redirect, then the bytes through curl -L
           "Binary application/pdf data: the same bytes",
           "Patient True",
           "HTTP 200", "securityLabel ['MASQUE_PS']", "HTTP 200", "securityLabel ['N']",
           "HTTP 200", "HTTP 200", "HTTP 412", "precondition_failed",  # by masterIdentifier, If-Match, stale
           "HTTP 200", "securityLabel ['N']",
           "HTTP 200", "transaction-response 201 Created",    # PCH-01
           "HTTP 403", "forbidden Réservé au professionnel administrateur du profil.",
           "administrator: HTTP 204", "HTTP 200")
    # the version read by its ETag, then the next one after the PATCH by identifier
    read, now = map(int, re.search(r"^read W/\"(\d+)\" now (\d+) \['MASQUE_PS'\]$", output, flags=re.MULTILINE).groups())
    assert now == read + 1, output
    audit = output[output.index("administrator: HTTP 204"):]
    for line in ("ITI-65 deposit: allowed channel fhir", "ITI-67 list: allowed channel fhir",
                 "ITI-68 read: allowed channel fhir", "- measurement: allowed channel fhir",
                 "- authorisation: allowed channel api"):
        assert re.search(r"^\S+Z " + re.escape(line) + "$", audit, flags=re.MULTILINE), (line, audit)
    # the replacement: the old one superseded, the new one current and naming it; withdrawn at the end
    new_id = re.findall(rf"^201 Created {re.escape(api)}/DocumentReference/([0-9a-f]{{32}})$", output,
                        flags=re.MULTILINE)[1]
    _after(output, f"{document_id} superseded", f"current replaces DocumentReference/{document_id}",
           "transaction-response 201 Created")
    _after(output, "HTTP 200", f"{new_id} entered-in-error", "HTTP 200", "still listed: False",
           "fhirclient: 4.0.1")
    # the holder's measurements show the reading: "<instant> 132/84 mmHg"
    assert re.search(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ 132/84 mmHg$", output, flags=re.MULTILINE), output
    # every FHIR resource the script received is valid in both libraries
    resources = [body for body in bodies if isinstance(body, dict) and "resourceType" in body]
    kinds = {body["resourceType"] for body in resources}
    assert kinds >= {"CapabilityStatement", "Bundle", "DocumentReference", "Binary", "OperationOutcome"}, kinds
    for body in resources:
        valid(body)


def test_a_broken_block_stops_the_walkthrough(stack: Stack, blocks, tmp_path: Path):  # noqa: F811
    """The runner is not blind: the metadata block asking for XML (406, FHIR.md §1) stops the script
    there, `curl --fail-with-body` and pipefail passing the refusal on."""
    bash, _ = blocks
    assert " $API/metadata " in bash[1]
    broken = [bash[0], bash[1].replace(" $API/metadata ", " -H 'Accept: application/fhir+xml' $API/metadata "),
              'echo "not reached"']
    result, bodies = run(stack, script(broken, []), tmp_path)
    assert result.returncode != 0 and "not reached" not in result.stdout, result.stdout
    assert "error: 406" in result.stdout, result.stdout
    assert [body["resourceType"] for body in bodies] == ["OperationOutcome"]
