"""BR-08: daily automatic creation. Reads only the due people (sparse `by_due` index, keys only),
transitions each with a condition (still notified, deadline passed): exactly once, never an
opposed one, whatever the order of events or how many times the job runs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from mes.ports import EspaceRepository
from mes.progress import Progress, Tally

from .paging import BudgetSpent, due_pages

PAGE = 100  # TransactWriteItems maximum


@dataclass
class AutoCreateResult:
    created: int = 0
    examined: int = 0
    complete: bool = True

    def as_dict(self) -> dict:
        return {"created": self.created, "examined": self.examined, "complete": self.complete}


def run_auto_create(repo: EspaceRepository, *, now: datetime, shards: int = 8,
                    should_continue: Callable[[], bool] = lambda: True,
                    progress: Progress | None = None) -> AutoCreateResult:
    result = AutoCreateResult()
    tally = Tally("auto_create", progress, "espaces")
    try:
        for page in due_pages(lambda shard, start: repo.due_ids(shard, now, PAGE, start), shards, should_continue):
            if page.items:
                result.examined += len(page.items)
                result.created += repo.mark_created(page.items, now)
                tally.batch(len(page.items))
    except BudgetSpent:
        result.complete = False
    return result
