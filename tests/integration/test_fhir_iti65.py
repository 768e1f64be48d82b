"""ITI-65 through the FHIR facade (issue 12, FHIR.md §2, §4, §6) on the real routes and moto: a
laboratory deposits a PDF for a patient known by INS; the deposit is the professionals' one (policy,
pending document, access log `deposit` with channel fhir), its bytes go to S3 and through the same
validation as an upload (S3 event → SQS → document_scan: BR-23 malware verdict); the holder sees it
and is told (BR-27). All or nothing; a second post of the same masterIdentifier creates nothing."""

from __future__ import annotations

import base64
import copy
import json

import pytest

from mes.domain.documents import EICAR
from tests.support import flows
from tests.support.fhir import answer, outcome
from tests.support.leaks import remember

INS = "urn:oid:1.2.250.1.213.1.4.8"
TRE_A03 = "https://mos.esante.gouv.fr/NOS/TRE_A03-ClasseDocument/FHIR/TRE-A03-ClasseDocument"
TRE_A07 = "https://mos.esante.gouv.fr/NOS/TRE_A07-StatutVisibiliteDocument/FHIR/TRE-A07-StatutVisibiliteDocument"
LAB = "10000000003"
PDF = b"%PDF-1.7\n%%EOF\n"


@pytest.fixture
def patient(api, aws, clock):
    who = flows.holder(api, aws, clock, seed=93, email="iti65.patient@example.org", login="iti65.patient")
    remember(who["row"]["nir"])
    return who


def token(psc, clock, rpps=LAB, profession="10"):
    return {**flows.pro_headers(psc, clock, rpps, profession), "Content-Type": "application/fhir+json"}


def document(n, nir, rpps=LAB, title="Bilan sanguin", labels=None, content_type="application/pdf",
             category=(TRE_A03, "10"), type_code="11502-2"):
    doc = {"resourceType": "DocumentReference",
           "contained": [{"resourceType": "Practitioner", "id": "ps",
                          "identifier": [{"system": "urn:oid:1.2.250.1.71.4.2.1", "value": "8" + rpps}]}],
           "masterIdentifier": {"system": "urn:ietf:rfc:3986", "value": f"urn:oid:1.2.250.1.999.1.{n}"},
           "status": "current", "type": {"coding": [{"system": "http://loinc.org", "code": type_code}]},
           "category": [{"coding": [{"system": category[0], "code": category[1]}]}],
           "subject": {"reference": f"Patient?identifier={INS}|{nir}"}, "author": [{"reference": "#ps"}],
           "content": [{"attachment": {"contentType": content_type, "url": f"urn:uuid:00000000-0000-4000-8000-{n:012d}",
                                       "title": title}}]}
    if labels:
        doc["securityLabel"] = [{"coding": [{"system": TRE_A07, "code": code}]} for code in labels]
    return doc


def bundle(nir, *docs, contents=None):
    """List SubmissionSet + each DocumentReference + its Binary (FHIR.md §4's shape)."""
    entries = [{"fullUrl": "urn:uuid:00000000-0000-4000-8000-aaaaaaaaaaaa", "request": {"method": "POST", "url": "List"},
                "resource": {"resourceType": "List", "status": "current", "mode": "working",
                             "code": {"coding": [{"system": "https://profiles.ihe.net/ITI/MHD/CodeSystem/MHDlistTypes",
                                                  "code": "submissionset"}]},
                             "subject": {"reference": f"Patient?identifier={INS}|{nir}"}, "date": "2026-03-01T09:00:00Z",
                             "entry": [{"item": {"reference": f"urn:uuid:dr-{i}"}} for i in range(len(docs))]}}]
    for i, doc in enumerate(docs):
        url = doc["content"][0]["attachment"]["url"]
        data = (contents or {}).get(i, PDF)
        entries.append({"fullUrl": f"urn:uuid:dr-{i}", "request": {"method": "POST", "url": "DocumentReference"},
                        "resource": doc})
        entries.append({"fullUrl": url, "request": {"method": "POST", "url": "Binary"},
                        "resource": {"resourceType": "Binary", "contentType": doc["content"][0]["attachment"]["contentType"],
                                     "data": base64.b64encode(data).decode()}})
    return {"resourceType": "Bundle", "type": "transaction", "entry": entries}


