"""The one table from domain error codes to HTTP statuses (functions/api/chalicelib/errors.py):
every domain error has a row, and `retry_after` becomes the `Retry-After` header (API.md: 429 =
rate limited or locked, with Retry-After when it applies)."""

from __future__ import annotations

import importlib
import json
import pkgutil

import pytest

import mes.domain
import mes.services
from mes.domain.errors import CodeLocked, DomainError, OtpLocked, RateLimited
from mes_local.functions import api_app


@pytest.fixture(scope="module")
def errors():
    api_app()  # functions/api on sys.path, as in Lambda
    return importlib.import_module("chalicelib.errors")


def _all_domain_errors() -> set[type[DomainError]]:
    for package in (mes.domain, mes.services):
        for module in pkgutil.iter_modules(package.__path__):
            importlib.import_module(f"{package.__name__}.{module.name}")
    found, todo = set(), [DomainError]
    while todo:
        for sub in todo.pop().__subclasses__():
            found.add(sub)
            todo.append(sub)
    return found


def test_every_domain_error_code_has_a_status(errors):
    missing = sorted({cls.code for cls in _all_domain_errors()} - set(errors.STATUS))
    assert not missing, f"domain error codes without a row in chalicelib/errors.py STATUS: {missing}"


@pytest.mark.parametrize("error", [OtpLocked(retry_after=420), CodeLocked(retry_after=60),
                                   RateLimited(retry_after=3599)], ids=["otp", "code", "rate"])
def test_a_lock_or_a_limit_is_a_429_problem_with_retry_after(errors, error):
    response = errors.from_domain(error)
    body = json.loads(response.body)
    assert response.status_code == 429 and body["status"] == 429 and body["code"] == error.code
    assert response.headers["Retry-After"] == str(error.retry_after)
    assert response.headers["Content-Type"] == "application/problem+json"
    assert body["detail"] == error.detail and "Trop" in body["detail"]  # French, for the holder


def test_no_retry_after_when_it_does_not_apply(errors):
    assert "Retry-After" not in errors.from_domain(CodeLocked()).headers


def test_an_unmapped_domain_error_is_a_logged_500_never_a_silent_400(errors, caplog):
    # Given a domain error whose code has no row in STATUS (a newly added error, forgotten)
    class Forgotten(DomainError):
        code = "forgotten_in_the_table"
        detail = "Détail qui ne doit pas fuiter."

    # When the edge renders it
    with caplog.at_level("ERROR"):
        response = errors.from_domain(Forgotten())
    body = json.loads(response.body)
    # Then it is a 500 internal_error (no internals leaked), and a log line names the missing code
    assert response.status_code == 500 and body["status"] == 500 and body["code"] == "internal_error"
    assert "Forgotten" not in response.body and "fuiter" not in response.body
    assert any(r.getMessage() == "unmapped domain error" and getattr(r, "code", None) == "forgotten_in_the_table"
               for r in caplog.records)
