"""The FHIR facade's PCH-01 measurements, AuditEvent and Consent (FHIR.md §2, §6) through the real
routes on moto; every answer validated with fhir.resources (R4B) and fhirclient (R4, strict). The
facade calls the same use cases as the JSON routes: a nurse's blood pressure shows in the holder's
GET /espaces/me/measurements, the AuditEvents are GET /pro/patients/{ins}/access-log's entries."""

from __future__ import annotations

import json
from datetime import timedelta
from urllib.parse import quote

import pytest

from tests.support import flows
from tests.support.fhir import answer, outcome, valid
from tests.support.leaks import remember

INS = "urn:oid:1.2.250.1.213.1.4.8"
UCUM = "http://unitsofmeasure.org"
NURSE, DOCTOR, OTHER = "10000000011", "10000000012", "10000000013"


@pytest.fixture
def patient(api, aws, clock):
    who = flows.holder(api, aws, clock, seed=93, email="pch01.patient@example.org", login="pch01.patient")
    remember(who["row"]["nir"])
    return who


def token(psc, clock, rpps, profession):
    return flows.pro_headers(psc, clock, rpps, profession)


def obs(nir, loinc, at, quantity=None, components=None, note=None):
    resource = {"resourceType": "Observation", "status": "final",
                "code": {"coding": [{"system": "http://loinc.org", "code": loinc}]},
                "subject": {"identifier": {"system": INS, "value": nir}}, "effectiveDateTime": at}
    if quantity:
        value, code = quantity
        resource["valueQuantity"] = {"value": value, "unit": code, "system": UCUM, "code": code}
    if components:
        resource["component"] = [{"code": {"coding": [{"system": "http://loinc.org", "code": c}]},
                                  "valueQuantity": {"value": v, "unit": "mm[Hg]", "system": UCUM, "code": "mm[Hg]"}}
                                 for c, v in components]
    if note:
        resource["note"] = [{"text": note}]
    return {"fullUrl": f"urn:uuid:00000000-0000-4000-8000-{abs(hash((loinc, at))) % 10**12:012d}",
            "resource": valid(resource), "request": {"method": "POST", "url": "Observation"}}


def device():
    return {"fullUrl": "urn:uuid:11111111-1111-4111-8111-111111111111",
            "resource": {"resourceType": "Device", "identifier": [{"system": "urn:oid:1.2.3", "value": "TENSIO-1"}]},
            "request": {"method": "POST", "url": "Device", "ifNoneExist": "identifier=urn:oid:1.2.3|TENSIO-1"}}


def post(api, headers, entries):
    bundle = valid({"resourceType": "Bundle", "type": "transaction", "entry": entries})
    return api.http.post("/fhir/R4", headers={**headers, "Content-Type": "application/fhir+json"},
                         body=json.dumps(bundle))


