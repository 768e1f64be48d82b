"""One table from domain error codes to HTTP statuses; one place that renders problem+json."""

from __future__ import annotations

import json
from collections.abc import Callable

from chalice import Response

from mes.domain.errors import DomainError
from mes.observability import logger

STATUS = {
    "validation_error": 400,
    "invalid_credentials": 401,
    "unauthorized": 401,
    "invalid_otp": 401,
    "session_expired": 401,  # POST /auth/refresh: the session cookie is missing, expired or rotated
    "forbidden": 403,
    "blocked": 403,
    "emergency_refused": 403,
    "not_found": 404,
    "code_used": 409,
    "deadline_passed": 409,
    "state_conflict": 409,
    "not_replaceable": 409,  # BR-24: a replacement of a document that is not available, or already claimed
    "not_opposed": 409,  # GET /enrolment/opposition/receipt on an espace that is not opposed (BR-07)
    "login_taken": 409,
    "code_expired": 410,
    "code_locked": 429,
    "rate_limited": 429,
    "quota_exceeded": 429,
    "conversation_closed": 409,
    "invalid_attachment": 400,
    "suspended": 403,  # BR-15: the password matched, the espace is suspended by the operator
    "not_acceptable": 406,  # chalicelib.routing: a file route asked without its media type first in Accept;
    # the FHIR facade: XML asked, or a Binary as application/fhir+json over 4 MB (FHIR.md §2)
    "payload_too_large": 413,  # raised by chalicelib.bodies before any use case
    "unsupported_media_type": 415,
    "unsupported_measurement": 422,  # FHIR PCH-01: BMI or another LOINC code mes does not store
    "unsupported_transaction": 422,  # FHIR POST {base}: a transaction of resources no handler takes
    "patch_not_supported": 405,  # FHIR PATCH of an element other than /status or /securityLabel/0 (FHIR.md §6)
    "precondition_failed": 412,  # FHIR PATCH with If-Match: W/"n" on a document whose version has moved on
    "unprocessable": 422,  # the FHIR facade's business rules (ITI-65: content, category, labels; FHIR.md §1)
}

TITLES = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed", 406: "Not Acceptable",
          409: "Conflict", 410: "Gone", 412: "Precondition Failed", 413: "Content Too Large", 415: "Unsupported Media Type", 422: "Unprocessable Content",
          429: "Too Many Requests", 500: "Internal Server Error"}


def problem(status: int, code: str, detail: str, field: str | None = None, headers: dict | None = None) -> Response:
    body = {"type": f"https://mes.example.org/problems/{code}", "title": TITLES.get(status, "Error"),
            "status": status, "detail": detail, "code": code}
    if field:
        body["field"] = field
    return Response(body=json.dumps(body, ensure_ascii=False), status_code=status,
                    headers={"Content-Type": "application/problem+json", **(headers or {})})


Render = Callable[..., Response]  # (status, code, detail, field=None, headers=None): problem, or the FHIR outcome


def from_domain(error: DomainError, render: Render = problem) -> Response:
    """The problem+json answer of a domain error (or `render`'s: the FHIR facade's OperationOutcome).
    A code without a row in STATUS is a programming error: it answers 500 and logs `unmapped domain
    error` with the code (never a silent 400)."""
    try:
        status = STATUS[error.code]
    except KeyError:
        logger.error("unmapped domain error", extra={"code": error.code, "error_type": type(error).__name__})
        return render(500, "internal_error", "Une erreur technique est survenue. Réessayez plus tard.")
    headers = {"Retry-After": str(error.retry_after)} if error.retry_after else None
    if status >= 400:
        logger.info("request refused", extra={"code": error.code, "status": status, "field": error.field})
    return render(status, error.code, error.detail, error.field, headers)


def internal_error(render: Render = problem) -> Response:
    logger.exception("unhandled error")
    return render(500, "internal_error", "Une erreur technique est survenue. Réessayez plus tard.")
