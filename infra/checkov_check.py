"""Run checkov on template.yaml and print ``checkov.failed_unjustified: N`` (stdlib only).

A check counts as *unjustified* when it fails, or when it is skipped without a written reason
(checkov reports a skip without ``comment`` as ``"No comment provided"``). Skips live in the
template, on the resource they concern::

    Metadata:
      checkov:
        skip:
          - id: CKV_AWS_117
            comment: Why this check does not apply here.

Usage: ``python infra/checkov_check.py [--checkov PATH] [--template PATH]``. Prints one
``name: value`` line per figure on stdout (the bench format) and every unjustified result on
stderr; exits 0 when ``checkov.failed_unjustified`` is 0, 1 when it is not, 2 when checkov could
not run or its output could not be read. checkov runs offline (``--skip-download``).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CHECKOV = ROOT / ".venv-checkov" / "bin" / "checkov"
DEFAULT_TEMPLATE = ROOT / "template.yaml"
# What checkov writes as the reason of a skip that has none.
NO_COMMENT = "no comment provided"


def run_checkov(checkov: Path, template: Path) -> dict[str, Any]:
    """checkov's JSON report for one CloudFormation/SAM file (one framework: one dict)."""
    command = [str(checkov), "--file", str(template), "--framework", "cloudformation",
               "--output", "json", "--skip-download"]
    env = {**os.environ, "BC_SKIP_MAPPING": "TRUE", "CHECKOV_NO_OUTPUT_COLOR": "1"}
    completed = subprocess.run(command, capture_output=True, text=True, env=env, timeout=600, check=False)
    # checkov exits 1 when a check fails: that is a result, not an error. Anything else without
    # a JSON report on stdout is.
    try:
        report = json.loads(completed.stdout)
    except json.JSONDecodeError as exc:
        raise RuntimeError(f"checkov exited {completed.returncode} without a JSON report: "
                           f"{completed.stderr.strip()[-2000:]}") from exc
    if isinstance(report, list):  # several frameworks: keep CloudFormation's
        report = next((r for r in report if r.get("check_type") == "cloudformation"), {})
    if not isinstance(report, dict) or "results" not in report:
        if isinstance(report, dict) and report.get("failed") == 0 and report.get("passed") == 0:
            raise RuntimeError("checkov found no resource to check")
        raise RuntimeError(f"unexpected checkov report: {str(report)[:500]}")
    return report


def _has_reason(skipped: dict[str, Any]) -> bool:
    """A skip with a written reason (checkov writes NO_COMMENT when the annotation has none)."""
    comment = str((skipped.get("check_result") or {}).get("suppress_comment") or "").strip()
    return bool(comment) and comment.lower() != NO_COMMENT


def count(report: dict[str, Any]) -> dict[str, Any]:
    """The figures of a checkov report and the unjustified results."""
    results = report["results"]
    failed = results.get("failed_checks") or []
    skipped = results.get("skipped_checks") or []
    without_reason = [s for s in skipped if not _has_reason(s)]
    return {
        "passed": len(results.get("passed_checks") or []),
        "failed": len(failed),
        "skipped": len(skipped),
        "skipped_without_reason": len(without_reason),
        "failed_unjustified": len(failed) + len(without_reason),
        "parsing_errors": len(results.get("parsing_errors") or []),
        "unjustified": [("FAILED", f["check_id"], f["resource"], f.get("check_name", "")) for f in failed]
        + [("SKIPPED WITHOUT REASON", s["check_id"], s["resource"], s.get("check_name", ""))
           for s in without_reason],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkov", type=Path, default=DEFAULT_CHECKOV)
    parser.add_argument("--template", type=Path, default=DEFAULT_TEMPLATE)
    args = parser.parse_args(argv)
    if not args.checkov.exists():
        print(f"checkov not found at {args.checkov} (run `make checkov`)", file=sys.stderr)
        return 2
    started = time.monotonic()
    try:
        figures = count(run_checkov(args.checkov, args.template))
    except (RuntimeError, OSError, subprocess.TimeoutExpired) as exc:
        print(f"checkov did not run: {exc}", file=sys.stderr)
        return 2
    for status, check_id, resource, name in figures["unjustified"]:
        print(f"{status} {check_id} {resource}: {name}", file=sys.stderr)
    for name in ("passed", "failed", "skipped", "skipped_without_reason", "parsing_errors"):
        print(f"checkov.{name}: {figures[name]}")
    print(f"checkov.seconds: {time.monotonic() - started:.1f}")
    print(f"checkov.failed_unjustified: {figures['failed_unjustified']}")
    if figures["parsing_errors"]:
        return 2
    return 1 if figures["failed_unjustified"] else 0


if __name__ == "__main__":
    sys.exit(main())
