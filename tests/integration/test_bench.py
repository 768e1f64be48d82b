"""`make bench` (issue 9): every figure function, on tiny populations, prints well-formed
`name: value` lines as soon as it is measured, then `bench.seconds`; extra figures registered from
another module are run and printed too. Costs are counted, so even tiny runs give the real per-page
figures (one Query per page...)."""

from __future__ import annotations

import io
import os
import re

import pytest

from mes.bootstrap import set_container
from mes_local import bench

LINE = re.compile(r"^[a-z0-9_]+(\.[a-z0-9_]+)+: -?\d+(\.\d+)?$")


class Recorder(io.StringIO):
    """Keeps what was written at each flush: figures must be flushed one group at a time."""

    def __init__(self) -> None:
        super().__init__()
        self.flushed: list[str] = []

    def flush(self) -> None:
        self.flushed.append(self.getvalue())
        super().flush()


@pytest.mark.slow
def test_every_figure_on_tiny_sizes_prints_name_value_lines_as_measured(monkeypatch):
    saved = dict(os.environ)
    extra_calls = []

    def deploy_figures() -> dict[str, int]:
        extra_calls.append(1)
        return {"deploy.example_checks": 3}

    monkeypatch.setattr(bench, "EXTRA_FIGURES", [])
    bench.register("deploy", deploy_figures)
    out = Recorder()
    try:
        status = bench.main(["--tiny"], out=out)
    finally:
        set_container(None)
        os.environ.clear()
        os.environ.update(saved)
    lines = out.getvalue().splitlines()
    assert status == 0, lines
    assert all(LINE.match(line) for line in lines), [line for line in lines if not LINE.match(line)]
    figures = dict(line.split(": ") for line in lines)
    # every README figure is there, with its meaning at tiny scale
    for name in ("api.cold_import_ratio", "documents.list_requests_per_page", "documents.bytes_through_lambda",
                 "documents.validation_bytes_read_per_document", "pro.list_requests",
                 "measurements.requests_per_page", "messages.requests_per_page",
                 "autocreate.items_read_per_espace", "autocreate.items_read_per_espace_5k_not_due",
                 "retention.items_read_per_item", "wave.requests_per_person", "wave.ses_calls", "wave.s3_puts",
                 "wave.dynamodb_requests"):
        assert name in figures, name
    assert figures["documents.list_requests_per_page"] == "1" and figures["documents.bytes_through_lambda"] == "0"
    assert figures["measurements.requests_per_page"] == figures["messages.requests_per_page"] == "1"
    assert figures["pro.list_requests"] == "4"
    # the FHIR facade (issue 12): the JSON route's requests, no byte through Lambda, every answer valid
    assert figures["fhir.iti67_requests_per_page"] == figures["pro.list_requests"]
    assert figures["fhir.bytes_through_lambda_on_retrieve"] == figures["fhir.validation_failures"] == "0"
    # the write side: AWS requests per document (marker read, document + quota + marker transaction, S3
    # put, log record) and per Observation (the stored-reading Query, the conditional put, the log record),
    # each transaction paying the patient lookup and the grants once; its answers validated too
    assert (figures["fhir.iti65_requests_per_document"], figures["fhir.iti65_requests_per_transaction"]) == ("4", "2")
    assert (figures["fhir.pch01_requests_per_observation"], figures["fhir.pch01_requests_per_transaction"]) == (
        "3", "2")
    assert int(figures["fhir.validated_answers"]) >= 8 + 4  # the reads, then 2 ITI-65 and 2 PCH-01 responses
    assert float(figures["autocreate.items_read_per_espace"]) <= 1.1  # BR-08: only the due are read
    assert float(figures["retention.items_read_per_item"]) <= 1.1  # BR-14
    assert figures["wave.people"] == str(bench.TINY.wave_people) and figures["retention.items"] == "5"
    assert int(figures["retention.espaces"]) > int(figures["autocreate.notified"])  # one shared table
    # the extra figure ran after the core ones, and the total is last
    assert extra_calls == [1] and lines[-2] == "deploy.example_checks: 3" and lines[-1].startswith("bench.seconds: ")
    # printed group by group: the first flush holds the first group only, not everything at the end
    assert len(out.flushed) >= len(bench.FIGURES) + 2
    assert out.flushed[0].splitlines() == [line for line in lines if line.startswith("api.")]