def post(api, headers, body):
    return api.http.post("/fhir/R4", headers=headers, body=json.dumps(body))


def stored(aws, espace_id):
    """Every document item and every object under the espace (nothing left behind)."""
    items = [d.document_id for d in aws.documents.list(espace_id, category=None, limit=100, cursor=None,
                                                       holder_only=False).items]
    listed = aws.client("s3").list_object_versions(Bucket=aws.settings.documents_bucket, Prefix=f"documents/{espace_id}/")
    return items, [v["Key"] for v in listed.get("Versions", [])]


def test_a_laboratory_deposits_a_pdf_the_holder_sees_it_and_is_told(api, aws, clock, psc, patient):
    nir, lab = patient["row"]["nir"], token(psc, clock)
    body = answer(post(api, lab, bundle(nir, document(1, nir))))
    assert body["type"] == "transaction-response"
    statuses = [e["response"]["status"] for e in body["entry"]]
    locations = [e["response"]["location"] for e in body["entry"]]
    assert statuses == ["201 Created"] * 3
    document_id = locations[1].rsplit("/", 1)[1]
    assert locations[1:] == [f"http://localhost/fhir/R4/DocumentReference/{document_id}",
                             f"http://localhost/fhir/R4/Binary/{document_id}"]
    assert locations[0].startswith("http://localhost/fhir/R4/List/")
    saved = aws.documents.get(patient["espace_id"], document_id)
    assert (saved.status, saved.category, saved.title, saved.author_id, saved.size) == (
        "pending", "BIOLOGIE", "Bilan sanguin", LAB, len(PDF))
    head = aws.client("s3").head_object(Bucket=aws.settings.documents_bucket, Key=saved.object_key)
    assert head["ServerSideEncryption"] == "aws:kms"
    assert not flows.sent(aws, "iti65.patient@example.org", "new-document")  # not before the scan
    flows.scan(aws)
    listed = api.http.get("/espaces/me/documents", headers=patient["headers"]).json_body["items"]
    assert [(d["id"], d["status"], d["category"]) for d in listed] == [(document_id, "available", "BIOLOGIE")]
    assert flows.sent(aws, "iti65.patient@example.org", "new-document")  # BR-27
    log = api.http.get("/espaces/me/access-log", headers=patient["headers"]).json_body["items"]
    assert [(e["action"], e["decision"], e["channel"], e["target"]) for e in log[:1]] == [
        ("deposit", "allowed", "fhir", document_id)]
    # the author reads it back through the facade (ITI-67 read)
    read = answer(api.http.get(f"/fhir/R4/DocumentReference/{document_id}", headers=lab))
    assert read["status"] == "current" and read["content"][0]["attachment"]["title"] == "Bilan sanguin"


def test_the_same_bundle_posted_twice_creates_nothing_the_second_time(api, aws, clock, psc, patient):
    """FHIR.md §6: the same masterIdentifier by the same author → 200 at the existing resources."""
    nir, lab = patient["row"]["nir"], token(psc, clock)
    sent = bundle(nir, document(1, nir), document(2, nir, title="Second"))
    first = answer(post(api, lab, sent))
    before = stored(aws, patient["espace_id"])
    second = answer(post(api, lab, sent))
    assert [e["response"]["status"] for e in second["entry"]] == ["200 OK"] * 5
    assert [e["response"]["location"] for e in second["entry"]] == [e["response"]["location"] for e in first["entry"]]
    assert stored(aws, patient["espace_id"]) == before and len(before[0]) == 2
    deposits = [e for e in api.http.get("/espaces/me/access-log", headers=patient["headers"]).json_body["items"]
                if e["action"] == "deposit"]
    assert len(deposits) == 2  # one per document created, none for the repeat
    # another author's identical identifier is its own document
    other = token(psc, clock, "10000000005")
    again = answer(post(api, other, bundle(nir, document(1, nir, rpps="10000000005"))))
    assert again["entry"][1]["response"]["status"] == "201 Created"


