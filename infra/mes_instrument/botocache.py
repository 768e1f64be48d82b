"""One botocore model cache per process, for the test suite.

Each test builds a fresh container (a new boto3 session, so a new botocore loader) and PynamoDB
builds its own clients: without this every test re-reads and re-parses the same service models,
endpoint rules and directory listings (measured: half of an integration test's time). Lambda keeps
one container per process anyway, so this is a test-speed measure only; the data are read-only."""

from __future__ import annotations

from typing import Any

_applied = False


def apply() -> None:
    global _applied
    if _applied:
        return
    from botocore import loaders

    load = loaders.Loader.load_data_with_path
    available = loaders.Loader.list_available_services
    data: dict[Any, Any] = {}
    services: dict[Any, Any] = {}

    def load_data_with_path(self: Any, name: str) -> Any:
        key = (name, tuple(self.search_paths))
        if key not in data:
            data[key] = load(self, name)
        return data[key]

    def list_available_services(self: Any, type_name: str) -> Any:
        key = (type_name, tuple(self.search_paths))
        if key not in services:
            services[key] = available(self, type_name)
        return list(services[key])

    loaders.Loader.load_data_with_path = load_data_with_path  # type: ignore[method-assign]
    loaders.Loader.list_available_services = list_available_services  # type: ignore[method-assign]
    _applied = True
