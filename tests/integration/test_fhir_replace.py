"""Document replacement (BR-24: "A PS may delete (entered-in-error) or replace its own documents"),
through ITI-65 `relatesTo replaces` (FHIR.md §2, D transaction_td2.1) and the JSON deposit's
`replaces`, on the real routes and moto. One use case (mes.services.professionals.replace_target +
the deposit) claims the old document; the validation step (mes.services.documents._finish) makes it
`replaced` (FHIR `superseded`) only when it accepts the new one. Every FHIR answer is validated by
tests/support/fhir.py (fhir.resources R4B, fhirclient R4 strict)."""

from __future__ import annotations

import base64
import json

import pytest

from mes.domain.documents import EICAR
from tests.integration.test_fhir_iti65 import INS, PDF, bundle, document, post, stored, token
from tests.support import flows
from tests.support.fhir import answer, outcome
from tests.support.leaks import remember

BASE = "http://localhost/fhir/R4"
DOCTOR = "10000000006"  # another physician, authorised by the holder


@pytest.fixture
def patient(api, aws, clock):
    who = flows.holder(api, aws, clock, seed=94, email="replace.patient@example.org", login="replace.patient")
    remember(who["row"]["nir"])
    return who


def replacing(doc, old_id, base=""):
    doc["relatesTo"] = [{"code": "replaces", "target": {"reference": f"{base}DocumentReference/{old_id}"}}]
    return doc


def superseding(old_id, method="PUT"):
    """The optional UpdateDocumentRefs entry of D transaction_td2.1 (PUT), or its JSON Patch form."""
    if method == "PUT":
        return {"fullUrl": f"{BASE}/DocumentReference/{old_id}", "request": {"method": "PUT", "url": f"DocumentReference/{old_id}"},
                "resource": {"resourceType": "DocumentReference", "id": old_id, "status": "superseded"}}
    operations = json.dumps([{"op": "replace", "path": "/status", "value": "superseded"}]).encode()
    return {"fullUrl": "urn:uuid:00000000-0000-4000-8000-bbbbbbbbbbbb",
            "request": {"method": "PATCH", "url": f"DocumentReference/{old_id}"},
            "resource": {"resourceType": "Binary", "contentType": "application/json-patch+json",
                         "data": base64.b64encode(operations).decode()}}


def deposited(aws, api, clock, lab, nir, n=1, **kw):
    """One document deposited by ITI-65 and validated: its id (what follows is a second newer)."""
    body = answer(post(api, lab, bundle(nir, document(n, nir, **kw))))
    flows.scan(aws)
    clock.advance(seconds=1)
    return body["entry"][1]["response"]["location"].rsplit("/", 1)[1]


def consent(api, nir, headers):
    r = api.http.post(f"/pro/patients/{nir}/authorisations", headers={**headers, "Content-Type": "application/json"},
                      body=json.dumps({"basis": "consent"}))
    assert r.status_code == 201, r.body


def search(api, headers, nir, status):
    bundle_ = answer(api.http.get(f"/fhir/R4/DocumentReference?patient.identifier={INS}|{nir}&status={status}",
                                  headers=headers))
    return [(e["resource"]["id"], e["resource"]["status"]) for e in bundle_["entry"]]


def json_list(api, headers, nir, status=None):
    r = api.http.get(f"/pro/patients/{nir}/documents" + (f"?status={status}" if status else ""), headers=headers)
    assert r.status_code == 200, r.body
    return [(d["id"], d["status"]) for d in r.json_body["items"]]


def holder_ids(api, patient):
    return [(d["id"], d["status"]) for d in
            api.http.get("/espaces/me/documents", headers=patient["headers"]).json_body["items"]]


def log(api, patient, n):
    """The n latest records (as a set: records of one request share their time)."""
    items = api.http.get("/espaces/me/access-log", headers=patient["headers"]).json_body["items"]
    return {(e["action"], e["decision"], e["channel"], e["target"]) for e in items[:n]}


