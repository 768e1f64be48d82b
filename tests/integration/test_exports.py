"""Export of all the holder's data on moto (issue #5): the real routes, the queue drained as the local
stack does, the export function, the zip in S3 (SSE-KMS), the presigned download."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
import requests
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

from mes_instrument import awscount
from mes_local.functions import invoke
from mes_local.queues import drain
from tests.support import flows
from tests.support.leaks import remember

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
TXT = "Compte rendu à garder.\n".encode()


@pytest.fixture
def camille(api, aws, clock):
    who = flows.holder(api, aws, clock, seed=71, email="camille.export@example.org", login="camille.export")
    remember(who["row"]["nir"])
    return who


def add_document(api, aws, who, content, content_type, filename, espace="me"):
    r = api.http.post(f"/espaces/{espace}/documents", headers=who["headers"], body=json.dumps(
        {"title": "Bilan", "category": "BIOLOGIE", "filename": filename, "content_type": content_type,
         "size": len(content)}))
    assert r.status_code == 201, r.body
    assert flows.upload(r.json_body["upload"], content) in (200, 201, 204)
    flows.scan(aws)
    return r.json_body["document"]["id"]


def run_exports(aws):
    return drain(aws.client("sqs"), aws.settings.export_queue_url, "export")


def request(api, who, espace="me"):
    return api.http.post(f"/espaces/{espace}/exports", headers=who["headers"])


def status(api, who, export_id, espace="me"):
    return api.http.get(f"/espaces/{espace}/exports/{export_id}", headers=who["headers"])


def download(body):
    url = body["download"]["url"]
    assert "attachment" in requests.utils.unquote(url)
    response = requests.get(url, timeout=30)
    assert response.status_code == 200
    return zipfile.ZipFile(io.BytesIO(response.content))


def test_the_archive_holds_every_section_and_the_document_bytes(api, aws, clock, psc, camille):
    pdf_id = add_document(api, aws, camille, PDF, "application/pdf", "bilan sanguin.pdf")
    txt_id = add_document(api, aws, camille, TXT, "text/plain", "note.txt")
    rejected = add_document(api, aws, camille, b"<html>no</html>", "application/pdf", "fake.pdf")
    ps = psc.issue("10000000001", "10", now=clock(), name="Dr Export")
    remember(ps)
    r = api.http.post(f"/pro/patients/{camille['row']['nir']}/authorisations", body=json.dumps({"basis": "consent"}),
                      headers={"Authorization": f"Bearer {ps}", "Content-Type": "application/json"})
    assert r.status_code == 201, r.body
    from tests.integration.test_reimbursements import drop, line
    drop(aws, [line(camille["row"], "E-1", "2026-02-01", label="Radiographie")], at=clock())

    r = request(api, camille)
    assert r.status_code == 202, r.body
    export_id = r.json_body["export_id"]
    pending = status(api, camille, export_id)
    assert (pending.status_code, pending.json_body["status"], pending.json_body.get("download")) == (
        200, "pending", None)

    assert run_exports(aws) == {"received": 1, "failed": 0}
    ready = status(api, camille, export_id).json_body
    assert ready["status"] == "ready" and ready["download"]["expires_in"] <= 300
    archive = download(ready)
    names = set(archive.namelist())
    assert {"manifest.json", "espace.json", "documents.json", "access_log.json", "reimbursements.json"} <= names
    assert archive.read(f"documents/{pdf_id}/bilan sanguin.pdf") == PDF
    assert archive.read(f"documents/{txt_id}/note.txt") == TXT
    assert not any(rejected in n for n in names)  # rejected bytes are gone: nothing to export

    espace = json.loads(archive.read("espace.json"))
    assert espace["id"] == camille["espace_id"] and espace["status"] == "active"
    assert espace["contacts"]["email"] == "camille.export@example.org"
    documents = {d["id"]: d for d in json.loads(archive.read("documents.json"))}
    assert documents[pdf_id]["file"] == f"documents/{pdf_id}/bilan sanguin.pdf"
    # the holder's rejected upload is listed as the holder sees it (BR-23), without a file
    assert (documents[rejected]["status"], documents[rejected]["file"]) == ("rejected", None)
    log = json.loads(archive.read("access_log.json"))
    assert [(e["rpps"], e["action"]) for e in log] == [("10000000001", "authorisation")]
    assert [r["act_label"] for r in json.loads(archive.read("reimbursements.json"))] == ["Radiographie"]
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["export_id"] == export_id and len(manifest["files"]) == 2
    # never the NIR, in any file of the archive
    for name in names:
        assert camille["row"]["nir"].encode() not in archive.read(name), name

    head = aws.client("s3").head_object(Bucket=aws.settings.exports_bucket,
                                        Key=f"exports/{camille['espace_id']}/{export_id}.zip")
    assert head["ServerSideEncryption"] == "aws:kms"
    assert head["SSEKMSKeyId"] in (aws.settings.data_key_arn, aws.settings.data_key_arn.split("/")[-1])


def test_a_duplicate_message_rebuilds_nothing(api, aws, camille):
    add_document(api, aws, camille, PDF, "application/pdf", "a.pdf")
    export_id = request(api, camille).json_body["export_id"]
    run_exports(aws)
    key = f"exports/{camille['espace_id']}/{export_id}.zip"
    before = aws.client("s3").head_object(Bucket=aws.settings.exports_bucket, Key=key)["ETag"]
    aws.client("sqs").send_message(QueueUrl=aws.settings.export_queue_url, MessageBody=json.dumps(
        {"espace_id": camille["espace_id"], "export_id": export_id}))
    with awscount.counting() as counter:
        assert run_exports(aws) == {"received": 1, "failed": 0}
    assert counter.requests["s3.PutObject"] == counter.requests["s3.GetObject"] == 0
    assert aws.client("s3").head_object(Bucket=aws.settings.exports_bucket, Key=key)["ETag"] == before
    assert status(api, camille, export_id).json_body["status"] == "ready"


def test_a_document_deleted_during_the_build_does_not_fail_the_export(api, aws, camille):
    kept = add_document(api, aws, camille, PDF, "application/pdf", "kept.pdf")
    gone = add_document(api, aws, camille, TXT, "text/plain", "gone.txt")
    export_id = request(api, camille).json_body["export_id"]
    # the bytes disappear between the listing and the copy: every version, as the holder's deletion does
    # (BR-24); a mere delete marker would not hide the validated version the export reads (BR-23)
    bucket, key = aws.settings.documents_bucket, f"documents/{camille['espace_id']}/{gone}"
    for v in aws.client("s3").list_object_versions(Bucket=bucket, Prefix=key)["Versions"]:
        aws.client("s3").delete_object(Bucket=bucket, Key=key, VersionId=v["VersionId"])
    assert run_exports(aws) == {"received": 1, "failed": 0}
    manifest = json.loads(download(status(api, camille, export_id).json_body).read("manifest.json"))
    assert manifest["files"] == [f"documents/{kept}/kept.pdf"]
    assert manifest["missing_files"] == [f"documents/{gone}/gone.txt"]


def test_documents_are_streamed_not_loaded_through_the_api(api, aws, camille):
    add_document(api, aws, camille, PDF + b"x" * 200_000, "application/pdf", "big.pdf")
    with awscount.counting() as counter:
        r = request(api, camille)
    assert r.status_code == 202
    assert sum(counter.object_bytes.values()) == 0 and counter.by_service("s3") == 0  # the route only queues
    assert counter.requests["sqs.SendMessage"] == 1


def test_another_holders_export_is_not_found(api, aws, clock, camille):
    export_id = request(api, camille).json_body["export_id"]
    other = flows.holder(api, aws, clock, seed=72, email="other.export@example.org", login="other.export")
    for espace in ("me", camille["espace_id"]):
        r = status(api, other, export_id, espace=espace)
        assert (r.status_code, r.json_body["code"]) == (404, "not_found"), espace
    r = request(api, other, espace=camille["espace_id"])
    assert (r.status_code, r.json_body["code"]) == (404, "not_found")
    r = status(api, camille, "0" * 32)
    assert r.status_code == 404


def test_a_request_takes_no_field(api, camille):
    r = api.http.post("/espaces/me/exports", headers=camille["headers"], body=json.dumps({"sections": ["all"]}))
    assert (r.status_code, r.json_body["code"], r.json_body["field"]) == (400, "validation_error", "sections")
    assert api.http.post("/espaces/me/exports", headers=camille["headers"], body="{}").status_code == 202


def test_a_childs_export_through_the_guardian(api, aws, clock, camille):
    parent = camille["row"]
    child = flows.people(1, seed=712, guardian_nir=parent["nir"], guardian_birth_date=parent["birth_date"],
                         department="44", email="", address="")[0]
    flows.population(aws, [child])
    (child_id,) = [c["id"] for c in api.http.get("/espaces/me", headers=camille["headers"]).json_body["children"]]
    r = request(api, camille, espace=child_id)
    assert r.status_code == 202, r.body
    run_exports(aws)
    body = status(api, camille, r.json_body["export_id"], espace=child_id).json_body
    espace = json.loads(download(body).read("espace.json"))
    assert espace["id"] == child_id and espace["managed_by_guardian"] is True
    assert status(api, camille, r.json_body["export_id"]).status_code == 404  # not under the parent's own espace
    own = json.loads(download(_ready(api, aws, camille)).read("espace.json"))
    assert own["children"] == [{"id": child_id}]


def _ready(api, aws, who):
    export_id = request(api, who).json_body["export_id"]
    run_exports(aws)
    return status(api, who, export_id).json_body


def test_exports_are_rate_limited(api, camille):
    for _ in range(5):
        assert request(api, camille).status_code == 202
    r = request(api, camille)
    assert (r.status_code, r.json_body["code"]) == (429, "rate_limited")
    assert r.headers["Retry-After"] == str(15 * 3600)  # the clock says 09:00 UTC: until the UTC day ends


def test_the_last_failed_attempt_marks_the_export_failed(api, aws, camille):
    export_id = request(api, camille).json_body["export_id"]
    aws.client("sqs").purge_queue(QueueUrl=aws.settings.export_queue_url)

    class Broken:
        def export_espace(self, espace_id):
            raise RuntimeError("table unavailable")

    aws.__dict__["access_log_export"] = Broken()
    event = json.loads(open(flows._events() / "export.json").read())
    record = event["Records"][0]
    record["body"] = json.dumps({"espace_id": camille["espace_id"], "export_id": export_id})
    with pytest.raises(BatchProcessingError):  # first attempt: failed, the message comes back
        invoke("export", event)
    assert status(api, camille, export_id).json_body["status"] == "pending"
    record["attributes"]["ApproximateReceiveCount"] = "5"  # the last one before the DLQ
    with pytest.raises(BatchProcessingError):
        invoke("export", event)
    failed = status(api, camille, export_id).json_body
    assert (failed["status"], failed.get("download")) == ("failed", None)
    del aws.__dict__["access_log_export"]
    assert invoke("export", event)["batchItemFailures"] == []  # a late redelivery rebuilds nothing
    assert status(api, camille, export_id).json_body["status"] == "failed"


def test_the_archive_holds_the_validated_version_not_a_later_unchecked_one(api, aws, camille):
    """BR-23: bytes written over a validated document (a reused upload ticket) before the validation
    deletes them are not what the export copies: it reads the version the validation checked."""
    document_id = add_document(api, aws, camille, PDF, "application/pdf", "bilan.pdf")
    aws.client("s3").put_object(Bucket=aws.settings.documents_bucket, Key=f"documents/{camille['espace_id']}/"
                                f"{document_id}", Body=b"<html>unchecked</html>")  # no scan yet
    export_id = request(api, camille).json_body["export_id"]
    assert run_exports(aws) == {"received": 1, "failed": 0}
    assert download(status(api, camille, export_id).json_body).read(f"documents/{document_id}/bilan.pdf") == PDF