def at(clock, minutes):
    return (clock() - timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")


def holder_measurements(api, patient, type_=None):
    query = f"?type={type_}" if type_ else ""
    r = api.http.get(f"/espaces/me/measurements{query}", headers=patient["headers"])
    assert r.status_code == 200, r.body
    return r.json_body["items"]


def test_a_nurse_blood_pressure_appears_in_the_holder_measurements(api, aws, clock, psc, patient):
    nir, nurse = patient["row"]["nir"], token(psc, clock, NURSE, "60")  # no read consent needed (BR-30)
    when = at(clock, 30)
    entries = [device(), obs(nir, "85354-9", when, components=[("8480-6", 132), ("8462-4", 84)], note="au repos"),
               obs(nir, "8867-4", when, quantity=(71, "/min"))]
    body = answer(post(api, nurse, entries))
    assert body["type"] == "transaction-response"
    assert [e["response"]["status"] for e in body["entry"]] == ["200 OK", "201 Created", "201 Created"]
    assert body["entry"][1]["response"]["location"].startswith("Observation/")
    [bp] = holder_measurements(api, patient, "blood_pressure")
    assert (bp["systolic"], bp["diastolic"], bp["unit"], bp["measured_at"], bp["note"]) == (132, 84, "mmHg", when,
                                                                                            "au repos")
    assert [(m["type"], m["value"], m["unit"]) for m in holder_measurements(api, patient, "heart_rate")] == [
        ("heart_rate", 71, "bpm")]
    # a retry (same readings) creates nothing twice: 200 pointing at the stored ones, no new log record
    again = answer(post(api, nurse, entries))
    assert [e["response"]["status"] for e in again["entry"]] == ["200 OK"] * 3
    assert [e["response"]["location"] for e in again["entry"][1:]] == [e["response"]["location"]
                                                                       for e in body["entry"][1:]]
    assert len(holder_measurements(api, patient)) == 2
    log = api.http.get("/espaces/me/access-log", headers=patient["headers"]).json_body["items"]
    assert [(e["action"], e["decision"], e["channel"], e["rpps"]) for e in log] == [
        ("measurement", "allowed", "fhir", NURSE)] * 2


def test_glucose_conversion_units_and_refusals(api, aws, clock, psc, patient):
    nir, nurse = patient["row"]["nir"], token(psc, clock, NURSE, "60")
    answer(post(api, nurse, [obs(nir, "2345-7", at(clock, 60), quantity=(95, "mg/dL")),
                             obs(nir, "2345-7", at(clock, 50), quantity=(5.5, "mmol/L")),
                             obs(nir, "29463-7", at(clock, 40), quantity=(70.25, "kg")),
                             obs(nir, "8310-5", at(clock, 30), quantity=(37.8, "Cel"))]))
    glucose = holder_measurements(api, patient, "glycemia")
    assert [(m["value"], m["unit"]) for m in glucose] == [(0.99, "g/L"), (0.95, "g/L")]  # 5.5 × 0.1802; 95 ÷ 100
    assert [m["unit"] for m in holder_measurements(api, patient, "temperature")] == ["°C"]
    before = holder_measurements(api, patient)
    # BMI refused 422; a wrong UCUM unit 400 (HbA1c only in %: an IFCC mmol/mol value is not converted)
    outcome(post(api, nurse, [obs(nir, "39156-5", at(clock, 5), quantity=(22.5, "kg/m2"))]), 422,
            "unsupported_measurement")
    ifcc = outcome(post(api, nurse, [obs(nir, "4548-4", at(clock, 5), quantity=(43, "mmol/mol"))]), 400,
                   "validation_error")
    assert ifcc["issue"][0]["expression"] == ["entry[0].resource.valueQuantity"]
    outcome(post(api, nurse, [obs(nir, "29463-7", at(clock, 5), quantity=(70, "g"))]), 400, "validation_error")
    # a transaction that fails half way leaves nothing behind: the 2nd reading is out of range (the holder's rule)
    bad = outcome(post(api, nurse, [obs(nir, "29463-7", at(clock, 4), quantity=(71, "kg")),
                                    obs(nir, "8302-2", at(clock, 4), quantity=(1.75, "cm"))]), 400, "validation_error")
    assert bad["issue"][0]["expression"] == ["entry[1].resource.value"]
    # another value at a stored instant is a conflict for the whole transaction
    outcome(post(api, nurse, [obs(nir, "29463-7", at(clock, 3), quantity=(71, "kg")),
                              obs(nir, "29463-7", at(clock, 40), quantity=(80, "kg"))]), 409, "state_conflict")
    assert holder_measurements(api, patient) == before
    # unknown INS 404; a document transaction is not handled by this dispatcher
    outcome(post(api, nurse, [obs("269054958815780", "29463-7", at(clock, 2), quantity=(70, "kg"))]), 404,
            "not_found")


def test_a_hba1c_in_percent_is_stored_and_read_back_by_the_holder(api, aws, clock, psc, patient):
    """PCH-01 HbA1c (LOINC 4548-4, UCUM %; FHIR.md §2): the holder's HbA1c series (BR-19), its range
    and one decimal; a retry creates nothing twice."""
    nir, nurse = patient["row"]["nir"], token(psc, clock, NURSE, "60")
    when = at(clock, 20)
    entries = [obs(nir, "4548-4", when, quantity=(6.14, "%"), note="à jeun")]
    body = answer(post(api, nurse, entries))
    assert body["entry"][0]["response"]["status"] == "201 Created"
    location = body["entry"][0]["response"]["location"]
    assert location.startswith(f"Observation/{patient['espace_id'].replace('-', '')}-hba1c-")
    [reading] = holder_measurements(api, patient, "hba1c")
    assert (reading["value"], reading["unit"], reading["measured_at"], reading["note"]) == (6.1, "%", when, "à jeun")
    again = answer(post(api, nurse, entries))
    assert [(e["response"]["status"], e["response"]["location"]) for e in again["entry"]] == [("200 OK", location)]
    # out of the physiological range (the holder's rule): 400 on the value, nothing stored
    bad = outcome(post(api, nurse, [obs(nir, "4548-4", at(clock, 10), quantity=(25, "%"))]), 400, "validation_error")
    assert bad["issue"][0]["expression"] == ["entry[0].resource.value"]
    assert len(holder_measurements(api, patient, "hba1c")) == 1


def test_professionals_never_read_observations(api, aws, clock, psc, patient):
    doctor = token(psc, clock, DOCTOR, "10")
    for query in ("", "?patient.identifier=x", "?bogus=1"):  # 403 before any parameter check (FHIR.md §6)
        outcome(api.http.get(f"/fhir/R4/Observation{query}", headers=doctor), 403, "forbidden")
    outcome(api.http.get("/fhir/R4/Observation"), 401, "unauthorized")


def test_blocked_professional_cannot_post_and_is_logged(api, aws, clock, psc, patient):
    nir, nurse = patient["row"]["nir"], token(psc, clock, NURSE, "60")
    assert api.http.put(f"/espaces/me/blocks/{NURSE}", headers=patient["headers"]).status_code == 204
    outcome(post(api, nurse, [obs(nir, "29463-7", at(clock, 5), quantity=(70, "kg"))]), 403, "blocked")
    assert holder_measurements(api, patient) == []
    log = api.http.get("/espaces/me/access-log", headers=patient["headers"]).json_body["items"]
    assert [(e["action"], e["decision"], e["channel"]) for e in log] == [("measurement", "refused:blocked", "fhir")]


def test_audit_events_are_the_access_log_for_the_administrator_only(api, aws, clock, psc, patient):
    nir, ins_param = patient["row"]["nir"], quote(f"{INS}|{patient['row']['nir']}")
    doctor, other, nurse = token(psc, clock, DOCTOR, "10"), token(psc, clock, OTHER, "10"), token(psc, clock, NURSE, "60")
    for headers in (doctor, other):
        r = api.http.post(f"/pro/patients/{nir}/authorisations",
                          headers={**headers, "Content-Type": "application/json"}, body=json.dumps({"basis": "consent"}))
        assert r.status_code == 201, r.body
    answer(post(api, nurse, [obs(nir, "29463-7", at(clock, 5), quantity=(70, "kg"))]))
    api.http.get(f"/fhir/R4/DocumentReference?patient.identifier={ins_param}&status=current", headers=doctor)
    body = json.dumps({"mode": "samu", "reason": "Détresse respiratoire, patient inconscient"})
    assert api.http.post(f"/pro/patients/{nir}/emergency-access", headers={**other, "Content-Type": "application/json"},
                         body=body).status_code == 201
    assert api.http.put(f"/espaces/me/blocks/{OTHER}", headers=patient["headers"]).status_code == 204
    # non-administrators: 403 on both routes, the same code
    assert api.http.get(f"/pro/patients/{nir}/access-log", headers=doctor).json_body["code"] == "forbidden"
    outcome(api.http.get(f"/fhir/R4/AuditEvent?patient.identifier={ins_param}", headers=doctor), 403, "forbidden")
    outcome(api.http.get(f"/fhir/R4/Consent?patient.identifier={ins_param}", headers=doctor), 403, "forbidden")
    outcome(api.http.get(f"/fhir/R4/AuditEvent?patient.identifier={ins_param}", headers=nurse), 403, "forbidden")
    assert api.http.put("/espaces/me/administrator", headers=patient["headers"],
                        body=json.dumps({"rpps": DOCTOR})).status_code == 204
    # parity with GET /pro/patients/{ins}/access-log, page by page (the FHIR read logs itself first, as the JSON one)
    events, url = [], f"/fhir/R4/AuditEvent?patient.identifier={ins_param}&_count=3"
    while url:
        page = answer(api.http.get(url, headers=doctor))
        events += [e["resource"] for e in page["entry"]]
        nxt = [link["url"] for link in page["link"] if link["relation"] == "next"]
        url = nxt[0].removeprefix("http://localhost") if nxt else None
    json_log = api.http.get(f"/pro/patients/{nir}/access-log?limit=100", headers=doctor).json_body["items"]
    fhir_part = [e for e in events if e["outcomeDesc"] != "access_log: allowed"]
    json_part = [e for e in json_log if (e["action"], e["decision"]) != ("access_log", "allowed")]
    assert [(e["agent"][0]["who"]["identifier"]["value"], e["recorded"], e["outcomeDesc"]) for e in fhir_part] == [
        ("8" + e["rpps"], e["at"], f"{e['action']}: {e['decision']}") for e in json_part]
    assert all(e["agent"][0]["who"]["identifier"]["system"] == "urn:oid:1.2.250.1.71.4.2.1" for e in events)
    by_action = {e["outcomeDesc"].split(":")[0]: e for e in events}
    assert by_action["list"]["subtype"][0]["code"] == "ITI-67"
    assert by_action["measurement"]["entity"][1]["what"]["reference"].startswith("Observation/")
    assert by_action["emergency"]["purposeOfEvent"][0]["coding"][0]["code"] == "ETREAT"
    # Consent: authorisation → permit, block → deny (a block wins), actor idNatPs
    consents = answer(api.http.get(f"/fhir/R4/Consent?patient.identifier={ins_param}", headers=doctor))
    found = {c["resource"]["provision"]["actor"][0]["reference"]["identifier"]["value"]: c["resource"]["provision"]["type"]
             for c in consents["entry"]}
    assert found == {"8" + DOCTOR: "permit", "8" + OTHER: "deny"}
    outcome(api.http.get(f"/fhir/R4/Consent?patient.identifier={ins_param}&status=active", headers=doctor), 400,
            "validation_error")
