"""``AWS::SecretsManager::Secret``, with Secrets Manager's ``GenerateSecretString`` done locally."""

from __future__ import annotations

import json
import secrets
import string
from typing import Any

from mes_local.provision.base import Context, truthy
from mes_local.provision.template import TemplateError

_PUNCTUATION = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"

# (option, characters, whether the option excludes them rather than includes them)
_GROUPS = (
    ("ExcludeLowercase", string.ascii_lowercase, True),
    ("ExcludeUppercase", string.ascii_uppercase, True),
    ("ExcludeNumbers", string.digits, True),
    ("ExcludePunctuation", _PUNCTUATION, True),
    ("IncludeSpace", " ", False),
)


def generate_password(spec: dict[str, Any] | None = None) -> str:
    """A random password following the GenerateSecretString options (``secrets`` module)."""
    spec = spec or {}
    length = int(spec.get("PasswordLength", 32))
    groups = _character_groups(spec)
    alphabet = "".join(groups)
    require_each = truthy(spec.get("RequireEachIncludedType", True)) and length >= len(groups)
    while True:
        password = "".join(secrets.choice(alphabet) for _ in range(length))
        if not require_each or all(any(c in group for c in password) for group in groups):
            return password


def _character_groups(spec: dict[str, Any]) -> list[str]:
    excluded = set(spec.get("ExcludeCharacters", ""))
    chosen = [chars for option, chars, excludes in _GROUPS if truthy(spec.get(option)) != excludes]
    groups = [g for g in ("".join(c for c in chars if c not in excluded) for chars in chosen) if g]
    if not groups:
        raise TemplateError("GenerateSecretString excludes every character")
    return groups


def secret_value(props: dict[str, Any]) -> str:
    """``SecretString``, or a generated password (inside ``SecretStringTemplate`` when a key is named)."""
    if "SecretString" in props:
        return props["SecretString"]
    spec = props.get("GenerateSecretString") or {}
    password = generate_password(spec)
    if not spec.get("GenerateStringKey"):
        return password
    document = json.loads(spec.get("SecretStringTemplate") or "{}")
    document[spec["GenerateStringKey"]] = password
    return json.dumps(document)


def secret(ctx: Context, logical_id: str, props: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    """A secret keeps its first value: an existing one is found again by name."""
    sm = ctx.client("secretsmanager")
    name = props.get("Name") or ctx.default_name(logical_id)
    try:
        arn = sm.describe_secret(SecretId=name)["ARN"]
    except sm.exceptions.ResourceNotFoundException:
        kwargs: dict[str, Any] = {"Name": name, "SecretString": secret_value(props),
                                  "Tags": ctx.cfn_tags(logical_id) + list(props.get("Tags") or [])}
        for key in ("Description", "KmsKeyId"):
            if props.get(key):
                kwargs[key] = props[key]
        arn = sm.create_secret(**kwargs)["ARN"]
    return arn, {"Id": arn}


CREATORS = {"AWS::SecretsManager::Secret": (secret, "Id")}
