"""The FHIR R4 facade's read side (issue 12, FHIR.md) through the real routes on moto: every answer
validated with fhir.resources (R4B) and fhirclient (R4, strict) — `tests.support.fhir`. The facade
calls the professionals' use cases and the one access policy: the parity test below shows ITI-67 and
GET /pro/patients/{ins}/documents return the same ids, for every profession of the matrix, with
masked, hidden-from-holder, hidden-from-representatives, withdrawn and pending documents present."""

from __future__ import annotations

import json
from datetime import timedelta
from urllib.parse import quote, urlsplit

import pytest

from mes.domain.access import CURRENT_MATRIX, matrix
from mes.domain.documents import CATEGORIES, AuthorType, DocStatus, Document, new_document_id
from mes_instrument import awscount
from tests.support import flows
from tests.support.fhir import answer, outcome, valid
from tests.support.leaks import remember

INS = "urn:oid:1.2.250.1.213.1.4.8"
DOCTOR, PHARMACIST, REGULATOR, OTHER = "10000000001", "10000000002", "10000000004", "10000000006"
BASE = "http://localhost/fhir/R4"


@pytest.fixture
def patient(api, aws, clock):
    who = flows.holder(api, aws, clock, seed=91, email="fhir.patient@example.org", login="fhir.patient")
    remember(who["row"]["nir"])
    return who


def token(psc, clock, rpps, profession, **kw):
    return flows.pro_headers(psc, clock, rpps, profession, **kw)


def authorise(api, ins, headers, basis="consent"):
    r = api.http.post(f"/pro/patients/{ins}/authorisations", headers={**headers, "Content-Type": "application/json"},
                      body=json.dumps({"basis": basis}))
    assert r.status_code == 201, r.body
    return r


def add(aws, espace_id, clock, category, i=0, document_id=None, **fields):
    document_id = document_id or new_document_id(clock() + timedelta(milliseconds=i))
    values = {"title": f"{category} {i}", "filename": "d.pdf", "content_type": "application/pdf", "size": 10,
              "author_type": AuthorType.PATIENT, "author_id": espace_id, "created_at": clock(),
              "status": DocStatus.AVAILABLE, **fields}
    aws.documents.create(Document(espace_id=espace_id, document_id=document_id, category=category,
                                  object_key=f"documents/{espace_id}/{document_id}", **values))
    return document_id


def seed_everything(aws, espace_id, clock):
    """Every kind of document the policy must sort: plain, masked, hidden from the holder (a PS's
    deposit), hidden from representatives, withdrawn, pending and rejected deposits of the doctor."""
    i = 0
    kinds = {"plain": {}, "masked": {"masked": True},
             "hidden": {"hidden_from_holder": True, "hidden_until": clock() + timedelta(days=30),
                        "author_type": AuthorType.PRACTITIONER, "author_id": "19999999999"},
             "representatives": {"hidden_from_representatives": True},
             "withdrawn": {"status": DocStatus.ENTERED_IN_ERROR, "author_type": AuthorType.PRACTITIONER,
                           "author_id": DOCTOR}}
    ids: dict[str, list[str]] = {k: [] for k in kinds}
    for kind, fields in kinds.items():
        for category in CATEGORIES:
            i += 1
            ids[kind].append(add(aws, espace_id, clock, category, i, **fields))
    for status in (DocStatus.PENDING, DocStatus.REJECTED):
        i += 1
        ids.setdefault("own", []).append(add(aws, espace_id, clock, "CPT_REND", i, status=status,
                                             author_type=AuthorType.PRACTITIONER, author_id=DOCTOR))
    for category in CATEGORIES:  # BR-24: a replaced document and its replacement, in every category
        i += 2
        old, new = new_document_id(clock() + timedelta(milliseconds=i - 1)), new_document_id(clock() + timedelta(milliseconds=i))
        ids.setdefault("replaced", []).append(add(aws, espace_id, clock, category, i - 1, document_id=old,
                                                  status=DocStatus.REPLACED, replaced_by=new))
        ids.setdefault("replacement", []).append(add(aws, espace_id, clock, category, i, document_id=new, replaces=old))
    return ids


