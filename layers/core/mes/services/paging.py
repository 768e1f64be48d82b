"""What the daily jobs share: every page of every shard of a sparse due-date index, within the
run's time budget (a job stopped by the budget resumes on its next run from the index itself)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from mes.ports import Page


class BudgetSpent(Exception):
    """The run must stop now; what is left is still due and the next run takes it."""


def due_pages(fetch: Callable[[int, Any], Page], shards: int,
              should_continue: Callable[[], bool]) -> Iterator[Page]:
    for shard in range(shards):
        start = None
        while True:
            if not should_continue():
                raise BudgetSpent()
            page = fetch(shard, start)
            yield page
            start = page.next_key
            if start is None:
                break
