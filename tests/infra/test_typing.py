"""mypy on layers/core/mes (issue 10), as `make test` runs it: 0 errors, strict on the domain only.

The control proves the configuration is what it says: an unannotated function is an error in
`mes.domain` and not elsewhere (`strict = true` in an override would turn strict on everywhere)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MYPY = [sys.executable, "-m", "mypy"]

UNTYPED = "def double(x):\n    return x * 2\n\n\ndef use() -> int:\n    return double(2)\n"


def test_core_layer_type_checks_with_zero_errors() -> None:
    result = subprocess.run(MYPY, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-4000:]
    assert "Success: no issues found" in result.stdout


def test_strict_applies_to_the_domain_only(tmp_path: Path) -> None:
    for package in ("mes", "mes/domain", "mes/services"):
        (tmp_path / package).mkdir(exist_ok=True)
        (tmp_path / package / "__init__.py").write_text("")
    (tmp_path / "mes/domain/probe.py").write_text(UNTYPED)
    (tmp_path / "mes/services/probe.py").write_text(UNTYPED)
    result = subprocess.run([*MYPY, "--config-file", str(ROOT / "pyproject.toml"), "--no-incremental",
                             "mes/domain/probe.py", "mes/services/probe.py"],
                            cwd=tmp_path, capture_output=True, text=True, timeout=300)
    errors = [line for line in result.stdout.splitlines() if ": error:" in line]
    assert errors and all(line.startswith("mes/domain/probe.py") for line in errors), result.stdout
    assert any("[no-untyped-def]" in line for line in errors)
