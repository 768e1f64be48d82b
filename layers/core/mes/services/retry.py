"""Optimistic concurrency for the use cases: read, change, write conditionally on the version read;
when another writer got there first (`ConcurrentUpdate`), read again and retry."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from mes.domain.errors import ConcurrentUpdate

T = TypeVar("T")

CONFLICT_TRIES = 3


def retry_on_conflict(attempt: Callable[[], T], tries: int = CONFLICT_TRIES) -> T:
    """Run `attempt` (one read-change-write) until it does not raise ConcurrentUpdate, at most
    `tries` times in all; then ConcurrentUpdate (409 `concurrent_update`). Any other error of the
    attempt propagates at once. Each attempt must read afresh: nothing is carried over."""
    for _ in range(tries):
        try:
            return attempt()
        except ConcurrentUpdate:
            continue
    raise ConcurrentUpdate()
