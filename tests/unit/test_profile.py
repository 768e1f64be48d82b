"""Medical profile rules with fakes and a frozen clock (BR-19, BR-20): sections validation,
measurement units and physiological ranges, the holder's use cases, the BR-20 partition."""

from __future__ import annotations

from datetime import timedelta

import pytest

from mes.domain import measurements as m
from mes.domain import profile as p
from mes.domain.access import matrix
from mes.domain.errors import NotFound, StateConflict, ValidationError
from mes.services import profile as service
from mes.services.population import import_population
from tests.fakes import FakeProfileRepository, person, rows

PARENT, OTHER = person(1), person(3)
CHILD = person(2, guardian=PARENT)


@pytest.fixture
def family(system, clock):
    import_population(rows(PARENT, CHILD, OTHER), repo=system.repo, keys=system.keys, now=clock())
    return {e.first_name: e.espace_id for e in system.repo.items.values()}


@pytest.fixture
def deps(system):
    return service.ProfileDeps(espaces=system.repo, profiles=FakeProfileRepository())


# --- BR-20 ---------------------------------------------------------------------------------------
def test_br20_professionals_see_exactly_four_sections_and_every_other_is_holder_only():
    assert set(p.PROFESSIONAL_SECTIONS) == {"vaccinations", "advance_directives", "trusted_person",
                                            "emergency_contacts"}
    assert set(p.HOLDER_ONLY_SECTIONS) == set(p.SECTIONS) - set(p.PROFESSIONAL_SECTIONS)
    assert {"conditions", "allergies", "treatments", "blood_group", "lifestyle", "care_team"} <= set(
        p.HOLDER_ONLY_SECTIONS)


@pytest.mark.parametrize("profession", sorted(matrix()))
def test_br20_x_br29_directives_and_vaccinations_follow_the_document_matrix(profession):
    shown = p.professional_sections(matrix()[profession])
    assert set(shown) == set(p.PROFESSIONAL_SECTIONS)
    assert shown["trusted_person"] and shown["emergency_contacts"]
    assert shown["vaccinations"] == ("CAR_VAC" in matrix()[profession])
    assert shown["advance_directives"] == ("DIR_ANT" in matrix()[profession])


# --- sections ------------------------------------------------------------------------------------
def test_section_names_are_snake_case_and_unknown_ones_are_not_found():
    assert all(name.islower() and " " not in name for name in p.SECTIONS)
    with pytest.raises(NotFound):
        p.section_model("horoscope")


def test_a_vaccination_records_the_vaccine_and_the_diseases(clock):
    today = clock().date()
    stored = p.validate_section("vaccinations", {"items": [
        {"vaccine": "  Revaxis ", "diseases": ["diphtérie", "tétanos"], "date": "2024-09-15"}]}, today)
    assert stored == {"items": [{"vaccine": "Revaxis", "diseases": ["diphtérie", "tétanos"], "date": "2024-09-15"}]}
    with pytest.raises(ValidationError) as e:
        p.validate_section("vaccinations", {"items": [{"vaccine": "Revaxis", "diseases": [], "date": "2024-09-15"}]},
                           today)
    assert e.value.field == "items.0.diseases" and "1 élément" in e.value.detail


def test_a_vaccination_needs_only_the_diseases_and_a_date_to_the_year_month_or_day(clock):
    """BR-19 (seeds): people remember the disease, not the vaccine's name, and often only the year."""
    today = clock().date()  # 2026-03-02
    items = [{"diseases": ["tétanos"], "date": "2019"}, {"diseases": ["grippe"], "date": "2026-03"},
             {"diseases": ["rougeole", "oreillons", "rubéole"], "date": "1998-05"},
             {"vaccine": "Revaxis", "diseases": ["diphtérie"], "date": "2026-03-02"},
             {"diseases": ["hépatite B"], "date": "2026"}, {"diseases": ["coqueluche"], "date": " 2020-02-29 "}]
    stored = p.validate_section("vaccinations", {"items": items}, today)
    assert [i["date"] for i in stored["items"]] == ["2019", "2026-03", "1998-05", "2026-03-02", "2026", "2020-02-29"]
    assert "vaccine" not in stored["items"][0]
    assert p.read_section("vaccinations", stored).items[0].date == "2019"  # read back as stored