def test_the_author_replaces_its_document_which_is_superseded_once_the_new_one_is_validated(api, aws, clock, psc,
                                                                                             patient):
    nir, lab = patient["row"]["nir"], token(psc, clock)
    old = deposited(aws, api, clock, lab, nir)
    sent = bundle(nir, replacing(document(2, nir, title="Bilan sanguin corrigé"), old))
    sent["entry"].append(superseding(old))
    body = answer(post(api, lab, sent))
    assert [e["response"]["status"] for e in body["entry"]] == ["201 Created"] * 3 + ["200 OK"]
    assert body["entry"][3]["response"]["location"] == f"{BASE}/DocumentReference/{old}"
    new = body["entry"][1]["response"]["location"].rsplit("/", 1)[1]
    assert log(api, patient, 2) == {("replace", "allowed", "fhir", old), ("deposit", "allowed", "fhir", new)}
    # before the scan: the new one is pending, the old one still current (and claimed)
    assert answer(api.http.get(f"/fhir/R4/DocumentReference/{old}", headers=lab))["status"] == "current"
    assert (aws.documents.get(patient["espace_id"], old).replaced_by, aws.documents.get(patient["espace_id"], new).replaces) == (new, old)
    assert holder_ids(api, patient) == [(new, "pending"), (old, "available")]
    # the scan validates the new one: the old one is superseded in the same step
    flows.scan(aws)
    read_old = answer(api.http.get(f"/fhir/R4/DocumentReference/{old}", headers=lab))
    read_new = answer(api.http.get(f"/fhir/R4/DocumentReference/{new}", headers=lab))
    assert read_old["status"] == "superseded" and "relatesTo" not in read_old
    assert read_new["status"] == "current"
    assert read_new["relatesTo"] == [{"code": "replaces", "target": {"reference": f"DocumentReference/{old}"}}]
    # the holder sees the latest version only; the old one is not found, its bytes are kept
    assert holder_ids(api, patient) == [(new, "available")]
    assert api.http.get(f"/espaces/me/documents/{old}", headers=patient["headers"]).status_code == 404
    assert f"documents/{patient['espace_id']}/{old}" in stored(aws, patient["espace_id"])[1]
    # another physician: the default lists show the new one; status=superseded / replaced find the old one
    doctor = token(psc, clock, DOCTOR)
    consent(api, nir, doctor)
    assert search(api, doctor, nir, "current") == [(new, "current")]
    assert search(api, doctor, nir, "superseded") == [(old, "superseded")]
    assert search(api, doctor, nir, "current,superseded") == [(new, "current"), (old, "superseded")]
    assert json_list(api, doctor, nir) == [(new, "available")]
    assert json_list(api, doctor, nir, "replaced") == [(old, "replaced")]
    assert json_list(api, doctor, nir, "available,replaced") == [(new, "available"), (old, "replaced")]
    detail = api.http.get(f"/pro/patients/{nir}/documents/{old}", headers=doctor).json_body
    assert (detail["status"], detail["replaced_by"], detail["download"] is not None) == ("replaced", new, True)
    assert api.http.get(f"/fhir/R4/Binary/{old}", headers=doctor).status_code == 302  # ITI-68: bytes kept


