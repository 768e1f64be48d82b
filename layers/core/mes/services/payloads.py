"""Typed reads of the JSON-like payloads the ports carry as `dict[str, object]` (a challenge's data,
a verified token's claims): the use case states the type it expects, instead of an `Any`."""

from __future__ import annotations

from collections.abc import Mapping


def text(data: Mapping[str, object], key: str) -> str:
    """A required string (KeyError when absent, as `data[key]`); TypeError if it is not a string."""
    value = data[key]
    if not isinstance(value, str):
        raise TypeError(f"{key!r} is not a string")
    return value


def optional_text(data: Mapping[str, object], key: str) -> str | None:
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        raise TypeError(f"{key!r} is not a string")
    return value


def integer(data: Mapping[str, object], key: str, default: int) -> int:
    """`int(data.get(key, default))`, for the values `int()` takes."""
    value = data.get(key, default)
    if not isinstance(value, int | float | str):
        raise TypeError(f"{key!r} is not a number")
    return int(value)
