"""The FHIR R4 facade's read side (FHIR.md; issue 12): metadata, ITI-67, ITI-68, Patient. Every read
goes through the professionals' use cases and the one access policy (mes.domain.access) — the same
functions as GET /pro/patients/{ins}/documents[/{id}] — and is logged with `channel: "fhir"`."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint, Response

from mes.adapters.fhir.capability import capability_statement
from mes.adapters.fhir.resources import instant
from mes.domain.professionals import ProIdentity
from mes.services import professionals as pro
from mes.services.professionals import RequestRef

from .. import fhir as facade
from ..fhir import FhirRequest
from ..models.fhir import (
    ConsentSearchQuery,
    DocumentIdentifierQuery,
    DocumentSearchQuery,
    PatientIdentifierQuery,
    PatientSearchQuery,
)
from ..routing import REGISTRY, get_container, route

bp = Blueprint(__name__)
FHIR_ERRORS = (400, 401, 403, 404, 406)  # 406: an Accept naming XML only (FHIR.md §1)


def deps() -> pro.ProDeps:
    return get_container().pro_deps()


@route(bp, "/fhir/R4", "POST", auth="pro", media="fhir", errors=(*FHIR_ERRORS, 409, 413, 415, 422, 429))
def fhir_transaction(ps: ProIdentity, req: RequestRef, fhir: FhirRequest) -> Response:
    """A transaction Bundle: ITI-65 (List SubmissionSet, DocumentReference, inline Binary, deposited as
    POST /pro/patients/{ins}/documents deposits) or PCH-01 (Observations, optional PhdDevice); all or nothing."""
    body = facade.transaction_body(bp.current_request)
    return facade.transaction(deps(), get_container().profiles, ps, req, fhir, body)


@route(bp, "/fhir/R4/metadata", "GET", auth=None, media="fhir", errors=(406,))
def fhir_metadata(fhir: FhirRequest) -> dict[str, Any]:
    """The CapabilityStatement, generated from the facade's registered routes (anonymous)."""
    routes = [(spec.method, spec.path) for spec in REGISTRY if spec.media == "fhir"]
    return capability_statement(routes, fhir.base, instant(get_container().clock()))


@route(bp, "/fhir/R4/DocumentReference", "GET", auth="pro", media="fhir", query=DocumentSearchQuery,
       errors=FHIR_ERRORS)
def fhir_search_documents(ps: ProIdentity, req: RequestRef, fhir: FhirRequest) -> dict[str, Any]:
    """ITI-67: the documents this professional may see, exactly as GET /pro/patients/{ins}/documents."""
    return facade.search_documents(deps(), ps, req, fhir)


@route(bp, "/fhir/R4/DocumentReference/_search", "POST", auth="pro", media="fhir", query=DocumentSearchQuery,
       errors=(*FHIR_ERRORS, 415))
def fhir_search_documents_post(ps: ProIdentity, req: RequestRef, fhir: FhirRequest) -> dict[str, Any]:
    """ITI-67 by POST: the criteria in an application/x-www-form-urlencoded body."""
    return facade.search_documents(deps(), ps, req, fhir)


@route(bp, "/fhir/R4/DocumentReference/{document_id}", "GET", auth="pro", media="fhir", errors=FHIR_ERRORS)
def fhir_read_document(ps: ProIdentity, req: RequestRef, fhir: FhirRequest, document_id: str) -> Response:
    """One DocumentReference, if this professional may see it (404 otherwise, as the JSON route); ETag W/"n"."""
    return facade.versioned(facade.read_document(deps(), ps, req, fhir, document_id))


@route(bp, "/fhir/R4/DocumentReference/{document_id}", "PATCH", auth="pro", media="fhir",
       errors=(*FHIR_ERRORS, 405, 409, 412, 413, 415, 422))
def fhir_patch_document(ps: ProIdentity, req: RequestRef, fhir: FhirRequest, document_id: str) -> Response:
    """The author's own deposit: /status → entered-in-error, /securityLabel/0 (label 0 → N, or MASQUE_PS).

    N lifts the first label: MASQUE_PS, INVISIBLE_PATIENT, or INVISIBLE_REPRESENTANTS_LEGAUX (for good,
    BR-17); optional If-Match W/"n" (412 on a stale version)."""
    request = bp.current_request
    body = facade.patch_body(request)
    return facade.versioned(facade.patch_document(deps(), ps, req, fhir, document_id, body, facade.if_match(request)))


@route(bp, "/fhir/R4/DocumentReference", "PATCH", auth="pro", media="fhir", query=DocumentIdentifierQuery,
       errors=(*FHIR_ERRORS, 405, 409, 412, 413, 415, 422))
def fhir_patch_document_by_identifier(ps: ProIdentity, req: RequestRef, fhir: FhirRequest) -> Response:
    """The same PATCH, the document named by its masterIdentifier (mes's urn:uuid or the author's own)."""
    request = bp.current_request
    body = facade.patch_body(request)
    return facade.patch_by_identifier(deps(), ps, req, fhir, body, facade.if_match(request))


@route(bp, "/fhir/R4/Binary/{document_id}", "GET", auth="pro", media="fhir", errors=FHIR_ERRORS)
def fhir_retrieve(ps: ProIdentity, req: RequestRef, fhir: FhirRequest, document_id: str) -> Response | dict:
    """ITI-68: 302 to a short-lived presigned GET; a Binary (≤ 4 MB) for Accept: application/fhir+json."""
    return facade.retrieve(deps(), ps, req, fhir, document_id)


@route(bp, "/fhir/R4/Patient", "GET", auth="pro", media="fhir", query=PatientSearchQuery, errors=FHIR_ERRORS)
def fhir_search_patients(ps: ProIdentity, req: RequestRef, fhir: FhirRequest) -> dict[str, Any]:
    """The patient of an INS: 0 or 1 Patient (created or active espace), the lookup logged."""
    return facade.search_patients(deps(), ps, req, fhir)


@route(bp, "/fhir/R4/Observation", "GET", auth="pro", media="fhir", errors=(401, 403))
def fhir_search_observations(ps: ProIdentity, req: RequestRef, fhir: FhirRequest) -> dict[str, Any]:
    """Always 403 for a professional (BR-20: measurements are the holder's), before any parameter check."""
    facade.refuse_observation_read()
    return {}


@route(bp, "/fhir/R4/AuditEvent", "GET", auth="pro", media="fhir", query=PatientIdentifierQuery,
       errors=FHIR_ERRORS)
def fhir_search_audit_events(ps: ProIdentity, req: RequestRef, fhir: FhirRequest) -> dict[str, Any]:
    """The patient's access log as AuditEvents: the administrator PS only (BR-32), as the JSON route."""
    return facade.search_audit_events(deps(), ps, req, fhir)


@route(bp, "/fhir/R4/Consent", "GET", auth="pro", media="fhir", query=ConsentSearchQuery, errors=FHIR_ERRORS)
def fhir_search_consents(ps: ProIdentity, req: RequestRef, fhir: FhirRequest) -> dict[str, Any]:
    """Authorisations (permit) and blocks (deny) on the patient's espace: the administrator PS only."""
    return facade.search_consents(deps(), ps, req, fhir)
