"""The one-off `doc_ref` backfill (issue 12; docs/deploy.md "Upgrading", docs/fhir.md "Reads by id"):
documents written before the `by_document` index carry no `doc_ref`, so FHIR reads by id cannot
find them; `mes backfill-doc-refs` (a parallel Scan, a conditional UpdateItem per document) makes
them readable, gives the deposit markers theirs (PATCH ?identifier=), never touches the quota item, and a second
run writes nothing."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from mes.adapters.documents_backfill import backfill_doc_refs
from mes.domain.documents import AuthorType, DocStatus, Document, new_document_id
from mes_local import cli
from tests.support import flows
from tests.support.fhir import answer, outcome
from tests.support.leaks import remember

DOCTOR = "10000000001"
OLD_DOCUMENTS = 12


@pytest.fixture
def patient(api, aws, clock):
    who = flows.holder(api, aws, clock, seed=95, email="backfill.patient@example.org", login="backfill.patient")
    remember(who["row"]["nir"])
    return who


@pytest.fixture
def operator_cli(aws, monkeypatch):
    """`mes` in this process, on this moto (the stack's `connect` is not needed)."""
    monkeypatch.setattr(cli, "connect", lambda verbose=False: {})
    return aws


def add(aws, espace_id, clock, i, **fields):
    document_id = new_document_id(clock() + timedelta(milliseconds=i))
    values = {"title": f"Bilan {i}", "filename": "d.pdf", "content_type": "application/pdf", "size": 10,
              "author_type": AuthorType.PATIENT, "author_id": espace_id, "created_at": clock(),
              "status": DocStatus.AVAILABLE, **fields}
    aws.documents.create(Document(espace_id=espace_id, document_id=document_id, category="BIOLOGIE",
                                  object_key=f"documents/{espace_id}/{document_id}", **values))
    return document_id


def items(aws, espace_id):
    """Every item of the espace in the documents table, raw ({sort key: attributes})."""
    found = aws.client("dynamodb").query(
        TableName=aws.settings.documents_table, KeyConditionExpression="espace_id = :e",
        ExpressionAttributeValues={":e": {"S": espace_id}}, ConsistentRead=True)["Items"]
    return {item["document_id"]["S"]: item for item in found}


def as_old_code_wrote_them(aws, espace_id):
    """The documents as written before the index: no doc_ref (the quota and marker items never had one)."""
    table, client = aws.settings.documents_table, aws.client("dynamodb")
    for sort_key in items(aws, espace_id):
        client.update_item(TableName=table, Key={"espace_id": {"S": espace_id}, "document_id": {"S": sort_key}},
                           UpdateExpression="REMOVE doc_ref")


def run(capsys, *extra):
    assert cli.main(["backfill-doc-refs", "--progress", "off", *extra]) == 0
    out = capsys.readouterr().out
    return {name: int(value) for name, value in (line.split(": ") for line in out.splitlines())}


def test_old_documents_become_readable_by_id_and_a_second_run_writes_nothing(api, aws, clock, psc, patient,
                                                                          operator_cli, capsys):
    ins, espace_id = patient["row"]["nir"], patient["espace_id"]
    ids = [add(aws, espace_id, clock, i) for i in range(OLD_DOCUMENTS - 1)]
    ids.append(add(aws, espace_id, clock, OLD_DOCUMENTS, deposit_key="f" * 64, author_type=AuthorType.PRACTITIONER,
                   author_id=DOCTOR))  # an ITI-65 deposit: its marker item too
    as_old_code_wrote_them(aws, espace_id)
    before = items(aws, espace_id)
    assert {"~quota", "~deposit#" + "f" * 64} <= set(before) and not any("doc_ref" in i for i in before.values())
    value = psc.issue(DOCTOR, "10", now=clock())
    remember(value)
    doctor = {"Authorization": f"Bearer {value}"}
    assert api.http.post(f"/pro/patients/{ins}/authorisations", headers={**doctor, "Content-Type": "application/json"},
                         body=json.dumps({"basis": "consent"})).status_code == 201
    outcome(api.http.get(f"/fhir/R4/DocumentReference/{ids[0]}", headers=doctor), 404, "not_found")

    marker = "~deposit#" + "f" * 64
    first = run(capsys, "--segments", "3", "--page-size", "4")
    # every document, and the deposit marker (PATCH ?identifier= finds it on the index); never the quota
    assert (first["updated"], first["items without doc_ref"], first["skipped"]) == (
        OLD_DOCUMENTS + 1, OLD_DOCUMENTS + 1, 0)
    assert first["items scanned"] >= len(before) and first["segments"] == 3
    assert first["requests"] >= OLD_DOCUMENTS + 3  # one UpdateItem per document, one Scan page at least per segment
    for document_id in ids:
        resource = answer(api.http.get(f"/fhir/R4/DocumentReference/{document_id}", headers=doctor))
        assert resource["id"] == document_id
    after = items(aws, espace_id)
    assert {k for k, item in after.items() if "doc_ref" in item} == {*ids, marker}
    assert all(after[k]["doc_ref"]["S"] == k for k in (*ids, marker))
    assert aws.documents.deposit_of("f" * 64) == (espace_id, ids[-1])
    # nothing else changed: the quota as it was, each item's other attributes and version
    assert all({n: v for n, v in after[k].items() if n != "doc_ref"} == before[k] for k in before)

    second = run(capsys)
    assert (second["updated"], second["items without doc_ref"], second["skipped"]) == (0, 0, 0)
    assert second["requests"] == second["segments"] == 4  # one empty-filtered page per segment, no write
    assert items(aws, espace_id) == after


def test_a_document_deleted_during_the_scan_is_skipped_not_recreated(aws, clock, patient):
    """The condition: an item deleted (or saved, which sets doc_ref) between the Scan and the update is
    left as it is; the run counts it as skipped."""
    espace_id = patient["espace_id"]
    kept, gone = add(aws, espace_id, clock, 1), add(aws, espace_id, clock, 2)
    as_old_code_wrote_them(aws, espace_id)
    real = aws.client("dynamodb")
    table = aws.settings.documents_table

    class DeletedMeanwhile:
        def scan(self, **params):
            page = real.scan(**params)
            real.delete_item(TableName=table, Key={"espace_id": {"S": espace_id}, "document_id": {"S": gone}})
            return page

        def update_item(self, **params):
            return real.update_item(**params)

    report = backfill_doc_refs(DeletedMeanwhile(), table, segments=1)
    assert (report.updated, report.skipped, report.missing) == (1, 1, 2)
    after = items(aws, espace_id)
    assert gone not in after and after[kept]["doc_ref"]["S"] == kept