def test_the_json_deposit_replaces_the_same_way(api, aws, clock, psc, patient):
    nir, lab = patient["row"]["nir"], token(psc, clock)
    old = deposited(aws, api, clock, lab, nir)
    declared = {"title": "Bilan corrigé", "category": "BIOLOGIE", "filename": "bilan.pdf",
                "content_type": "application/pdf", "size": len(PDF), "replaces": old}
    headers = {**lab, "Content-Type": "application/json"}
    r = api.http.post(f"/pro/patients/{nir}/documents", headers=headers, body=json.dumps(declared))
    assert r.status_code == 201, r.body
    new = r.json_body["document"]["id"]
    assert r.json_body["document"]["replaces"] == old
    assert log(api, patient, 2) == {("replace", "allowed", "api", old), ("deposit", "allowed", "api", new)}
    # a second replacement while the first is pending: one replacement per document
    again = api.http.post(f"/pro/patients/{nir}/documents", headers=headers, body=json.dumps(declared))
    assert (again.status_code, again.json_body["code"]) == (409, "not_replaceable")
    assert flows.upload(r.json_body["upload"], PDF, "bilan.pdf") == 204
    flows.scan(aws)
    assert aws.documents.get(patient["espace_id"], old).status == "replaced"
    assert holder_ids(api, patient) == [(new, "available")]
    # the replaced one cannot be replaced again (409), through either channel
    again = api.http.post(f"/pro/patients/{nir}/documents", headers=headers, body=json.dumps(declared))
    assert (again.status_code, again.json_body["code"]) == (409, "not_replaceable")
    outcome(post(api, lab, bundle(nir, replacing(document(3, nir), old))), 409, "not_replaceable")


def test_another_professional_cannot_replace_and_a_document_it_may_not_see_is_not_found(api, aws, clock, psc, patient):
    nir, lab = patient["row"]["nir"], token(psc, clock)
    old = deposited(aws, api, clock, lab, nir)
    doctor = token(psc, clock, DOCTOR)
    doctors_doc = document(5, nir, rpps=DOCTOR)
    # without the holder's consent the doctor may not see it: 404, as a document that does not exist
    outcome(post(api, doctor, bundle(nir, replacing(doctors_doc, old))), 404, "not_found")
    assert log(api, patient, 1) == {("replace", "refused:not_found", "fhir", old)}
    consent(api, nir, doctor)
    outcome(post(api, doctor, bundle(nir, replacing(doctors_doc, old, BASE + "/"))), 403, "forbidden")
    assert log(api, patient, 1) == {("replace", "refused:forbidden", "fhir", old)}
    r = api.http.post(f"/pro/patients/{nir}/documents", headers={**doctor, "Content-Type": "application/json"},
                      body=json.dumps({"title": "x", "category": "BIOLOGIE", "filename": "x.pdf",
                                       "content_type": "application/pdf", "size": 10, "replaces": old}))
    assert (r.status_code, r.json_body["code"]) == (403, "forbidden")
    outcome(post(api, lab, bundle(nir, replacing(document(6, nir), "0" * 32))), 404, "not_found")
    # the lab's own document in another patient's espace: not this patient's document → 404
    other = flows.holder(api, aws, clock, seed=95, email="replace.other@example.org", login="replace.other")
    remember(other["row"]["nir"])
    elsewhere = deposited(aws, api, clock, lab, other["row"]["nir"], 7)
    outcome(post(api, lab, bundle(nir, replacing(document(8, nir), elsewhere))), 404, "not_found")
    assert aws.documents.get(other["espace_id"], elsewhere).replaced_by is None
    # nothing was written: the old document is untouched, no other document exists
    saved = aws.documents.get(patient["espace_id"], old)
    assert (saved.status, saved.replaced_by) == ("available", None)
    assert stored(aws, patient["espace_id"])[0] == [old]


def test_a_withdrawn_or_pending_document_cannot_be_replaced(api, aws, clock, psc, patient):
    nir, lab = patient["row"]["nir"], token(psc, clock)
    withdrawn = deposited(aws, api, clock, lab, nir)
    assert api.http.delete(f"/pro/patients/{nir}/documents/{withdrawn}", headers=lab).status_code == 204
    outcome(post(api, lab, bundle(nir, replacing(document(2, nir), withdrawn))), 409, "not_replaceable")
    assert log(api, patient, 1) == {("replace", "refused:not_replaceable", "fhir", withdrawn)}
    pending = answer(post(api, lab, bundle(nir, document(3, nir))))["entry"][1]["response"]["location"].rsplit("/", 1)[1]
    outcome(post(api, lab, bundle(nir, replacing(document(4, nir), pending))), 409, "not_replaceable")