def test_a_failure_on_the_second_document_leaves_nothing_behind(api, aws, clock, psc, patient, monkeypatch):
    from mes.adapters.s3_documents import S3DocumentStore
    nir, lab = patient["row"]["nir"], token(psc, clock)
    real_put, calls = S3DocumentStore.put, []

    def failing_put(self, key, content_type, data):
        calls.append(key)
        if len(calls) == 2:
            raise RuntimeError("S3 is down")
        return real_put(self, key, content_type, data)

    monkeypatch.setattr(S3DocumentStore, "put", failing_put)
    r = post(api, lab, bundle(nir, document(1, nir), document(2, nir), document(3, nir)))
    assert r.status_code == 500, r.body
    assert len(calls) == 2
    assert stored(aws, patient["espace_id"]) == ([], [])
    assert aws.documents.quota(patient["espace_id"]) == (0, 0)
    assert not [e for e in api.http.get("/espaces/me/access-log", headers=patient["headers"]).json_body["items"]
                if e["action"] == "deposit"]
    # the retry, once S3 is back, creates them (no marker was left behind)
    monkeypatch.setattr(S3DocumentStore, "put", real_put)
    body = answer(post(api, lab, bundle(nir, document(1, nir), document(2, nir), document(3, nir))))
    assert [e["response"]["status"] for e in body["entry"]] == ["201 Created"] * 7


def test_html_declared_as_pdf_is_refused_at_once_and_nothing_is_written(api, aws, clock, psc, patient):
    nir, lab = patient["row"]["nir"], token(psc, clock)
    sent = bundle(nir, document(1, nir), document(2, nir), contents={1: b"<html><body>pas un PDF</body></html>"})
    body = outcome(post(api, lab, sent), 422, "unprocessable")
    assert body["issue"][0]["details"]["text"] == "Le fichier n'est pas un PDF valide."
    assert body["issue"][0]["expression"] == ["Bundle.entry[4]"]  # the second Binary
    assert stored(aws, patient["espace_id"]) == ([], [])


def test_eicar_in_a_pdf_is_accepted_pending_then_rejected_and_shown_to_its_author_only(api, aws, clock, psc, patient):
    nir, lab = patient["row"]["nir"], token(psc, clock)
    body = answer(post(api, lab, bundle(nir, document(1, nir), contents={0: b"%PDF-1.4\n" + EICAR + b"\n%%EOF\n"})))
    document_id = body["entry"][1]["response"]["location"].rsplit("/", 1)[1]
    assert aws.documents.get(patient["espace_id"], document_id).status == "pending"
    flows.scan(aws)
    saved = aws.documents.get(patient["espace_id"], document_id)
    assert (saved.status, saved.reject_reason) == ("rejected", "malware")
    assert stored(aws, patient["espace_id"])[1] == []  # the bytes are deleted
    mine = api.http.get(f"/pro/patients/{nir}/documents/{document_id}", headers=lab)
    assert mine.status_code == 200 and mine.json_body["status"] == "rejected", mine.body
    assert api.http.get("/espaces/me/documents", headers=patient["headers"]).json_body["items"] == []
    other = token(psc, clock, "10000000006")
    assert api.http.post(f"/pro/patients/{nir}/authorisations", headers={**other, "Content-Type": "application/json"},
                         body=json.dumps({"basis": "consent"})).status_code == 201
    assert api.http.get(f"/pro/patients/{nir}/documents/{document_id}", headers=other).status_code == 404


