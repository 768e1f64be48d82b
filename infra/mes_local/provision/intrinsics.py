"""The intrinsic functions of CloudFormation, resolved with the locally provisioned values."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from typing import Any

from mes_local.provision.template import SUB_VARIABLE, TemplateError


class _NoValue:
    def __repr__(self) -> str:
        return "AWS::NoValue"


NO_VALUE = _NoValue()


def pseudo_parameters(stack_name: str, account_id: str, region: str) -> dict[str, Any]:
    partition = "aws-cn" if region.startswith("cn-") else "aws"
    return {
        "AWS::StackName": stack_name,
        "AWS::AccountId": account_id,
        "AWS::Region": region,
        "AWS::Partition": partition,
        "AWS::URLSuffix": "amazonaws.com.cn" if partition == "aws-cn" else "amazonaws.com",
        "AWS::StackId": f"arn:{partition}:cloudformation:{region}:{account_id}:stack/{stack_name}/local",
        "AWS::NotificationARNs": [],
        "AWS::NoValue": NO_VALUE,
    }


class Resolver:
    """Resolves ``Ref``, ``Fn::*`` and conditions; ``refs``/``attrs`` grow as resources are created."""

    def __init__(self, template: dict[str, Any], stack_name: str, account_id: str, region: str,
                 parameters: dict[str, Any]) -> None:
        self.template = template
        self.pseudo = pseudo_parameters(stack_name, account_id, region)
        self.partition: str = self.pseudo["AWS::Partition"]
        self.url_suffix: str = self.pseudo["AWS::URLSuffix"]
        self.parameters = parameters
        self.refs: dict[str, Any] = {}
        self.attrs: dict[str, dict[str, Any]] = {}
        self._conditions: dict[str, bool] = {}

    @property
    def resources(self) -> dict[str, Any]:
        return self.template.get("Resources") or {}

    # -- conditions ------------------------------------------------------------------------------
    def condition(self, name: str) -> bool:
        if name not in self._conditions:
            definitions = self.template.get("Conditions") or {}
            if name not in definitions:
                raise TemplateError(f"unknown condition {name!r}")
            self._conditions[name] = bool(self.resolve(definitions[name]))
        return self._conditions[name]

    # -- references ------------------------------------------------------------------------------
    def ref(self, name: str) -> Any:
        for values in (self.pseudo, self.parameters, self.refs):
            if name in values:
                return values[name]
        if name in self.resources:
            raise TemplateError(
                f"Ref to {name} ({self.resources[name].get('Type')}), which is not provisioned locally"
            )
        raise TemplateError(f"Ref to unknown name {name!r}")

    def get_att(self, logical_id: str, attribute: str) -> Any:
        if attribute in self.attrs.get(logical_id, {}):
            value = self.attrs[logical_id][attribute]
            if value is None:
                raise TemplateError(f"{logical_id}.{attribute} has no value locally")
            return value
        if logical_id not in self.resources:
            raise TemplateError(f"GetAtt on unknown resource {logical_id!r}")
        raise TemplateError(
            f"GetAtt {logical_id}.{attribute} is not available locally "
            f"({self.resources[logical_id].get('Type')})"
        )

    def sub(self, text: str, variables: dict[str, Any]) -> str:
        def replace(match: re.Match[str]) -> str:
            value = self._sub_value(match.group(1), variables)
            if isinstance(value, list):
                value = ",".join(str(v) for v in value)
            return str(value)

        return SUB_VARIABLE.sub(replace, text)

    def _sub_value(self, name: str, variables: dict[str, Any]) -> Any:
        if name.startswith("!"):
            return "${" + name[1:] + "}"
        if name in variables:
            return variables[name]
        if "." in name and not name.startswith("AWS::"):
            logical_id, attribute = name.split(".", 1)
            return self.get_att(logical_id, attribute)
        return self.ref(name)

    # -- the walker ------------------------------------------------------------------------------
    def resolve(self, value: Any) -> Any:
        """``value`` with every intrinsic function applied; ``AWS::NoValue`` drops the entry."""
        if isinstance(value, list):
            return [item for item in (self.resolve(item) for item in value) if item is not NO_VALUE]
        if isinstance(value, dict):
            return self._resolve_mapping(value)
        return value

    def _resolve_mapping(self, value: dict[str, Any]) -> Any:
        if len(value) == 1:
            (key, arg), = value.items()
            if key in _FUNCTIONS:
                return _FUNCTIONS[key](self, arg)
        resolved = {key: self.resolve(item) for key, item in value.items()}
        return {key: item for key, item in resolved.items() if item is not NO_VALUE}

    def boolean(self, value: Any) -> bool:
        if isinstance(value, dict) and set(value) == {"Condition"}:
            return self.condition(value["Condition"])
        return bool(self.resolve(value))


# -------------------------------------------------------------------------------------------------
# One function per intrinsic
# -------------------------------------------------------------------------------------------------
def _fn_ref(resolver: Resolver, arg: Any) -> Any:
    return resolver.ref(resolver.resolve(arg))


def _fn_get_att(resolver: Resolver, arg: Any) -> Any:
    if isinstance(arg, str):
        arg = arg.split(".", 1)
    logical_id, attribute = (resolver.resolve(part) for part in arg)
    return resolver.get_att(logical_id, attribute)


def _fn_sub(resolver: Resolver, arg: Any) -> str:
    if isinstance(arg, str):
        return resolver.sub(arg, {})
    text, variables = arg[0], arg[1] if len(arg) > 1 else {}
    return resolver.sub(resolver.resolve(text), {k: resolver.resolve(v) for k, v in (variables or {}).items()})


def _fn_join(resolver: Resolver, arg: Any) -> str:
    delimiter, items = arg
    return str(resolver.resolve(delimiter)).join(str(item) for item in resolver.resolve(items))


def _fn_select(resolver: Resolver, arg: Any) -> Any:
    index, items = arg
    return resolver.resolve(items)[int(resolver.resolve(index))]


def _fn_split(resolver: Resolver, arg: Any) -> list[str]:
    delimiter, text = arg
    return str(resolver.resolve(text)).split(resolver.resolve(delimiter))


def _fn_if(resolver: Resolver, arg: Any) -> Any:
    name, when_true, when_false = arg
    return resolver.resolve(when_true if resolver.condition(name) else when_false)


def _fn_equals(resolver: Resolver, arg: Any) -> bool:
    left, right = (resolver.resolve(item) for item in arg)
    return str(left) == str(right) if not isinstance(left, list | dict) else left == right


def _fn_not(resolver: Resolver, arg: Any) -> bool:
    return not resolver.boolean(arg[0])


def _fn_and(resolver: Resolver, arg: Any) -> bool:
    return all(resolver.boolean(item) for item in arg)


def _fn_or(resolver: Resolver, arg: Any) -> bool:
    return any(resolver.boolean(item) for item in arg)


def _fn_condition(resolver: Resolver, arg: Any) -> bool:
    return resolver.condition(arg)


def _fn_find_in_map(resolver: Resolver, arg: Any) -> Any:
    map_name, top, second = (resolver.resolve(item) for item in arg[:3])
    try:
        return resolver.template["Mappings"][map_name][top][second]
    except KeyError as exc:
        raise TemplateError(f"Fn::FindInMap {map_name}/{top}/{second} not found") from exc


def _fn_base64(resolver: Resolver, arg: Any) -> str:
    return base64.b64encode(str(resolver.resolve(arg)).encode()).decode()


def _fn_get_azs(resolver: Resolver, arg: Any) -> list[str]:
    region = resolver.resolve(arg) or resolver.pseudo["AWS::Region"]
    return [f"{region}{suffix}" for suffix in "abc"]


def _fn_to_json_string(resolver: Resolver, arg: Any) -> str:
    return json.dumps(resolver.resolve(arg), separators=(",", ":"))


def _fn_unsupported(resolver: Resolver, arg: Any) -> Any:
    raise TemplateError(f"unsupported intrinsic function with argument {arg!r}")


_FUNCTIONS: dict[str, Callable[[Resolver, Any], Any]] = {
    "Ref": _fn_ref,
    "Fn::GetAtt": _fn_get_att,
    "Fn::Sub": _fn_sub,
    "Fn::Join": _fn_join,
    "Fn::Select": _fn_select,
    "Fn::Split": _fn_split,
    "Fn::If": _fn_if,
    "Fn::Equals": _fn_equals,
    "Fn::Not": _fn_not,
    "Fn::And": _fn_and,
    "Fn::Or": _fn_or,
    "Condition": _fn_condition,
    "Fn::FindInMap": _fn_find_in_map,
    "Fn::Base64": _fn_base64,
    "Fn::GetAZs": _fn_get_azs,
    "Fn::ToJsonString": _fn_to_json_string,
    "Fn::ImportValue": _fn_unsupported,
    "Fn::Cidr": _fn_unsupported,
    "Fn::Transform": _fn_unsupported,
}