def json_ids(api, ins, headers, limit=7, status=None):
    ids, cursor = [], None
    while True:
        r = api.http.get(f"/pro/patients/{ins}/documents?limit={limit}" + (f"&cursor={quote(cursor)}" if cursor else "")
                         + (f"&status={status}" if status else ""), headers=headers)
        assert r.status_code == 200, r.body
        ids += [(d["id"], d["status"]) for d in r.json_body["items"]]
        cursor = r.json_body["next_cursor"]
        if not cursor:
            return ids


def fhir_search(api, headers, query):
    return api.http.get(f"/fhir/R4/DocumentReference?{query}", headers=headers)


def fhir_ids(api, ins, headers, count=7, extra="", status="current"):
    """Every page, by following the absolute `next` links."""
    ids, url = [], f"/fhir/R4/DocumentReference?patient.identifier={INS}|{ins}&status={status}{extra}&_count={count}"
    while url:
        bundle = answer(api.http.get(url, headers=headers))
        assert bundle["type"] == "searchset"
        ids += [e["resource"]["id"] for e in bundle["entry"]]
        assert all(e["fullUrl"] == f"{BASE}/DocumentReference/{e['resource']['id']}" for e in bundle["entry"])
        following = [link["url"] for link in bundle["link"] if link["relation"] == "next"]
        assert all(u.startswith(BASE + "/DocumentReference?") for u in following)  # absolute (fhirclient)
        url = "/fhir/R4/" + following[0].removeprefix(BASE + "/") if following else None
    return ids


def test_iti67_returns_exactly_what_the_json_route_returns_for_every_profession(api, aws, clock, psc, patient):
    """Issue 12: same PS, same patient → the same document ids, over every profession of the matrix
    (and for an unknown one); pending/rejected deposits are the author's own and have no FHIR status
    (FHIR.md §3): the JSON route shows them to the doctor, ITI-67 does not."""
    ins, espace_id = patient["row"]["nir"], patient["espace_id"]
    ids = seed_everything(aws, espace_id, clock)
    checked = 0
    for n, profession in enumerate([*sorted(matrix(CURRENT_MATRIX)), "99"]):
        rpps = DOCTOR if profession == "10" else f"1100000{n:04d}"
        ps = token(psc, clock, rpps, profession)
        outcome(fhir_search(api, ps, f"patient.identifier={INS}|{ins}&status=current"), 403, "forbidden")
        authorise(api, ins, ps)
        from_json = json_ids(api, ins, ps)
        from_fhir = fhir_ids(api, ins, ps)
        assert from_fhir == [i for i, status in from_json if status == "available"], profession
        allowed = matrix(CURRENT_MATRIX).get(profession, frozenset())
        assert len(from_fhir) == 4 * len(allowed)  # plain, hidden from the holder, from representatives, replacements
        assert not set(from_fhir) & set(ids["masked"] + ids["withdrawn"] + ids["own"] + ids["replaced"])
        # BR-24: replaced documents only when asked for, the same on both routes (superseded = replaced)
        both = fhir_ids(api, ins, ps, status="current,superseded")
        assert both == [i for i, _ in json_ids(api, ins, ps, status="available,replaced")], profession
        assert fhir_ids(api, ins, ps, status="superseded") == [i for i, _ in json_ids(api, ins, ps, status="replaced")]
        assert set(both) - set(from_fhir) == {i for i, c in zip(ids["replaced"], CATEGORIES, strict=True) if c in allowed}
        if profession == "10":  # the doctor's own pending and rejected deposits: JSON only
            assert {i for i, s in from_json if s != "available"} == set(ids["own"])
        checked += 1
    assert checked == len(matrix(CURRENT_MATRIX)) + 1


