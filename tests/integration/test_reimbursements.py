"""Reimbursement history on moto (issue #5, BR-21): the insurer's file dropped in S3 → the import
function (bad lines reported by number, old lines ignored, idempotent per line, NIR matched by its
HMAC with one index Query per distinct NIR) → the holder's read-only, paged history."""

from __future__ import annotations

import csv
import io
import json
import uuid
from datetime import date, timedelta

import pytest

from mes.domain.reimbursements import COLUMNS
from mes_instrument import awscount
from mes_local.functions import ROOT, invoke
from tests.support import flows
from tests.support.leaks import remember


def drop(aws, lines, *, at, jsonl=False, key=None):
    """Put the file in the reimbursements bucket and run the function on its S3 event (time `at`)."""
    for line in lines:
        remember(line.get("nir"))
    if jsonl:
        body = "\n".join(json.dumps(line) for line in lines) + "\n"
    else:
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=COLUMNS, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(lines)
        body = out.getvalue()
    key = key or f"imports/{uuid.uuid4().hex}.{'jsonl' if jsonl else 'csv'}"
    aws.client("s3").put_object(Bucket=aws.settings.reimbursements_bucket, Key=key, Body=body.encode(),
                                ServerSideEncryption="aws:kms", SSEKMSKeyId=aws.settings.data_key_arn)
    event = json.loads((ROOT / "events" / "reimbursement_import.json").read_text())
    record = event["Records"][0]
    record["eventTime"] = at.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    record["s3"]["bucket"]["name"] = aws.settings.reimbursements_bucket
    record["s3"]["object"]["key"] = key
    return invoke("reimbursement_import", event)["files"][0]


def line(person, line_id, care_date, paid="25.00", refunded="17.50", label="Consultation généraliste", **kw):
    return {"line_id": line_id, "nir": person["nir"], "birth_date": person["birth_date"], "first_name": "",
            "care_date": care_date, "act_label": label, "professional_name": "Dr Martin", "amount_paid": paid,
            "amount_reimbursed": refunded, **kw}


@pytest.fixture
def camille(api, aws, clock):
    return flows.holder(api, aws, clock, seed=61, email="camille.remb@example.org", login="camille.remb")


def history(api, who, espace="me", query=""):
    return api.http.get(f"/espaces/{espace}/reimbursements{query}", headers=who["headers"])


def test_import_reports_bad_lines_ignores_old_ones_and_the_holder_reads_newest_first(api, aws, clock, camille):
    person = camille["row"]
    stranger = flows.people(1, seed=991)[0]  # a valid NIR nobody has an espace for
    today = clock().date()
    lines = [
        line(person, "L-1", (today - timedelta(days=10)).isoformat()),                     # line 2
        line(person, "L-2", (today - timedelta(days=400)).isoformat(), paid="60", refunded="42,30"),  # 3
        line(person, "L-3", (today - timedelta(days=800)).isoformat()),                    # 4: > 2 years
        line(person, "L-4", today.isoformat(), paid="abc"),                                # 5: bad amount
        {**line(person, "L-5", today.isoformat()), "nir": "123"},                          # 6: bad NIR
        line(stranger, "L-6", today.isoformat()),                                          # 7: nobody
        line(person, "L-7", (today + timedelta(days=1)).isoformat()),                      # 8: future
        line(person, "L-8", today.isoformat(), paid="10.00", refunded="12.00"),            # 9: > paid
        line(person, "L-9", today.isoformat(), label=""),                                  # 10: no label
    ]
    report = drop(aws, lines, at=clock())
    assert (report["lines"], report["imported"], report["too_old"], report["rejected"]) == (9, 2, 1, 6)
    assert [(e["line"], e["field"]) for e in report["errors"]] == [
        (5, "amount_paid"), (6, "nir"), (7, "nir"), (8, "care_date"), (9, "amount_reimbursed"), (10, "act_label")]

    r = history(api, camille)
    assert r.status_code == 200, r.body
    items = r.json_body["items"]
    assert [i["care_date"] for i in items] == [(today - timedelta(days=10)).isoformat(),
                                               (today - timedelta(days=400)).isoformat()]
    assert items[1] | {"id": "x"} == {"id": "x", "care_date": (today - timedelta(days=400)).isoformat(),
                                      "act_label": "Consultation généraliste", "professional_name": "Dr Martin",
                                      "amount_paid": "60.00", "amount_reimbursed": "42.30", "currency": "EUR"}
    # the insurer's line id is not shown as such; the NIR is never stored in clear
    assert "L-2" not in json.dumps(items)
    table = aws.client("dynamodb").scan(TableName=aws.settings.reimbursements_table)["Items"]
    assert person["nir"] not in json.dumps(table) and len(table) == 2


