"""The frozen clock every test (and the bench's standalone security stacks) injects into the container."""

from __future__ import annotations

from datetime import datetime, timedelta


class FrozenClock:
    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now = self.now + timedelta(**kwargs)
