"""What every service provisioner shares: the clients, names, tags and the creator signature."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mes_local.provision.intrinsics import Resolver

LOGICAL_ID_TAG = "aws:cloudformation:logical-id"
STACK_NAME_TAG = "aws:cloudformation:stack-name"


class Context:
    """One provisioning run: the session's clients (one per service), the stack's names and ARNs."""

    def __init__(self, session: Any, stack_name: str, account_id: str, region: str,
                 resolver: Resolver) -> None:
        self.session = session
        self.stack_name = stack_name
        self.account_id = account_id
        self.region = region
        self.resolver = resolver
        self.partition = resolver.partition
        self.url_suffix = resolver.url_suffix
        self._clients: dict[str, Any] = {}

    def client(self, name: str) -> Any:
        if name not in self._clients:
            self._clients[name] = self.session.client(name, region_name=self.region)
        return self._clients[name]

    def default_name(self, logical_id: str) -> str:
        """CloudFormation would add a random suffix; locally the name is deterministic."""
        return f"{self.stack_name}-{logical_id}"

    def cfn_tags(self, logical_id: str) -> list[dict[str, str]]:
        return [
            {"Key": LOGICAL_ID_TAG, "Value": logical_id},
            {"Key": STACK_NAME_TAG, "Value": self.stack_name},
        ]

    def arn(self, service: str, resource: str) -> str:
        return f"arn:{self.partition}:{service}:{self.region}:{self.account_id}:{resource}"


# A provisioner: (context, logical id, resolved properties) -> (what Ref gives, the GetAtt attributes).
Creator = Callable[[Context, str, dict[str, Any]], tuple[Any, dict[str, Any]]]


def truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return bool(value)


def error_code(exc: Exception) -> str:
    return getattr(exc, "response", {}).get("Error", {}).get("Code", "")


def string_attributes(props: dict[str, Any], keys: tuple[str, ...]) -> dict[str, str]:
    """The given properties as the string attributes SNS and SQS take (booleans in lower case)."""
    return {key: str(props[key]).lower() if isinstance(props[key], bool) else str(props[key])
            for key in keys if props.get(key) is not None}


def statements(document: dict[str, Any]) -> list[dict[str, Any]]:
    found = document.get("Statement") or []
    return found if isinstance(found, list) else [found]