def test_emergency_administrator_and_blocks_are_the_json_routes_decisions(api, aws, clock, psc, patient):
    ins, espace_id = patient["row"]["nir"], patient["espace_id"]
    ids = seed_everything(aws, espace_id, clock)
    samu = token(psc, clock, REGULATOR, "10")
    body = json.dumps({"mode": "samu", "reason": "Détresse respiratoire, patient inconscient"})
    assert api.http.post(f"/pro/patients/{ins}/emergency-access", headers={**samu, "Content-Type": "application/json"},
                         body=body).status_code == 201
    with_masked = fhir_ids(api, ins, samu, count=100)
    from_json = json_ids(api, ins, samu, 100)
    assert with_masked == [i for i, s in from_json] and set(ids["masked"]) <= set(with_masked)
    # the administrator sees masked documents, labelled MASQUE_PS
    doctor = token(psc, clock, DOCTOR, "10")
    assert api.http.put("/espaces/me/administrator", headers=patient["headers"],
                        body=json.dumps({"rpps": DOCTOR})).status_code == 204
    masked = answer(fhir_search(api, doctor, f"patient.identifier={INS}|{ins}&status=current&security-label=MASQUE_PS"
                                             "&_count=100"))
    assert sorted(e["resource"]["id"] for e in masked["entry"]) == sorted(ids["masked"])
    assert {e["resource"]["securityLabel"][0]["coding"][0]["code"] for e in masked["entry"]} == {"MASQUE_PS"}
    # blocked: 403 `blocked` on both, logged as refused
    other = token(psc, clock, OTHER, "10")
    authorise(api, ins, other)
    assert api.http.put(f"/espaces/me/blocks/{OTHER}", headers=patient["headers"]).status_code == 204
    assert api.http.get(f"/pro/patients/{ins}/documents", headers=other).json_body["code"] == "blocked"
    outcome(fhir_search(api, other, f"patient.identifier={INS}|{ins}&status=current"), 403, "blocked")
    outcome(api.http.get(f"/fhir/R4/DocumentReference/{ids['plain'][0]}", headers=other), 403, "blocked")
    log = api.http.get("/espaces/me/access-log", headers=patient["headers"]).json_body["items"]
    assert [(e["action"], e["decision"], e["channel"]) for e in log[:3]] == [
        ("read", "refused:blocked", "fhir"), ("list", "refused:blocked", "fhir"), ("list", "refused:blocked", "api")]


def test_cross_patient_and_unknown_patients_answer_like_the_json_route_and_are_logged(api, aws, clock, psc, patient):
    ins = patient["row"]["nir"]
    add(aws, patient["espace_id"], clock, "BIOLOGIE")
    other = flows.holder(api, aws, clock, seed=92, email="fhir.other@example.org", login="fhir.other")
    remember(other["row"]["nir"])
    theirs = add(aws, other["espace_id"], clock, "BIOLOGIE", 1)
    ph = token(psc, clock, PHARMACIST, "21")
    authorise(api, ins, ph)  # consent on the first patient only
    other_ins = other["row"]["nir"]
    assert api.http.get(f"/pro/patients/{other_ins}/documents", headers=ph).status_code == 403
    outcome(fhir_search(api, ph, f"patient.identifier={INS}|{other_ins}&status=current"), 403, "forbidden")
    outcome(api.http.get(f"/fhir/R4/DocumentReference/{theirs}", headers=ph), 404, "not_found")
    outcome(api.http.get(f"/fhir/R4/Binary/{theirs}", headers=ph), 404, "not_found")
    log = aws.access.read_log(other["espace_id"], 10, None).items
    assert [(e["action"], e["decision"], e["channel"], e["target"]) for e in log[:4]] == [
        ("read", "refused:not_found", "fhir", theirs), ("read", "refused:not_found", "fhir", theirs),
        ("list", "refused:forbidden", "fhir", None), ("list", "refused:forbidden", "api", None)]
    # unknown patient: 404 on both (FHIR.md §6), nothing to log; an unknown document id: 404
    assert api.http.get("/pro/patients/269054958815780/documents", headers=ph).status_code == 404
    outcome(fhir_search(api, ph, f"patient.identifier={INS}|269054958815780&status=current"), 404, "not_found")
    outcome(api.http.get("/fhir/R4/DocumentReference/" + "0" * 32, headers=ph), 404, "not_found")
    outcome(api.http.get("/fhir/R4/DocumentReference/not-an-id", headers=ph), 404, "not_found")


