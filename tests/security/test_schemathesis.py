"""schemathesis against the served /openapi.json (issue 9): the local stack with its demo data, a
holder token (password + the one-time code from the outbox), an enrolment token and a PS token;
every check, fixed seed, deterministic generation, bounded examples. 0 failures.

Marked `slow`: run it alone with `.venv/bin/python -m pytest tests/security -q` (about 1-2 minutes).
The same function gives the bench figure `security.schemathesis_failures`."""

from __future__ import annotations

from pathlib import Path

import pytest

from mes_local import fuzz


@pytest.mark.slow
def test_schemathesis_finds_no_failure(tmp_path: Path):
    with fuzz.local_stack(tmp_path) as (api, env):
        auth = fuzz.tokens(api, env)
        outcome = fuzz.run(api, auth, tmp_path)
    report = outcome["report"]
    assert report.get("complete"), outcome["output"][-3000:]
    assert report["operations"]["tested"] >= 45, report["operations"]
    assert fuzz.count(outcome) == 0, outcome["output"][-8000:]
