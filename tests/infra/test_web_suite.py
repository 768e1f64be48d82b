"""The browser suite's bookkeeping (issue 11): every page of WEB.md's list is audited by name in
web/e2e (axe-core, 360 px, screenshots), so `make bench`'s web.pages_tested counts real audits."""

from __future__ import annotations

import re
from pathlib import Path

from mes_local.tool_figures import WEB_PAGES, web_pages_tested

E2E = Path(__file__).resolve().parents[2] / "web" / "e2e"


def _audited_in_specs() -> set[str]:
    names: set[str] = set()
    for spec in E2E.glob("*.spec.ts"):
        names.update(re.findall(r'audit\(page, "([a-z0-9-]+)"\)', spec.read_text(encoding="utf-8")))
    return names


def test_every_page_of_web_md_is_audited_by_the_browser_suite() -> None:
    audited = _audited_in_specs()
    assert len(audited) >= len(WEB_PAGES)
    assert web_pages_tested(audited) == (len(WEB_PAGES), [])
    assert list(WEB_PAGES) == [f"{n} {name}" for n, name in enumerate(
        ("home", "identification", "opposition", "activation", "login", "navigation", "documents", "profile",
         "messages", "professionals", "access log", "settings", "children"), start=1)]


def test_a_page_without_an_audit_is_reported_missing() -> None:
    audited = _audited_in_specs() - {"settings"}
    tested, missing = web_pages_tested(audited)
    assert (tested, missing) == (len(WEB_PAGES) - 1, ["12 settings"])
