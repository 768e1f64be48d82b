"""The README's "Code health" figures (issue 10), one `name: value` line each: `make health`.

    health.radon_c_or_worse            radon cc blocks (functions, methods, classes) of grade C to F
    health.radon_d_or_worse            the same, grade D to F
    health.functions_over_60_lines     functions longer than 60 lines, `def` to last line (ast)
    health.min_maintainability_index   the lowest module maintainability index (radon mi)
    health.mypy_errors                 errors of `mypy` as configured in pyproject.toml ([tool.mypy])
    health.import_contracts_broken     broken import-linter contracts ([tool.importlinter])
    health.private_cross_module_imports  uses of another first-party module's `_private` name
    health.max_view_lines              the longest Chalice view of the route registry

Every figure is measured over `layers functions infra` (hidden folders apart, as radon does), with the
tools of the project's venv (this interpreter's). `figures()` is what `make bench` prints; a tool that
cannot be run or read raises: a figure is never guessed. The private-name and view measures are those
of the tests that gate them (tests/infra/test_architecture.py, tests/unit/test_view_length.py)."""

from __future__ import annotations

import ast
import importlib
import inspect
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ("layers", "functions", "infra")
MAX_FUNCTION_LINES = 60
TIMEOUT_SECONDS = 600
BIN = Path(sys.executable).parent


def _tool(name: str, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / name), *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=TIMEOUT_SECONDS, env=env, check=False)


def _radon_json(*args: str) -> dict[str, object]:
    done = _tool("radon", *args, "-j", *SOURCES)
    if done.returncode != 0:
        raise RuntimeError(f"radon {args[0]} exited {done.returncode}: {done.stderr.strip()[-500:]}")
    results: dict[str, object] = json.loads(done.stdout)
    broken = [path for path, result in results.items() if isinstance(result, dict) and "error" in result]
    if broken:
        raise RuntimeError(f"radon could not read {broken}")
    return results


def radon_blocks(min_rank: str) -> int:
    """Blocks of grade `min_rank` or worse, counted as `radon cc -n <rank>` lists them."""
    return sum(len(blocks) for blocks in _radon_json("cc", "-n", min_rank).values()
               if isinstance(blocks, list))


def min_maintainability_index() -> float:
    results = _radon_json("mi")
    return round(min(float(result["mi"]) for result in results.values() if isinstance(result, dict)), 2)


def source_files() -> Iterator[Path]:
    for folder in SOURCES:
        for path in sorted((ROOT / folder).rglob("*.py")):
            if not any(part.startswith(".") for part in path.relative_to(ROOT).parts):
                yield path


def long_functions(tree: ast.AST, limit: int = MAX_FUNCTION_LINES) -> list[str]:
    """Functions (and methods) whose `def` line to last line span more than `limit` lines."""
    return [node.name for node in ast.walk(tree)
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            and (node.end_lineno or node.lineno) - node.lineno + 1 > limit]


def functions_over_60_lines() -> int:
    return sum(len(long_functions(ast.parse(path.read_text(), str(path)))) for path in source_files())


def mypy_errors() -> int:
    done = _tool("mypy")
    if done.returncode == 0 and re.search(r"^Success: no issues found", done.stdout, re.MULTILINE):
        return 0
    found = re.search(r"^Found (\d+) errors? in", done.stdout, re.MULTILINE)
    if found is None:
        raise RuntimeError(f"mypy exited {done.returncode} without a summary: {done.stderr.strip()[-500:]}")
    return int(found.group(1))


def import_contracts_broken() -> int:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "functions/api")}
    done = _tool("lint-imports", "--no-cache", env=env)
    found = re.search(r"^Contracts: (\d+) kept, (\d+) broken\.", done.stdout, re.MULTILINE)
    if found is None:
        raise RuntimeError(f"lint-imports exited {done.returncode} without a summary: "
                           f"{(done.stdout + done.stderr).strip()[-500:]}")
    return int(found.group(2))


def _test_module(name: str) -> object:
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    return importlib.import_module(name)


def private_cross_module_imports() -> int:
    private_uses = _test_module("tests.infra.test_architecture").private_uses  # type: ignore[attr-defined]
    return sum(len(private_uses(ast.parse(path.read_text(), str(path)))) for path in source_files())


def max_view_lines() -> int:
    """The longest view of the route registry, measured as tests/unit/test_view_length.py does."""
    view_length = _test_module("tests.unit.test_view_length").view_length  # type: ignore[attr-defined]
    from mes_local.functions import api_app
    api_app()  # functions/api on sys.path, every blueprint registered
    from chalicelib.routing import REGISTRY

    lengths = []
    for spec in REGISTRY:
        view = inspect.unwrap(getattr(importlib.import_module(f"chalicelib.routes.{spec.area}"), spec.name))
        lengths.append(view_length(inspect.getsourcelines(view)[0]))
    if not lengths:
        raise RuntimeError("the route registry is empty")
    return max(lengths)


def figures() -> dict[str, int | float]:
    return {
        "health.radon_c_or_worse": radon_blocks("C"),
        "health.radon_d_or_worse": radon_blocks("D"),
        "health.functions_over_60_lines": functions_over_60_lines(),
        "health.min_maintainability_index": min_maintainability_index(),
        "health.mypy_errors": mypy_errors(),
        "health.import_contracts_broken": import_contracts_broken(),
        "health.private_cross_module_imports": private_cross_module_imports(),
        "health.max_view_lines": max_view_lines(),
    }


def main() -> int:
    for name, value in figures().items():
        print(f"{name}: {value}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
