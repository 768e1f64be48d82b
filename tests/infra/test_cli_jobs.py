"""`mes <job> run [--at TIME]`: the scheduled jobs' commands come from one table (cli.JOBS, issue 10).
Each builds its function's event at the given time, with the detail its options give, and prints
its counts then whether it finished, the same lines as before the table."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from mes_local import cli
from mes_local.functions import HANDLERS, ROOT


@pytest.fixture
def runs(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, dict[str, Any]]]:
    """Every job invocation (function, event); the stack is not contacted."""
    calls: list[tuple[str, dict[str, Any]]] = []
    results = {
        "wave": {"notified_email": 3, "notified_letter": 2, "complete": False},
        "auto_create": {"created": 4, "complete": True},
        "majority_handover": {"handed_over": 1, "codes_by_email": 1, "codes_by_letter": 0, "unreachable": 0},
        "retention": {"processed": 2, "notified": 1, "items_purged": 17},
        "suspension_followup": {"processed": 1, "notified": 1},
    }

    def run_job(name: str, event: dict[str, Any], args: Any) -> Any:
        calls.append((name, event))
        return results[name]

    monkeypatch.setattr(cli, "connect", lambda verbose=False: {})
    monkeypatch.setattr(cli, "_run_job", run_job)
    return calls


def test_the_job_commands_are_the_scheduled_functions() -> None:
    assert [job.command for job in cli.JOBS] == ["wave", "auto-create", "majority", "retention", "suspension"]
    for job in cli.JOBS:
        assert HANDLERS[job.function] == job.function
        assert (ROOT / "events" / f"{job.function}.json").exists(), job.function


@pytest.mark.parametrize("job", cli.JOBS, ids=lambda job: job.command)
def test_every_job_runs_at_the_given_time(job: cli.JobCommand, runs: list, capsys: pytest.CaptureFixture) -> None:
    assert cli.main([job.command, "run", "--at", "2027-01-15T06:30:00+02:00"]) == 0
    (function, event), = runs
    assert function == job.function
    assert event["time"] == "2027-01-15T04:30:00Z"
    uuid.UUID(event["id"])
    out = capsys.readouterr().out.splitlines()
    assert out[-1] == ("complete: no" if job.command == "wave" else "complete: yes")
    assert out[:-1] == [f"{label}: {value}" for label, value in _expected_lines(job.command)]


def _expected_lines(command: str) -> list[tuple[str, int]]:
    return {
        "wave": [("notified by e-mail", 3), ("notified by letter", 2)],
        "auto-create": [("created", 4)],
        "majority": [("handed over", 1), ("codes by e-mail", 1), ("codes by letter", 0), ("unreachable", 0)],
        "retention": [("purged", 2), ("holders informed", 1), ("items deleted", 17)],  # BR-14
        "suspension": [("closed", 1), ("holders informed", 1)],  # BR-15
    }[command]


def test_wave_options_become_the_event_detail(runs: list) -> None:
    """BR-05: a wave may target a department (2A/2B upper-cased) and stop after a number of people."""
    cli.main(["wave", "run", "--department", "2a", "--limit", "3"])
    cli.main(["wave", "run"])
    assert [event["detail"] for _, event in runs] == [{"department": "2A", "limit": 3}, {}]
    assert all(event["detail"] == {} for function, event in runs if function != "wave")


def test_examined_is_printed_only_when_the_job_reports_it(runs: list, capsys: pytest.CaptureFixture,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli, "_run_job", lambda name, event, args: {"created": 0, "examined": 12})
    cli.main(["auto-create", "run"])
    assert capsys.readouterr().out.splitlines() == ["created: 0", "examined: 12", "complete: yes"]


def test_a_job_refuses_a_time_that_is_not_iso_8601(runs: list, capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["retention", "run", "--at", "tomorrow"])
    assert exit_info.value.code == 2 and not runs
    assert "not an ISO 8601 time" in capsys.readouterr().err
