"""Labels and metadata updates through the FHIR facade (issue 12, FHIR.md §2, §3, §6) on the real
routes and moto: BR-17's `INVISIBLE_REPRESENTANTS_LEGAUX` on an ITI-65 deposit and its irreversible
reveal by PATCH, `PATCH DocumentReference?identifier=` (mes's urn:uuid or the author's own
masterIdentifier, found without a Scan), `meta.versionId` / `ETag` / `If-Match`. Every FHIR answer is
validated by tests/support/fhir.py."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from urllib.parse import quote

import pytest

from mes_instrument import awscount
from tests.integration.test_children import activate_own, attach, household, listed  # noqa: F401 - a fixture
from tests.integration.test_fhir_iti65 import INS, TRE_A07, bundle, document, post, stored, token
from tests.support import flows
from tests.support.fhir import answer, outcome

LAB, DOCTOR = "10000000003", "10000000006"
NORMAL = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-Confidentiality", "code": "N"}]}
RFC3986 = "urn:ietf:rfc:3986"


def label(code: str) -> dict:
    return {"coding": [{"system": TRE_A07, "code": code}]}


def relabel(value: dict) -> list[dict]:
    return [{"op": "replace", "path": "/securityLabel/0", "value": value}]


def patch(api, headers, document_id, operations, if_match=None):
    extra = {"If-Match": if_match} if if_match else {}
    return api.http.request("PATCH", f"/fhir/R4/DocumentReference/{document_id}", body=json.dumps(operations),
                            headers={**headers, "Content-Type": "application/json-patch+json", **extra})


def patch_by_identifier(api, headers, identifier, operations):
    return api.http.request("PATCH", f"/fhir/R4/DocumentReference?identifier={quote(identifier)}",
                            headers={**headers, "Content-Type": "application/json-patch+json"},
                            body=json.dumps(operations))


def ids(body: dict) -> list[str]:
    """The DocumentReference ids of a transaction-response, in order."""
    return [e["response"]["location"].rsplit("/", 1)[1] for e in body["entry"]
            if "/DocumentReference/" in e["response"]["location"]]


def consent(api, headers, nir):
    r = api.http.post(f"/pro/patients/{nir}/authorisations", headers={**headers, "Content-Type": "application/json"},
                      body=json.dumps({"basis": "consent"}))
    assert r.status_code == 201, r.body


def search(api, headers, nir, **criteria):
    query = "&".join(f"{k}={quote(v)}" for k, v in {"patient.identifier": f"{INS}|{nir}", "status": "current",
                                                      **criteria}.items())
    return answer(api.http.get(f"/fhir/R4/DocumentReference?{query}", headers=headers))


@pytest.fixture
def minor(api, aws, household):  # noqa: F811 - the fixture imported above
    """Zoé (born 10 May 2010, a minor on 2 March 2026), attached to her guardian's login (BR-16)."""
    r = attach(api, aws, household["guardian"], household["child"])
    assert r.status_code == 201, r.body
    return {**household, "child_id": r.json_body["espace"]["id"], "nir": household["child"]["nir"]}


