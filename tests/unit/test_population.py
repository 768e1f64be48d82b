"""BR-04 population import (and BR-02: people are stored under an HMAC of their NIR)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, timedelta

import pytest

from mes.domain.errors import ValidationError
from mes.domain.espace import Status, notify
from mes.services.population import espace_id_for, import_population, read_csv
from tests.fakes import person, rows


def run_import(system, clock, *people):
    return import_population(rows(*people), repo=system.repo, keys=system.keys, now=clock())


def id_of(system, row):
    return espace_id_for(system.keys, row["nir"], date.fromisoformat(row["birth_date"]), row["first_name"])


class TestImport:
    def test_given_valid_rows_when_imported_then_pending_espaces_with_contacts(self, system, clock):
        """BR-04: people are registered as pending, with their contact data and department."""
        alice, bruno = person(1, mobile=True), person(2, email=False, department="2A")
        report = run_import(system, clock, alice, bruno)

        assert (report.rows, report.imported, report.already_known, report.errors) == (2, 2, 0, [])
        stored = system.repo.get(id_of(system, alice))
        assert stored.status == Status.PENDING and stored.imported_at == clock()
        assert (stored.email, stored.mobile, stored.department) == ("person1@example.org", alice["mobile"], "44")
        assert stored.nir_hmac == system.keys.nir_hmac(alice["nir"])
        assert stored.vitale_hmac == system.keys.vitale_hmac(alice["vitale_serial"])
        assert system.repo.get(id_of(system, bruno)).department == "2A"

    def test_given_imported_people_then_the_clear_nir_and_serial_are_stored_nowhere(self, system, clock):
        """BR-02: never store the clear NIR; the espace id is opaque and stable."""
        alice = person(1)
        run_import(system, clock, alice)
        stored = system.repo.get(id_of(system, alice))
        dumped = repr(asdict(stored))
        assert alice["nir"] not in dumped and alice["nir"][:13] not in dumped
        assert alice["vitale_serial"] not in dumped
        assert stored.espace_id == id_of(system, alice)

    @pytest.mark.parametrize("change, field", [
        ({"nir": "185054412345600"}, "nir"),
        ({"nir": ""}, "nir"),
        ({"birth_date": "01/02/1980"}, "birth_date"),
        ({"birth_date": "2027-01-01"}, "birth_date"),
        ({"vitale_serial": "12ab"}, "vitale_serial"),
        ({"department": "00"}, "department"),
        ({"department": "96"}, "department"),
        ({"department": "99"}, "department"),
        ({"email": "not-an-email"}, "email"),
        ({"mobile": "0112345678"}, "mobile"),
        ({"email": "", "address": ""}, "address"),
    ])
    def test_given_a_bad_row_among_good_ones_when_imported_then_reported_by_line_and_field(
            self, system, clock, change, field):
        """BR-04: bad rows are reported by line number and field; the other rows are imported."""
        good_a, bad, good_b = person(1), {**person(2), **change}, person(3)
        report = run_import(system, clock, good_a, bad, good_b)

        assert report.imported == 2 and report.rows == 3
        assert [(e.line, e.field) for e in report.errors] == [(3, field)]  # line 1 is the header
        assert report.as_dict()["rejected"] == 1 and report.as_dict()["errors"][0]["line"] == 3
        assert system.repo.get(id_of(system, good_b)) is not None

    def test_given_the_same_file_when_imported_again_then_nobody_is_imported_or_reset(self, system, clock):
        """BR-04: re-importing the same file changes nothing (a notified person stays notified)."""
        people = [person(i) for i in range(5)]
        run_import(system, clock, *people)
        first = system.repo.get(id_of(system, people[0]))
        system.repo.save(notify(first, clock()))

        clock.advance(days=1)
        report = run_import(system, clock, *people)

        assert (report.imported, report.already_known, report.errors) == (0, 5, [])
        again = system.repo.get(id_of(system, people[0]))
        assert again.status == Status.NOTIFIED and again.imported_at == clock() - timedelta(days=1)
        assert len(system.repo.items) == 5

    def test_given_a_row_twice_in_one_file_when_imported_then_one_espace(self, system, clock):
        """BR-04 / one espace per person."""
        alice = person(1)
        report = run_import(system, clock, alice, dict(alice, first_name=" prenom1 "))
        assert (report.imported, report.already_known) == (1, 1)
        assert len(system.repo.items) == 1


class TestChildren:
    def test_given_a_child_before_its_guardian_in_the_file_when_imported_then_attached(self, system, clock):
        """BR-04/BR-16: the child is attached to the guardian, whose contact is denormalised for the wave."""
        guardian = person(1, mobile=True)
        child = person(2, guardian=guardian)
        report = run_import(system, clock, child, guardian)

        assert (report.imported, report.errors) == (2, [])
        stored = system.repo.get(id_of(system, child))
        assert stored.guardian_id == id_of(system, guardian)
        assert stored.guardian_contact.email == "person1@example.org"
        assert stored.guardian_contact.mobile == guardian["mobile"]
        assert stored.guardian_contact.name == "Prenom1 Martin"
        assert stored.email is None and stored.address is None
        assert system.repo.children_of(id_of(system, guardian)) == [stored.espace_id]

    def test_given_a_guardian_already_known_when_a_child_is_imported_later_then_attached(self, system, clock):
        guardian = person(1, email=False)
        run_import(system, clock, guardian)

        report = run_import(system, clock, person(2, guardian=guardian))

        assert (report.imported, report.errors) == (1, [])
        child = system.repo.get(id_of(system, person(2, guardian=guardian)))
        assert child.guardian_contact.address == guardian["address"] and child.guardian_contact.email is None

    @pytest.mark.parametrize("guardian", [person(9), {**person(1), "birth_date": "1971-01-01"}],
                             ids=["unknown", "wrong-birth-date"])
    def test_given_an_unknown_guardian_when_a_child_is_imported_then_rejected(self, system, clock, guardian):
        """BR-04: the guardian must be in the same file or already known."""
        run_import(system, clock, person(1))
        child = person(2, guardian=guardian)

        report = run_import(system, clock, child)

        assert report.imported == 0
        assert [(e.line, e.field) for e in report.errors] == [(2, "guardian_nir")]
        assert system.repo.get(id_of(system, child)) is None

    def test_given_a_guardian_who_is_a_child_when_a_child_is_imported_then_rejected(self, system, clock):
        parent = person(1)
        kid = person(2, guardian=parent)
        run_import(system, clock, parent, kid)
        report = run_import(system, clock, person(3, guardian=kid))
        assert [(e.line, e.field) for e in report.errors] == [(2, "guardian_nir")]

    @pytest.mark.parametrize("change, field", [({"guardian_nir": "185054412345600"}, "guardian_nir"),
                                               ({"guardian_birth_date": "yesterday"}, "guardian_birth_date")])
    def test_given_a_malformed_guardian_column_when_imported_then_reported_on_that_column(
            self, system, clock, change, field):
        """BR-04: a bad row is reported by line and by the field that is wrong (here the guardian's)."""
        child = {**person(2, guardian=person(1)), **change}
        report = run_import(system, clock, person(1), child)
        assert [(e.line, e.field) for e in report.errors] == [(3, field)]


class TestCsv:
    def test_given_a_csv_when_read_then_rows_numbered_from_line_2_and_trimmed(self):
        text = "nir,birth_date,vitale_serial,department,email\n 1 , 1980-01-01 ,123,44,\n2,,,,x\n"
        assert read_csv(text) == [
            (2, {"nir": "1", "birth_date": "1980-01-01", "vitale_serial": "123", "department": "44", "email": ""}),
            (3, {"nir": "2", "birth_date": "", "vitale_serial": "", "department": "", "email": "x"}),
        ]

    def test_given_a_header_without_required_columns_when_read_then_validation_error(self):
        with pytest.raises(ValidationError) as caught:
            read_csv("nir,birth_date\n1,2\n")
        assert caught.value.field == "header" and "vitale_serial" in caught.value.detail
