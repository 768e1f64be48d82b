"""Paging shared by the services: the `limit` of a list (API.md: ≤ 100), and, for the daily jobs,
every page of every shard of a sparse due-date index within the run's time budget (a job stopped by
the budget resumes on its next run from the index itself)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from mes.domain.errors import ValidationError
from mes.ports import Page

PAGE_DEFAULT = 50
PAGE_MAX = 100


def page_limit(limit: int | None) -> int:
    """`?limit=` of every list: 50 when absent, 1 to 100 otherwise (400 `validation_error`)."""
    if limit is None:
        return PAGE_DEFAULT
    if not 1 <= limit <= PAGE_MAX:
        raise ValidationError(f"« limit » doit être compris entre 1 et {PAGE_MAX}.", field="limit")
    return limit


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
