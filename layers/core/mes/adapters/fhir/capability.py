"""The CapabilityStatement, generated from the facade's registered routes (as openapi.json is from
the route registry): a route `GET /fhir/R4/X/{id}` declares `read` on X, `GET /fhir/R4/X` (or
`POST /fhir/R4/X/_search`) `search-type` with X's search parameters."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from .resources import FHIR_JSON

PREFIX = "/fhir/R4"
# Search parameters of each resource type: (name, type, documentation).
SEARCH_PARAMETERS: dict[str, list[tuple[str, str, str]]] = {
    "DocumentReference": [
        ("patient.identifier", "token", "required: urn:oid:1.2.250.1.213.1.4.8|{NIR} (INS-NIR)"),
        ("status", "token", "required: current | superseded | entered-in-error"),
        ("type", "token", "LOINC type, or the mes-category code where no LOINC code applies"),
        ("category", "token", "TRE_A03 class code or mes-category code"),
        ("date", "date", "when the document was added"),
        ("period", "date", "the service period: mes documents carry none, so nothing matches"),
        ("creation", "date", "attachment.creation (when the document was added)"),
        ("security-label", "token", "TRE_A07 (MASQUE_PS, INVISIBLE_PATIENT, INVISIBLE_REPRESENTANTS_LEGAUX) or v3 N"),
        ("identifier", "token", "masterIdentifier (urn:ietf:rfc:3986|urn:uuid:…)"),
        ("_count", "number", "page size, 1 to 100 (50 by default)"),
    ],
    "Patient": [("identifier", "token", "required: urn:oid:1.2.250.1.213.1.4.8|{NIR} (INS-NIR)")],
    "AuditEvent": [("patient.identifier", "token", "required: the patient's INS; the administrator PS only (BR-32)"),
                   ("_count", "number", "page size, 1 to 100 (50 by default)")],
    "Consent": [("patient.identifier", "token", "required: the patient's INS; the administrator PS only (BR-32)")],
}
# Resource types no professional reads (BR-20: measurements are the holder's; a search is a 403):
# they are only created, in a transaction (PCH-01).
CREATE_ONLY = frozenset({"Observation"})
MHD_RESPONDER = "https://profiles.ihe.net/ITI/MHD/CapabilityStatement/IHE.MHD.DocumentResponder"
MHD_RECIPIENT = "https://profiles.ihe.net/ITI/MHD/CapabilityStatement/IHE.MHD.DocumentRecipient"


def _interactions(routes: Iterable[tuple[str, str]]) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for method, path in routes:
        match = re.fullmatch(re.escape(PREFIX) + r"/([A-Z][A-Za-z]+)(/\{\w+\}|/_search)?", path)
        if not match:
            continue
        if match.group(1) in CREATE_ONLY:
            found.setdefault(match.group(1), set()).add("create")
            continue
        kind = "read" if (match.group(2) or "").startswith("/{") else "search-type"
        kind = {("PATCH", "read"): "patch", ("POST", "search-type"): kind, ("GET", kind): kind}.get((method, kind), "")
        if kind:
            found.setdefault(match.group(1), set()).add(kind)
    return found


def capability_statement(routes: Iterable[tuple[str, str]], base: str, date: str) -> dict[str, Any]:
    """`routes`: (method, path) of every registered route; only those under /fhir/R4 count. `POST
    /fhir/R4` (ITI-65) is the system-level `transaction` interaction of an MHD Document Recipient."""
    routes = list(routes)
    transaction = ("POST", PREFIX) in routes
    resources = []
    for resource_type, kinds in sorted(_interactions(routes).items()):
        entry: dict[str, Any] = {"type": resource_type,
                                 "interaction": [{"code": k} for k in sorted(kinds)]}
        if "search-type" in kinds:
            entry["searchParam"] = [{"name": n, "type": t, "documentation": d}
                                    for n, t, d in SEARCH_PARAMETERS.get(resource_type, [])]
        resources.append(entry)
    return {
        "resourceType": "CapabilityStatement", "status": "active", "date": date, "kind": "instance",
        "instantiates": [MHD_RESPONDER, *([MHD_RECIPIENT] if transaction else [])], "fhirVersion": "4.0.1", "format": [FHIR_JSON],
        "implementation": {"description": "mes — façade FHIR R4 (PDSm / IHE MHD), lecture et dépôt", "url": base},
        "rest": [{
            "mode": "server",
            "documentation": "Jeton Pro Santé Connect (Bearer) sur chaque opération sauf metadata.",
            "security": {"service": [{"coding": [{
                "system": "http://terminology.hl7.org/CodeSystem/restful-security-service", "code": "OAuth"}]}],
                "description": "Bearer token from Pro Santé Connect, as /pro/* (no SMART endpoints)."},
            "resource": resources,
            **({"interaction": [{"code": "transaction",
                                 "documentation": "ITI-65 Provide Document Bundle; PCH-01: Observation (+ PhdDevice)"}]}
               if transaction else {}),
        }],
    }