def test_a_rerun_or_a_duplicate_event_creates_nothing_twice(api, aws, clock, camille):
    person = camille["row"]
    lines = [line(person, f"D-{i}", (clock().date() - timedelta(days=i)).isoformat()) for i in range(1, 6)]
    first = drop(aws, lines, at=clock(), key="imports/same.csv")
    assert (first["imported"], first["already_known"]) == (5, 0)
    again = drop(aws, lines, at=clock(), key="imports/same.csv")  # the same S3 event delivered twice
    assert (again["imported"], again["already_known"]) == (0, 5)
    # a later file repeating some lines next to new ones (the insurer re-sends an overlap)
    overlap = drop(aws, lines[3:] + [line(person, "D-9", clock().date().isoformat())], at=clock(), jsonl=True)
    assert (overlap["imported"], overlap["already_known"]) == (1, 2)
    assert len(history(api, camille).json_body["items"]) == 6


def test_the_two_years_are_counted_from_the_event_time(aws, clock, camille):
    person = camille["row"]
    old = line(person, "T-1", "2024-03-01")
    # on 2026-03-01 the line is exactly two years old: kept; a day later it is too old
    assert drop(aws, [old], at=clock().replace(year=2026, month=3, day=1))["imported"] == 1
    assert drop(aws, [line(person, "T-2", "2024-03-01")], at=clock().replace(day=2))["too_old"] == 1


def test_json_lines_with_a_broken_line(aws, clock, camille):
    person = camille["row"]
    key = f"imports/{uuid.uuid4().hex}.jsonl"
    body = (json.dumps(line(person, "J-1", "2026-02-01")) + "\n{not json\n\n[1, 2]\n"
            + json.dumps(line(person, "J-2", "2026-02-02")) + "\n")
    remember(person["nir"])
    aws.client("s3").put_object(Bucket=aws.settings.reimbursements_bucket, Key=key, Body=body.encode(),
                                ServerSideEncryption="aws:kms", SSEKMSKeyId=aws.settings.data_key_arn)
    event = json.loads((ROOT / "events" / "reimbursement_import.json").read_text())
    event["Records"][0]["s3"]["bucket"]["name"] = aws.settings.reimbursements_bucket
    event["Records"][0]["s3"]["object"]["key"] = key
    event["Records"][0]["eventTime"] = "2026-03-02T09:00:00Z"
    report = invoke("reimbursement_import", event)["files"][0]
    assert (report["imported"], [e["line"] for e in report["errors"]]) == (2, [2, 4])


def test_one_index_query_per_distinct_nir_and_batched_writes(aws, clock, camille):
    person = camille["row"]
    lines = [line(person, f"B-{i}", (clock().date() - timedelta(days=i % 700)).isoformat()) for i in range(120)]
    with awscount.counting() as counter:
        report = drop(aws, lines, at=clock())
    assert report["imported"] == 120
    assert counter.requests["dynamodb.Query"] == 1  # one person in the file
    assert counter.requests["dynamodb.Scan"] == 0
    assert counter.requests["dynamodb.BatchGetItem"] == 2  # 120 ids, 100 a request
    assert counter.requests["dynamodb.BatchWriteItem"] == 5  # 25 a request
    assert counter.requests["dynamodb.PutItem"] == 0