def test_a_rejected_replacement_leaves_the_old_one_current_and_replaceable(api, aws, clock, psc, patient):
    nir, lab = patient["row"]["nir"], token(psc, clock)
    old = deposited(aws, api, clock, lab, nir)
    infected = bundle(nir, replacing(document(2, nir), old), contents={0: b"%PDF-1.4\n" + EICAR + b"\n%%EOF\n"})
    bad = answer(post(api, lab, infected))["entry"][1]["response"]["location"].rsplit("/", 1)[1]
    flows.scan(aws)
    assert aws.documents.get(patient["espace_id"], bad).status == "rejected"
    saved = aws.documents.get(patient["espace_id"], old)
    assert (saved.status, saved.replaced_by) == ("available", None)  # the claim is released
    assert answer(api.http.get(f"/fhir/R4/DocumentReference/{old}", headers=lab))["status"] == "current"
    assert holder_ids(api, patient) == [(old, "available")]
    # a clean replacement afterwards works
    good = answer(post(api, lab, bundle(nir, replacing(document(3, nir), old))))["entry"][1]["response"]["location"]
    flows.scan(aws)
    assert aws.documents.get(patient["espace_id"], old).replaced_by == good.rsplit("/", 1)[1]
    assert aws.documents.get(patient["espace_id"], old).status == "replaced"


def test_a_withdrawn_pending_replacement_releases_the_old_one(api, aws, clock, psc, patient):
    nir, lab = patient["row"]["nir"], token(psc, clock)
    old = deposited(aws, api, clock, lab, nir)
    new = answer(post(api, lab, bundle(nir, replacing(document(2, nir), old))))["entry"][1]["response"]["location"]
    new = new.rsplit("/", 1)[1]
    assert api.http.delete(f"/pro/patients/{nir}/documents/{new}", headers=lab).status_code == 204
    flows.scan(aws)  # the object's event finds no pending document: nothing replaced
    saved = aws.documents.get(patient["espace_id"], old)
    assert (saved.status, saved.replaced_by) == ("available", None)


def test_a_retried_replacement_replaces_nothing_twice(api, aws, clock, psc, patient):
    nir, lab = patient["row"]["nir"], token(psc, clock)
    old = deposited(aws, api, clock, lab, nir)
    sent = bundle(nir, replacing(document(2, nir), old))
    sent["entry"].append(superseding(old, "PATCH"))
    first = answer(post(api, lab, sent))
    flows.scan(aws)
    before, records = stored(aws, patient["espace_id"]), log(api, patient, 3)
    second = answer(post(api, lab, sent))  # the same masterIdentifier: 200 at the same resources
    assert [e["response"]["status"] for e in second["entry"]] == ["200 OK"] * 4
    assert [e["response"]["location"] for e in second["entry"]] == [e["response"]["location"] for e in first["entry"]]
    assert stored(aws, patient["espace_id"]) == before and log(api, patient, 3) == records
    assert aws.documents.get(patient["espace_id"], old).status == "replaced"


def test_the_update_entry_must_match_a_relates_to_and_only_supersede(api, aws, clock, psc, patient):
    nir, lab = patient["row"]["nir"], token(psc, clock)
    old, other = deposited(aws, api, clock, lab, nir), deposited(aws, api, clock, lab, nir, 9)
    unmatched = bundle(nir, replacing(document(2, nir), old))
    unmatched["entry"].append(superseding(other))
    assert outcome(post(api, lab, unmatched), 422, "unprocessable")["issue"][0]["expression"] == [
        "Bundle.entry[3].request.url"]
    alone = bundle(nir, document(3, nir))
    alone["entry"].append(superseding(old))
    outcome(post(api, lab, alone), 422, "unprocessable")
    current = bundle(nir, replacing(document(4, nir), old))
    current["entry"].append({**superseding(old), "resource": {"resourceType": "DocumentReference", "id": old,
                                                              "status": "entered-in-error"}})
    outcome(post(api, lab, current), 422, "unprocessable")
    appends = replacing(document(5, nir), old)
    appends["relatesTo"][0]["code"] = "appends"
    outcome(post(api, lab, bundle(nir, appends)), 422, "unprocessable")
    twice = bundle(nir, replacing(document(6, nir), old), replacing(document(7, nir), old))
    outcome(post(api, lab, twice), 422, "unprocessable")
    # a replacement cannot hide from the holder what the old version showed them (BR-26)
    outcome(post(api, lab, bundle(nir, replacing(document(8, nir, labels=["INVISIBLE_PATIENT"]), old))), 422,
            "unprocessable")
    assert sorted(stored(aws, patient["espace_id"])[0]) == sorted([old, other])
    assert aws.documents.get(patient["espace_id"], old).replaced_by is None


