"""BR-08 automatic creation: daily, exactly once, never an opposed espace, reads only the due ones."""

from __future__ import annotations

from datetime import timedelta

from mes.domain.espace import Status, notify
from mes.services import enrolment
from mes.services.auto_create import run_auto_create
from mes.services.enrolment import ENROLMENT_AUDIENCE
from mes.services.population import import_population
from mes.services.wave import run_wave
from tests.fakes import FakeEspaceRepository, FakeSystem, person, rows


def notified_at(system, at, *indexes):
    import_population(rows(*[person(i) for i in indexes]), repo=system.repo, keys=system.keys, now=at)
    for i in indexes:
        [espace] = [e for e in system.repo.items.values() if e.first_name == f"Prenom{i}"]
        fresh = system.repo.get(espace.espace_id)
        system.repo.save(notify(fresh, at))


def status_of(system, index):
    return next(e.status for e in system.repo.items.values() if e.first_name == f"Prenom{index}")


def test_given_due_and_not_due_people_when_the_job_runs_then_only_the_due_are_created(system, clock):
    """BR-08: every notified espace whose deadline has passed becomes created; the others wait."""
    notified_at(system, clock() - timedelta(days=43), 1, 2)
    notified_at(system, clock() - timedelta(days=41), 3)
    import_population(rows(person(4)), repo=system.repo, keys=system.keys, now=clock())

    result = run_auto_create(system.repo, now=clock())

    assert (result.created, result.examined, result.complete) == (2, 2, True)
    assert [status_of(system, i) for i in (1, 2, 3, 4)] == [Status.CREATED, Status.CREATED, Status.NOTIFIED,
                                                            Status.PENDING]
    created = next(e for e in system.repo.items.values() if e.first_name == "Prenom1")
    assert created.created_at == clock()


def test_given_an_opposed_espace_when_the_job_runs_then_it_is_never_created(system, clock):
    """BR-07/BR-08: an opposed espace is never created automatically."""
    notified_at(system, clock() - timedelta(days=43), 1)
    espace = next(iter(system.repo.items.values()))
    espace.status = Status.OPPOSED

    for days in (0, 1, 400):
        assert run_auto_create(system.repo, now=clock() + timedelta(days=days)).created == 0
    assert status_of(system, 1) == Status.OPPOSED


def test_given_a_run_done_when_the_job_runs_again_then_nothing_changes(system, clock):
    """BR-08 / section 8: exactly once, whatever how many times the job runs."""
    notified_at(system, clock() - timedelta(days=50), *range(10))
    assert run_auto_create(system.repo, now=clock()).created == 10
    versions = {i: e.version for i, e in system.repo.items.items()}

    again = run_auto_create(system.repo, now=clock() + timedelta(days=1))

    assert (again.created, again.examined) == (0, 0)
    assert {i: e.version for i, e in system.repo.items.items()} == versions


def test_given_more_than_a_page_due_when_the_job_runs_then_all_are_created_page_by_page(clock):
    """Section 8: reads the due index page by page (≤ 100 per transaction)."""
    system = FakeSystem(repo=FakeEspaceRepository(due_shards=1))
    notified_at(system, clock() - timedelta(days=50), *range(230))

    result = run_auto_create(system.repo, now=clock(), shards=1)

    assert (result.created, result.complete) == (230, True)
    assert system.repo.calls.count("mark_created") == 3


def test_given_no_time_left_when_the_job_runs_then_it_stops_incomplete(system, clock):
    notified_at(system, clock() - timedelta(days=50), 1)

    result = run_auto_create(system.repo, now=clock(), should_continue=lambda: False)

    assert (result.created, result.complete) == (0, False)
    assert status_of(system, 1) == Status.NOTIFIED


def test_given_the_exact_deadline_when_the_job_runs_before_an_opposition_then_the_opposition_still_works(
        system, clock):
    """BR-07/BR-08: the deadline instant belongs to the opposition window (espace.oppose: now > deadline
    refused), so the job running at that same second must not take it away."""
    import_population(rows(person(1)), repo=system.repo, keys=system.keys, now=clock())
    run_wave(system.wave_deps(), now=clock())
    row = person(1)
    code = system.notifier.to(row["email"])[0].data["code"]
    deps = system.account_deps()
    token, _ = enrolment.start_session(deps, nir=row["nir"], birth_date=row["birth_date"],
                                       vitale_serial=row["vitale_serial"], code=code,
                                       now=clock() + timedelta(days=41, hours=23))
    claims = system.tokens.verify(token, ENROLMENT_AUDIENCE, clock() + timedelta(days=41, hours=23))
    deadline = clock() + timedelta(days=42)

    run_auto_create(system.repo, now=deadline)
    opposed = enrolment.oppose(deps, claims, now=deadline)

    assert opposed.status == Status.OPPOSED
