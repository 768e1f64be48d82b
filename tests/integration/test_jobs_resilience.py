"""Scheduled functions on moto: a run killed half way and run again loses nobody and never gives
anyone two different codes; a duplicate event changes nothing (BR-05, BR-08, DOMAIN §8)."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

import pytest

from mes.domain.espace import Status
from tests.support import flows


class Crash(RuntimeError):
    pass


class CrashAfter:
    """Wraps a real adapter; the n-th call of `method` dies before doing anything."""

    def __init__(self, real, method: str, calls_before_crash: int):
        self.real, self.method, self.left = real, method, calls_before_crash

    def __getattr__(self, name):
        attr = getattr(self.real, name)
        if name != self.method:
            return attr

        def wrapped(*args, **kwargs):
            if self.left == 0:
                raise Crash(f"killed in {name}")
            self.left -= 1
            return attr(*args, **kwargs)
        return wrapped


def _statuses(container, ids):
    return {e.espace_id: e.status for e in container.espaces.get_many(ids)}


def _ids(container, rows):
    from datetime import date

    from mes.services.population import espace_id_for
    return [espace_id_for(container.keys, r["nir"], date.fromisoformat(r["birth_date"]), r["first_name"]) for r in rows]


def _codes_by_recipient(container):
    codes = defaultdict(set)
    for entry in flows.sent(container, template="wave-code"):
        codes[entry["recipient"] or entry["data"].get("address")].add(entry["data"]["code"])
    return codes


@pytest.mark.parametrize("crash_in", ["send_bulk_templated", "write_batch"])
def test_wave_killed_mid_run_then_rerun_notifies_everyone_once_with_one_code(aws, clock, crash_in):
    # Given 300 pending people of one department, half reachable by e-mail
    rows = flows.people(300, seed=11, department="44")
    assert flows.population(aws, rows)["imported"] == 300
    real = aws.notifier if crash_in == "send_bulk_templated" else aws.printer
    target = "notifier" if crash_in == "send_bulk_templated" else "printer"
    aws.__dict__[target] = CrashAfter(real, crash_in, calls_before_crash=2)

    # When the wave dies after two deliveries...
    with pytest.raises(Crash):
        flows.scheduled("wave", clock(), {"department": "44"}, event_id="wave-evt-1")
    statuses = _statuses(aws, _ids(aws, rows))
    assert Status.PENDING in statuses.values()  # it really died half way
    # ...and the same event is delivered again (Lambda retry)
    aws.__dict__[target] = real
    result = flows.scheduled("wave", clock(), {"department": "44"}, event_id="wave-evt-1")

    # Then everybody is notified, the claimed-but-undelivered batch was redelivered,
    assert set(_statuses(aws, _ids(aws, rows)).values()) == {Status.NOTIFIED}
    assert result["redelivered_batches"] == 1
    # every person received their one code (sequence 1) and no other,
    from mes.domain.codes import derive_code
    expected = {row["email"] or row["nir"]: derive_code(aws.keys.code, espace_id, 1)
                for row, espace_id in zip(rows, _ids(aws, rows), strict=True)}
    codes = _codes_by_recipient(aws)
    assert len(flows.sent(aws, template="wave-code")) == len(rows)  # nothing sent twice
    for row in rows:
        if row["email"]:
            assert codes[row["email"]] == {expected[row["email"]]}
    # and each letter is printed once (the redelivered print file overwrote the same object).
    letters = flows.read_letters(aws)
    letter_codes = sorted(line["code"] for line in letters)
    assert letter_codes == sorted(expected[r["nir"]] for r in rows if not r["email"])


def test_wave_duplicate_event_changes_nothing(aws, clock):
    first = flows.people(5, seed=3, department="44")
    flows.population(aws, first)
    result = flows.scheduled("wave", clock(), {"department": "44"}, event_id="dup-1")
    assert result["notified_email"] + result["notified_letter"] == 5
    sent_before = len(flows.sent(aws))

    # New people arrive; the same event is delivered again
    late = flows.people(4, seed=4, department="44")
    flows.population(aws, late)
    again = flows.scheduled("wave", clock(), {"department": "44"}, event_id="dup-1")

    assert again == result
    assert len(flows.sent(aws)) == sent_before
    assert set(_statuses(aws, _ids(aws, late)).values()) == {Status.PENDING}
    # A new event (next schedule tick) does notify them
    assert flows.scheduled("wave", clock(), {"department": "44"})["batches"] >= 1
    assert set(_statuses(aws, _ids(aws, late)).values()) == {Status.NOTIFIED}


def test_wave_selects_only_the_department_and_respects_the_limit(aws, clock):
    flows.population(aws, flows.people(6, seed=5, department="44") + flows.people(3, seed=6, department="75"))
    limited = flows.scheduled("wave", clock(), {"department": "44", "limit": 4})
    assert limited["notified_email"] + limited["notified_letter"] == 4 and limited["complete"] is False
    rest = flows.scheduled("wave", clock(), {"department": "44"})
    assert rest["notified_email"] + rest["notified_letter"] == 2
    assert flows.scheduled("wave", clock(), {"department": "44"})["batches"] == 0
    everyone = flows.scheduled("wave", clock())
    assert everyone["notified_email"] + everyone["notified_letter"] == 3


def test_child_code_goes_to_the_guardian(aws, clock):
    parent = flows.people(1, seed=8, department="44")[0]
    parent["email"] = "parent@example.org"
    child = flows.people(1, seed=9, department="44")[0]
    child.update(email="", address="", first_name="Léa", guardian_nir=parent["nir"],
                 guardian_birth_date=parent["birth_date"])
    assert flows.population(aws, [parent, child])["imported"] == 2
    flows.scheduled("wave", clock(), {"department": "44"})
    to_parent = flows.sent(aws, "parent@example.org", "wave-code")
    assert len(to_parent) == 2
    assert len({e["data"]["code"] for e in to_parent}) == 2
    assert any("Léa" in e["data"]["for_child"] for e in to_parent)


def test_auto_create_killed_mid_run_then_rerun_creates_each_due_espace_exactly_once(aws, clock):
    rows = flows.people(250, seed=21, department="44")
    flows.population(aws, rows)
    flows.scheduled("wave", clock(), {"department": "44"})
    ids = _ids(aws, rows)
    # One person opposes, one is notified later (not due yet)
    opposed = aws.espaces.get(ids[0])
    from mes.domain.espace import oppose
    aws.espaces.save(oppose(opposed, clock(), "OPP-TEST"))
    due_at = clock() + timedelta(days=42, hours=1)

    real = aws.espaces
    aws.__dict__["espaces"] = CrashAfter(real, "mark_created", calls_before_crash=1)
    with pytest.raises(Crash):
        flows.scheduled("auto_create", due_at, event_id="ac-1")
    partially = _statuses(aws, ids)
    assert Status.CREATED in partially.values() and Status.NOTIFIED in partially.values()

    aws.__dict__["espaces"] = real
    result = flows.scheduled("auto_create", due_at, event_id="ac-1")
    final = {e.espace_id: e for e in real.get_many(ids)}
    assert final[ids[0]].status == Status.OPPOSED
    assert all(final[i].status == Status.CREATED for i in ids[1:])
    # exactly once: import (v1) → notified (v2) → created (v3), never more
    assert {final[i].version for i in ids[1:]} == {3}
    assert sum(1 for s in partially.values() if s == Status.CREATED) + result["created"] == 249


def test_auto_create_duplicate_event_and_early_run_change_nothing(aws, clock):
    rows = flows.people(10, seed=22, department="44")
    flows.population(aws, rows)
    flows.scheduled("wave", clock(), {"department": "44"})
    ids = _ids(aws, rows)
    # Before the deadline nobody is created (BR-08)
    assert flows.scheduled("auto_create", clock() + timedelta(days=41))["created"] == 0
    first = flows.scheduled("auto_create", clock() + timedelta(days=43), event_id="ac-dup")
    assert first["created"] == 10
    versions = {e.espace_id: e.version for e in aws.espaces.get_many(ids)}
    assert flows.scheduled("auto_create", clock() + timedelta(days=43), event_id="ac-dup") == first
    assert flows.scheduled("auto_create", clock() + timedelta(days=44))["created"] == 0
    assert {e.espace_id: e.version for e in aws.espaces.get_many(ids)} == versions
