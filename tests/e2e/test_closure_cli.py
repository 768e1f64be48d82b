"""The closure commands of the local stack (issue #5): `mes espace suspend|lift`, `mes suspension
run`, `mes retention run`, driven as subprocesses against `python -m mes_local.stack`."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from tests.e2e.test_local_stack import Stack, _counts, stack  # noqa: F401 - the module-scoped stack fixture
from tests.support import leaks

LOGIN, PASSWORD, EMAIL = "demo.camille", "camille-demo-2026", "demo.camille@example.org"


def _login(running: Stack) -> tuple[int, dict]:
    status, body = running.http("POST", "/auth/login", {"login": LOGIN, "password": PASSWORD})
    if status != 202:
        return status, body
    otps = [e["data"]["otp"] for e in json.loads(running.mes("outbox", "--to", EMAIL, "--json"))
            if e["template"] == "otp"]
    status, body = running.http("POST", "/auth/otp", {"challenge_id": body["challenge_id"], "otp": otps[-1]})
    leaks.remember(body.get("access_token"))
    return status, body


def test_suspend_lift_close_and_purge_from_the_command_line(stack: Stack):  # noqa: F811
    status, body = _login(stack)
    assert status == 200, body
    token = body["access_token"]
    status, me = stack.http("GET", "/espaces/me", token=token)
    espace_id = me["id"]

    counts = _counts(stack.mes("espace", "suspend", espace_id, "--reason", "FRAUDE-1"))
    assert (counts["status"], counts["changed"]) == ("suspended", "yes")
    assert stack.http("GET", "/espaces/me", token=token)[0] == 401
    status, body = stack.http("POST", "/auth/login", {"login": LOGIN, "password": PASSWORD})
    assert status == 403 and body["code"] == "suspended"
    assert _counts(stack.mes("espace", "lift", espace_id))["status"] == "active"
    later = (datetime.now(UTC) + timedelta(days=43)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert _counts(stack.mes("suspension", "run", "--at", later))["closed"] == "0"

    status, body = _login(stack)
    assert status == 200, body
    status, body = stack.http("POST", "/espaces/me/closure", {"password": PASSWORD, "delete_data": True},
                              token=body["access_token"])
    assert status == 200 and body["deletion_due"], body
    due = (datetime.fromisoformat(body["deletion_due"].replace("Z", "+00:00")) + timedelta(hours=1))
    counts = _counts(stack.mes("retention", "run", "--at", due.strftime("%Y-%m-%dT%H:%M:%SZ")))
    assert (counts["purged"], counts["holders informed"]) == ("1", "1")
    templates = [e["template"] for e in json.loads(stack.mes("outbox", "--to", EMAIL, "--json"))]
    assert templates.count("data-deleted") == templates.count("closure-confirmation") == 1
    assert "suspension-notice" in templates and "suspension-lifted" in templates
    assert stack.http("POST", "/auth/login", {"login": LOGIN, "password": PASSWORD})[0] == 401
