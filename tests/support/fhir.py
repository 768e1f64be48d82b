"""FHIR answers checked twice (FHIR.md §5): fhir.resources' R4B models (pydantic; FHIR 4.3) and
fhirclient's R4 models (4.0.1, strict). Neither checks codes: the tests assert those. Every check is
counted in `TALLY`; the bench's `fhir.validation_failures` runs the same checker."""

from __future__ import annotations

import importlib
from typing import Any

TALLY = {"checked": 0, "failures": 0}
FHIRCLIENT_MODULES = {"CapabilityStatement": "capabilitystatement", "DocumentReference": "documentreference",
                      "OperationOutcome": "operationoutcome", "Bundle": "bundle", "Binary": "binary",
                      "Patient": "patient", "AuditEvent": "auditevent", "Consent": "consent",
                      "Observation": "observation"}


def problems(body: dict[str, Any]) -> list[str]:
    """What either library refuses in one resource (empty: valid)."""
    found: list[str] = []
    kind = body.get("resourceType", "")
    try:
        module = importlib.import_module(f"fhir.resources.R4B.{kind.lower()}")
        getattr(module, kind).model_validate(body)
    except Exception as exc:  # noqa: BLE001 - report every kind of refusal
        found.append(f"fhir.resources R4B {kind}: {exc}")
    try:
        module = importlib.import_module(f"fhirclient.models.{FHIRCLIENT_MODULES[kind]}")
        getattr(module, kind)(body, strict=True)
    except Exception as exc:  # noqa: BLE001
        found.append(f"fhirclient R4 {kind}: {exc}")
    return found + _bundle_invariants(body)


def _bundle_invariants(body: dict[str, Any]) -> list[str]:
    """bdl-7, which neither library checks: a fullUrl appears once in a Bundle (but a history)."""
    if body.get("resourceType") != "Bundle" or body.get("type") == "history":
        return []
    urls = [entry.get("fullUrl") for entry in body.get("entry") or [] if isinstance(entry, dict) and entry.get("fullUrl")]
    repeated = sorted({url for url in urls if urls.count(url) > 1})
    return [f"Bundle bdl-7: fullUrl repeated: {repeated}"] if repeated else []


def valid(body: dict[str, Any]) -> dict[str, Any]:
    """`body` if both libraries accept it; counts the check (and the failure) either way."""
    TALLY["checked"] += 1
    found = problems(body)
    if found:
        TALLY["failures"] += 1
        raise AssertionError("\n".join(found))
    return body


def answer(response: Any, status: int = 200) -> dict[str, Any]:
    """A Chalice test-client answer of the facade: the status, application/fhir+json, a valid resource."""
    assert response.status_code == status, (response.status_code, response.body[:500])
    assert {k.lower(): v for k, v in response.headers.items()}["content-type"] == "application/fhir+json", response.headers
    return valid(response.json_body)


def outcome(response: Any, status: int, code: str) -> dict[str, Any]:
    """An OperationOutcome with the JSON API's code (FHIR.md §6) and a French text."""
    body = answer(response, status)
    assert body["resourceType"] == "OperationOutcome"
    details = body["issue"][0]["details"]
    assert details["coding"][0]["code"] == code and details["coding"][0]["system"].endswith(
        "/fhir/R4/CodeSystem/mes-error"), details
    assert details["text"], details
    return body
