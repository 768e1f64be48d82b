"""BR-05 notification wave: batch after batch, e-mail or letter, resumable (section 8)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

import pytest

from mes.domain.codes import derive_code
from mes.domain.espace import Status
from mes.domain.texts import french_date
from mes.services.population import espace_id_for, import_population
from mes.services.wave import run_wave
from tests.fakes import FakeEspaceRepository, FakeSystem, InjectedCrash, person, rows


def given(system, clock, *people):
    report = import_population(rows(*people), repo=system.repo, keys=system.keys, now=clock())
    assert not report.errors, report.errors
    return people


def id_of(system, row):
    return espace_id_for(system.keys, row["nir"], date.fromisoformat(row["birth_date"]), row["first_name"])


def codes_received(system) -> dict[str, set[str]]:
    """first name (unique per person in these tests) → every code delivered for that person."""
    found: dict[str, set[str]] = defaultdict(set)
    for sent in system.notifier.sent:
        if "code" in sent.data:
            found[sent.data["first_name"]].add(sent.data["code"])
    for letter in system.printer.letters:
        found[letter["first_name"]].add(letter["code"])
    return found


@pytest.fixture
def one_shard() -> FakeSystem:
    """Everyone in one shard, so one page holds a full batch of 99."""
    return FakeSystem(repo=FakeEspaceRepository(wave_shards=1))


class TestDelivery:
    def test_given_people_with_and_without_email_when_the_wave_runs_then_email_or_letter(self, system, clock):
        """BR-05: an e-mail when an address is on file, otherwise a postal letter; deadline = now + 42 days."""
        with_email = [person(i) for i in range(3)]
        by_letter = [person(i, email=False) for i in range(3, 5)]
        given(system, clock, *with_email, *by_letter)

        result = run_wave(system.wave_deps(), now=clock())

        assert (result.notified_email, result.notified_letter, result.complete) == (3, 2, True)
        deadline = clock() + timedelta(days=42)
        for row in with_email:
            [mail] = system.notifier.to(row["email"])
            assert mail.template == "mes-test-wave-code" and mail.bulk
            assert mail.data["code"] == derive_code(system.keys.code, id_of(system, row), 1)
            assert mail.data["deadline"] == french_date(deadline) and mail.data["for_child"] == ""
        letters = {letter["first_name"]: letter for letter in system.printer.letters}
        assert sorted(letters) == ["Prenom3", "Prenom4"]
        for row in by_letter:
            letter = letters[row["first_name"]]
            assert letter["address"] == row["address"] and letter["recipient"] == f"{row['first_name']} Martin"
            assert letter["code"] == derive_code(system.keys.code, id_of(system, row), 1)
            assert letter["code"] in letter["text"] and french_date(deadline) in letter["text"]
        for row in with_email + by_letter:
            espace = system.repo.get(id_of(system, row))
            assert (espace.status, espace.code_seq, espace.notified_at) == (Status.NOTIFIED, 1, clock())
            assert espace.opposition_deadline == espace.code_expires_at == deadline
        assert system.repo.inflight_batches() == []

    def test_given_many_email_people_when_the_wave_runs_then_ses_calls_of_at_most_50(self, one_shard, clock):
        """BR-05: SES SendBulkTemplatedEmail takes ≤ 50 destinations; a batch is ≤ 99 people."""
        given(one_shard, clock, *[person(i) for i in range(120)])

        result = run_wave(one_shard.wave_deps(), now=clock())

        assert [n for _, n in one_shard.notifier.bulk_calls] == [50, 49, 21]
        assert (result.notified_email, result.batches) == (120, 2)
        assert len({s.to for s in one_shard.notifier.sent}) == 120

    def test_given_children_when_the_wave_runs_then_each_child_code_goes_to_the_guardian(self, system, clock):
        """BR-05: each child gets their own code, sent to the guardian (e-mail or letter)."""
        parent, by_post = person(1), person(2, email=False)
        kid_a, kid_b, kid_c = person(3, guardian=parent), person(4, guardian=parent), person(5, guardian=by_post)
        given(system, clock, parent, by_post, kid_a, kid_b, kid_c)

        run_wave(system.wave_deps(), now=clock())

        to_parent = {s.data["first_name"]: s.data for s in system.notifier.to("person1@example.org")}
        assert sorted(to_parent) == ["Prenom1", "Prenom3", "Prenom4"]
        assert len({d["code"] for d in to_parent.values()}) == 3
        assert to_parent["Prenom3"]["code"] == derive_code(system.keys.code, id_of(system, kid_a), 1)
        assert "Prenom3" in to_parent["Prenom3"]["for_child"] and to_parent["Prenom1"]["for_child"] == ""
        [letter_c] = [x for x in system.printer.letters if x["first_name"] == "Prenom5"]
        assert (letter_c["recipient"], letter_c["address"]) == ("Prenom2 Martin", by_post["address"])
        assert "Prenom5" in letter_c["text"]

    def test_given_a_limit_when_the_wave_runs_then_that_many_and_the_rest_next_time(self, system, clock):
        """BR-05: batch size chosen by the operator; nobody skipped, nobody notified twice."""
        people = given(system, clock, *[person(i) for i in range(10)])

        first = run_wave(system.wave_deps(), now=clock(), limit=4)
        assert (first.notified_email, first.complete) == (4, False)
        assert sum(e.status == Status.NOTIFIED for e in system.repo.items.values()) == 4

        clock.advance(hours=1)
        second = run_wave(system.wave_deps(), now=clock())
        assert (second.notified_email, second.complete) == (6, True)
        assert all(len(system.notifier.to(p["email"])) == 1 for p in people)

    def test_given_a_department_when_the_wave_runs_then_only_that_department(self, system, clock):
        """BR-05: waves are selected by department."""
        given(system, clock, *[person(i, department="44" if i % 2 else "2A") for i in range(8)])

        result = run_wave(system.wave_deps(), now=clock(), department="2A")

        assert result.notified_email == 4
        assert {e.department for e in system.repo.items.values() if e.status == Status.NOTIFIED} == {"2A"}
        assert {e.department for e in system.repo.items.values() if e.status == Status.PENDING} == {"44"}

    def test_given_a_finished_wave_when_it_runs_again_then_nobody_is_notified_twice(self, system, clock):
        """Section 8: a duplicate run changes nothing."""
        given(system, clock, *[person(i, email=i % 2 == 0) for i in range(6)])
        run_wave(system.wave_deps(), now=clock())
        sent, printed = list(system.notifier.sent), dict(system.printer.files)

        again = run_wave(system.wave_deps(), now=clock() + timedelta(days=1))

        assert (again.notified_email, again.notified_letter, again.batches) == (0, 0, 0)
        assert system.notifier.sent == sent and system.printer.files == printed


class TestResume:
    def test_given_a_crash_in_the_notifier_when_rerun_then_the_claimed_batch_gets_the_same_codes(
            self, one_shard, clock):
        """BR-05/BR-06: a run that dies after the claim is finished by the next one, with the same codes;
        nobody is skipped (the only repeat is an e-mail whose SES call had succeeded)."""
        people = given(one_shard, clock, *[person(i, email=i % 5 != 0) for i in range(60)])
        one_shard.notifier.break_next("send_bulk_templated", after=0)

        with pytest.raises(InjectedCrash):
            run_wave(one_shard.wave_deps(), now=clock())
        [batch] = one_shard.repo.inflight_batches()
        assert len(batch.espace_ids) == 60
        letters_before = {x["first_name"]: x["code"] for x in one_shard.printer.letters}
        assert len(letters_before) == 12 and one_shard.notifier.sent == []

        clock.advance(minutes=5)
        result = run_wave(one_shard.wave_deps(), now=clock())

        assert result.redelivered_batches == 1 and result.complete
        assert one_shard.printer.writes == [batch.batch_id, batch.batch_id]  # same print file, overwritten
        assert {x["first_name"]: x["code"] for x in one_shard.printer.letters} == letters_before
        received = codes_received(one_shard)
        for row in people:
            expected = derive_code(one_shard.keys.code, id_of(one_shard, row), 1)
            assert received[row["first_name"]] == {expected}
            espace = one_shard.repo.get(id_of(one_shard, row))
            assert espace.notified_at == clock() - timedelta(minutes=5) and espace.code_seq == 1
        assert one_shard.repo.inflight_batches() == []

    def test_given_a_crash_between_two_ses_calls_when_rerun_then_everybody_has_one_code(self, one_shard, clock):
        people = given(one_shard, clock, *[person(i) for i in range(80)])
        one_shard.notifier.break_next("send_bulk_templated", after=1)

        with pytest.raises(InjectedCrash):
            run_wave(one_shard.wave_deps(), now=clock())
        assert len(one_shard.notifier.sent) == 50

        run_wave(one_shard.wave_deps(), now=clock())

        received = codes_received(one_shard)
        assert all(len(received[p["first_name"]]) == 1 for p in people)
        assert {len(one_shard.notifier.to(p["email"])) for p in people} == {1, 2}

    def test_given_a_crash_in_the_printer_when_rerun_then_letters_and_emails_go_out(self, system, clock):
        people = given(system, clock, *[person(i, email=i % 2 == 0) for i in range(10)])
        system.printer.break_next("write_batch")

        with pytest.raises(InjectedCrash):
            run_wave(system.wave_deps(), now=clock())
        claimed = [i for b in system.repo.inflight_batches() for i in b.espace_ids]
        assert claimed and all(system.repo.get(i).status == Status.NOTIFIED for i in claimed)

        result = run_wave(system.wave_deps(), now=clock())

        assert result.redelivered_batches == 1 and system.repo.inflight_batches() == []
        received = codes_received(system)
        for row in people:
            assert received[row["first_name"]] == {derive_code(system.keys.code, id_of(system, row), 1)}
        assert all(e.status == Status.NOTIFIED for e in system.repo.items.values())

    def test_given_no_time_left_when_the_wave_runs_then_it_stops_and_reports_incomplete(self, one_shard, clock):
        """Section 8: a run stops before the Lambda limit; the next run continues."""
        given(one_shard, clock, *[person(i) for i in range(150)])

        stopped = run_wave(one_shard.wave_deps(), now=clock(), should_continue=lambda: False)
        assert (stopped.complete, stopped.batches, stopped.notified_email) == (False, 0, 0)

        budget = iter([True, False])
        partial = run_wave(one_shard.wave_deps(), now=clock(), should_continue=lambda: next(budget))
        assert (partial.complete, partial.batches, partial.notified_email) == (False, 1, 99)

        rest = run_wave(one_shard.wave_deps(), now=clock())
        assert (rest.complete, rest.notified_email) == (True, 51)