def test_hidden_from_the_holder_and_the_refusals(api, aws, clock, psc, patient):
    nir, lab = patient["row"]["nir"], token(psc, clock)
    body = answer(post(api, lab, bundle(nir, document(1, nir, labels=["INVISIBLE_PATIENT"]))))
    hidden_id = body["entry"][1]["response"]["location"].rsplit("/", 1)[1]
    saved = aws.documents.get(patient["espace_id"], hidden_id)
    assert saved.hidden_from_holder and saved.hidden_until is not None and not saved.masked
    flows.scan(aws)
    assert api.http.get("/espaces/me/documents", headers=patient["headers"]).json_body["items"] == []
    # INVISIBLE_PATIENT with MASQUE_PS → 422
    outcome(post(api, lab, bundle(nir, document(2, nir, labels=["INVISIBLE_PATIENT", "MASQUE_PS"]))), 422, "unprocessable")
    # an author other than the token's professional → 403
    outcome(post(api, lab, bundle(nir, document(3, nir, rpps="10000000009"))), 403, "forbidden")
    # an unknown INS → 404
    unknown = "269054958815780"  # a valid NIR no espace has
    outcome(post(api, lab, bundle(unknown, document(4, unknown))), 404, "not_found")
    # a category that cannot be decided (class 10 and a type of no category) → 422; mes-category wins
    outcome(post(api, lab, bundle(nir, document(5, nir, type_code="00000-0"))), 422, "unprocessable")
    decided = answer(post(api, lab, bundle(nir, document(6, nir, type_code="00000-0",
                                                         category=("http://localhost/fhir/R4/CodeSystem/mes-category",
                                                                   "DEPISTAG")))))
    six = decided["entry"][1]["response"]["location"].rsplit("/", 1)[1]
    assert aws.documents.get(patient["espace_id"], six).category == "DEPISTAG"
    # a required element missing → 422; a bundle of another type → 400; no token → 401
    no_title = document(7, nir)
    del no_title["content"][0]["attachment"]["title"]
    outcome(post(api, lab, bundle(nir, no_title)), 422, "unprocessable")
    outcome(post(api, lab, {**bundle(nir, document(8, nir)), "type": "batch"}), 400, "validation_error")
    assert post(api, {"Content-Type": "application/fhir+json"}, bundle(nir, document(9, nir))).status_code == 401
    assert len(stored(aws, patient["espace_id"])[0]) == 2


def test_a_bundle_over_the_limit_is_413(api, clock, psc, patient):
    nir, lab = patient["row"]["nir"], token(psc, clock)
    big = bundle(nir, document(1, nir), contents={0: b"%PDF-1.4\n" + b"0" * 3_400_000})
    outcome(post(api, lab, big), 413, "payload_too_large")


def test_the_bundle_of_fhir_md_section_4_is_accepted(api, aws, clock, psc, patient):
    """The example of FHIR.md §4, with this patient's INS and the token's RPPS."""
    nir, lab = patient["row"]["nir"], token(psc, clock, "10101201234")
    sent = copy.deepcopy(bundle(nir, document(1, nir, rpps="10101201234", labels=["INVISIBLE_PATIENT"])))
    body = answer(post(api, lab, sent))
    assert [e["response"]["status"] for e in body["entry"]] == ["201 Created"] * 3


def test_requests_per_document_are_constant(api, aws, clock, psc, patient):
    """fhir.iti65_requests_per_document: each more document in a transaction costs the same AWS
    four requests (deposit-marker GetItem, the document + quota + marker TransactWriteItems, the S3
    PutObject, the access-log record), whatever the Bundle's size; the patient lookup and the grants
    (two requests) are paid once per transaction."""
    from mes_instrument import awscount
    nir, lab = patient["row"]["nir"], token(psc, clock)
    with awscount.counting() as one:
        answer(post(api, lab, bundle(nir, document(1, nir))))
    with awscount.counting() as three:
        answer(post(api, lab, bundle(nir, document(2, nir), document(3, nir), document(4, nir))))
    per_document = (three.total - one.total) / 2
    print(f"fhir.iti65_requests_per_document: {per_document:g} (one-document transaction: {one.total})")
    assert (per_document, one.total) == (4, 6), (one.requests, three.requests)


def patch(api, headers, document_id, operations, content_type="application/json-patch+json"):
    return api.http.request("PATCH", f"/fhir/R4/DocumentReference/{document_id}",
                            headers={**headers, "Content-Type": content_type}, body=json.dumps(operations))


