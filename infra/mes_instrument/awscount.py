"""Count AWS requests with a botocore event hook: every client created while counting gets a
`before-send` handler (one HTTP request = one billed call, retries included), and DynamoDB
responses are read to count items returned by Query/Get/BatchGet."""

from __future__ import annotations

import threading
from collections import Counter
from contextlib import contextmanager
from typing import Any

import botocore.session

_lock = threading.Lock()
_active: list[AwsCounter] = []
_installed = False


class AwsCounter:
    def __init__(self) -> None:
        self.requests: Counter[str] = Counter()
        self.items_read = 0
        self.object_bytes: Counter[str] = Counter()  # S3 object bytes moved, per operation

    @property
    def total(self) -> int:
        return sum(self.requests.values())

    def by_service(self, service: str) -> int:
        return sum(v for k, v in self.requests.items() if k.startswith(service + "."))


def _before_send(request: Any, **kwargs: Any) -> None:
    name = kwargs.get("event_name", "before-send.unknown.Unknown").split(".", 1)[1]
    for counter in list(_active):
        counter.requests[name] += 1


def _after_call(http_response: Any, parsed: Any, model: Any, **kwargs: Any) -> None:
    if not isinstance(parsed, dict):
        return
    items = 0
    if "Items" in parsed:
        items = len(parsed["Items"])
    elif "Item" in parsed:
        items = 1
    elif "Responses" in parsed and isinstance(parsed["Responses"], dict):
        items = sum(len(v) for v in parsed["Responses"].values())
    for counter in list(_active):
        counter.items_read += items


def _object_bytes_in(params: Any, **kwargs: Any) -> None:
    body = params.get("Body") if isinstance(params, dict) else None
    size = len(body) if isinstance(body, bytes | str) else 0
    for counter in list(_active):
        counter.object_bytes["PutObject"] += size


def _object_bytes_out(http_response: Any, parsed: Any, model: Any, **kwargs: Any) -> None:
    size = int(parsed.get("ContentLength") or 0) if isinstance(parsed, dict) else 0
    for counter in list(_active):
        counter.object_bytes["GetObject"] += size


def _install() -> None:
    global _installed
    if _installed:
        return
    original = botocore.session.Session.create_client

    def create_client(self: Any, *args: Any, **kwargs: Any) -> Any:
        client = original(self, *args, **kwargs)
        client.meta.events.register("before-send", _before_send)
        client.meta.events.register("after-call.dynamodb", _after_call)
        client.meta.events.register("before-call.s3.PutObject", _object_bytes_in)
        client.meta.events.register("after-call.s3.GetObject", _object_bytes_out)
        return client

    botocore.session.Session.create_client = create_client  # type: ignore[method-assign]
    _installed = True


@contextmanager
def counting() -> Any:
    """Only clients created after install() are counted: install it before any client exists
    (tests/conftest.py does at start-up, the bench before its first container)."""
    _install()
    counter = AwsCounter()
    with _lock:
        _active.append(counter)
    try:
        yield counter
    finally:
        with _lock:
            _active.remove(counter)


install = _install
