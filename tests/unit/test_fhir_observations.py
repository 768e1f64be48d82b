"""PCH-01's reading of Observations (mes.adapters.fhir.observations): LOINC/UCUM to the JSON API's
measurement requests, glucose converted to g/L, HbA1c in %, BMI refused, malformed entries 400."""

from __future__ import annotations

import pytest

from mes.adapters.fhir import observations as o
from mes.domain.errors import ValidationError

NIR = "269054958815780"


def observation(loinc, **extra):
    return {"resourceType": "Observation", "status": "final",
            "code": {"coding": [{"system": "http://loinc.org", "code": loinc}]},
            "subject": {"identifier": {"system": "urn:oid:1.2.250.1.213.1.4.8", "value": NIR}},
            "effectiveDateTime": "2026-03-01T08:00:00Z", **extra}


def quantity(value, code):
    return {"valueQuantity": {"value": value, "system": o.UCUM, "code": code}}


@pytest.mark.parametrize(("loinc", "value", "unit", "expected"), [
    ("2345-7", 95, "mg/dL", ("glycemia", 0.95)), ("2345-7", 5.5, "mmol/L", ("glycemia", 0.9911)),
    ("2345-7", 1.1, "g/L", ("glycemia", 1.1)), ("29463-7", 70.5, "kg", ("weight", 70.5)),
    ("8302-2", 175, "cm", ("height", 175)), ("8310-5", 37.2, "Cel", ("temperature", 37.2)),
    ("8867-4", 70, "/min", ("heart_rate", 70)), ("4548-4", 6.1, "%", ("hba1c", 6.1))])
def test_loinc_and_ucum_map_to_the_json_api(loinc, value, unit, expected):
    nir, data = o.observation(observation(loinc, **quantity(value, unit)), "r")
    assert nir == NIR and (data["type"], data["value"]) == expected


def test_blood_pressure_components():
    mm = "mm[Hg]"
    comps = [{"code": {"coding": [{"system": "http://loinc.org", "code": c}]},
              "valueQuantity": {"value": v, "system": o.UCUM, "code": mm}} for c, v in (("8480-6", 120), ("8462-4", 80))]
    assert o.observation(observation("85354-9", component=comps), "r")[1] == {
        "measured_at": "2026-03-01T08:00:00Z", "type": "blood_pressure", "systolic": 120, "diastolic": 80}
    with pytest.raises(ValidationError):
        o.observation(observation("85354-9", component=comps[:1]), "r")
    with pytest.raises(ValidationError):
        o.observation(observation("85354-9", component=7), "r")


@pytest.mark.parametrize("loinc", ["39156-5", "1234-5"])
def test_bmi_and_unknown_codes_are_refused(loinc):
    with pytest.raises(o.UnsupportedMeasurement):
        o.observation(observation(loinc, **quantity(22, "kg/m2")), "r")


@pytest.mark.parametrize("unit", ["mmol/mol", "g/L", "1"])
def test_hba1c_in_another_unit_than_percent_is_400(unit):
    """FHIR.md §2 (JDV-J163): HbA1c only in %; an IFCC mmol/mol value is not converted."""
    with pytest.raises(ValidationError) as e:
        o.observation(observation("4548-4", **quantity(43, unit)), "r")
    assert e.value.field == "r.valueQuantity" and "unité : %" in e.value.detail


@pytest.mark.parametrize("bad", [{"status": "cancelled"}, {"subject": {"reference": "Patient/1"}},
                                 {"effectiveDateTime": None}, quantity(70, "g"), quantity("70", "kg")])
def test_malformed_observations_are_400(bad):
    with pytest.raises(ValidationError):
        o.observation({**observation("29463-7", **quantity(70, "kg")), **bad}, "r")


def test_dispatch_and_one_patient_per_transaction():
    entry = {"resource": observation("29463-7", **quantity(70, "kg")), "request": {"method": "POST", "url": "Observation"}}
    assert o.is_measurements({"entry": [entry]})
    assert not o.is_measurements({"entry": [{"resource": {"resourceType": "DocumentReference"}}]})
    other = {**entry, "resource": {**entry["resource"], "subject": {"identifier": {
        "system": "urn:oid:1.2.250.1.213.1.4.8", "value": "180017512345608"}}}}
    with pytest.raises(ValidationError):
        o.parse_transaction({"resourceType": "Bundle", "type": "transaction", "entry": [entry, other]})
