"""Progress of the batch jobs: the services report each batch they finish to a callback.

The operators' CLI renders it (a progress bar on a terminal, a line per batch otherwise:
`mes_local.progress`); in Lambda the handlers log it at DEBUG level. A batch carries counts only
(job name, batch number, items in the batch, items so far, total when known): never an espace id,
a NIR, a name or a code, so any rendering of it is safe to show or log."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Batch:
    job: str  # "wave", "population", "auto_create"...
    number: int  # 1, 2, 3... within this run
    items: int  # items handled in this batch (e.g. people notified)
    done: int  # items handled so far in this run, this batch included
    total: int | None = None  # items this run will handle, when known before it starts
    unit: str = "items"


Progress = Callable[[Batch], None]


def no_progress(batch: Batch) -> None:
    """The default of every service: nothing is reported."""


def log_progress(batch: Batch) -> None:
    """The Lambda handlers' callback: one DEBUG line per batch, counts only (silent at INFO)."""
    from mes.observability import logger
    logger.debug("batch done", extra={"job": batch.job, "batch": batch.number, "items": batch.items,
                                      "done": batch.done, "total": batch.total})


class Tally:
    """What a service keeps to report its batches: `tally.batch(n)` after each batch."""

    def __init__(self, job: str, progress: Progress | None, unit: str, total: int | None = None):
        self.job, self.unit, self.total = job, unit, total
        self.progress = progress or no_progress
        self.number = 0
        self.done = 0

    def batch(self, items: int) -> None:
        self.number += 1
        self.done += items
        self.progress(Batch(job=self.job, number=self.number, items=items, done=self.done, total=self.total,
                            unit=self.unit))
