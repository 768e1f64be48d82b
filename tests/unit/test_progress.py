"""Progress of the batch services (issue 9): each batch is reported with counts only, the counts
add up to what the job did, and a job that reports nothing works as before (the default)."""

from __future__ import annotations

from mes.progress import Batch, Tally
from mes.services.auto_create import run_auto_create
from mes.services.population import import_population
from mes.services.wave import run_wave
from tests.fakes import person, rows


def test_tally_numbers_batches_and_accumulates_counts():
    heard: list[Batch] = []
    tally = Tally("wave", heard.append, "people", total=10)
    tally.batch(4)
    tally.batch(6)
    assert heard == [Batch("wave", 1, 4, 4, 10, "people"), Batch("wave", 2, 6, 10, 10, "people")]
    Tally("wave", None, "people").batch(3)  # no callback: nothing to do, no error


def test_population_import_reports_each_chunk_up_to_the_valid_rows(system, clock, monkeypatch):
    """BR-04: 7 adults in chunks of 3, a child whose guardian is unknown (refused: counted as
    handled), a row with a bad NIR (refused at parsing: not in the total)."""
    from mes.services import population
    monkeypatch.setattr(population, "CHUNK", 3)
    adults = [person(i) for i in range(1, 8)]
    orphan = person(20, guardian=person(99))
    bad = {**person(30), "nir": "123"}
    heard: list[Batch] = []
    report = import_population(rows(*adults, orphan, bad), repo=system.repo, keys=system.keys, now=clock(),
                               progress=heard.append)
    assert (report.imported, len(report.errors)) == (7, 2)
    assert [(b.items, b.done, b.total) for b in heard] == [(3, 3, 8), (3, 6, 8), (1, 7, 8), (1, 8, 8)]
    assert {b.job for b in heard} == {"population"} and {b.unit for b in heard} == {"rows"}


def test_wave_reports_each_batch_and_auto_create_each_page(system, clock):
    """BR-05 then BR-08: the batches add up to the people notified, then created."""
    import_population(rows(*[person(i) for i in range(1, 13)]), repo=system.repo, keys=system.keys, now=clock())
    heard: list[Batch] = []
    result = run_wave(system.wave_deps(), now=clock(), progress=heard.append)
    assert sum(b.items for b in heard) == result.notified_email + result.notified_letter == 12
    assert [b.number for b in heard] == list(range(1, result.batches + 1)) and heard[-1].done == 12
    assert all(b.total is None for b in heard)  # unknown without a limit

    clock.advance(days=43)
    pages: list[Batch] = []
    created = run_auto_create(system.repo, now=clock(), shards=system.repo.wave_shards, progress=pages.append)
    assert created.created == 12 and sum(b.items for b in pages) == 12 and pages[-1].job == "auto_create"