def test_search_parameters_narrow_what_the_policy_let_through(api, aws, clock, psc, patient):
    ins, espace_id = patient["row"]["nir"], patient["espace_id"]
    bio = add(aws, espace_id, clock, "BIOLOGIE", 1)
    report = add(aws, espace_id, clock, "CPT_REND", 2, author_type=AuthorType.PRACTITIONER, author_id=OTHER)
    summary = add(aws, espace_id, clock, "SYNTHESE", 3, created_at=clock() - timedelta(days=40))
    later = add(aws, espace_id, clock, "ORD_SOIN", 4, created_at=clock() + timedelta(days=2))
    doctor = token(psc, clock, DOCTOR, "10")
    authorise(api, ins, doctor)

    def found(query):
        bundle = answer(fhir_search(api, doctor, f"patient.identifier={INS}|{ins}&{query}"))
        return sorted(e["resource"]["id"] for e in bundle["entry"])

    assert found("status=current") == sorted([bio, report, summary, later])
    assert found("status=entered-in-error") == [] and found("status=superseded") == []
    m = f"{BASE}/CodeSystem/mes-category"
    assert found(f"status=current&category={m}|BIOLOGIE") == [bio]
    tre_a03 = "https://mos.esante.gouv.fr/NOS/TRE_A03-ClasseDocument/FHIR/TRE-A03-ClasseDocument"
    assert found(f"status=current&category={tre_a03}|10") == sorted([bio, report])  # class 10: several categories
    assert found("status=current&category=11,42") == sorted([summary, later])  # OR inside one value
    assert found("status=current&type=http://loinc.org|11502-2") == [bio]
    assert found("status=current&type=34133-9") == [report]
    assert found("status=current&date=ge2026-03-01&date=lt2026-03-03") == sorted([bio, report])
    assert found("status=current&date=2026-01") == [summary] and found("status=current&creation=gt2026-03-02") == [later]
    assert found("status=current&period=ge2026-01-01") == []  # no service period in mes documents
    assert found("status=current&security-label=N") == sorted([bio, report, summary, later])
    uuid = f"{bio[:8]}-{bio[8:12]}-{bio[12:16]}-{bio[16:20]}-{bio[20:]}"
    assert found(f"status=current&identifier=urn:ietf:rfc:3986|urn:uuid:{uuid}") == [bio]
    # POST _search: the same answer from a form body
    r = api.http.post("/fhir/R4/DocumentReference/_search", headers={
        **doctor, "Content-Type": "application/x-www-form-urlencoded"},
        body=f"patient.identifier={quote(INS + '|' + ins)}&status=current&category=BIOLOGIE")
    assert [e["resource"]["id"] for e in answer(r)["entry"]] == [bio]
    outcome(api.http.post("/fhir/R4/DocumentReference/_search", headers={**doctor, "Content-Type": "application/json"},
                          body="{}"), 415, "unsupported_media_type")
    # bad input: OperationOutcome 400 with the JSON API's code, the parameter in `expression`
    for query, where in (("status=current", "patient.identifier"), (f"patient.identifier={INS}|{ins}", "status"),
                         (f"patient.identifier=urn:oid:1.2.3|{ins}&status=current", "patient.identifier"),
                         (f"patient.identifier={INS}|{ins}&status=final", "status"),
                         (f"patient.identifier={INS}|{ins}&status=current&_count=101", "_count"),
                         (f"patient.identifier={INS}|{ins}&status=current&date=2026-13", "date"),
                         (f"patient.identifier={INS}|{ins}&status=current&_sort=date", "_sort"),
                         (f"patient.identifier={INS}|{ins}&status=current&_cursor=%25%25", "cursor")):
        body = outcome(fhir_search(api, doctor, query), 400, "validation_error")
        assert body["issue"][0]["expression"] == [where], query
        assert body["issue"][0]["code"] == "invalid"


