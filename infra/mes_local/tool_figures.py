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