@pytest.mark.parametrize(("date", "words"), [
    ("2027", "futur"), ("2026-04", "futur"), ("2026-03-03", "futur"),
    ("2019-13", "n'existe pas"), ("2019-02-29", "n'existe pas"), ("2019-04-31", "n'existe pas"),
    ("1899", "1900"), ("19", "AAAA, AAAA-MM ou AAAA-MM-JJ"), ("2019-5", "AAAA, AAAA-MM ou AAAA-MM-JJ"),
    ("15/05/2019", "AAAA, AAAA-MM ou AAAA-MM-JJ"), (2019, "chaîne de caractères"),
])
def test_a_vaccination_date_is_a_real_past_date_to_its_precision(clock, date, words):
    with pytest.raises(ValidationError) as e:
        p.validate_section("vaccinations", {"items": [{"diseases": ["tétanos"], "date": date}]}, clock().date())
    assert e.value.field == "items.0.date" and words in e.value.detail, e.value.detail


def test_an_allergy_severity_is_optional_and_unknown_by_default(clock):
    today = clock().date()
    stored = p.validate_section("allergies", {"items": [{"substance": "Latex"},
                                                        {"substance": "Arachide", "severity": "unknown"},
                                                        {"substance": "Iode", "severity": "severe"}]}, today)
    assert [i["severity"] for i in stored["items"]] == ["unknown", "unknown", "severe"]


@pytest.mark.parametrize(("section", "data", "field", "words"), [
    ("blood_group", {"abo": "A", "rh": "positif"}, "rh", "valeurs possibles"),
    ("blood_group", {"rh": "+"}, "body", "groupe ABO"),
    ("allergies", {"items": [{"substance": "Latex", "severity": "fatal"}]}, "items.0.severity", "valeurs possibles"),
    ("lifestyle", {"alcohol": "beaucoup"}, "alcohol", "valeurs possibles"),
    ("lifestyle", {"tobacco_pack_years": -1}, "tobacco_pack_years", "supérieur ou égal"),
    ("hospitalisations", {"items": [{"reason": "Fracture", "start_date": "2026-03-03"}]}, "items.0.start_date",
     "futur"),
    ("hospitalisations", {"items": [{"reason": "Fracture", "start_date": "2020-03-03", "end_date": "2020-03-01"}]},
     "items.0", "fin précède"),
    ("conditions", {"items": [{"name": "Asthme", "cim10": "asthme"}]}, "items.0.cim10", "Format invalide"),
    ("conditions", {"items": [{"name": "x"}] * 101}, "items", "100 éléments"),
    ("trusted_person", {"phone": "0612345678"}, "body", "prénom et le nom"),
    ("emergency_contacts", {"items": [{"first_name": "A", "last_name": "B", "phone": "abc"}]}, "items.0.phone",
     "Format invalide"),
    ("care_team", {"referring_doctor": {"name": "Dr X", "rpps": "123"}}, "referring_doctor.rpps", "Format invalide"),
    ("family_history", {"items": [{"relative": "neighbour", "condition": "Diabète"}]}, "items.0.relative",
     "valeurs possibles"),
    ("advance_directives", {"written": True, "text": "x" * 8001}, "text", "8000 caractères"),
    ("allergies", {"items": [{"substance": "Latex", "severity": "mild", "color": "red"}]}, "items.0.color",
     "Champ inconnu"),
])
def test_invalid_sections_give_the_field_and_a_french_detail(clock, section, data, field, words):
    with pytest.raises(ValidationError) as e:
        p.validate_section(section, data, clock().date())
    assert e.value.field == field and words in e.value.detail, e.value.detail
    assert e.value.code == "validation_error"


def test_a_planned_treatment_end_may_be_in_the_future_other_dates_may_not(clock):
    today = clock().date()
    later = (today + timedelta(days=30)).isoformat()
    p.validate_section("treatments", {"items": [{"name": "Levothyrox", "end_date": later}]}, today)
    with pytest.raises(ValidationError):
        p.validate_section("treatments", {"items": [{"name": "Levothyrox", "start_date": later}]}, today)


def test_empty_bodies_empty_a_section(clock):
    for name in ("trusted_person", "blood_group", "lifestyle", "advance_directives", "care_team"):
        assert p.validate_section(name, {}, clock().date()) in ({}, {"written": False}, {"sports": []},
                                                                      {"members": []})


