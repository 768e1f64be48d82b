"""Cost regressions, counted (not timed) with the botocore hook: the figures of `make bench` at a
scale that fits the test suite. They fail if a change adds requests per person or reads the
non-due population."""

from __future__ import annotations

from datetime import timedelta

from mes_local import awscount
from tests.support import flows


def test_wave_costs_at_most_a_tenth_of_a_request_per_person_and_never_scans(aws, clock):
    flows.population(aws, flows.people(800, seed=41, department="44"))
    aws.__dict__.pop("keys", None)  # a cold container pays its secret fetch
    with awscount.counting() as counter:
        result = flows.scheduled("wave", clock(), {"department": "44"})
    notified = result["notified_email"] + result["notified_letter"]
    assert notified == 800
    assert counter.total / notified <= 0.1
    assert counter.requests["dynamodb.Scan"] == 0
    # e-mails go 50 at a time, letters one print file per batch
    assert counter.requests["ses.SendBulkTemplatedEmail"] <= result["notified_email"] / 50 + result["batches"]
    assert counter.requests["s3.PutObject"] <= result["batches"]


def test_auto_create_reads_only_the_due_people(aws, clock):
    early = flows.people(60, seed=42, department="44")
    late = flows.people(240, seed=43, department="75")
    flows.population(aws, early + late)
    flows.scheduled("wave", clock(), {"department": "44"})
    flows.scheduled("wave", clock() + timedelta(days=20), {"department": "75"})
    with awscount.counting() as counter:
        result = flows.scheduled("auto_create", clock() + timedelta(days=43))
    assert result["created"] == 60
    assert counter.items_read / result["created"] <= 1.1
    assert counter.requests["dynamodb.Scan"] == 0