def test_a_document_reference_maps_every_field_of_fhir_md(api, aws, clock, psc, patient):
    """FHIR.md §3/§6: id, masterIdentifier, status, type, category (TRE_A03 + mes-category), subject,
    date = created_at, contained author (idNatPs "8"+RPPS), securityLabel, attachment (absolute URL)."""
    ins, espace_id = patient["row"]["nir"], patient["espace_id"]
    deposit = add(aws, espace_id, clock, "BIOLOGIE", 1, author_type=AuthorType.PRACTITIONER, author_id=OTHER,
                  title="Bilan", size=15, hidden_from_holder=True, hidden_until=clock() + timedelta(days=30))
    lab = add(aws, espace_id, clock, "DOC_ADM", 2, author_type=AuthorType.ORGANISATION, author_id="750712184")
    doctor = token(psc, clock, DOCTOR, "10")
    authorise(api, ins, doctor)
    resource = answer(api.http.get(f"/fhir/R4/DocumentReference/{deposit}", headers=doctor))
    assert resource["id"] == deposit and resource["status"] == "current"
    assert resource["contained"] == [{"resourceType": "Practitioner", "id": "author", "identifier": [
        {"system": "urn:oid:1.2.250.1.71.4.2.1", "value": "8" + OTHER}]}]
    assert resource["author"] == [{"reference": "#author"}]
    assert resource["type"]["coding"] == [{"system": "http://loinc.org", "code": "11502-2"}]
    assert resource["category"][0]["coding"] == [
        {"system": "https://mos.esante.gouv.fr/NOS/TRE_A03-ClasseDocument/FHIR/TRE-A03-ClasseDocument", "code": "10"},
        {"system": f"{BASE}/CodeSystem/mes-category", "code": "BIOLOGIE"}]
    assert resource["securityLabel"] == [{"coding": [{
        "system": "https://mos.esante.gouv.fr/NOS/TRE_A07-StatutVisibiliteDocument/FHIR/TRE-A07-StatutVisibiliteDocument",
        "code": "INVISIBLE_PATIENT"}]}]
    assert resource["date"] == clock().strftime("%Y-%m-%dT%H:%M:%SZ")
    assert resource["subject"] == {"reference": f"Patient/{espace_id}"}  # no INS known on a read by id
    assert resource["content"][0]["attachment"] == {
        "contentType": "application/pdf", "url": f"{BASE}/Binary/{deposit}", "size": 15, "title": "Bilan",
        "creation": resource["date"]}
    assert resource["masterIdentifier"]["system"] == "urn:ietf:rfc:3986"
    # in a search, the subject carries the INS; the entry is the same resource otherwise
    bundle = answer(fhir_search(api, doctor, f"patient.identifier={INS}|{ins}&status=current"))
    entry = next(e["resource"] for e in bundle["entry"] if e["resource"]["id"] == deposit)
    assert entry["subject"] == {"reference": f"Patient/{espace_id}", "identifier": {"system": INS, "value": ins}}
    assert {**entry, "subject": resource["subject"]} == resource
    # an organisation's document: a Device authored, the Organization (idNatStruct "1"+FINESS) custodian
    org = next(e["resource"] for e in bundle["entry"] if e["resource"]["id"] == lab)
    assert org["custodian"] == {"reference": "#custodian"}
    assert org["contained"][1]["identifier"] == [{"system": "urn:oid:1.2.250.1.71.4.2.2", "value": "1750712184"}]
    assert [c["code"] for c in org["category"][0]["coding"]] == ["95", "DOC_ADM"]


def test_iti68_redirects_to_a_presigned_url_and_no_byte_goes_through_lambda(api, aws, clock, psc, patient):
    ins, espace_id = patient["row"]["nir"], patient["espace_id"]
    content = b"%PDF-1.4\n" + b"x" * 20_000 + b"\n%%EOF\n"
    document_id = add(aws, espace_id, clock, "BIOLOGIE", 1, size=len(content), real_size=len(content))
    aws.client("s3").put_object(Bucket=aws.settings.documents_bucket, Key=f"documents/{espace_id}/{document_id}",
                                Body=content)
    ph = token(psc, clock, PHARMACIST, "21")
    authorise(api, ins, ph)
    for accept in (None, "*/*", "application/pdf"):
        with awscount.counting() as counter:
            r = api.http.get(f"/fhir/R4/Binary/{document_id}", headers={**ph, **({"Accept": accept} if accept else {})})
        assert r.status_code == 302 and r.body == b"", (accept, r.status_code)
        assert sum(counter.object_bytes.values()) == 0  # fhir.bytes_through_lambda_on_retrieve
        location = r.headers["Location"]
        assert urlsplit(location).path.endswith(f"/documents/{espace_id}/{document_id}") and "X-Amz-Expires=60" in location
        assert "Authorization" not in location and ins not in location
    import requests
    assert requests.get(location, timeout=10).content == content  # the presigned GET works
    # Accept: application/fhir+json → a Binary with the bytes (≤ 4 MB)
    binary = answer(api.http.get(f"/fhir/R4/Binary/{document_id}", headers={**ph, "Accept": "application/fhir+json"}))
    import base64
    assert binary["contentType"] == "application/pdf" and base64.b64decode(binary["data"]) == content
    # over 4 MB → 406 (ask for the native type)
    big = add(aws, espace_id, clock, "BIOLOGIE", 2, size=5_000_000, real_size=5_000_000)
    outcome(api.http.get(f"/fhir/R4/Binary/{big}", headers={**ph, "Accept": "application/fhir+json"}), 406,
            "not_acceptable")
    # a pending document has no content yet; every retrieve is a logged read
    pending = add(aws, espace_id, clock, "BIOLOGIE", 3, status=DocStatus.PENDING, author_type=AuthorType.PRACTITIONER,
                  author_id=PHARMACIST)
    outcome(api.http.get(f"/fhir/R4/Binary/{pending}", headers=ph), 404, "not_found")
    log = aws.access.read_log(espace_id, 20, None).items
    reads = [(e["target"], e["decision"]) for e in log if e["action"] == "read" and e["channel"] == "fhir"]
    assert reads.count((document_id, "allowed")) == 4 and (big, "allowed") in reads