def test_paging_date_range_and_one_query_per_page(api, aws, clock, camille):
    person = camille["row"]
    today = clock().date()
    drop(aws, [line(person, f"P-{i}", (today - timedelta(days=3 * i)).isoformat()) for i in range(30)], at=clock())
    with awscount.counting() as counter:
        page = history(api, camille, query="?limit=10").json_body
    assert counter.requests["dynamodb.Query"] == 1
    assert len(page["items"]) == 10 and page["next_cursor"]
    seen = [i["id"] for i in page["items"]]
    while page["next_cursor"]:
        page = history(api, camille, query=f"?limit=10&cursor={page['next_cursor']}").json_body
        seen += [i["id"] for i in page["items"]]
    assert len(seen) == len(set(seen)) == 30
    start, end = (today - timedelta(days=30)).isoformat(), (today - timedelta(days=9)).isoformat()
    ranged = history(api, camille, query=f"?from={start}&to={end}").json_body["items"]
    assert [i["care_date"] for i in ranged] == [(today - timedelta(days=d)).isoformat() for d in range(9, 31, 3)]
    for bad in ("?from=yesterday", "?limit=101", "?from=2026-02-01&to=2026-01-01", "?since=2026-01-01"):
        r = history(api, camille, query=bad)
        assert (r.status_code, r.json_body["code"]) == (400, "validation_error"), bad


def test_older_lines_are_not_shown_once_they_leave_the_two_years(api, aws, clock, camille):
    from mes.services.reimbursements import list_reimbursements
    person = camille["row"]
    drop(aws, [line(person, "O-1", "2024-03-10"), line(person, "O-2", "2025-06-01")], at=clock())
    assert len(history(api, camille).json_body["items"]) == 2

    def read(today, since=None):  # the route's use case, a month later (the token would have expired)
        page = list_reimbursements(aws.espaces, aws.reimbursements, {"sub": camille["espace_id"]}, "me",
                                   since=since, until=None, limit=None, cursor=None, today=today)
        return [r.care_date.isoformat() for r in page.items]

    assert read(date(2026, 4, 1)) == ["2025-06-01"]  # the March 2024 line is now more than two years old
    assert read(date(2026, 4, 1), since="2020-01-01") == ["2025-06-01"]


def test_child_through_the_guardian_and_foreign_espace_is_404(api, aws, clock, camille):
    parent = camille["row"]
    child = flows.people(1, seed=612, guardian_nir=parent["nir"], guardian_birth_date=parent["birth_date"],
                         department="44", email="", address="")[0]
    flows.population(aws, [child])
    (child_id,) = [c["id"] for c in api.http.get("/espaces/me", headers=camille["headers"]).json_body["children"]]
    report = drop(aws, [line(child, "C-1", "2026-01-15", label="Vaccin")], at=clock())
    assert report["imported"] == 1
    items = history(api, camille, espace=child_id).json_body["items"]
    assert [i["act_label"] for i in items] == ["Vaccin"]
    assert history(api, camille).json_body["items"] == []  # the parent's own history is apart

    other = flows.holder(api, aws, clock, seed=62, email="other.remb@example.org", login="other.remb")
    for target in (camille["espace_id"], child_id):
        r = history(api, other, espace=target)
        assert (r.status_code, r.json_body["code"]) == (404, "not_found")


def test_holders_cannot_write_reimbursements(api, camille):
    for method in ("post", "put", "patch", "delete"):
        r = getattr(api.http, method)("/espaces/me/reimbursements", headers=camille["headers"], body="{}")
        assert r.status_code in (403, 405), (method, r.status_code)


def test_repository_purge_and_export_on_moto(aws, clock, camille):
    person = camille["row"]
    drop(aws, [line(person, f"X-{i}", f"2026-02-{10 + i:02d}") for i in range(3)], at=clock())
    exported = aws.reimbursements.export_espace(camille["espace_id"])
    json.dumps(exported)  # JSON-serialisable
    assert [e["care_date"] for e in exported] == ["2026-02-12", "2026-02-11", "2026-02-10"]
    assert set(exported[0]) == {"id", "care_date", "act_label", "professional_name", "amount_paid",
                                "amount_reimbursed", "currency"}
    assert aws.reimbursements.purge_espace(camille["espace_id"]) == 3
    assert aws.reimbursements.export_espace(camille["espace_id"]) == []
    assert aws.reimbursements.purge_espace(camille["espace_id"]) == 0