def test_the_author_withdraws_and_relabels_its_deposit_by_patch(api, aws, clock, psc, patient):
    """FHIR.md §2/§6: /status → entered-in-error is the JSON route's withdraw (bytes deleted, `delete`
    logged); /securityLabel/0 MASQUE_PS ⇄ N; INVISIBLE_PATIENT → N shows it to the holder now; a PS
    who may see it but is not its author → 403; another path → 405."""
    nir, lab = patient["row"]["nir"], token(psc, clock)
    body = answer(post(api, lab, bundle(nir, document(1, nir, labels=["INVISIBLE_PATIENT"]), document(2, nir))))
    hidden_id, plain_id = (body["entry"][i]["response"]["location"].rsplit("/", 1)[1] for i in (1, 3))
    flows.scan(aws)
    assert [d["id"] for d in api.http.get("/espaces/me/documents", headers=patient["headers"]).json_body["items"]] == [plain_id]
    normal = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-Confidentiality", "code": "N"}]}
    masked = {"coding": [{"system": TRE_A07, "code": "MASQUE_PS"}]}
    shown = answer(patch(api, lab, hidden_id, [{"op": "replace", "path": "/securityLabel/0", "value": normal}]))
    assert shown["securityLabel"] == [normal]
    listed = api.http.get("/espaces/me/documents", headers=patient["headers"]).json_body["items"]
    assert sorted(d["id"] for d in listed) == sorted([hidden_id, plain_id])
    relabelled = answer(patch(api, lab, plain_id, [{"op": "replace", "path": "/securityLabel/0", "value": masked}]))
    assert relabelled["securityLabel"] == [masked] and aws.documents.get(patient["espace_id"], plain_id).masked
    # a physician the holder authorised sees the unmasked one, cannot patch it (403), nor a masked one (404)
    doctor = token(psc, clock, "10000000006")
    assert api.http.post(f"/pro/patients/{nir}/authorisations", headers={**doctor, "Content-Type": "application/json"},
                         body=json.dumps({"basis": "consent"})).status_code == 201
    withdraw = [{"op": "replace", "path": "/status", "value": "entered-in-error"}]
    outcome(patch(api, doctor, hidden_id, withdraw), 403, "forbidden")
    outcome(patch(api, doctor, plain_id, withdraw), 404, "not_found")
    # other paths, values, media types
    outcome(patch(api, lab, hidden_id, [{"op": "replace", "path": "/description", "value": "x"}]), 405,
            "patch_not_supported")
    outcome(patch(api, lab, hidden_id, [{"op": "replace", "path": "/status", "value": "superseded"}]), 422,
            "unprocessable")
    outcome(patch(api, lab, hidden_id, withdraw, "application/json"), 415, "unsupported_media_type")
    # the withdraw: entered-in-error, bytes gone, logged as the JSON route's `delete` with channel fhir
    withdrawn = answer(patch(api, lab, hidden_id, withdraw))
    assert withdrawn["status"] == "entered-in-error"
    assert aws.documents.get(patient["espace_id"], hidden_id).status == "entered-in-error"
    assert f"documents/{patient['espace_id']}/{hidden_id}" not in stored(aws, patient["espace_id"])[1]
    log = api.http.get("/espaces/me/access-log", headers=patient["headers"]).json_body["items"]
    assert (log[0]["action"], log[0]["decision"], log[0]["channel"], log[0]["target"]) == (
        "delete", "allowed", "fhir", hidden_id)


def test_a_deposit_over_the_pending_quota_is_refused_as_such_and_writes_nothing(api, aws, clock, psc, patient):
    """BR-23 quotas through ITI-65: the eleventh pending document of an espace is refused with the quota's
    own code (429), not a 409 conflict (the deposit marker is written in the same transaction as the quota update:
    the cancellation reason is read at the quota's place, `dynamo_kit.OrderedTransactWrite`)."""
    nir, lab = patient["row"]["nir"], token(psc, clock)
    answer(post(api, lab, bundle(nir, *(document(n, nir) for n in range(1, 11)))))  # 10 pending: the limit
    before = stored(aws, patient["espace_id"])
    outcome(post(api, lab, bundle(nir, document(11, nir))), 429, "quota_exceeded")
    assert stored(aws, patient["espace_id"]) == before