def test_patient_search_by_ins(api, aws, clock, psc, patient):
    ins = patient["row"]["nir"]
    ph = token(psc, clock, PHARMACIST, "21")
    bundle = answer(api.http.get(f"/fhir/R4/Patient?identifier={INS}|{ins}", headers=ph))
    assert [e["resource"] for e in bundle["entry"]] == [{"resourceType": "Patient", "id": patient["espace_id"],
                                                         "identifier": [{"system": INS, "value": ins}], "active": True}]
    assert answer(api.http.get(f"/fhir/R4/Patient?identifier={INS}|269054958815780", headers=ph))["entry"] == []
    outcome(api.http.get("/fhir/R4/Patient?identifier=269054958815780", headers=ph), 400, "validation_error")
    outcome(api.http.get(f"/fhir/R4/Patient?name=x&identifier={INS}|{ins}", headers=ph), 400, "validation_error")
    assert api.http.put(f"/espaces/me/blocks/{PHARMACIST}", headers=patient["headers"]).status_code == 204
    outcome(api.http.get(f"/fhir/R4/Patient?identifier={INS}|{ins}", headers=ph), 403, "blocked")
    log = api.http.get("/espaces/me/access-log", headers=patient["headers"]).json_body["items"]
    assert [(e["action"], e["decision"], e["channel"]) for e in log[:2]] == [
        ("lookup", "refused:blocked", "fhir"), ("lookup", "allowed", "fhir")]


def test_tokens_metadata_and_errors(api, aws, clock, psc, patient):
    ins = patient["row"]["nir"]
    query = f"/fhir/R4/DocumentReference?patient.identifier={INS}|{ins}&status=current"
    outcome(api.http.get(query), 401, "unauthorized")
    outcome(api.http.get(query, headers=patient["headers"]), 401, "unauthorized")  # a holder token
    outcome(api.http.get(query, headers={"Authorization": "Bearer x.y.z"}), 401, "unauthorized")
    capability = answer(api.http.get("/fhir/R4/metadata"))  # anonymous
    assert capability["fhirVersion"] == "4.0.1" and capability["format"] == ["application/fhir+json"]
    assert capability["implementation"]["url"] == BASE
    resources = {r["type"]: sorted(i["code"] for i in r["interaction"]) for r in capability["rest"][0]["resource"]}
    assert resources == {"Binary": ["read"], "DocumentReference": ["patch", "read", "search-type"],
                         "Patient": ["search-type"], "AuditEvent": ["search-type"], "Consent": ["search-type"],
                         "Observation": ["create"]}
    # generated from the routes: every FHIR route is in it, and nothing else
    from chalicelib.routing import REGISTRY
    assert {s.path.split("/")[3] for s in REGISTRY if s.media == "fhir" and s.path != "/fhir/R4"} - {"metadata"} == set(
        resources)
    assert capability["rest"][0]["interaction"] == [{
        "code": "transaction", "documentation": "ITI-65 Provide Document Bundle; PCH-01: Observation (+ PhdDevice)"}]
    params = {p["name"] for r in capability["rest"][0]["resource"] for p in r.get("searchParam", [])}
    assert {"patient.identifier", "status", "type", "category", "date", "period", "creation", "security-label",
            "identifier", "_count"} <= params
    # a configured public base wins over the request's host (FHIR.md §6)
    r = api.http.get("/fhir/R4/metadata", headers={"Host": "127.0.0.1:8000"})
    assert answer(r)["implementation"]["url"] == "http://127.0.0.1:8000/fhir/R4"
    r = api.http.get("/fhir/R4/metadata", headers={"Host": "evil host/"})
    assert answer(r)["implementation"]["url"] == BASE
    # JSON only (FHIR.md §1): XML → 406; JSON among others, or any type, is fine
    outcome(api.http.get("/fhir/R4/metadata", headers={"Accept": "application/fhir+xml"}), 406, "not_acceptable")
    outcome(api.http.get(query, headers={**token(psc, clock, PHARMACIST, "21"), "Accept": "application/xml"}), 406,
            "not_acceptable")
    for accept in ("application/fhir+xml, application/fhir+json", "*/*", "application/json"):
        answer(api.http.get("/fhir/R4/metadata", headers={"Accept": accept}))


