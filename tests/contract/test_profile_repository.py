"""Contract: FakeProfileRepository (tests/fakes.py) and DynamoProfileRepository (moto, the table
built from template.yaml) behave the same — sections, measurements, pagination, and the two
methods that closure/deletion and export use: purge_espace and export_espace."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from mes.domain.errors import ValidationError
from mes.domain.measurements import new_measurement
from tests.fakes import FakeProfileRepository

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture(params=["fake", "dynamo"])
def repo(request):
    if request.param == "fake":
        return FakeProfileRepository()
    return request.getfixturevalue("aws").profiles


def weight(espace_id: str, hours_ago: int, value: float = 70.0):
    at = (NOW - timedelta(hours=hours_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return new_measurement(espace_id, {"type": "weight", "measured_at": at, "value": value}, NOW)


def pressure(espace_id: str, hours_ago: int):
    at = (NOW - timedelta(hours=hours_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return new_measurement(espace_id, {"type": "blood_pressure", "measured_at": at, "systolic": 130,
                                       "diastolic": 85}, NOW)


def all_pages(repo, espace_id, limit, **search):
    items, cursor = [], None
    for _ in range(50):
        page = repo.measurements(espace_id, limit=limit, cursor=cursor, **search)
        assert len(page.items) <= limit
        items += page.items
        cursor = page.next_key
        if cursor is None:
            return items
    raise AssertionError("pagination never ends")


class TestProfileRepositoryContract:
    def test_a_section_is_replaced_whole_and_read_with_the_others(self, repo):
        repo.put_section("esp-a", "allergies", {"items": [{"substance": "Arachide", "severity": "severe"}]}, NOW)
        repo.put_section("esp-a", "allergies", {"items": []}, NOW)
        repo.put_section("esp-a", "blood_group", {"abo": "O", "rh": "+"}, NOW)
        repo.put_section("esp-b", "blood_group", {"abo": "A", "rh": "-"}, NOW)
        assert repo.sections("esp-a") == {"allergies": {"items": []}, "blood_group": {"abo": "O", "rh": "+"}}
        assert repo.some_sections("esp-a", ["blood_group", "vaccinations"]) == {"blood_group": {"abo": "O", "rh": "+"}}
        assert repo.sections("esp-none") == {}

    def test_a_measurement_is_appended_once_and_never_overwritten(self, repo):
        first = weight("esp-a", 1, 70.5)
        stored, created = repo.add_measurement(first)
        assert created and stored == first
        again, created = repo.add_measurement(weight("esp-a", 1, 99.0))
        assert not created and again.value == 70.5 and again.measured_at == first.measured_at
        assert [m.value for m in all_pages(repo, "esp-a", 10, type_="weight", start=None, end=None)] == [70.5]

    def test_pages_are_newest_first_by_type_and_period_and_for_all_types(self, repo):
        for h in range(12):
            repo.add_measurement(weight("esp-a", h, 60 + h))
            if h % 4 == 0:
                repo.add_measurement(pressure("esp-a", h))
        repo.add_measurement(weight("esp-b", 0, 99))
        weights = all_pages(repo, "esp-a", 5, type_="weight", start=None, end=None)
        assert [m.value for m in weights] == [60.0 + h for h in range(12)]
        window = all_pages(repo, "esp-a", 3, type_="weight", start=NOW - timedelta(hours=6),
                           end=NOW - timedelta(hours=2))
        assert [m.value for m in window] == [62.0, 63.0, 64.0, 65.0, 66.0]
        every = all_pages(repo, "esp-a", 4, type_=None, start=NOW - timedelta(hours=4), end=None)
        assert [(m.type, round(m.value or m.systolic)) for m in every] == [
            ("weight", 60), ("blood_pressure", 130), ("weight", 61), ("weight", 62), ("weight", 63), ("weight", 64),
            ("blood_pressure", 130)]
        assert every[1].systolic == 130 and every[1].diastolic == 85 and every[1].unit == "mmHg"

    def test_a_cursor_serves_only_its_own_search(self, repo):
        for h in range(4):
            repo.add_measurement(weight("esp-a", h))
            repo.add_measurement(pressure("esp-a", h))
        page = repo.measurements("esp-a", type_="weight", start=None, end=None, limit=2, cursor=None)
        with pytest.raises(ValidationError):
            repo.measurements("esp-a", type_="blood_pressure", start=None, end=None, limit=2, cursor=page.next_key)
        with pytest.raises(ValidationError):
            repo.measurements("esp-a", type_="weight", start=None, end=None, limit=2, cursor="not-a-cursor")

    def test_export_holds_every_section_and_measurement_and_is_json(self, repo):
        repo.put_section("esp-a", "vaccinations", {"items": [{"vaccine": "Revaxis", "diseases": ["tétanos"],
                                                              "date": "2024-01-01"}]}, NOW)
        repo.put_section("esp-a", "lifestyle", {"tobacco": "never"}, NOW)
        repo.add_measurement(weight("esp-a", 1, 71.25))
        repo.add_measurement(pressure("esp-a", 2))
        repo.add_measurement(weight("esp-b", 1))
        exported = repo.export_espace("esp-a")
        assert json.loads(json.dumps(exported, ensure_ascii=False)) == exported
        assert exported["sections"] == {"vaccinations": {"items": [{"vaccine": "Revaxis", "diseases": ["tétanos"],
                                                                    "date": "2024-01-01"}]},
                                        "lifestyle": {"tobacco": "never"}}
        assert [(m["type"], m["measured_at"]) for m in exported["measurements"]] == [
            ("blood_pressure", "2026-03-02T07:00:00Z"), ("weight", "2026-03-02T08:00:00Z")]
        assert exported["measurements"][1]["value"] == 71.25 and exported["measurements"][1]["unit"] == "kg"
        assert repo.export_espace("esp-none") == {"sections": {}, "measurements": []}

    def test_purge_deletes_everything_of_one_espace_only_and_is_idempotent(self, repo):
        for name in ("allergies", "trusted_person"):
            repo.put_section("esp-a", name, {}, NOW)
        for h in range(30):  # more than one BatchWriteItem (25 per request)
            repo.add_measurement(weight("esp-a", h))
        repo.put_section("esp-b", "allergies", {"items": []}, NOW)
        repo.add_measurement(weight("esp-b", 1))
        assert repo.purge_espace("esp-a") == 32
        assert repo.purge_espace("esp-a") == 0
        assert repo.export_espace("esp-a") == {"sections": {}, "measurements": []}
        assert repo.sections("esp-b") == {"allergies": {"items": []}}
        assert len(repo.export_espace("esp-b")["measurements"]) == 1


def test_on_dynamodb_purge_is_one_query_and_batch_writes_never_a_scan(aws):
    from mes_instrument import awscount
    repo = aws.profiles
    for h in range(30):
        repo.add_measurement(weight("esp-a", h))
    repo.put_section("esp-a", "allergies", {"items": []}, NOW)
    with awscount.counting() as counter:
        assert repo.purge_espace("esp-a") == 31
    assert counter.requests["dynamodb.Query"] == 1
    assert counter.requests["dynamodb.BatchWriteItem"] == 2  # 25 + 6
    assert counter.requests["dynamodb.Scan"] == 0 and counter.requests["dynamodb.DeleteItem"] == 0
