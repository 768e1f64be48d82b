"""Load the real Lambda entry points in-process (moto runs no Lambda code without Docker)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
FUNCTIONS = ROOT / "functions"
HANDLERS = {"wave": "wave", "auto-create": "auto_create", "auto_create": "auto_create",
            "population-import": "population_import", "population_import": "population_import",
            "document-scan": "document_scan", "document_scan": "document_scan",
            "hidden-release": "hidden_release", "hidden_release": "hidden_release",
            "majority-handover": "majority_handover", "majority_handover": "majority_handover",
            "retention": "retention", "suspension-followup": "suspension_followup",
            "suspension_followup": "suspension_followup", "operator": "operator",
            "reimbursement-import": "reimbursement_import", "reimbursement_import": "reimbursement_import",
            "export": "export"}


def load(name: str) -> ModuleType:
    folder = HANDLERS.get(name, name)
    module_name = f"mes_fn_{folder}"
    if module_name in sys.modules:
        return sys.modules[module_name]
    path = FUNCTIONS / folder / "handler.py"
    if not path.exists():
        raise SystemExit(f"unknown function: {name} (known: {', '.join(sorted(set(HANDLERS.values())))})")
    spec = importlib.util.spec_from_file_location(module_name, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module


def invoke(name: str, event: dict[str, Any], context: Any = None, **kwargs: Any) -> Any:
    from mes.jobs import LocalContext
    return load(name).handler(event, context or LocalContext(), **kwargs)


def api_app() -> Any:
    """The Chalice app object, imported the way Lambda does (functions/api on sys.path)."""
    api = str(FUNCTIONS / "api")
    if api not in sys.path:
        sys.path.insert(0, api)
    import app  # type: ignore[import-not-found]
    return app
