"""BR-21 rules with fakes: parsing, the two-year window, matching by NIR HMAC, idempotence, reading."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime

import pytest

from mes.domain import reimbursements as rules
from mes.domain.errors import NotFound, ValidationError
from mes.domain.espace import Espace, Status
from mes.domain.keys import Keys
from mes.services.reimbursements import import_reimbursements, list_reimbursements, read_lines
from tests.fakes import MASTER_SECRET, FakeEspaceRepository, make_nir
from tests.fakes_export import FakeReimbursementRepository

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
KEYS = Keys.derive(MASTER_SECRET)
NIR = make_nir(1, date(1980, 5, 4), "44")
CHILD_NIR = make_nir(2, date(2018, 1, 2), "44")


def espace(i: int, nir: str = NIR, birth: date = date(1980, 5, 4), **changes) -> Espace:
    base = Espace(espace_id=f"esp-{i}", nir_hmac=KEYS.nir_hmac(nir), birth_date=birth, vitale_hmac="v",
                  first_name=f"Prenom{i}", last_name="Martin", department="44", status=Status.ACTIVE)
    return dataclasses.replace(base, **changes)


def row(line_id: str, care: str = "2026-02-01", nir: str = NIR, birth: str = "1980-05-04", **kw) -> dict:
    return {"line_id": line_id, "nir": nir, "birth_date": birth, "first_name": "", "care_date": care,
            "act_label": "Consultation", "professional_name": "", "amount_paid": "25", "amount_reimbursed": "17.5",
            **kw}


class CountingEspaces(FakeEspaceRepository):
    def __init__(self) -> None:
        super().__init__()
        self.nir_queries = 0

    def find_by_nir(self, nir_hmac: str) -> list[Espace]:
        self.nir_queries += 1
        return super().find_by_nir(nir_hmac)


@pytest.fixture
def espaces() -> CountingEspaces:
    repo = CountingEspaces()
    repo.add_new([espace(1)])
    return repo


def run(espaces, repo, rows, now=NOW):
    return import_reimbursements(list(enumerate(rows, start=2)), espaces=espaces, repo=repo, keys=KEYS, now=now)


@pytest.mark.parametrize("text,cents", [("25", 2500), ("25.5", 2550), ("25,50", 2550), ("0.07", 7), ("1234567.89",
                                                                                                       123456789)])
def test_amounts_are_cents(text, cents):
    assert rules.parse_amount(text, "amount_paid") == cents
    assert rules.euros(cents) == f"{cents // 100}.{cents % 100:02d}"


@pytest.mark.parametrize("text", ["", "-3", "1.234", "1e3", "abc", "12 000"])
def test_bad_amounts(text):
    with pytest.raises(ValidationError) as exc:
        rules.parse_amount(text, "amount_paid")
    assert exc.value.field == "amount_paid"


def test_two_years_back_from_a_29_february():
    assert rules.history_start(date(2028, 2, 29)) == date(2026, 2, 28)
    assert rules.history_start(date(2026, 3, 2)) == date(2024, 3, 2)


def test_item_ids_are_deterministic_opaque_and_keyed():
    a = rules.reimbursement_id(KEYS.nir, "L-1")
    assert a == rules.reimbursement_id(KEYS.nir, "L-1") != rules.reimbursement_id(KEYS.nir, "L-2")
    assert a != rules.reimbursement_id(Keys.derive("another-master-secret-0123456789abcdef").nir, "L-1")
    assert "L-1" not in a and len(a) == 32


def test_import_is_idempotent_per_line(espaces):
    repo = FakeReimbursementRepository()
    rows = [row(f"L-{i}") for i in range(3)] + [row("L-0")]  # a line repeated in the same file
    first = run(espaces, repo, rows)
    assert (first.imported, first.already_known) == (3, 1)
    again = run(espaces, repo, rows)
    assert (again.imported, again.already_known, len(repo.items)) == (0, 4, 3)


def test_one_index_query_per_distinct_nir(espaces):
    espaces.add_new([espace(2, nir=CHILD_NIR, birth=date(2018, 1, 2), guardian_id="esp-1")])
    repo = FakeReimbursementRepository()
    rows = [row(f"A-{i}") for i in range(50)] + [row(f"C-{i}", nir=CHILD_NIR, birth="2018-01-02") for i in range(50)]
    report = run(espaces, repo, rows)
    assert report.imported == 100 and espaces.nir_queries == 2
    assert {e for e, _ in repo.items} == {"esp-1", "esp-2"}


def test_twins_on_one_card_need_the_first_name(espaces):
    espaces.add_new([espace(3, nir=CHILD_NIR, birth=date(2018, 1, 2), first_name="Léa"),
                     espace(4, nir=CHILD_NIR, birth=date(2018, 1, 2), first_name="Lou")])
    repo = FakeReimbursementRepository()
    report = run(espaces, repo, [row("T-1", nir=CHILD_NIR, birth="2018-01-02"),
                                 row("T-2", nir=CHILD_NIR, birth="2018-01-02", first_name="LOU")])
    assert [(e.line, e.field) for e in report.errors] == [(2, "first_name")]
    assert [e for e, _ in repo.items] == ["esp-4"]


@pytest.mark.parametrize("status", [Status.OPPOSED, Status.CLOSED, Status.PURGED])
def test_no_history_for_opposed_closed_or_purged(status):
    espaces = FakeEspaceRepository()
    espaces.add_new([espace(5, status=status)])
    report = run(espaces, FakeReimbursementRepository(), [row("N-1")])
    assert [(e.line, e.field) for e in report.errors] == [(2, "nir")] and report.imported == 0


def test_window_and_bad_lines(espaces):
    repo = FakeReimbursementRepository()
    report = run(espaces, repo, [row("W-1", care="2024-03-02"), row("W-2", care="2024-03-01"),
                                 row("bad id!"), row("W-4", birth="1980-13-01"), row("W-5", care="2026-03-03")])
    assert (report.imported, report.too_old) == (1, 1)
    assert [(e.line, e.field) for e in report.errors] == [(4, "line_id"), (5, "birth_date"), (6, "care_date")]


def test_reading_the_file_csv_and_json_lines():
    with pytest.raises(ValidationError) as exc:
        read_lines("nir,birth_date\n1,2\n")
    assert exc.value.field == "header"
    csv_rows = read_lines(",".join(rules.COLUMNS) + "\nL-1," + NIR + ",1980-05-04,,2026-01-01,X,,1,1\n")
    assert csv_rows == [(2, {"line_id": "L-1", "nir": NIR, "birth_date": "1980-05-04", "first_name": "",
                             "care_date": "2026-01-01", "act_label": "X", "professional_name": "",
                             "amount_paid": "1", "amount_reimbursed": "1"})]
    jsonl = read_lines('{"line_id": "a", "amount_paid": 12.5}\n\n[1]\nnot json\n', "f.jsonl")
    assert jsonl == [(1, {"line_id": "a", "amount_paid": "12.5"}), (3, None), (4, None)]


def test_the_holder_reads_two_years_at_most_newest_first(espaces):
    repo = FakeReimbursementRepository()
    run(espaces, repo, [row("R-1", care="2024-03-05"), row("R-2", care="2025-01-01"), row("R-3", care="2026-02-01")])
    claims = {"sub": "esp-1"}

    def read(**kw):
        args = {"since": None, "until": None, "limit": None, "cursor": None, "today": NOW.date(), **kw}
        return [r.care_date.isoformat() for r in list_reimbursements(espaces, repo, claims, "me", **args).items]

    assert read() == ["2026-02-01", "2025-01-01", "2024-03-05"]
    assert read(today=date(2026, 3, 10)) == ["2026-02-01", "2025-01-01"]
    assert read(since="2025-01-01", until="2025-12-31") == ["2025-01-01"]
    for bad in ({"limit": 0}, {"limit": 101}, {"since": "2026-02-01", "until": "2026-01-01"}, {"until": "x"}):
        with pytest.raises(ValidationError):
            read(**bad)
    with pytest.raises(NotFound):  # someone else's espace
        list_reimbursements(espaces, repo, {"sub": "esp-9"}, "esp-1", since=None, until=None, limit=None,
                            cursor=None, today=NOW.date())
