"""The functions' environment: ``Globals.Function.Environment.Variables`` resolved to local values."""

from __future__ import annotations

import json
from typing import Any

from mes_local.provision.intrinsics import NO_VALUE, Resolver


def function_environment(template: dict[str, Any], resolver: Resolver) -> dict[str, str]:
    """Each variable resolved with the provisioned resources, as Lambda would see it (strings;
    booleans in lower case, lists and objects as JSON; ``AWS::NoValue`` drops the variable)."""
    globals_ = ((template.get("Globals") or {}).get("Function") or {}).get("Environment") or {}
    env = {}
    for name, value in (globals_.get("Variables") or {}).items():
        resolved = resolver.resolve(value)
        if resolved is not NO_VALUE:
            env[name] = _as_string(resolved)
    return env


def _as_string(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, list | dict):
        return json.dumps(value)
    return str(value)
