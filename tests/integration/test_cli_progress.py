"""The operators' CLI shows each batch of a job while it runs, then a summary (issue 9): a line per
batch when stderr is not a terminal, a tqdm bar when it is. Progress carries counts only: never a
NIR, a name, an e-mail or a code. The CLI runs the same handlers in-process, here on moto."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime, timedelta

import pytest

from mes.domain.reimbursements import COLUMNS as REIMBURSEMENT_COLUMNS
from mes.progress import Batch
from mes_local import cli
from mes_local.population import to_csv
from mes_local.progress import Renderer
from tests.support import flows, leaks

LINE = re.compile(r"^(?P<job>[a-z_]+): batch (?P<n>\d+) · (?P<items>[\d,]+) (?P<unit>[a-z]+) · "
                  r"(?P<done>[\d,]+)(?: of (?P<total>[\d,]+))? so far$")
SUMMARY = re.compile(r"^(?P<job>[a-z_]+): (?P<state>done|stopped[^·]*) · (?P<batches>[\d,]+) batch(?:es)? · "
                     r"(?P<done>[\d,]+) (?P<unit>[a-z]+) · \d+\.\d s$")


LAMBDA_CONTEXT = {"level", "location", "message", "timestamp", "service", "cold_start", "function_name",
                  "function_memory_size", "function_arn", "function_request_id", "xray_trace_id"}


def _number(text: str) -> int:
    return int(text.replace(",", ""))


def _progress(err: str) -> tuple[list[dict], dict]:
    """The per-batch lines and the one summary line of a command's stderr."""
    lines = [m.groupdict() for m in map(LINE.match, err.splitlines()) if m]
    summaries = [m.groupdict() for m in map(SUMMARY.match, err.splitlines()) if m]
    assert len(summaries) == 1, err
    return lines, summaries[0]


def _no_personal_data(text: str, rows: list[dict[str, str]]) -> None:
    for row in rows:
        for field in ("nir", "last_name", "email", "vitale_serial", "address"):
            if row.get(field):
                assert row[field] not in text, field
    assert not leaks.NIR_PATTERN.search(text)


@pytest.fixture
def operator_cli(aws, monkeypatch):
    """`mes` in this process, on this moto (the stack's `connect` is not needed)."""
    monkeypatch.setattr(cli, "connect", lambda verbose=False: {})
    return aws