# --- measurements ----------------------------------------------------------------------------------
def reading(now, **data):
    return m.new_measurement("esp", {"measured_at": "2026-03-02T08:00:00Z", **data}, now)


@pytest.mark.parametrize(("type_", "value", "unit"), [
    ("weight", 72.456, "kg"), ("height", 178.04, "cm"), ("glycemia", 0.95, "g/L"), ("temperature", 38.55, "°C"),
    ("heart_rate", 61.6, "bpm"), ("oxygen_saturation", 97, "%"), ("hba1c", 6.14, "%"), ("hba1c", 2, "%"),
    ("hba1c", 20, "%"),
])
def test_each_type_has_its_unit_and_keeps_its_precision(clock, type_, value, unit):
    got = reading(clock(), type=type_, value=value)
    assert got.unit == unit and got.value == round(value, m.KINDS[type_].decimals)
    assert reading(clock(), type=type_, value=value, unit=unit).unit == unit


@pytest.mark.parametrize(("data", "field", "words"), [
    ({"type": "weight", "value": 0.2}, "value", "Le poids est hors des valeurs physiologiques (0,3 à 500 kg)"),
    ({"type": "weight", "value": 72000}, "value", "hors des valeurs physiologiques"),
    ({"type": "height", "value": 1.78}, "value", "La taille"),
    ({"type": "temperature", "value": 98.6}, "value", "température"),
    ({"type": "heart_rate", "value": 300}, "value", "fréquence cardiaque"),
    ({"type": "glycemia", "value": 5.5, "unit": "mmol/L"}, "unit", "« g/L »"),
    ({"type": "glycemia", "value": 55}, "value", "glycémie"),
    ({"type": "oxygen_saturation", "value": 101}, "value", "saturation"),
    ({"type": "hba1c", "value": 43}, "value", "L'hémoglobine glyquée (HbA1c) est hors des valeurs physiologiques "
                                             "(2 à 20 %)"),  # an IFCC value in mmol/mol
    ({"type": "hba1c", "value": 0.061}, "value", "hémoglobine glyquée"),  # a fraction
    ({"type": "hba1c", "value": 1.9}, "value", "hémoglobine glyquée"),
    ({"type": "hba1c", "value": 6.1, "unit": "mmol/mol"}, "unit", "« % »"),
    ({"type": "weight", "value": "70"}, "value", "un nombre"),
    ({"type": "weight", "value": True}, "value", "un nombre"),
    ({"type": "weight"}, "value", "manquant"),
    ({"type": "weight", "value": 70, "systolic": 120}, "systolic", "pression artérielle"),
    ({"type": "blood_pressure", "systolic": 120}, "diastolic", "manquant"),
    ({"type": "blood_pressure", "systolic": 350, "diastolic": 80}, "systolic", "systolique"),
    ({"type": "blood_pressure", "systolic": 120, "diastolic": 10}, "diastolic", "diastolique"),
    ({"type": "blood_pressure", "systolic": 90, "diastolic": 90}, "diastolic", "inférieure"),
    ({"type": "blood_pressure", "value": 120, "systolic": 120, "diastolic": 80}, "value", "systolic"),
    ({"type": "steps", "value": 1000}, "type", "inconnu"),
    ({"type": "weight", "value": 70, "note": "x" * 501}, "note", "500 caractères"),
])
def test_out_of_range_or_inconsistent_measurements_are_refused_in_french(clock, data, field, words):
    with pytest.raises(ValidationError) as e:
        reading(clock(), **data)
    assert e.value.field == field and words in e.value.detail, e.value.detail


def test_measured_at_is_iso_with_a_zone_not_in_the_future_and_kept_to_the_second(clock):
    now = clock()
    got = m.new_measurement("esp", {"type": "weight", "value": 70, "measured_at": "2026-03-02T10:04:59.900+01:00"},
                            now)
    assert got.measured_at.isoformat() == "2026-03-02T09:04:59+00:00"  # within the 5-minute skew
    for bad, words in (("2026-03-02T09:06:00Z", "futur"), ("2026-03-02T08:00:00", "fuseau"), ("hier", "ISO 8601"),
                       ("1899-12-31T00:00:00Z", "1900")):
        with pytest.raises(ValidationError) as e:
            m.new_measurement("esp", {"type": "weight", "value": 70, "measured_at": bad}, now)
        assert e.value.field == "measured_at" and words in e.value.detail


