"""The boundaries between areas (issue 10): no module uses another module's `_private` name, and the
import contracts of pyproject.toml ([tool.importlinter], also run by `make test`) hold — and break
when someone adds an upward import, a cycle or an AWS SDK import in the domain."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("layers", "functions", "infra")
FIRST_PARTY = ("mes", "mes_local", "chalicelib")
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _first_party(node: ast.ImportFrom) -> bool:
    return bool(node.level) or (node.module or "").split(".")[0] in FIRST_PARTY


def private_uses(tree: ast.AST) -> list[str]:
    """`from x import _y` of a first-party module, and `module._y` on a first-party module imported
    here (`from . import enrolment` then `enrolment._identify`)."""
    found, modules = [], set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and _first_party(node):
            for alias in node.names:
                modules.add(alias.asname or alias.name)
                if alias.name.startswith("_") and not alias.name.startswith("__"):
                    found.append(f"from {'.' * node.level}{node.module or ''} import {alias.name}")
        elif isinstance(node, ast.Import):
            modules.update((a.asname or a.name).split(".")[0] for a in node.names
                           if a.name.split(".")[0] in FIRST_PARTY)
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__"):
            base = node.value
            while isinstance(base, ast.Attribute):
                base = base.value
            if isinstance(base, ast.Name) and base.id in modules:
                found.append(ast.unparse(node))
    return found


def test_private_uses_finds_both_forms() -> None:
    code = ("from mes.adapters.dynamo import _failed_indexes, iso\n"
            "from . import enrolment\nfrom .professionals import _log\nimport mes.adapters.dynamo as d\n"
            "enrolment._identify(1)\nd._x\nself._region\nenrolment.check_code\n")
    assert sorted(private_uses(ast.parse(code))) == sorted([
        "from mes.adapters.dynamo import _failed_indexes", "from .professionals import _log",
        "enrolment._identify", "d._x"])


def test_no_module_uses_another_modules_private_name() -> None:
    """Issue 10: was 15 `from … import _name` (+ 5 `module._name`); shared pieces have public names."""
    offenders = []
    for folder in SOURCES:
        for path in sorted((ROOT / folder).rglob("*.py")):
            if any(part.startswith(".") for part in path.relative_to(ROOT).parts):
                continue
            offenders += [f"{path.relative_to(ROOT)}: {use}" for use in private_uses(ast.parse(path.read_text()))]
    assert offenders == []


def _lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root / "layers/core"), str(root / "functions/api")])}
    return subprocess.run([str(LINT_IMPORTS), str(root / "pyproject.toml"), "--no-cache"],
                          cwd=root, env=env, capture_output=True, text=True, timeout=120)


def test_import_contracts_are_kept() -> None:
    result = _lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "4 kept, 0 broken" in result.stdout


@pytest.fixture
def copy_of_the_code(tmp_path: Path) -> Path:
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    shutil.copytree(ROOT / "layers/core/mes", tmp_path / "layers/core/mes",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "functions/api/chalicelib", tmp_path / "functions/api/chalicelib",
                    ignore=shutil.ignore_patterns("__pycache__"))
    return tmp_path


@pytest.mark.parametrize(("module", "line", "contract"), [
    ("layers/core/mes/domain/espace.py", "import boto3", "The domain imports no service"),
    ("layers/core/mes/domain/espace.py", "from mes.adapters import dynamo_kit", "The domain imports no service"),
    ("layers/core/mes/services/wave.py", "from mes.adapters import dynamo_kit", "services import no adapter"),
    ("layers/core/mes/ports.py", "from mes import bootstrap", "Layers"),
    ("layers/core/mes/services/children.py", "from mes.services import professionals", "No import cycle"),
    ("layers/core/mes/adapters/dynamo_kit.py", "from mes.adapters import dynamo", "No import cycle"),
])
def test_the_contracts_break_on_a_forbidden_import(copy_of_the_code: Path, module: str, line: str,
                                                   contract: str) -> None:
    path = copy_of_the_code / module
    path.write_text(path.read_text() + f"\n{line}  # noqa\n")
    result = _lint_imports(copy_of_the_code)
    assert result.returncode == 1
    broken = result.stdout.split("Broken contracts")[1]
    assert contract in broken.replace("\n", " ")