def test_invisible_to_representatives_on_a_deposit_then_revealed_for_good(api, aws, clock, psc, minor):
    """BR-17 through ITI-65: the label hides the document from the guardian (list, read, access log,
    new-document e-mail) and not from professionals (ITI-67 by that label); PATCH /securityLabel/0 → N
    lifts label 0 only (unmask first), then reveals it — for good (409 afterwards), logged `reveal`."""
    nir, lab, guardian = minor["nir"], token(psc, clock), minor["guardian"]["headers"]
    body = answer(post(api, lab, bundle(nir, document(1, nir, labels=["INVISIBLE_REPRESENTANTS_LEGAUX"]),
                                        document(2, nir, title="Vaccins"),
                                        document(3, nir, labels=["MASQUE_PS", "INVISIBLE_REPRESENTANTS_LEGAUX"]),
                                        document(4, nir, labels=["INVISIBLE_PATIENT", "INVISIBLE_REPRESENTANTS_LEGAUX"]))))
    secret, plain, masked, hidden = ids(body)
    assert [aws.documents.get(minor["child_id"], d).hidden_from_representatives for d in ids(body)] == [
        True, False, True, True]
    flows.scan(aws)
    # the guardian: the plain one only, nowhere else a trace of the others (BR-17, BR-27)
    assert listed(api, guardian, minor["child_id"]) == {plain}
    for d in (secret, masked):
        assert api.http.get(f"/espaces/{minor['child_id']}/documents/{d}", headers=guardian).status_code == 404
    assert len(flows.sent(aws, "guardian@example.org", "new-document")) == 1
    log = api.http.get(f"/espaces/{minor['child_id']}/access-log", headers=guardian).json_body["items"]
    assert {e["target"] for e in log if e["action"] == "deposit"} == {plain}
    # professionals see them, with the label (ITI-67 narrowed by it, and a read)
    consent(api, lab, nir)
    found = search(api, lab, nir, **{"security-label": "INVISIBLE_REPRESENTANTS_LEGAUX"})
    assert {e["resource"]["id"] for e in found["entry"]} == {secret, masked, hidden}
    read = answer(api.http.get(f"/fhir/R4/DocumentReference/{masked}", headers=lab))
    assert read["securityLabel"] == [label("MASQUE_PS"), label("INVISIBLE_REPRESENTANTS_LEGAUX")]

    # N on [MASQUE_PS, INVISIBLE_REPRESENTANTS_LEGAUX]: unmasked, still hidden from the guardian
    once = answer(patch(api, lab, masked, relabel(NORMAL)))
    assert once["securityLabel"] == [label("INVISIBLE_REPRESENTANTS_LEGAUX")]
    assert listed(api, guardian, minor["child_id"]) == {plain}
    # a professional who may see it but is not its author: 403, nothing revealed
    doctor = token(psc, clock, DOCTOR)
    consent(api, doctor, nir)
    outcome(patch(api, doctor, masked, relabel(NORMAL)), 403, "forbidden")
    # the author reveals it: visible to the guardian, logged as the JSON route's `reveal`
    twice = answer(patch(api, lab, masked, relabel(NORMAL)))
    assert twice["securityLabel"] == [NORMAL]
    assert listed(api, guardian, minor["child_id"]) == {plain, masked}
    log = api.http.get(f"/espaces/{minor['child_id']}/access-log", headers=guardian).json_body["items"]
    assert (log[0]["action"], log[0]["decision"], log[0]["channel"], log[0]["target"]) == (
        "reveal", "allowed", "fhir", masked)
    # irreversible (BR-17): hiding it again is a conflict; keeping a hidden one hidden changes nothing
    outcome(patch(api, lab, masked, relabel(label("INVISIBLE_REPRESENTANTS_LEGAUX"))), 409, "state_conflict")
    kept = answer(patch(api, lab, secret, relabel(label("INVISIBLE_REPRESENTANTS_LEGAUX"))))
    assert kept["securityLabel"] == [label("INVISIBLE_REPRESENTANTS_LEGAUX")]
    # on [INVISIBLE_PATIENT, INVISIBLE_REPRESENTANTS_LEGAUX], N shows it to the holder's side only
    shown = answer(patch(api, lab, hidden, relabel(NORMAL)))
    assert shown["securityLabel"] == [label("INVISIBLE_REPRESENTANTS_LEGAUX")]
    assert listed(api, guardian, minor["child_id"]) == {plain, masked}

    # BR-18: at 18 the young adult takes over and sees every document, the hidden ones included
    clock.now = datetime(2028, 5, 10, 0, 45, tzinfo=UTC)
    assert flows.scheduled("majority_handover", clock(), event_id="maj-labels")["handed_over"] == 1
    (notice,) = flows.sent(aws, "zoe.young@example.org", "majority-code")
    clock.now = datetime(2028, 5, 12, 9, 0, tzinfo=UTC)
    young = activate_own(api, aws, minor["child"], notice["data"]["code"], "zoe.young@example.org", "zoe.young")
    assert listed(api, young, "me") == {secret, plain, masked, hidden}


def test_invisible_to_representatives_is_for_a_minors_espace_only(api, aws, clock, psc, minor):
    """The JSON deposit's rule (children.require_minor_with_representatives), as a 422 here; nothing written."""
    adult = minor["guardian"]
    nir, lab = adult["row"]["nir"], token(psc, clock)
    refused = outcome(post(api, lab, bundle(nir, document(1, nir), document(2, nir, labels=["INVISIBLE_REPRESENTANTS_LEGAUX"]))),
                      422, "unprocessable")
    assert refused["issue"][0]["expression"] == ["Bundle.entry[3].resource.securityLabel"]
    assert "mineur" in refused["issue"][0]["details"]["text"]
    assert stored(aws, adult["espace_id"]) == ([], [])


