"""Ids the FHIR facade derives, found by running docs/fhir.md's walk-through (issue 12): AuditEvents of
like access-log records (a doctor's two searches in one second) had one id, so a searchset repeated a
fullUrl (bdl-7, now checked by tests/support/fhir.py); Observation ids were cut to 64 characters,
dropping a blood pressure's seconds, so two readings of the same ten minutes had one id."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from urllib.parse import quote

import pytest

from mes.adapters.fhir import audit, observations
from tests.support import flows
from tests.support.fhir import answer, problems, valid
from tests.support.leaks import remember

INS = "urn:oid:1.2.250.1.213.1.4.8"
DOCTOR, NURSE = "10000000021", "10000000022"
FHIR_ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")
ESPACE = "8287e81b-adf4-41ae-bc34-aca0fd1d3d19"


@pytest.fixture
def patient(api, aws, clock):
    who = flows.holder(api, aws, clock, seed=97, email="fhir.ids@example.org", login="fhir.ids")
    remember(who["row"]["nir"])
    return who


def _token(psc, clock, rpps, profession):
    return flows.pro_headers(psc, clock, rpps, profession)


def _blood_pressure(nir, at, systolic):
    mmhg = {"unit": "mm[Hg]", "system": "http://unitsofmeasure.org", "code": "mm[Hg]"}
    return {"fullUrl": f"urn:uuid:00000000-0000-4000-8000-{systolic:012d}", "request": {"method": "POST", "url": "Observation"},
            "resource": {"resourceType": "Observation", "status": "final",
                         "code": {"coding": [{"system": "http://loinc.org", "code": "85354-9"}]},
                         "subject": {"identifier": {"system": INS, "value": nir}}, "effectiveDateTime": at,
                         "component": [{"code": {"coding": [{"system": "http://loinc.org", "code": "8480-6"}]},
                                        "valueQuantity": {"value": systolic, **mmhg}},
                                       {"code": {"coding": [{"system": "http://loinc.org", "code": "8462-4"}]},
                                        "valueQuantity": {"value": 80, **mmhg}}]}}


def test_like_records_of_one_second_are_distinct_audit_events(api, aws, clock, psc, patient):
    nir, doctor = patient["row"]["nir"], _token(psc, clock, DOCTOR, "10")
    r = api.http.post(f"/pro/patients/{nir}/authorisations", headers={**doctor, "Content-Type": "application/json"},
                      body=json.dumps({"basis": "consent"}))
    assert r.status_code == 201, r.body
    ins_param = quote(f"{INS}|{nir}")
    for _ in range(3):  # the frozen clock: three `list: allowed` records of the same second
        answer(api.http.get(f"/fhir/R4/DocumentReference?patient.identifier={ins_param}&status=current",
                            headers=doctor))
    assert api.http.put("/espaces/me/administrator", headers=patient["headers"],
                        body=json.dumps({"rpps": DOCTOR})).status_code == 204
    first = answer(api.http.get(f"/fhir/R4/AuditEvent?patient.identifier={ins_param}", headers=doctor))  # bdl-7
    events = [e["resource"] for e in first["entry"]]
    lists = [e for e in events if e["outcomeDesc"] == "list: allowed"]
    assert len(lists) == 3 and len({e["id"] for e in events}) == len(events)
    assert len({e["fullUrl"] for e in first["entry"]}) == len(events)
    # the oldest of a run keeps a lone record's id; a newer like record (the next read's own) changes none
    log = api.http.get("/espaces/me/access-log?limit=100", headers=patient["headers"]).json_body["items"]
    oldest_list = [record for record in log if record["action"] == "list"][-1]
    assert lists[-1]["id"] == audit.audit_event(oldest_list, patient["espace_id"])["id"]
    again = answer(api.http.get(f"/fhir/R4/AuditEvent?patient.identifier={ins_param}", headers=doctor))
    assert [e["resource"]["id"] for e in again["entry"]][1:] == [e["id"] for e in events]  # after its own read


def test_two_blood_pressures_minutes_apart_have_two_observation_ids(api, aws, clock, psc, patient):
    nir, nurse = patient["row"]["nir"], _token(psc, clock, NURSE, "60")
    first, second = ((clock() - timedelta(minutes=m)).strftime("%Y-%m-%dT%H:%M:%SZ") for m in (9, 4))
    body = {"resourceType": "Bundle", "type": "transaction",
            "entry": [_blood_pressure(nir, first, 131), _blood_pressure(nir, second, 128)]}
    r = api.http.post("/fhir/R4", headers={**nurse, "Content-Type": "application/fhir+json"}, body=json.dumps(body))
    locations = [e["response"]["location"] for e in answer(r)["entry"]]
    assert len(set(locations)) == 2 and all(FHIR_ID.match(loc.removeprefix("Observation/")) for loc in locations)


def test_observation_ids_fit_fhir_ids_without_being_cut():
    ids = {observations.observation_id(ESPACE, f"{kind}-20261130T20{m}810Z")
           for kind in ("weight", "height", "temperature", "blood_pressure", "heart_rate", "glycemia") for m in "05"}
    assert len(ids) == 12 and all(FHIR_ID.match(i) for i in ids)
    assert observations.observation_id(ESPACE, "blood_pressure-20261130T205810Z") == \
        "8287e81badf441aebc34aca0fd1d3d19-blood-pressure-20261130T205810Z"
    longer = observations.observation_id("espace-" + ESPACE, "blood_pressure-20261130T205810Z")
    assert FHIR_ID.match(longer) and longer != observations.observation_id("espace-" + ESPACE,
                                                                             "blood_pressure-20261130T205811Z")


def test_the_checker_refuses_a_repeated_full_url():
    entry = {"fullUrl": "http://localhost/fhir/R4/Patient/p1", "resource": {"resourceType": "Patient", "id": "p1"}}
    assert problems({"resourceType": "Bundle", "type": "searchset", "entry": [entry, entry]}) == [
        "Bundle bdl-7: fullUrl repeated: ['http://localhost/fhir/R4/Patient/p1']"]
    valid({"resourceType": "Bundle", "type": "history", "entry": [entry, entry]})
