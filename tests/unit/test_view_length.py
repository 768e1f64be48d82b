"""Views stay thin (STYLE.md habit 1, issue 10): every Chalice view of the route registry is at most
12 lines from its `def` to its last line (decorators apart). Mapping a domain object to an answer
belongs to the output model's `from_domain()` (chalicelib/models/<area>.py), not to the view."""

from __future__ import annotations

import importlib
import inspect

import pytest

from mes_local.functions import api_app

MAX_VIEW_LINES = 12


def view_length(lines: list[str]) -> int:
    """Lines from the `def` (decorators excluded) to the end of the function."""
    start = next(i for i, line in enumerate(lines) if line.lstrip().startswith("def "))
    return len(lines) - start


@pytest.fixture(scope="module")
def views():
    api_app()  # functions/api on sys.path, every blueprint registered
    from chalicelib.routing import REGISTRY
    found = {}
    for spec in REGISTRY:
        wrapper = getattr(importlib.import_module(f"chalicelib.routes.{spec.area}"), spec.name)
        view = inspect.unwrap(wrapper)
        assert view is not wrapper, f"{spec.area}.{spec.name} is not a route() view"
        found[f"{spec.method} {spec.path} ({spec.area}.{spec.name})"] = inspect.getsourcelines(view)[0]
    return found


def test_the_registry_is_measured_whole(views):
    from chalicelib.routing import REGISTRY
    assert len(views) == len(REGISTRY) >= 50


def test_every_view_is_at_most_12_lines(views):
    too_long = {name: view_length(lines) for name, lines in views.items() if view_length(lines) > MAX_VIEW_LINES}
    assert not too_long, f"views over {MAX_VIEW_LINES} lines (move the mapping to a from_domain()): {too_long}"


def test_the_measure_counts_from_def_to_the_end():
    lines = ['@route(bp, "/x", "GET", auth=None)\n', "def view() -> None:\n", '    """Doc."""\n', "    return None\n"]
    assert view_length(lines) == 3