def test_period_takes_dates_or_times_and_whole_days(clock):
    lo, hi = m.period("2026-02-01", "2026-02-28")
    assert lo.isoformat() == "2026-02-01T00:00:00+00:00" and hi.isoformat() == "2026-02-28T23:59:59+00:00"
    with pytest.raises(ValidationError) as e:
        m.period("2026-03-01", "2026-02-01")
    assert e.value.field == "to"


# --- use cases with fakes ------------------------------------------------------------------------
def test_holder_replaces_and_reads_sections_of_own_and_childs_espace(deps, family, clock):
    parent = {"sub": family["Prenom1"]}
    service.put_section(deps, parent, "me", "blood_group", {"abo": "O", "rh": "-"}, clock())
    service.put_section(deps, parent, family["Prenom2"], "allergies",
                        {"items": [{"substance": "Arachide", "severity": "life_threatening"}]}, clock())
    own = service.get_profile(deps, parent, "me")
    assert set(own) == set(p.SECTIONS) and own["blood_group"] == {"abo": "O", "rh": "-"} and own["allergies"] is None
    child = service.get_profile(deps, parent, family["Prenom2"])
    assert child["allergies"]["items"][0]["severity"] == "life_threatening" and child["blood_group"] is None
    assert deps.profiles.queries == 2  # one read per profile


@pytest.mark.parametrize(("reader", "target"), [("Prenom3", "Prenom1"), ("Prenom3", "Prenom2"), ("Prenom2", "Prenom1")])
def test_someone_elses_profile_and_measurements_are_not_found(deps, family, clock, reader, target):
    claims = {"sub": family[reader]}
    for call in (lambda: service.get_profile(deps, claims, family[target]),
                 lambda: service.put_section(deps, claims, family[target], "allergies", {"items": []}, clock()),
                 lambda: service.add_measurement(deps, claims, family[target], {
                     "type": "weight", "value": 70, "measured_at": "2026-03-01T00:00:00Z"}, clock()),
                 lambda: service.list_measurements(deps, claims, family[target], type_=None, start=None, end=None,
                                                   limit=None, cursor=None)):
        with pytest.raises(NotFound):
            call()
    assert deps.profiles.section_items == {} and deps.profiles.measurement_items == {}


def test_unknown_section_is_not_found_before_anything_is_written(deps, family, clock):
    with pytest.raises(NotFound):
        service.put_section(deps, {"sub": family["Prenom1"]}, "me", "horoscope", {}, clock())
    assert deps.profiles.section_items == {}


def test_a_retried_measurement_answers_the_stored_one_and_another_value_is_a_conflict(deps, family, clock):
    claims = {"sub": family["Prenom1"]}
    body = {"type": "temperature", "value": 38.2, "measured_at": "2026-03-02T07:30:00Z"}
    first = service.add_measurement(deps, claims, "me", body, clock())
    clock.advance(minutes=1)
    again = service.add_measurement(deps, claims, "me", body, clock())
    assert again == first and again.recorded_at == first.recorded_at
    with pytest.raises(StateConflict):
        service.add_measurement(deps, claims, "me", {**body, "value": 39.0}, clock())
    assert len(deps.profiles.measurement_items) == 1


def test_listing_checks_type_period_and_limit_then_reads_once(deps, family, clock):
    claims = {"sub": family["Prenom1"]}
    for h in range(5):
        service.add_measurement(deps, claims, "me", {"type": "heart_rate", "value": 60 + h, "measured_at": (
            clock() - timedelta(hours=h)).strftime("%Y-%m-%dT%H:%M:%SZ")}, clock())
    page = service.list_measurements(deps, claims, "me", type_="heart_rate", start="2026-03-02T06:00:00Z",
                                     end=None, limit=2, cursor=None)
    assert [x.value for x in page.items] == [60, 61] and page.next_key
    assert deps.profiles.queries == 1
    for kwargs, field in (({"type_": "mood"}, "type"), ({"limit": 0}, "limit"), ({"limit": 101}, "limit"),
                          ({"start": "demain"}, "from")):
        args = {"type_": None, "start": None, "end": None, "limit": None, "cursor": None, **kwargs}
        with pytest.raises(ValidationError) as e:
            service.list_measurements(deps, claims, "me", **args)
        assert e.value.field == field