def test_population_import_then_wave_print_a_line_per_batch_and_a_summary(operator_cli, capsys, tmp_path,
                                                                           monkeypatch):
    """BR-04 then BR-05 through the CLI: 130 people in chunks of 50, then waves of 99."""
    from mes.services import population
    monkeypatch.setattr(population, "CHUNK", 50)
    rows = flows.people(130, seed=71, department="44")
    leaks.remember(*(r["nir"] for r in rows))
    path = tmp_path / "population.csv"
    path.write_text(to_csv(rows), encoding="utf-8")

    assert cli.main(["population", "import", str(path)]) == 0
    captured = capsys.readouterr()
    assert "imported: 130" in captured.out and "batch" not in captured.out  # stdout: the result only
    lines, summary = _progress(captured.err)
    assert [(x["job"], x["n"], x["items"], x["done"], x["total"], x["unit"]) for x in lines] == [
        ("population", "1", "50", "50", "130", "rows"), ("population", "2", "50", "100", "130", "rows"),
        ("population", "3", "30", "130", "130", "rows")]
    assert (summary["job"], summary["state"], summary["batches"], summary["done"]) == ("population", "done", "3",
                                                                                      "130")
    _no_personal_data(captured.err, rows)

    assert cli.main(["wave", "run", "--department", "44"]) == 0
    captured = capsys.readouterr()
    assert "notified by e-mail" in captured.out and "batch" not in captured.out
    lines, summary = _progress(captured.err)
    assert [(x["job"], x["n"], x["unit"], x["total"]) for x in lines] == [
        ("wave", str(n + 1), "people", None) for n in range(len(lines))]
    assert sum(_number(x["items"]) for x in lines) == 130 and all(_number(x["items"]) <= 99 for x in lines)
    assert [_number(x["done"]) for x in lines] == sorted(_number(x["done"]) for x in lines)
    assert lines[-1]["done"] == "130" and len(lines) >= 2  # 8 shards of at most 99: 2 batches or more
    assert (summary["state"], summary["batches"], summary["done"]) == ("done", str(len(lines)), "130")
    _no_personal_data(captured.err, rows)
    for entry in flows.sent(operator_cli):  # the codes just sent never appear in the progress lines
        assert entry["data"].get("code") and entry["data"]["code"] not in captured.err
        assert entry["data"].get("last_name", "-") not in captured.err

    # BR-08, 50 days later: the daily job shows its pages of due espaces too
    at = (datetime.now(UTC) + timedelta(days=50)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert cli.main(["auto-create", "run", "--at", at]) == 0
    captured = capsys.readouterr()
    assert "created: 130" in captured.out
    lines, summary = _progress(captured.err)
    assert lines and {x["job"] for x in lines} == {"auto_create"} and lines[-1]["done"] == "130"
    assert (summary["job"], summary["batches"], summary["done"], summary["unit"]) == (
        "auto_create", str(len(lines)), "130", "espaces")


def test_wave_stopped_by_its_limit_says_so_and_shows_the_total(operator_cli, capsys):
    flows.population(operator_cli, flows.people(30, seed=72, department="44"))
    assert cli.main(["wave", "run", "--department", "44", "--limit", "20"]) == 0
    captured = capsys.readouterr()
    lines, summary = _progress(captured.err)
    assert lines and {x["total"] for x in lines} == {"20"} and lines[-1]["done"] == "20"  # pages of each shard
    assert sum(_number(x["items"]) for x in lines) == 20
    assert summary["state"].startswith("stopped") and "complete: no" in captured.out


def test_reimbursements_import_reports_its_chunks(operator_cli, capsys, tmp_path, monkeypatch):
    """BR-21: lines matched and written chunk after chunk; a bad line is reported on stdout, not lost."""
    from mes.services import reimbursements
    monkeypatch.setattr(reimbursements, "CHUNK", 4)
    person = flows.people(1, seed=73, department="44")[0]
    flows.population(operator_cli, [person])
    today = datetime.now(UTC).date()
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=REIMBURSEMENT_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    for n in range(9):
        writer.writerow({"line_id": f"P-{n}", "nir": person["nir"], "birth_date": person["birth_date"],
                         "care_date": (today - timedelta(days=n)).isoformat(), "act_label": "Consultation",
                         "amount_paid": "25.00", "amount_reimbursed": "17.50" if n != 5 else "30.00"})
    path = tmp_path / "remb.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    assert cli.main(["reimbursements", "import", str(path)]) == 0
    captured = capsys.readouterr()
    assert "imported: 8" in captured.out and "rejected: 1" in captured.out
    lines, summary = _progress(captured.err)
    assert [(x["items"], x["done"], x["total"], x["unit"]) for x in lines] == [
        ("4", "4", "8", "lines"), ("4", "8", "8", "lines")]
    assert (summary["job"], summary["done"]) == ("reimbursements", "8")
    _no_personal_data(captured.err, [person])


def test_daily_job_with_nothing_due_still_ends_with_its_summary(operator_cli, capsys):
    assert cli.main(["retention", "run", "--at", "2030-01-01"]) == 0
    captured = capsys.readouterr()
    lines, summary = _progress(captured.err)
    assert lines == [] and (summary["job"], summary["batches"], summary["done"]) == ("retention", "0", "0")
    assert cli.main(["suspension", "run", "--at", "2030-01-01", "--progress", "off"]) == 0
    assert capsys.readouterr().err == ""


def test_in_lambda_the_batches_are_debug_log_lines_with_counts_only(operator_cli):
    rows = flows.people(5, seed=74, department="44")
    flows.population(operator_cli, rows)
    start = len(leaks.LINES)
    result = flows.scheduled("wave", datetime(2026, 3, 2, 9, tzinfo=UTC), {"department": "44"})
    logged = [json.loads(line) for line in leaks.LINES[start:] if '"batch done"' in line]
    waves = {entry["batch"]: entry for entry in logged if entry["job"] == "wave"}
    assert logged and all(entry["level"] == "DEBUG" for entry in logged)
    assert sorted(waves) == list(range(1, result["batches"] + 1)) and waves[result["batches"]]["done"] == 5
    for entry in logged:
        assert set(entry) - LAMBDA_CONTEXT == {"job", "batch", "items", "done"} | ({"total"} if "total" in entry else set())
        _no_personal_data(json.dumps(entry), rows)


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_on_a_terminal_a_progress_bar_is_drawn():
    stream = FakeTerminal()
    renderer = Renderer("wave", "people", stream=stream)
    assert renderer.mode == "bar"
    for number, done in enumerate((99, 198, 250), start=1):
        renderer(Batch(job="wave", number=number, items=done - (99 * (number - 1)), done=done, total=250,
                       unit="people"))
    renderer.summary()
    text = stream.getvalue()
    assert "\r" in text and "100%" in text and "250/250" in text and "batch 3" in text
    assert not any(LINE.match(line) for line in text.splitlines())  # a bar, not the per-batch lines
    assert SUMMARY.match(text.splitlines()[-1])
