"""Medical profile and measurements on moto through the real routes (issue #5, BR-19, BR-20)."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from mes.domain.profile import HOLDER_ONLY_SECTIONS, PROFESSIONAL_SECTIONS, SECTIONS
from mes_instrument import awscount
from tests.support import flows
from tests.support.leaks import remember

DOCTOR, DENTIST, NURSE, OCCUPATIONAL, REGULATOR = ("10000000011", "10000000012", "10000000013", "10000000014",
                                                   "10000000015")

# One valid body per section (BR-19), as a holder's app would send it.
EXAMPLES = {
    "conditions": {"items": [{"name": "Asthme", "cim10": "J45", "since": "2001-05-01"}]},
    "hospitalisations": {"items": [{"reason": "Appendicectomie", "establishment": "CHU de Nantes",
                                    "start_date": "2015-03-10", "end_date": "2015-03-14"}]},
    "treatments": {"items": [{"name": "Salbutamol", "dosage": "100 µg", "frequency": "si besoin",
                              "start_date": "2020-01-01", "end_date": "2027-01-01"}]},
    "allergies": {"items": [{"substance": "Pénicilline", "kind": "medication", "severity": "severe",
                             "reaction": "urticaire"}]},
    "vaccinations": {"items": [{"vaccine": "Revaxis", "diseases": ["diphtérie", "tétanos", "poliomyélite"],
                                "date": "2024-09-15", "dose": "rappel"}]},
    "family_history": {"items": [{"relative": "mother", "condition": "Diabète de type 2", "age_at_onset": 55}]},
    "lifestyle": {"tobacco": "former", "tobacco_pack_years": 5, "alcohol": "occasional",
                  "physical_activity": "moderate", "sports": ["natation"]},
    "blood_group": {"abo": "AB", "rh": "-"},
    "advance_directives": {"written": True, "written_on": "2023-06-01", "kept_by": "mon notaire"},
    "trusted_person": {"first_name": "Paul", "last_name": "Durand", "relationship": "frère",
                       "phone": "+33 6 12 34 56 78"},
    "emergency_contacts": {"items": [{"first_name": "Marie", "last_name": "Durand", "phone": "0612345678"}]},
    "care_team": {"referring_doctor": {"name": "Dr Claire Martin", "rpps": "10000000099"},
                  "members": [{"name": "Dr Hugo Bernard", "specialty": "pneumologie"}]},
}


@pytest.fixture
def patient(api, aws, clock):
    who = flows.holder(api, aws, clock, seed=91, email="profil@example.org", login="patient.profil")
    remember(who["row"]["nir"])
    return who


def put(api, who, section, body, espace="me"):
    return api.http.put(f"/espaces/{espace}/profile/{section}", headers=who["headers"], body=json.dumps(body))


def pro_headers(psc, clock, rpps, profession, **kw):
    value = psc.issue(rpps, profession, now=clock(), **kw)
    remember(value)
    return {"Authorization": f"Bearer {value}", "Content-Type": "application/json"}


def test_every_section_is_replaced_by_put_and_read_back_by_get(api, patient):
    """BR-19: the twelve sections, each one PUT then GET; a second PUT replaces the whole section."""
    assert set(EXAMPLES) == set(SECTIONS)
    empty = api.http.get("/espaces/me/profile", headers=patient["headers"])
    assert empty.status_code == 200 and empty.json_body == {name: None for name in SECTIONS}
    for section, body in EXAMPLES.items():
        r = put(api, patient, section, body)
        assert r.status_code == 200, (section, r.body)
    profile = api.http.get("/espaces/me/profile", headers=patient["headers"]).json_body
    assert profile["vaccinations"]["items"][0]["diseases"] == ["diphtérie", "tétanos", "poliomyélite"]
    assert profile["blood_group"] == {"abo": "AB", "rh": "-"}
    assert profile["allergies"]["items"][0]["severity"] == "severe"
    assert profile["care_team"]["referring_doctor"]["rpps"] == "10000000099"
    assert all(profile[name] is not None for name in SECTIONS)

    assert put(api, patient, "allergies", {"items": []}).status_code == 200
    assert put(api, patient, "trusted_person", {}).status_code == 200
    profile = api.http.get("/espaces/me/profile", headers=patient["headers"]).json_body
    assert profile["allergies"] == {"items": []}
    assert profile["trusted_person"] == {}


def test_a_vaccination_with_the_disease_and_the_year_only_round_trips_and_a_professional_reads_it(
        api, aws, clock, psc, patient):
    """BR-19 (seeds): the disease without the vaccine's name, a date to the year or month; an allergy
    without severity is "unknown". BR-20: a professional allowed CAR_VAC reads the vaccinations."""
    body = {"items": [{"diseases": ["tétanos"], "date": "2019"},
                      {"diseases": ["grippe"], "date": "2025-11", "dose": "rappel annuel"}]}
    r = put(api, patient, "vaccinations", body)
    assert r.status_code == 200, r.body
    assert put(api, patient, "allergies", {"items": [{"substance": "Pollen de bouleau"}]}).status_code == 200
    profile = api.http.get("/espaces/me/profile", headers=patient["headers"]).json_body
    assert profile["vaccinations"] == body
    assert profile["allergies"]["items"][0]["severity"] == "unknown"
    r = put(api, patient, "vaccinations", {"items": [{"diseases": ["tétanos"], "date": "2026-04"}]})
    assert r.status_code == 400 and r.json_body["field"] == "items.0.date" and "futur" in r.json_body["detail"]

    ins = patient["row"]["nir"]
    doctor = pro_headers(psc, clock, DOCTOR, "10")
    assert api.http.post(f"/pro/patients/{ins}/authorisations", headers=doctor,
                         body=json.dumps({"basis": "consent"})).status_code == 201
    seen = api.http.get(f"/pro/patients/{ins}/profile", headers=doctor)
    assert seen.status_code == 200, seen.body
    assert [(v["diseases"], v["date"]) for v in seen.json_body["vaccinations"]["items"]] == [
        (["tétanos"], "2019"), (["grippe"], "2025-11")]
    assert "allergies" not in seen.json_body  # holder-only (BR-20)


@pytest.mark.parametrize(("section", "body", "field"), [
    ("allergies", {"items": [{"substance": "Arachide", "severity": "terrible"}]}, "items.0.severity"),
    ("blood_group", {"abo": "C", "rh": "+"}, "abo"),
    ("blood_group", {"abo": "A"}, "body"),
    ("vaccinations", {"items": [{"vaccine": "Revaxis", "date": "2024-01-01"}]}, "items.0.diseases"),
    ("vaccinations", {"items": [{"vaccine": "Revaxis", "diseases": ["tétanos"], "date": "2026-03-03"}]},
     "items.0.date"),
    ("lifestyle", {"tobacco": "sometimes"}, "tobacco"),
    ("lifestyle", {"colour": "blue"}, "colour"),
    ("conditions", {"items": [{"name": "x" * 201}]}, "items.0.name"),
    ("emergency_contacts", {"items": [{"first_name": "A", "last_name": "B"}]}, "items.0.phone"),
])
def test_invalid_sections_are_refused_with_a_french_detail(api, patient, section, body, field):
    r = put(api, patient, section, body)
    assert r.status_code == 400, r.body
    assert r.json_body["code"] == "validation_error" and r.json_body["field"] == field
    assert r.headers["Content-Type"] == "application/problem+json"
    detail = r.json_body["detail"]
    assert detail.endswith(".") and ("«" in detail or "groupe sanguin" in detail.lower()), detail


def test_unknown_section_is_404_and_a_foreign_espace_is_404(api, aws, clock, patient):
    r = put(api, patient, "horoscope", {"sign": "lion"})
    assert r.status_code == 404 and r.json_body["code"] == "not_found"
    other = flows.holder(api, aws, clock, seed=92, email="autre@example.org", login="autre.profil")
    for r in (api.http.get(f"/espaces/{other['espace_id']}/profile", headers=patient["headers"]),
              put(api, patient, "allergies", EXAMPLES["allergies"], espace=other["espace_id"]),
              api.http.get(f"/espaces/{other['espace_id']}/measurements", headers=patient["headers"]),
              api.http.post(f"/espaces/{other['espace_id']}/measurements", headers=patient["headers"],
                            body=json.dumps({"type": "weight", "measured_at": "2026-03-01T08:00:00Z", "value": 70}))):
        assert r.status_code == 404 and r.json_body["code"] == "not_found"
    assert api.http.get("/espaces/me/profile", headers=other["headers"]).json_body["allergies"] is None


def post_measurement(api, who, **body):
    return api.http.post("/espaces/me/measurements", headers=who["headers"], body=json.dumps(body))


def test_measurements_are_appended_never_duplicated_nor_overwritten(api, patient):
    body = {"type": "weight", "measured_at": "2026-03-01T08:00:00Z", "value": 72.4}
    first = post_measurement(api, patient, **body)
    assert first.status_code == 201, first.body
    assert first.json_body["unit"] == "kg" and first.json_body["value"] == 72.4
    retry = post_measurement(api, patient, **body)
    assert retry.status_code == 201 and retry.json_body == first.json_body
    other = post_measurement(api, patient, **{**body, "value": 80})
    assert other.status_code == 409 and other.json_body["code"] == "state_conflict"
    items = api.http.get("/espaces/me/measurements", headers=patient["headers"]).json_body["items"]
    assert [(m["type"], m["value"]) for m in items] == [("weight", 72.4)]


def test_hba1c_is_a_series_in_percent_with_one_decimal(api, patient):
    """BR-19: HbA1c (glycated haemoglobin) is a measurement type of its own, in % of haemoglobin."""
    r = post_measurement(api, patient, type="hba1c", measured_at="2026-02-01T08:00:00Z", value=6.14)
    assert r.status_code == 201, r.body
    assert (r.json_body["type"], r.json_body["value"], r.json_body["unit"]) == ("hba1c", 6.1, "%")
    assert post_measurement(api, patient, type="hba1c", measured_at="2026-03-01T08:00:00Z", value=7,
                            unit="%").status_code == 201
    # an IFCC value (mmol/mol) is out of range; another unit is refused
    ifcc = post_measurement(api, patient, type="hba1c", measured_at="2026-03-01T09:00:00Z", value=43)
    assert (ifcc.status_code, ifcc.json_body["field"]) == (400, "value")
    assert "hémoglobine glyquée" in ifcc.json_body["detail"]
    unit = post_measurement(api, patient, type="hba1c", measured_at="2026-03-01T09:00:00Z", value=6, unit="mmol/mol")
    assert (unit.status_code, unit.json_body["field"]) == (400, "unit")
    items = api.http.get("/espaces/me/measurements?type=hba1c", headers=patient["headers"]).json_body["items"]
    assert [(m["measured_at"], m["value"], m["unit"]) for m in items] == [
        ("2026-03-01T08:00:00Z", 7, "%"), ("2026-02-01T08:00:00Z", 6.1, "%")]


@pytest.mark.parametrize(("body", "field"), [
    ({"type": "weight", "measured_at": "2026-03-01T08:00:00Z", "value": 72000}, "value"),
    ({"type": "temperature", "measured_at": "2026-03-01T08:00:00Z", "value": 51}, "value"),
    ({"type": "blood_pressure", "measured_at": "2026-03-01T08:00:00Z", "systolic": 80, "diastolic": 120}, "diastolic"),
    ({"type": "glycemia", "measured_at": "2026-03-01T08:00:00Z", "value": 5.5, "unit": "mmol/L"}, "unit"),
    ({"type": "weight", "measured_at": "2026-03-09T08:00:00Z", "value": 70}, "measured_at"),
    ({"type": "mood", "measured_at": "2026-03-01T08:00:00Z", "value": 3}, "type"),
    ({"type": "weight", "measured_at": "2026-03-01T08:00:00Z", "value": 70, "bmi": 22}, "bmi"),
])
def test_out_of_range_or_malformed_measurements_are_refused(api, patient, body, field):
    r = post_measurement(api, patient, **body)
    assert r.status_code == 400 and r.json_body["code"] == "validation_error", r.body
    assert r.json_body["field"] == field


def test_measurements_by_type_and_period_newest_first_with_pagination(api, aws, clock, patient):
    start = clock() - timedelta(days=30)
    for day in range(30):
        at = (start + timedelta(days=day)).strftime("%Y-%m-%dT%H:%M:%SZ")
        assert post_measurement(api, patient, type="weight", measured_at=at, value=70 + day / 10).status_code == 201
        if day % 3 == 0:
            assert post_measurement(api, patient, type="blood_pressure", measured_at=at, systolic=120 + day,
                                    diastolic=80).status_code == 201
    h = patient["headers"]
    weights, cursor = [], None
    while True:
        url = "/espaces/me/measurements?type=weight&from=2026-02-10&to=2026-02-24&limit=4"
        r = api.http.get(url + (f"&cursor={cursor}" if cursor else ""), headers=h)
        assert r.status_code == 200, r.body
        assert len(r.json_body["items"]) <= 4
        weights += r.json_body["items"]
        cursor = r.json_body["next_cursor"]
        if not cursor:
            break
    days = [m["measured_at"][:10] for m in weights]
    assert days == sorted(days, reverse=True) and days[0] == "2026-02-24" and days[-1] == "2026-02-10"
    assert len(days) == 15 and {m["type"] for m in weights} == {"weight"}

    every = api.http.get("/espaces/me/measurements?from=2026-02-27&limit=100", headers=h).json_body["items"]
    assert [(m["measured_at"][:10], m["type"]) for m in every] == [
        ("2026-03-01", "weight"), ("2026-02-28", "weight"), ("2026-02-27", "weight"), ("2026-02-27", "blood_pressure")]
    assert every[3]["systolic"] == 147 and every[3]["diastolic"] == 80 and every[3]["unit"] == "mmHg"

    # a cursor of one search does not serve another (DynamoDB would fail: refused as invalid)
    page = api.http.get("/espaces/me/measurements?type=weight&limit=2", headers=h).json_body
    r = api.http.get(f"/espaces/me/measurements?type=blood_pressure&cursor={page['next_cursor']}", headers=h)
    assert r.status_code == 400 and r.json_body["field"] == "cursor"
    r = api.http.get("/espaces/me/measurements?from=2026-03-01&to=2026-02-01", headers=h)
    assert r.status_code == 400 and r.json_body["field"] == "to"
    r = api.http.get("/espaces/me/measurements?limit=101", headers=h)
    assert r.status_code == 400 and r.json_body["field"] == "limit"


def test_a_measurement_page_is_one_dynamodb_query(api, patient, clock):
    for i in range(30):
        at = (clock() - timedelta(hours=i)).strftime("%Y-%m-%dT%H:%M:%SZ")
        post_measurement(api, patient, type="heart_rate", measured_at=at, value=60 + i)
    for url in ("/espaces/me/measurements?type=heart_rate&limit=20", "/espaces/me/measurements?limit=20"):
        with awscount.counting() as counter:
            page = api.http.get(url, headers=patient["headers"]).json_body
        assert len(page["items"]) == 20 and page["next_cursor"]
        assert counter.requests["dynamodb.Query"] == 1
        assert counter.by_service("dynamodb") == 2  # + the token revocation check; nothing per item
    with awscount.counting() as counter:
        api.http.get("/espaces/me/profile", headers=patient["headers"])
    assert counter.requests["dynamodb.Query"] == 1


def fill_profile(api, patient):
    for section, body in EXAMPLES.items():
        assert put(api, patient, section, body).status_code == 200


def test_a_professional_sees_exactly_the_br20_sections_and_the_read_is_logged(api, aws, clock, psc, patient):
    """BR-20: vaccinations, advance directives, trusted person, emergency contacts — nothing else."""
    fill_profile(api, patient)
    ins = patient["row"]["nir"]
    doctor = pro_headers(psc, clock, DOCTOR, "10", structure="750712184")
    assert api.http.post(f"/pro/patients/{ins}/authorisations", headers=doctor,
                         body=json.dumps({"basis": "consent"})).status_code == 201
    r = api.http.get(f"/pro/patients/{ins}/profile", headers=doctor)
    assert r.status_code == 200, r.body
    assert set(r.json_body) == set(PROFESSIONAL_SECTIONS) == {
        "vaccinations", "advance_directives", "trusted_person", "emergency_contacts"}
    assert not set(r.json_body) & set(HOLDER_ONLY_SECTIONS)
    assert r.json_body["vaccinations"] == EXAMPLES["vaccinations"]
    assert r.json_body["trusted_person"]["last_name"] == "Durand"
    assert r.json_body["advance_directives"]["kept_by"] == "mon notaire"
    assert "Pénicilline" not in r.body.decode() and "AB" not in json.dumps(r.json_body)

    log = api.http.get("/espaces/me/access-log", headers=patient["headers"]).json_body["items"]
    assert [(e["action"], e["decision"], e["rpps"], e["mode"]) for e in log][0] == (
        "profile", "allowed", DOCTOR, "authorisation")
    assert sum(1 for e in log if e["action"] == "profile") == 1


def test_the_matrix_applies_to_the_sections_mirroring_a_document_category(api, psc, clock, patient):
    """A dentist may not read DIR_ANT documents (BR-29): nor the advance directives section."""
    fill_profile(api, patient)
    ins = patient["row"]["nir"]
    dentist = pro_headers(psc, clock, DENTIST, "40")
    api.http.post(f"/pro/patients/{ins}/authorisations", headers=dentist, body=json.dumps({"basis": "consent"}))
    body = api.http.get(f"/pro/patients/{ins}/profile", headers=dentist).json_body
    assert set(body) == set(PROFESSIONAL_SECTIONS)
    assert body["advance_directives"] is None and body["vaccinations"] == EXAMPLES["vaccinations"]


def test_professional_refusals_follow_the_document_policy_and_are_logged(api, aws, clock, psc, patient):
    fill_profile(api, patient)
    ins = patient["row"]["nir"]
    nurse = pro_headers(psc, clock, NURSE, "60")
    r = api.http.get(f"/pro/patients/{ins}/profile", headers=nurse)
    assert r.status_code == 403 and r.json_body["code"] == "forbidden"
    assert api.http.post(f"/pro/patients/{ins}/authorisations", headers=nurse,
                         body=json.dumps({"basis": "consent"})).status_code == 201
    assert api.http.get(f"/pro/patients/{ins}/profile", headers=nurse).status_code == 200
    assert api.http.put(f"/espaces/me/blocks/{NURSE}", headers=patient["headers"]).status_code == 204
    r = api.http.get(f"/pro/patients/{ins}/profile", headers=nurse)
    assert r.status_code == 403 and r.json_body["code"] == "blocked"
    # the occupational physician: only with the express occupational consent (BR-33)
    occupational = pro_headers(psc, clock, OCCUPATIONAL, "10", occupational=True)
    assert api.http.get(f"/pro/patients/{ins}/profile", headers=occupational).status_code == 403
    # emergency access (BR-34) opens the BR-20 sections (trusted person, emergency contacts…)
    sos = pro_headers(psc, clock, REGULATOR, "10")
    assert api.http.post(f"/pro/patients/{ins}/emergency-access", headers=sos, body=json.dumps(
        {"mode": "samu", "reason": "Patient inconscient, recherche des contacts"})).status_code == 201
    r = api.http.get(f"/pro/patients/{ins}/profile", headers=sos)
    assert r.status_code == 200 and r.json_body["emergency_contacts"] == EXAMPLES["emergency_contacts"]
    log = api.http.get("/espaces/me/access-log?limit=100", headers=patient["headers"]).json_body["items"]
    decisions = [(e["rpps"], e["decision"], e["mode"]) for e in log if e["action"] == "profile"]
    assert decisions == [(REGULATOR, "allowed", "samu"), (OCCUPATIONAL, "refused:forbidden", None),
                         (NURSE, "refused:blocked", None), (NURSE, "allowed", "authorisation"),
                         (NURSE, "refused:forbidden", None)]
    # unknown patient: 404, like the documents
    from tests.fakes import make_nir
    unknown = make_nir(1, date(1950, 1, 1), "75")
    remember(unknown)
    r = api.http.get(f"/pro/patients/{unknown}/profile", headers=sos)
    assert r.status_code == 404 and r.json_body["code"] == "not_found"


def test_a_guardian_manages_the_child_profile(api, aws, clock):
    """BR-16: the child's espace is reached by its id from the guardian's login, nobody else's."""
    parent = flows.people(1, seed=93, department="44")[0]
    child = flows.people(1, seed=94, department="44")[0]
    child.update(email="", address="", first_name="Léo", guardian_nir=parent["nir"],
                 guardian_birth_date=parent["birth_date"])
    parent["email"] = "parent.profil@example.org"
    flows.population(aws, [parent])
    guardian = flows.holder(api, aws, clock, seed=93, email="parent.profil@example.org", login="parent.profil")
    flows.population(aws, [child])
    child_id = api.http.get("/espaces/me", headers=guardian["headers"]).json_body["children"][0]["id"]
    assert put(api, guardian, "vaccinations", EXAMPLES["vaccinations"], espace=child_id).status_code == 200
    r = api.http.post(f"/espaces/{child_id}/measurements", headers=guardian["headers"],
                      body=json.dumps({"type": "height", "measured_at": "2026-03-01T10:00:00Z", "value": 98.5}))
    assert r.status_code == 201 and r.json_body["unit"] == "cm"
    assert api.http.get(f"/espaces/{child_id}/profile", headers=guardian["headers"]).json_body[
        "vaccinations"] == EXAMPLES["vaccinations"]
    assert api.http.get("/espaces/me/profile", headers=guardian["headers"]).json_body["vaccinations"] is None
    assert aws.profiles.export_espace(child_id)["measurements"][0]["value"] == 98.5