def test_the_holder_sees_the_channel_of_each_access(api, aws, clock, psc, patient):
    ins = patient["row"]["nir"]
    document_id = add(aws, patient["espace_id"], clock, "BIOLOGIE")
    ph = token(psc, clock, PHARMACIST, "21")
    authorise(api, ins, ph)
    assert api.http.get(f"/pro/patients/{ins}/documents/{document_id}", headers=ph).status_code == 200
    answer(api.http.get(f"/fhir/R4/DocumentReference/{document_id}", headers=ph))
    log = api.http.get("/espaces/me/access-log", headers=patient["headers"]).json_body["items"]
    assert [(e["action"], e["target"], e["channel"]) for e in log[:3]] == [
        ("read", document_id, "fhir"), ("read", document_id, "api"), ("authorisation", "consent", "api")]
    # a record written before the facade (no channel) reads as "api"
    Log = aws.access.Log
    old = next(iter(Log.query(patient["espace_id"])))
    old.channel = None
    old.save()
    assert all(e["channel"] in ("api", "fhir") for e in
               api.http.get("/espaces/me/access-log", headers=patient["headers"]).json_body["items"])


def test_the_validator_refuses_what_fhir_refuses():
    """The checker is not a rubber stamp: an invalid resource fails both libraries."""
    from tests.support.fhir import problems
    assert problems({"resourceType": "DocumentReference", "status": "current"})  # content is 1..*
    assert problems({"resourceType": "Bundle", "type": "searchset", "entry": [{"fullUrl": 3}]})
    assert valid({"resourceType": "Bundle", "type": "searchset"})


def test_an_iti67_page_costs_what_the_json_route_costs(api, aws, clock, psc, patient):
    """fhir.iti67_requests_per_page: patient lookup, grants, one Query, the log record — the JSON
    route's four DynamoDB requests (the bench measures it on a page of 50 among 200)."""
    ins = patient["row"]["nir"]
    for i in range(60):
        add(aws, patient["espace_id"], clock, "BIOLOGIE", i)
    ph = token(psc, clock, PHARMACIST, "21")
    authorise(api, ins, ph)
    with awscount.counting() as json_route:
        assert len(api.http.get(f"/pro/patients/{ins}/documents?limit=50", headers=ph).json_body["items"]) == 50
    with awscount.counting() as facade:
        bundle = answer(fhir_search(api, ph, f"patient.identifier={INS}|{ins}&status=current&_count=50"))
    assert len(bundle["entry"]) == 50
    assert facade.by_service("dynamodb") == json_route.by_service("dynamodb") <= 4


def test_iti68_serves_the_validated_version_not_a_later_unchecked_one(api, aws, clock, psc, patient):
    """BR-23: bytes written over a validated document with a reused upload ticket, before the validation
    deletes them, are served neither by the 302 nor by the inline Binary."""
    import base64

    import requests
    ins, espace_id = patient["row"]["nir"], patient["espace_id"]
    document_id = add(aws, espace_id, clock, "BIOLOGIE", 1, size=14, real_size=14)
    key, s3 = f"documents/{espace_id}/{document_id}", aws.client("s3")
    checked = s3.put_object(Bucket=aws.settings.documents_bucket, Key=key, Body=b"%PDF-1.4 valid")["VersionId"]
    s3.put_object(Bucket=aws.settings.documents_bucket, Key=key, Body=b"<html>unchecked</html>")
    document = aws.documents.get(espace_id, document_id)
    document.object_version = checked
    aws.documents.save(document)
    ph = token(psc, clock, PHARMACIST, "21")
    authorise(api, ins, ph)
    location = api.http.get(f"/fhir/R4/Binary/{document_id}", headers=ph).headers["Location"]
    assert requests.get(location, timeout=10).content == b"%PDF-1.4 valid"
    binary = answer(api.http.get(f"/fhir/R4/Binary/{document_id}", headers={**ph, "Accept": "application/fhir+json"}))
    assert base64.b64decode(binary["data"]) == b"%PDF-1.4 valid"
