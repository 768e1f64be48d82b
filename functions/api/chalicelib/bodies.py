"""Request bodies and query strings → validated models, or a 4xx problem: never a 500.

Before pydantic sees anything: the media type (415), the raw size (413), UTF-8, JSON that parses
without recursion and without NaN/Infinity, nesting depth, and every string (keys included) must be
encodable in UTF-8 (a lone surrogate such as "\\ud800" is valid JSON but cannot be stored or sent)."""

from __future__ import annotations

import json
import math
from typing import Any

from pydantic import BaseModel
from pydantic import ValidationError as PydanticError

MAX_BODY_BYTES = 256 * 1024  # well under DynamoDB's 400 KB item; the largest real body (a profile section) is far less
MAX_DEPTH = 16  # the deepest real body (a profile section) nests 4 levels
JSON_TYPES = ("application/json",)


class BadInput(Exception):
    """A request refused before any use case runs: rendered as problem+json by the route wrapper."""

    def __init__(self, detail: str, field: str | None = "body", status: int = 400, code: str = "validation_error"):
        super().__init__(code)
        self.detail, self.field, self.status, self.code = detail, field, status, code


def _is_json(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return not media or media in JSON_TYPES or (media.startswith("application/") and media.endswith("+json"))


def _no_constant(name: str) -> Any:
    raise ValueError(name)


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(text)
    return value


def _path(parts: tuple[Any, ...]) -> str:
    return ".".join(str(p) for p in parts) or "body"


def check_tree(data: Any, field_prefix: tuple[Any, ...] = ()) -> None:
    """Depth and UTF-8 of every string, walked without recursion (the input may be hostile)."""
    stack: list[tuple[Any, tuple[Any, ...]]] = [(data, field_prefix)]
    while stack:
        value, where = stack.pop()
        if len(where) - len(field_prefix) > MAX_DEPTH:
            raise BadInput(f"Le corps de la requête est trop imbriqué ({MAX_DEPTH} niveaux au plus).", _path(where))
        if isinstance(value, str):
            _check_text(value, where)
        elif isinstance(value, dict):
            for key, item in value.items():
                _check_text(key, (*where, key) if _encodable(key) else where)
                stack.append((item, (*where, key)))
        elif isinstance(value, list):
            stack.extend((item, (*where, i)) for i, item in enumerate(value))


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _check_text(text: str, where: tuple[Any, ...]) -> None:
    if not _encodable(text):
        raise BadInput(f"Valeur invalide pour le champ « {_path(where)} » : caractère Unicode invalide.",
                       _path(where))


_FIRST = {"extra_forbidden": 0, "missing": 1}


def _first_error(exc: PydanticError) -> dict[str, Any]:
    """Unknown fields first, then missing ones, then the first invalid value (in field order)."""
    return min(exc.errors(), key=lambda e: _FIRST.get(e.get("type", ""), 2))


def _field_of(exc: PydanticError) -> str:
    loc = _first_error(exc).get("loc", ())
    return ".".join(str(p) for p in loc) or "body"


def _validation_detail(exc: PydanticError, field: str, noun: str) -> str:
    err = _first_error(exc)
    kind = err.get("type")
    ctx = err.get("ctx") or {}
    if kind == "extra_forbidden":
        return f"{noun} inconnu : « {field} »."
    if kind == "missing":
        return f"{noun} obligatoire manquant : « {field} »."
    if kind == "string_too_short":
        least = ctx.get("min_length")
        return f"« {field} » ne peut pas être vide." if least == 1 else f"« {field} » : {least} caractères au moins."
    if kind == "string_too_long":
        return f"« {field} » : {ctx.get('max_length')} caractères au plus."
    if kind == "too_long":
        return f"« {field} » : {ctx.get('max_length')} éléments au plus."
    if kind == "string_pattern_mismatch":
        return f"Format invalide pour le champ « {field} »."
    return f"Valeur invalide pour le {noun.lower()} « {field} »."


def parse_body(request: Any, model: type[BaseModel]) -> BaseModel:
    data = _json_object(_raw_body(request))
    check_tree(data)
    try:
        return model.model_validate(data)
    except PydanticError as exc:
        field = _field_of(exc)
        raise BadInput(_validation_detail(exc, field, "Champ"), field) from None
    except RecursionError:  # pragma: no cover - depth is bounded above; kept as the last guard
        raise BadInput("Le corps de la requête est trop imbriqué.") from None


def _raw_body(request: Any) -> bytes:
    """The body's bytes, once the request is known to be JSON (415) and small enough (413)."""
    headers = request.headers or {}
    if not _is_json(headers.get("content-type", "")):
        raise BadInput("Le corps de la requête doit être envoyé en JSON (Content-Type: application/json).",
                       None, 415, "unsupported_media_type")
    raw = request.raw_body or b""
    if isinstance(raw, str):
        raw = raw.encode("utf-8", "surrogatepass")
    if len(raw) > MAX_BODY_BYTES:
        raise BadInput(f"Le corps de la requête est trop volumineux ({MAX_BODY_BYTES} octets au plus).",
                       None, 413, "payload_too_large")
    return bytes(raw)


def _json_object(raw: bytes) -> dict[str, Any]:
    """A JSON object in UTF-8 (an empty body is `{}`), without NaN/Infinity, not too deep."""
    try:
        data = json.loads(raw.decode("utf-8"), parse_constant=_no_constant, parse_float=_finite_float) if raw else {}
    except RecursionError:
        raise BadInput(f"Le corps de la requête est trop imbriqué ({MAX_DEPTH} niveaux au plus).") from None
    except (ValueError, UnicodeDecodeError):
        raise BadInput("Le corps de la requête doit être un objet JSON valide (UTF-8).") from None
    if not isinstance(data, dict):
        raise BadInput("Le corps de la requête doit être un objet JSON.")
    return data


def parse_query(request: Any, model: type[BaseModel]) -> BaseModel:
    params = dict(request.query_params or {})
    check_tree(params)
    try:
        return model.model_validate(params)
    except PydanticError as exc:
        field = _field_of(exc)
        raise BadInput(_validation_detail(exc, field, "Paramètre"), field) from None