def test_patch_by_identifier_finds_the_document_without_a_scan(api, aws, clock, psc, minor):
    """PATCH DocumentReference?identifier=: mes's urn:uuid, or the masterIdentifier the author sent
    (its deposit marker on the by_document index); another author's identifier names nothing (404)."""
    patient = minor["guardian"]
    nir, lab = patient["row"]["nir"], token(psc, clock)
    (first, second) = ids(answer(post(api, lab, bundle(nir, document(1, nir), document(2, nir)))))
    flows.scan(aws)
    own = f"{RFC3986}|urn:oid:1.2.250.1.999.1.1"  # what document(1, …) sent as masterIdentifier
    with awscount.counting() as counter:
        masked = patch_by_identifier(api, lab, own, relabel(label("MASQUE_PS")))
    assert answer(masked)["id"] == first and answer(masked)["securityLabel"] == [label("MASQUE_PS")]
    assert masked.headers["ETag"] == 'W/"3"'
    assert "dynamodb.Scan" not in counter.requests
    print(f"fhir.patch_by_identifier_requests: {counter.total} {dict(counter.requests)}")
    with awscount.counting() as by_id:
        answer(patch(api, lab, first, relabel(NORMAL)))
    assert (by_id.total, counter.total) == (6, 8)  # + the marker's Query and GetItem
    # mes's own identifier (as ITI-67 answers it), with or without the system
    urn = answer(api.http.get(f"/fhir/R4/DocumentReference/{second}", headers=lab))["masterIdentifier"]
    for identifier in (f"{urn['system']}|{urn['value']}", urn["value"]):
        with awscount.counting() as by_urn:
            assert answer(patch_by_identifier(api, lab, identifier, relabel(label("MASQUE_PS"))))["id"] == second
        assert by_urn.total == by_id.total + 1 and "dynamodb.Scan" not in by_urn.requests  # the marker Query misses
    assert aws.documents.get(patient["espace_id"], second).masked
    # another author: its own identical identifier names nothing; mes's id is the PATCH by id's 403/404
    other = token(psc, clock, DOCTOR)
    outcome(patch_by_identifier(api, other, own, relabel(NORMAL)), 404, "not_found")
    consent(api, other, nir)
    outcome(patch_by_identifier(api, other, f"{RFC3986}|urn:uuid:00000000-0000-4000-8000-000000000000",
                                relabel(NORMAL)), 404, "not_found")  # no such document
    first_urn = f"{RFC3986}|urn:uuid:{first[:8]}-{first[8:12]}-{first[12:16]}-{first[16:20]}-{first[20:]}"
    outcome(patch_by_identifier(api, other, first_urn, relabel(NORMAL)), 403, "forbidden")
    # unknown values, other systems, missing or extra parameters
    outcome(patch_by_identifier(api, lab, f"{RFC3986}|urn:oid:1.2.250.1.999.1.404", relabel(NORMAL)), 404, "not_found")
    outcome(patch_by_identifier(api, lab, f"urn:oid:1.2.3|{urn['value']}", relabel(NORMAL)), 404, "not_found")
    outcome(api.http.request("PATCH", "/fhir/R4/DocumentReference", body=json.dumps(relabel(NORMAL)),
                             headers={**lab, "Content-Type": "application/json-patch+json"}), 400, "validation_error")
    outcome(api.http.request("PATCH", f"/fhir/R4/DocumentReference?identifier={quote(own)}&status=current",
                             body=json.dumps(relabel(NORMAL)),
                             headers={**lab, "Content-Type": "application/json-patch+json"}), 400, "validation_error")
    # the withdraw by identifier: the JSON route's delete
    gone = answer(patch_by_identifier(api, lab, own, [{"op": "replace", "path": "/status", "value": "entered-in-error"}]))
    assert gone["status"] == "entered-in-error"
    assert aws.documents.get(patient["espace_id"], first).status == "entered-in-error"


def test_version_id_etag_and_if_match(api, aws, clock, psc, minor):
    """meta.versionId = the document's optimistic-lock version, +1 on every PATCH; ETag W/"n" on the
    read and the PATCH answer; If-Match on a stale version → 412, nothing changed, logged as refused."""
    patient = minor["guardian"]
    nir, lab = patient["row"]["nir"], token(psc, clock)
    (document_id,) = ids(answer(post(api, lab, bundle(nir, document(1, nir)))))
    flows.scan(aws)  # pending (version 1) → available (version 2): first seen in FHIR as "2"
    r = api.http.get(f"/fhir/R4/DocumentReference/{document_id}", headers=lab)
    assert answer(r)["meta"]["versionId"] == "2" and r.headers["ETag"] == 'W/"2"'
    consent(api, lab, nir)
    assert [e["resource"]["meta"]["versionId"] for e in search(api, lab, nir)["entry"]] == ["2"]
    stale = outcome(patch(api, lab, document_id, relabel(label("MASQUE_PS")), if_match='W/"1"'), 412,
                    "precondition_failed")
    assert stale["issue"][0]["code"] == "conflict"
    assert not aws.documents.get(patient["espace_id"], document_id).masked
    log = api.http.get("/espaces/me/access-log", headers=patient["headers"]).json_body["items"]
    assert (log[0]["action"], log[0]["decision"]) == ("update", "refused:precondition_failed")
    outcome(patch(api, lab, document_id, relabel(NORMAL), if_match="2"), 400, "validation_error")
    r = patch(api, lab, document_id, relabel(label("MASQUE_PS")), if_match='W/"2"')
    assert answer(r)["meta"]["versionId"] == "3" and r.headers["ETag"] == 'W/"3"'
    r = patch(api, lab, document_id, relabel(NORMAL))  # no If-Match: any version
    assert answer(r)["meta"]["versionId"] == "4"
    r = patch(api, lab, document_id, [{"op": "replace", "path": "/status", "value": "entered-in-error"}], 'W/"4"')
    assert answer(r)["meta"]["versionId"] == "5" and answer(r)["status"] == "entered-in-error"
