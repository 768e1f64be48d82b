"""`route()`: a Chalice route plus what the OpenAPI document and the template check need
(auth, body model, response model, status). Views stay thin: they receive the validated body
and the caller's claims, call one use case and return a model."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from chalice import Blueprint, Response
from pydantic import BaseModel

from mes import bootstrap
from mes.bootstrap import Container
from mes.domain.errors import DomainError, Unauthorized
from mes.settings import ApiSettings

from .bodies import BadInput, parse_body, parse_query
from .errors import Render, from_domain, internal_error, problem

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
    area: str = ""  # the blueprint's module (routes/<area>.py): the OpenAPI tag
    session: str | None = None  # the web session cookie: "issue" (sets it), "renew" (reads and sets), "end"
    produces: str | None = None  # a file route's media type (its view returns a FileAnswer), else JSON
    media: str = "json"  # "fhir": the FHIR facade (application/fhir+json, OperationOutcome errors)

    @property
    def gateway_authorizer(self) -> str:
        """The template's `Auth.Authorizer` for this route. The FHIR facade's PS routes have none at the
        gateway: a refused token must be answered by an OperationOutcome (FHIR.md §1), and an API
        Gateway response can only answer one fixed body per status (no per-path template); the view
        verifies the Pro Santé Connect token with the very verifier the `ProAuth` authorizer runs
        (routing's `ps` wrapper), so nothing is checked less, and a valid call costs one Lambda
        invocation instead of two (the authorizer caches nothing: `ReauthorizeEvery: 0`)."""
        return "NONE" if self.media == "fhir" else AUTHORIZERS[self.auth]


SESSION_COOKIE = "mes_session"
SESSION_ID_CHARS = re.compile(r"^[A-Za-z0-9_-]{43}$")  # secrets.token_urlsafe(32)


@dataclass(frozen=True)
class WithSession:
    """A view's answer and the session id the wrapper puts in the HttpOnly cookie."""

    body: BaseModel
    session_id: str


def session_cookie(session_id: str) -> str:
    """WEB.md "Session": HttpOnly (no script reads it), Secure, SameSite=Strict, scoped to the auth
    path of the page's origin; Max-Age 1800 = the 30-minute idle limit. An empty id clears it."""
    path = get_container().api_settings.session_cookie_path
    max_age = 1800 if session_id else 0
    return f"{SESSION_COOKIE}={session_id}; Max-Age={max_age}; Path={path}; HttpOnly; Secure; SameSite=Strict"


def session_id_of(request: Any) -> str:
    """The session id from the Cookie header; empty when absent or not shaped like one."""
    for part in ((request.headers or {}).get("cookie") or "").split(";"):
        name, _, value = part.strip().partition("=")
        if name == SESSION_COOKIE and SESSION_ID_CHARS.match(value):
            return value
    return ""


@dataclass(frozen=True)
class FileAnswer:
    """A file to download: its bytes, media type (one of the app's binary types) and file name."""

    content: bytes
    media_type: str
    filename: str


BINARY_TYPES = ["application/pdf"]  # = template.yaml MesApi BinaryMediaTypes (as application~1pdf)


def check_accept(request: Any, produces: str | None) -> None:
    """A file route answers its bytes only when the first media type of Accept is the file's: API
    Gateway returns a binary body only then (else the Lambda's base64 text), Chalice checks it too.
    Otherwise a 406 problem, before the use case runs."""
    if produces is None:
        return
    first = ((request.headers or {}).get("accept") or "").split(",")[0].split(";")[0].strip().lower()
    if first != produces:
        raise BadInput(f"Ce fichier se télécharge au format {produces} : la requête doit l'accepter "
                       f"(en-tête « Accept: {produces} »).", field=None, status=406, code="not_acceptable")


REGISTRY: list[RouteSpec] = []


def get_container() -> Container:
    """The API family's container: its settings are `ApiSettings`, validated when it is built."""
    return bootstrap.get_container(ApiSettings)


def bearer_token(request: Any) -> str:
    header = (request.headers or {}).get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized()
    return token.strip()


def request_ref(request: Any, now: Any, channel: str = "api") -> Any:
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
    return RequestRef(request_id=str(key)[:128], at=at, channel=channel)


def route(bp: Blueprint, path: str, method: str, *, auth: str | None, body: type[BaseModel] | None = None,
          response: type[BaseModel] | None = None, query: type[BaseModel] | None = None, status: int = 200,
          errors: tuple[int, ...] = (), summary: str = "", session: str | None = None,
          produces: str | None = None, media: str = "json") -> Callable:
    def decorator(view: Callable) -> Callable:
        spec = RouteSpec(path, method, view.__name__, auth, body, response, query, status,
                         summary or (view.__doc__ or "").strip().split("\n")[0], errors,
                         view.__module__.rsplit(".", 1)[-1], session, produces, media)
        REGISTRY.append(spec)

        @functools.wraps(view)
        def wrapper(**params: str) -> Response:
            request = bp.current_request
            render: Render = problem
            try:
                kwargs: dict[str, Any] = dict(params)
                if media == "fhir":  # errors as OperationOutcome from here on (FHIR.md §1)
                    from .fhir import base_url, fhir_request, outcome_renderer
                    base = base_url(get_container().api_settings, request.headers or {})
                    render = outcome_renderer(base)
                    kwargs["fhir"] = fhir_request(request, base)
                kwargs.update(_inputs(spec, request))
                result = view(**kwargs)
            except BadInput as exc:
                return render(exc.status, exc.code, exc.detail, exc.field)
            except DomainError as exc:
                return _with_cookie(from_domain(exc, render), "" if session == "renew" else None)
            except Exception:  # noqa: BLE001 - one error chain that never leaks internals
                return internal_error(render)
            return _with_cookie(_answer(result, status, media), _cookie_of(result, session))

        # Any media type reaches the wrapper, which answers 415 in problem+json (Chalice's own check
        # would answer {"Code": "UnsupportedMediaType"} before the view).
        bp.route(path, methods=[method], content_types=["*/*"])(wrapper)
        return wrapper

    return decorator


def _inputs(spec: RouteSpec, request: Any) -> dict[str, Any]:
    """The caller (PS identity and request ref, or holder/enrolment claims), the body, the query and
    the session id, as the view's keyword arguments."""
    kwargs: dict[str, Any] = {}
    if spec.auth == "pro":
        container = get_container()
        kwargs["ps"] = container.psc.verify(bearer_token(request), container.clock())
        kwargs["req"] = request_ref(request, container.clock(), "fhir" if spec.media == "fhir" else "api")
    elif spec.auth is not None:
        from mes.services.auth import authenticate
        from mes.services.enrolment import ENROLMENT_AUDIENCE, HOLDER_AUDIENCE
        audience = HOLDER_AUDIENCE if spec.auth == "holder" else ENROLMENT_AUDIENCE
        container = get_container()
        kwargs["claims"] = authenticate(container.account_deps(), bearer_token(request), audience,
                                        container.clock())
    check_accept(request, spec.produces)
    if spec.body is not None:
        kwargs["body"] = parse_body(request, spec.body)
    if spec.query is not None and spec.media != "fhir":  # the facade parses its own search parameters
        kwargs["query"] = parse_query(request, spec.query)
    if spec.session in ("renew", "end"):
        kwargs["session_id"] = session_id_of(request)
    return kwargs


def _cookie_of(result: Any, session: str | None) -> str | None:
    """The session id to set ("" clears the cookie), or None: no Set-Cookie."""
    if isinstance(result, WithSession):
        return result.session_id
    return "" if session == "end" else None


def _with_cookie(response: Response, session_id: str | None) -> Response:
    if session_id is not None:
        response.headers["Set-Cookie"] = session_cookie(session_id)
    return response


def _answer(result: Any, status: int, media: str = "json") -> Response:
    if isinstance(result, Response):  # the FHIR facade's redirects and resources carry their own headers
        return result
    if isinstance(result, WithSession):
        result = result.body
    if isinstance(result, FileAnswer):  # personal data: never kept by a cache
        return Response(body=result.content, status_code=status, headers={
            "Content-Type": result.media_type, "Cache-Control": "no-store",
            "Content-Disposition": f'attachment; filename="{result.filename}"'})
    if result is None:
        return Response(body="", status_code=status)
    payload = result.model_dump(mode="json") if isinstance(result, BaseModel) else result
    return Response(body=json.dumps(payload, ensure_ascii=False), status_code=status,
                    headers={"Content-Type": "application/fhir+json" if media == "fhir" else "application/json"})

