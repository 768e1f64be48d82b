"""`route()`: a Chalice route plus what the OpenAPI document and the template check need
(auth, body model, response model, status). Views stay thin: they receive the validated body
and the caller's claims, call one use case and return a model."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from chalice import Blueprint, Response
from pydantic import BaseModel
from pydantic import ValidationError as PydanticError

from mes.bootstrap import get_container
from mes.domain.errors import DomainError, Unauthorized

from .errors import from_domain, internal_error, problem

AUTHORIZERS = {"holder": "HolderAuth", "enrolment": "EnrolmentAuth", "pro": "ProAuth", None: "NONE"}


@dataclass(frozen=True)
class RouteSpec:
    path: str
    method: str
    name: str
    auth: str | None
    body: type[BaseModel] | None
    response: type[BaseModel] | None
    query: type[BaseModel] | None
    status: int
    summary: str
    errors: tuple[int, ...]


REGISTRY: list[RouteSpec] = []


def _field_of(exc: PydanticError) -> str:
    loc = exc.errors()[0].get("loc", ())
    return ".".join(str(p) for p in loc) or "body"


def _parse_body(request: Any, model: type[BaseModel]) -> BaseModel:
    raw = request.raw_body or b""
    try:
        data = json.loads(raw.decode("utf-8")) if raw else {}
    except (ValueError, UnicodeDecodeError):
        raise _BadBody("Le corps de la requête doit être un objet JSON valide.", "body") from None
    if not isinstance(data, dict):
        raise _BadBody("Le corps de la requête doit être un objet JSON.", "body")
    try:
        return model.model_validate(data)
    except PydanticError as exc:
        err = exc.errors()[0]
        field = _field_of(exc)
        if err.get("type") == "extra_forbidden":
            detail = f"Champ inconnu : « {field} »."
        elif err.get("type") == "missing":
            detail = f"Champ obligatoire manquant : « {field} »."
        else:
            detail = f"Valeur invalide pour le champ « {field} »."
        raise _BadBody(detail, field) from None


class _BadBody(Exception):
    def __init__(self, detail: str, field: str):
        self.detail, self.field = detail, field


def bearer_token(request: Any) -> str:
    header = (request.headers or {}).get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized()
    return token.strip()


def _parse_query(request: Any, model: type[BaseModel]) -> BaseModel:
    try:
        return model.model_validate(dict(request.query_params or {}))
    except PydanticError as exc:
        err = exc.errors()[0]
        field = _field_of(exc)
        detail = (f"Paramètre inconnu : « {field} »." if err.get("type") == "extra_forbidden"
                  else f"Valeur invalide pour le paramètre « {field} ».")
        raise _BadBody(detail, field) from None


def request_ref(request: Any, now: Any) -> Any:
    """One HTTP request's identity for the access log: the client's Idempotency-Key, else API
    Gateway's request id and time (the same on a retried invocation), else a fresh time-ordered id
    (records of the same second stay newest first)."""
    import time
    import uuid
    from datetime import UTC, datetime

    from mes.services.professionals import RequestRef
    context = request.context or {}
    key = ((request.headers or {}).get("idempotency-key") or context.get("requestId")
           or f"{time.time_ns():020d}-{uuid.uuid4().hex[:8]}")
    epoch = context.get("requestTimeEpoch")
    at = datetime.fromtimestamp(int(epoch) / 1000, UTC).replace(microsecond=0) if epoch else now
    return RequestRef(request_id=str(key)[:128], at=at)


def route(bp: Blueprint, path: str, method: str, *, auth: str | None, body: type[BaseModel] | None = None,
          response: type[BaseModel] | None = None, query: type[BaseModel] | None = None, status: int = 200,
          errors: tuple[int, ...] = (), summary: str = "") -> Callable:
    def decorator(view: Callable) -> Callable:
        REGISTRY.append(RouteSpec(path, method, view.__name__, auth, body, response, query, status,
                                  summary or (view.__doc__ or "").strip().split("\n")[0], errors))

        @functools.wraps(view)
        def wrapper(**params: str) -> Response:
            request = bp.current_request
            try:
                kwargs: dict[str, Any] = dict(params)
                if auth == "pro":
                    container = get_container()
                    kwargs["ps"] = container.psc.verify(bearer_token(request), container.clock())
                    kwargs["req"] = request_ref(request, container.clock())
                elif auth is not None:
                    from mes.services.auth import authenticate
                    from mes.services.enrolment import ENROLMENT_AUDIENCE, HOLDER_AUDIENCE
                    audience = HOLDER_AUDIENCE if auth == "holder" else ENROLMENT_AUDIENCE
                    container = get_container()
                    kwargs["claims"] = authenticate(container.account_deps(), bearer_token(request), audience,
                                                    container.clock())
                if body is not None:
                    kwargs["body"] = _parse_body(request, body)
                if query is not None:
                    kwargs["query"] = _parse_query(request, query)
                result = view(**kwargs)
            except _BadBody as exc:
                return problem(400, "validation_error", exc.detail, exc.field)
            except DomainError as exc:
                return from_domain(exc)
            except Exception:  # noqa: BLE001 - one error chain that never leaks internals
                return internal_error()
            if result is None:
                return Response(body="", status_code=status)
            payload = result.model_dump(mode="json") if isinstance(result, BaseModel) else result
            return Response(body=json.dumps(payload, ensure_ascii=False), status_code=status,
                            headers={"Content-Type": "application/json"})

        bp.route(path, methods=[method])(wrapper)
        return wrapper

    return decorator