def test_a_masked_document_s_replacement_stays_masked(api, aws, clock, psc, patient):
    """BR-25: the holder masked the old version from professionals; the new version is masked too."""
    nir, lab = patient["row"]["nir"], token(psc, clock)
    old = deposited(aws, api, clock, lab, nir)
    assert api.http.patch(f"/espaces/me/documents/{old}", headers=patient["headers"],
                          body=json.dumps({"masked": True})).status_code == 200
    new = answer(post(api, lab, bundle(nir, replacing(document(2, nir), old))))["entry"][1]["response"]["location"]
    assert aws.documents.get(patient["espace_id"], new.rsplit("/", 1)[1]).masked


def test_the_holder_s_export_keeps_the_replaced_version_with_its_bytes(api, aws, clock, psc, patient):
    """GDPR access: the replaced version leaves the holder's list but not their data (bytes kept)."""
    from tests.integration.test_exports import download, request, run_exports
    nir, lab = patient["row"]["nir"], token(psc, clock)
    old = deposited(aws, api, clock, lab, nir)
    new = answer(post(api, lab, bundle(nir, replacing(document(2, nir), old))))["entry"][1]["response"]["location"]
    new = new.rsplit("/", 1)[1]
    flows.scan(aws)
    export_id = request(api, patient).json_body["export_id"]
    assert run_exports(aws) == {"received": 1, "failed": 0}
    archive = download(api.http.get(f"/espaces/me/exports/{export_id}", headers=patient["headers"]).json_body)
    documents = {d["id"]: (d["status"], d["file"]) for d in json.loads(archive.read("documents.json"))}
    assert documents == {new: ("available", f"documents/{new}/document-{new}"),
                         old: ("replaced", f"documents/{old}/document-{old}")}
    assert archive.read(f"documents/{old}/document-{old}") == PDF


def test_a_hidden_document_replaced_by_a_hidden_one_gives_one_notice_and_one_release_mail(api, aws, clock, psc,
                                                                                           patient):
    """BR-26 with BR-24: the holder is told once of the document that waits (the latest version)."""
    from datetime import timedelta

    from mes.domain.documents import HIDDEN_RELEASE_AFTER
    nir, lab, start = patient["row"]["nir"], token(psc, clock), clock()
    old = deposited(aws, api, clock, lab, nir, labels=["INVISIBLE_PATIENT"])
    answer(post(api, lab, bundle(nir, replacing(document(2, nir, labels=["INVISIBLE_PATIENT"]), old))))
    flows.scan(aws)
    assert aws.documents.get(patient["espace_id"], old).status == "replaced"
    assert flows.scheduled("hidden_release", start + timedelta(days=14, minutes=1))["notified"] == 1
    assert len(flows.sent(aws, "replace.patient@example.org", "hidden-document-notice")) == 1
    released = flows.scheduled("hidden_release", start + HIDDEN_RELEASE_AFTER + timedelta(minutes=1))
    assert released["released"] == 2
    assert len(flows.sent(aws, "replace.patient@example.org", "new-document")) == 1
    assert [i for i, _ in holder_ids(api, patient)] != [old] and len(holder_ids(api, patient)) == 1
