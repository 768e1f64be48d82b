"""Figures that come from the project's own checks run as `make` targets (each in its own venv):
`make deploy-check` (package sizes) and `make checkov` (unjustified template findings). The bench runs
the same command a developer or CI runs and keeps the `name: value` lines it prints."""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def from_make(target: str, prefix: str, timeout: int = 900) -> dict[str, str]:
    """Runs `make -s TARGET` at the project root and returns its `prefix*: value` lines. A failing
    target raises: a figure is never read off a check that did not pass."""
    done = subprocess.run(["make", "-s", target], cwd=ROOT, capture_output=True, text=True, timeout=timeout,
                          check=False)
    if done.returncode != 0:
        raise RuntimeError(f"make {target} exited {done.returncode}: {done.stderr.strip()[-1500:]}")
    figures = {}
    for line in done.stdout.splitlines():
        name, sep, value = line.partition(": ")
        if sep and name.startswith(prefix) and " " not in name:
            figures[name] = value.strip()
    if not figures:
        raise RuntimeError(f"make {target} printed no {prefix}* figure")
    return figures


def deploy() -> dict[str, str]:
    return from_make("deploy-check", "deploy.")


def checkov() -> dict[str, str]:
    return from_make("checkov", "checkov.")


# WEB.md's list of pages (journeys 1 to 13) and the names the browser suite audits them under
# (web/e2e/*.spec.ts: `audit(page, name)`); a page counts as tested when one of its states was audited.
WEB_PAGES: dict[str, tuple[str, ...]] = {
    "1 home": ("home",),
    "2 identification": ("opposition-identification",),
    "3 opposition": ("opposition-receipt",),
    "4 activation": ("activation-codes",),
    "5 login": ("login-code",),
    "6 navigation": ("documents-list",),
    "7 documents": ("documents-list", "documents-uploading"),
    "8 profile": ("profile-measures",),
    "9 messages": ("messages-list", "conversation"),
    "10 professionals": ("professionals",),
    "11 access log": ("access-log",),
    "12 settings": ("settings",),
    "13 children": ("add-child",),
}


def web_pages_tested(audited: set[str]) -> tuple[int, list[str]]:
    """How many of WEB.md's pages had their states audited, and which were not."""
    missing = [page for page, names in WEB_PAGES.items() if not any(name in audited for name in names)]
    return len(WEB_PAGES) - len(missing), missing


def web() -> dict[str, object]:
    """`make web-test` (Vitest, the build, the browser suite against a local stack), timed, then what
    its tests recorded: the first load measured in the browser (web/e2e/first-load.spec.ts) and, for
    every page state `audit()` checked, its axe-core serious/critical count (web/e2e/support/page.ts)."""
    import json
    import time

    started = time.monotonic()
    done = subprocess.run(["make", "-s", "web-test"], cwd=ROOT, capture_output=True, text=True, timeout=1800,
                          check=False)
    if done.returncode != 0:
        raise RuntimeError(f"make web-test exited {done.returncode}: {done.stdout.strip()[-1500:]}")
    results = ROOT / "web" / "test-results"
    pages = [json.loads(path.read_text(encoding="utf-8")) for path in sorted((results / "pages").glob("*.json"))]
    first = json.loads((results / "figures" / "first_load.json").read_text(encoding="utf-8"))
    stats = json.loads((results / "results.json").read_text(encoding="utf-8"))["stats"]
    tested, missing = web_pages_tested({page["page"] for page in pages})
    return {
        "web.first_load_kb": first["first_load_kb"],
        "web.axe_serious": sum(page["axe_serious"] for page in pages),
        "web.pages_tested": f"{tested}/{len(WEB_PAGES)}" + (f" (missing: {', '.join(missing)})" if missing else ""),
        "web.page_states_audited": len(pages),
        "web.browser_tests": stats["expected"],
        "web.browser_suite_s": round(stats["duration"] / 1000, 1),
        "web.make_web_test_s": round(time.monotonic() - started, 1),
    }
