"""Reading ``template.yaml``: cfn-lint's CloudFormation YAML loader, the parameters, the references.

The YAML is parsed by cfn-lint's own loader (``cfnlint.decode.cfn_yaml``), which turns the short
tags into their long forms (``!Ref X`` -> ``{"Ref": "X"}``, ``!GetAtt A.B`` ->
``{"Fn::GetAtt": ["A", "B"]}``, ``!Sub s`` -> ``{"Fn::Sub": s}``); its nodes (``dict_node``,
``str_node``... which carry line marks) are turned back into plain ``dict``/``list``/``str``.
Unlike a plain YAML loader, it refuses a key written twice in one mapping (a second resource with
the same logical id would otherwise silently replace the first).
"""

from __future__ import annotations

import copy
import datetime
import functools
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

DEFAULT_TEMPLATE_PATH = Path(__file__).resolve().parents[3] / "template.yaml"

# Parameter values used when provisioning locally, unless the caller overrides them.
LOCAL_PARAMETER_DEFAULTS: dict[str, str] = {"Stage": "local"}

SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")


class TemplateError(ValueError):
    """The template cannot be resolved or provisioned (unknown reference, unsupported function...)."""


def load_template(path: str | Path | None = None) -> dict[str, Any]:
    """Parse a CloudFormation/SAM YAML template (default: the repository's ``template.yaml``);
    short tags become their long forms, ``!Condition C`` -> ``{"Condition": "C"}``."""
    path = Path(path) if path is not None else DEFAULT_TEMPLATE_PATH
    stat = path.stat()
    return copy.deepcopy(_parse_template(str(path), stat.st_mtime_ns, stat.st_size))


@functools.lru_cache(maxsize=8)
def _parse_template(path: str, mtime_ns: int, size: int) -> dict[str, Any]:
    """Parsed once per file version (the test suite provisions moto for every test)."""
    import yaml
    from cfnlint.decode import cfn_yaml

    try:
        template = _plain(cfn_yaml.load(path))
    except yaml.YAMLError as exc:  # cfn-lint's CfnParseError (duplicate keys...) or a syntax error
        raise TemplateError(f"{path}: {exc}") from exc
    if not isinstance(template, dict) or "Resources" not in template:
        raise TemplateError(f"{path} is not a CloudFormation template")
    return template


def _plain(value: Any) -> Any:
    """cfn-lint's marked nodes -> plain Python values (so copies, dumps and equality are the usual);
    an unquoted ``2010-09-09`` stays the text CloudFormation sees, not a ``date``."""
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, str):
        return str(value)
    if isinstance(value, datetime.date):  # YAML timestamps: CloudFormation reads them as text
        return value.isoformat()
    return value


# -------------------------------------------------------------------------------------------------
# Parameters
# -------------------------------------------------------------------------------------------------
def effective_parameters(template: dict[str, Any], parameters: dict[str, Any] | None) -> dict[str, Any]:
    """The template defaults, then ``LOCAL_PARAMETER_DEFAULTS``, then ``parameters``; checked."""
    declared = template.get("Parameters") or {}
    unknown = [name for name in parameters or {} if name not in declared]
    if unknown:
        raise TemplateError(f"unknown parameter {unknown[0]!r}")
    values = {**_defaults(declared), **(parameters or {})}
    return {name: _checked_parameter(name, spec, values) for name, spec in declared.items()}


def _defaults(declared: dict[str, Any]) -> dict[str, Any]:
    values = {name: spec["Default"] for name, spec in declared.items() if "Default" in spec}
    values.update({k: v for k, v in LOCAL_PARAMETER_DEFAULTS.items() if k in declared})
    return values


def _checked_parameter(name: str, spec: dict[str, Any], values: dict[str, Any]) -> Any:
    if name not in values:
        raise TemplateError(f"parameter {name!r} has no default and no value")
    value = values[name]
    allowed = spec.get("AllowedValues")
    if allowed and str(value) not in [str(a) for a in allowed]:
        raise TemplateError(f"parameter {name!r}={value!r} not in {allowed}")
    return value if isinstance(value, list) else str(value)


# -------------------------------------------------------------------------------------------------
# References and creation order
# -------------------------------------------------------------------------------------------------
def references(value: Any) -> set[str]:
    """Logical ids (or parameters) referenced by ``value`` (Ref, GetAtt, Sub)."""
    if isinstance(value, list):
        return set().union(*(references(item) for item in value))
    if not isinstance(value, dict):
        return set()
    if len(value) == 1:
        (key, arg), = value.items()
        if key == "Fn::Sub":
            return _sub_references(arg)
        found = _direct_reference(key, arg)
        if found:
            return found | references(arg)
    return set().union(*(references(item) for item in value.values()))


def _direct_reference(key: str, arg: Any) -> set[str]:
    if key == "Ref" and isinstance(arg, str):
        return {arg}
    if key == "Fn::GetAtt":
        target = arg.split(".", 1)[0] if isinstance(arg, str) else arg[0]
        return {target} if isinstance(target, str) else set()
    return set()


def _sub_references(arg: Any) -> set[str]:
    text, variables = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1] or {})
    found = {name.split(".", 1)[0] for name in SUB_VARIABLE.findall(text) if not name.startswith("!")}
    return (found - set(variables)) | references(variables)


def creation_order(resources: dict[str, Any], wanted: Iterable[str]) -> list[str]:
    """Supported resources, each after the supported resources it references (DependsOn too)."""
    wanted = list(wanted)
    wanted_set = set(wanted)
    order: list[str] = []
    state: dict[str, str] = {}

    def visit(logical_id: str, path: tuple[str, ...]) -> None:
        if state.get(logical_id) == "done":
            return
        if state.get(logical_id) == "visiting":
            raise TemplateError("circular dependency: " + " -> ".join(path + (logical_id,)))
        state[logical_id] = "visiting"
        for dependency in sorted(dependencies(resources[logical_id]) & wanted_set):
            visit(dependency, path + (logical_id,))
        state[logical_id] = "done"
        order.append(logical_id)

    for logical_id in wanted:
        visit(logical_id, ())
    return order


def dependencies(resource: dict[str, Any]) -> set[str]:
    depends = resource.get("DependsOn") or []
    depends = [depends] if isinstance(depends, str) else depends
    return references(resource.get("Properties") or {}) | set(depends)
