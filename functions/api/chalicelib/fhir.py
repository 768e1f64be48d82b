"""What the FHIR facade's routes (routes/fhir.py) share: the request as a FHIR server reads it
(absolute base, search parameters from the query string or a form body, the Accept header), and
the answers: application/fhir+json resources, OperationOutcome errors, redirects (FHIR.md §1, §6)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from chalice import Response

from mes.adapters.fhir.resources import FHIR_JSON, operation_outcome
from mes.domain.errors import ValidationError
from mes.settings import ApiSettings

from .bodies import BadInput

PREFIX = "/fhir/R4"
HOST = re.compile(r"^[A-Za-z0-9.-]{1,253}(:[0-9]{1,5})?$")
FORM = "application/x-www-form-urlencoded"
MAX_PARAMS = 64


@dataclass(frozen=True)
class FhirRequest:
    base: str  # absolute: "{api}/fhir/R4"
    params: list[tuple[str, str]]  # search parameters, in order, repeated ones kept
    accept: str

    @property
    def wants_fhir_json(self) -> bool:
        """FHIR.md §6: only an explicit application/fhir+json (or the FHIR JSON short forms) is a
        request for the Binary resource; none, */* or the document's own type get the redirect."""
        kinds = [part.split(";")[0].strip().lower() for part in self.accept.split(",")]
        return any(k in (FHIR_JSON, "application/json+fhir") for k in kinds)


def base_url(settings: ApiSettings, headers: dict[str, str]) -> str:
    """The configured public base, else the request's own scheme and host (locally)."""
    if settings.public_api_url:
        return settings.public_api_url.rstrip("/") + PREFIX
    host = headers.get("host", "")
    scheme = "https" if headers.get("x-forwarded-proto", "http").lower() == "https" else "http"
    return f"{scheme}://{host if HOST.match(host) else 'localhost'}{PREFIX}"


def _pairs(request: Any) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    query = request.query_params
    if query:
        pairs += [(name, value) for name in query for value in query.getlist(name)]
    if _is_search(request):
        pairs += _form_pairs(request)
    if len(pairs) > MAX_PARAMS:
        raise BadInput(f"{MAX_PARAMS} paramètres de recherche au plus.", "query")
    return pairs


def _form_pairs(request: Any) -> list[tuple[str, str]]:
    """POST …/_search: the criteria in an application/x-www-form-urlencoded body (else 415)."""
    content_type = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
    if content_type != FORM:
        raise BadInput("Les critères de recherche sont attendus en application/x-www-form-urlencoded.",
                       "content-type", code="unsupported_media_type", status=415)
    try:
        return parse_qsl((request.raw_body or b"").decode("utf-8"), keep_blank_values=True, strict_parsing=False)
    except UnicodeDecodeError:
        raise BadInput("Le corps de la requête n'est pas de l'UTF-8 valide.", "body") from None


def _is_search(request: Any) -> bool:
    """POST …/_search carries search parameters in a form body; other POSTs (ITI-65) a resource."""
    return str((request.context or {}).get("resourcePath") or getattr(request, "path", "")).endswith("/_search")


XML = ("application/fhir+xml", "application/xml+fhir", "application/xml", "text/xml")


def fhir_request(request: Any, base: str) -> FhirRequest:
    """FHIR.md §1: JSON only — an Accept that names XML types only is a 406."""
    accept = (request.headers or {}).get("accept", "")
    kinds = {part.split(";")[0].strip().lower() for part in accept.split(",") if part.strip()}
    if kinds and kinds <= set(XML):
        raise BadInput("Seul le format application/fhir+json est servi.", "accept", status=406,
                       code="not_acceptable")
    return FhirRequest(base=base, params=_pairs(request), accept=accept)


def fhir_json(body: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(body=json.dumps(body, ensure_ascii=False), status_code=status,
                    headers={"Content-Type": FHIR_JSON, **(headers or {})})


def redirect(url: str) -> Response:
    """ITI-68 native retrieve: 302 to the presigned GET, never the bytes through Lambda."""
    return Response(body="", status_code=302, headers={"Location": url, "Cache-Control": "no-store"})


def outcome_renderer(base: str) -> Any:
    """The facade's errors: OperationOutcome with the JSON API's code and French detail (FHIR.md §6)."""
    def render(status: int, code: str, detail: str, field: str | None = None,
               headers: dict[str, str] | None = None) -> Response:
        return fhir_json(operation_outcome(status, code, detail, base, field), status, headers)
    return render


# --- the facade's reads: the professionals' use cases, then the mapping -----------------------------
def search_documents(deps: Any, ps: Any, req: Any, fhir: FhirRequest) -> dict[str, Any]:
    """ITI-67: the JSON route's use case lists (policy, log); the FHIR criteria only narrow its page.
    A page may hold fewer matches than `_count`: `next` goes on while the use case has more."""
    from mes.adapters.fhir import resources, search
    from mes.services import professionals as pro

    criteria = search.parse(fhir.params, fhir.base)
    page = pro.list_documents(deps, ps, criteria.nir, category=criteria.single_category, limit=criteria.count,
                              cursor=criteria.cursor, req=req, statuses=criteria.mes_statuses)
    found = [resources.document_reference(d, fhir.base, d.espace_id, criteria.nir) for d in page.items
             if search.matches(criteria, d, fhir.base)]
    next_url = search.page_url(fhir.base, criteria, page.next_key) if page.next_key else None
    return resources.searchset(found, fhir.base, search.page_url(fhir.base, criteria, criteria.cursor), next_url)


def read_document(deps: Any, ps: Any, req: Any, fhir: FhirRequest, document_id: str) -> dict[str, Any]:
    """DocumentReference/{id}: the JSON route's read (policy, log) on the document's own patient;
    what the facade cannot show (pending, rejected) is not found."""
    from mes.adapters.fhir import codes, resources
    from mes.domain.errors import NotFound
    from mes.services import professionals as pro

    document = pro.read_document(deps, ps, pro.find_document_espace(deps, document_id), document_id, req)
    if codes.fhir_status(document) is None:
        raise NotFound()
    return resources.document_reference(document, fhir.base, document.espace_id)


def retrieve(deps: Any, ps: Any, req: Any, fhir: FhirRequest, document_id: str) -> Response | dict[str, Any]:
    """ITI-68: a 302 to a presigned GET, or a Binary resource when application/fhir+json is asked."""
    from mes.adapters.fhir import resources
    from mes.services import professionals as pro

    document, content = pro.retrieve_document(deps, ps, document_id, req, inline=fhir.wants_fhir_json)
    if isinstance(content, str):
        return redirect(content)
    return resources.binary(document, content)


def search_patients(deps: Any, ps: Any, req: Any, fhir: FhirRequest) -> dict[str, Any]:
    """Patient?identifier=: 0 or 1 Patient (a created or active espace), the lookup logged."""
    from mes.adapters.fhir import resources, search
    from mes.services import professionals as pro

    names = {name for name, _ in fhir.params}
    if names - {"identifier"} or len(fhir.params) != 1:
        raise BadInput("Un seul paramètre est pris en charge : « identifier » (INS du patient).", "identifier")
    nir = search.patient_nir(fhir.params[0][1], "identifier")
    espace = pro.lookup_patient(deps, ps, nir, req)
    found = [resources.patient(espace, nir)] if espace else []
    return resources.searchset(found, fhir.base, f"{fhir.base}/Patient", None)


# --- the facade's writes and the administrator's reads (PCH-01, AuditEvent, Consent) ---------------
def transaction(deps: Any, profiles: Any, ps: Any, req: Any, fhir: FhirRequest, bundle: Any) -> Response:
    """POST {base}: the transaction's entries decide who handles it. Observations (and Devices): PCH-01
    measurements; otherwise ITI-65 (List, DocumentReference, Binary; anything else is refused there)."""
    from mes.adapters.fhir import observations

    if isinstance(bundle, dict) and observations.is_measurements(bundle):
        return measurements_transaction(deps, profiles, ps, req, fhir, bundle)
    return deposit_transaction(deps, ps, req, fhir, bundle)


def measurements_transaction(deps: Any, profiles: Any, ps: Any, req: Any, fhir: FhirRequest,
                             bundle: dict[str, Any]) -> Response:
    """PCH-01: the Observations read into measurement requests, stored by the holder's use case
    (professional_measurements: same rules, same identity, same access log), 201 each (200 for a retry)."""
    from mes.adapters.fhir import observations
    from mes.adapters.fhir.resources import instant
    from mes.services import profile

    parsed = observations.parse_transaction(bundle)
    try:
        stored = profile.professional_measurements(deps, profiles, ps, parsed.nir, [r.data for r in parsed.readings],
                                                   req)
    except ValidationError as exc:
        raise _in_entry(exc, parsed) from None
    ids = [(observations.observation_id(m.espace_id, m.measurement_id), created) for m, created in stored]
    return fhir_json(observations.transaction_response(parsed, ids, fhir.base, instant(req.at)))


def _in_entry(exc: Any, parsed: Any) -> Any:
    """`measurement[i].value` → `entry[k].resource.value` (k: the Bundle entry of the i-th reading)."""
    head, _, rest = (exc.field or "").partition(".")
    if head.startswith("measurement[") and head.endswith("]"):
        index = parsed.readings[int(head[12:-1])].index
        return ValidationError(exc.detail, field=f"entry[{index}].resource.{rest}")
    return exc


def refuse_observation_read() -> None:
    """FHIR.md §6: a professional reading Observation → 403 before any parameter check (BR-20:
    measurements are the holder's only)."""
    from mes.domain.errors import Forbidden

    raise Forbidden("Les mesures sont réservées au titulaire : un professionnel de santé ne les lit pas.")


def _patient_params(fhir: FhirRequest, allowed: set[str]) -> dict[str, str]:
    from mes.adapters.fhir import search

    names = [name for name, _ in fhir.params]
    if set(names) - allowed or len(names) != len(set(names)) or "patient.identifier" not in names:
        raise BadInput("Paramètres pris en charge : " + ", ".join(sorted(allowed))
                       + " (« patient.identifier » obligatoire, une fois chacun).", "patient.identifier")
    params = dict(fhir.params)
    params["nir"] = search.patient_nir(params["patient.identifier"])
    return params


def search_audit_events(deps: Any, ps: Any, req: Any, fhir: FhirRequest) -> dict[str, Any]:
    """AuditEvent?patient.identifier=: GET /pro/patients/{ins}/access-log's use case (administrator
    only, BR-32), its page as AuditEvents; `_count`/`_cursor` page it like ITI-67."""
    from urllib.parse import urlencode

    from mes.adapters.fhir import audit, resources
    from mes.services import professionals as pro

    params = _patient_params(fhir, {"patient.identifier", "_count", "_cursor"})
    count = params.get("_count")
    if count is not None and not (count.isdigit() and 1 <= int(count) <= 100):
        raise BadInput("« _count » doit être un entier de 1 à 100.", "_count")
    page = pro.admin_access_log(deps, ps, params["nir"], int(count) if count else None, params.get("_cursor"), req)
    espace = pro.find_patient(deps, params["nir"])
    events = audit.audit_events(page.items, espace.espace_id)
    query = {"patient.identifier": params["patient.identifier"], **({"_count": count} if count else {})}
    self_url = f"{fhir.base}/AuditEvent?{urlencode({**query, **({'_cursor': params['_cursor']} if params.get('_cursor') else {})})}"
    next_url = f"{fhir.base}/AuditEvent?{urlencode({**query, '_cursor': page.next_key})}" if page.next_key else None
    return resources.searchset(events, fhir.base, self_url, next_url)


def search_consents(deps: Any, ps: Any, req: Any, fhir: FhirRequest) -> dict[str, Any]:
    """Consent?patient.identifier= [design]: authorisation → permit, block → deny; administrator only."""
    from urllib.parse import urlencode

    from mes.adapters.fhir import audit, resources
    from mes.services import professionals as pro

    params = _patient_params(fhir, {"patient.identifier"})
    espace, professionals = pro.admin_consents(deps, ps, params["nir"], req)
    found = [c for c in (audit.consent(p, espace.espace_id) for p in professionals) if c is not None]
    self_url = f"{fhir.base}/Consent?{urlencode({'patient.identifier': params['patient.identifier']})}"
    return resources.searchset(found, fhir.base, self_url, None)


# --- the facade's writes: ITI-65 --------------------------------------------------------------------
MAX_TRANSACTION_BYTES = 4_400_000  # FHIR.md §2: under Lambda's 6 MB payload once base64 and headers count


def transaction_body(request: Any) -> Any:
    """A FHIR JSON body: application/fhir+json (or application/json), ≤ 4.4 MB (413), valid JSON (400)."""
    content_type = ((request.headers or {}).get("content-type") or "").split(";")[0].strip().lower()
    if content_type not in (FHIR_JSON, "application/json"):
        raise BadInput("Le corps est attendu en application/fhir+json.", "content-type",
                       code="unsupported_media_type", status=415)
    raw = request.raw_body or b""
    if len(raw) > MAX_TRANSACTION_BYTES:
        raise BadInput(f"Transaction trop volumineuse ({MAX_TRANSACTION_BYTES} octets au plus) : "
                       "déposez les documents en plusieurs transactions.", None, 413, "payload_too_large")
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise BadInput("Le corps n'est pas un JSON valide.", "body") from None


def deposit_transaction(deps: Any, ps: Any, req: Any, fhir: FhirRequest, body: Any) -> Response:
    """ITI-65: the Bundle checked whole, then the professionals' deposit (policy, pending document, bytes
    to S3 for the upload's validation, access log `deposit` with channel fhir), all or nothing."""
    from mes.adapters.fhir import transaction as iti65
    from mes.services import professionals as pro

    tx = iti65.parse(body, fhir.base, ps.rpps)
    items = [pro.InlineDeposit(d.title, d.category, d.content_type, d.content, d.master_identifier,
                               d.hidden_from_holder, d.masked, f"Bundle.entry[{d.binary_index}]", d.replaces,
                               hidden_from_representatives=d.hidden_from_representatives,
                               label_field=f"Bundle.entry[{d.index}].resource.securityLabel") for d in tx.deposits]
    done = pro.deposit_inline(deps, ps, tx.nir, items, req)
    return fhir_json(iti65.response(tx, fhir.base, [(doc.document_id, created) for doc, created in done]))


# --- PATCH DocumentReference/{id} -------------------------------------------------------------------
JSON_PATCH = "application/json-patch+json"


def patch_body(request: Any) -> Any:
    """An application/json-patch+json body (415 otherwise), small (the JSON routes' limit), valid JSON."""
    from .bodies import MAX_BODY_BYTES
    content_type = ((request.headers or {}).get("content-type") or "").split(";")[0].strip().lower()
    if content_type != JSON_PATCH:
        raise BadInput(f"Le corps est attendu en {JSON_PATCH}.", "content-type", code="unsupported_media_type",
                       status=415)
    raw = request.raw_body or b""
    if len(raw) > MAX_BODY_BYTES:
        raise BadInput("Le corps de la requête est trop volumineux.", None, 413, "payload_too_large")
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise BadInput("Le corps n'est pas un JSON valide.", "body") from None


def patch_document(deps: Any, ps: Any, req: Any, fhir: FhirRequest, document_id: str, body: Any,
                   if_match: int | None = None) -> dict[str, Any]:
    """`/status` → the JSON route's withdraw; `/securityLabel/0` → the author's relabel; the resource back.
    `if_match`: the version the client read (`If-Match`), else 412 before anything changes."""
    from mes.adapters.fhir import patch, resources
    from mes.services import professionals as pro

    path, value = patch.parse(body)
    if path == patch.STATUS:
        document = pro.withdraw_by_id(deps, ps, document_id, req, if_match)
    else:
        document = pro.relabel_deposit(deps, ps, document_id, value, req, if_match)
    return resources.document_reference(document, fhir.base, document.espace_id)


def if_match(request: Any) -> int | None:
    from mes.adapters.fhir import patch
    return patch.if_match((request.headers or {}).get("if-match"))


def patch_by_identifier(deps: Any, ps: Any, req: Any, fhir: FhirRequest, body: Any, expected: int | None) -> Response:
    """PATCH DocumentReference?identifier= (FHIR conditional patch): the document named by its
    masterIdentifier — mes's `urn:uuid` or the one its author sent on ITI-65 — then PATCH by id."""
    from mes.adapters.fhir import patch
    from mes.services import professionals as pro

    document_id, value = patch.identifier(fhir.params)
    patch.parse(body)  # a malformed body is a 400 before any lookup
    found = pro.document_by_identifier(deps, ps, value, document_id)
    return versioned(patch_document(deps, ps, req, fhir, found, body, expected))


def versioned(resource: dict[str, Any]) -> Response:
    """A DocumentReference answer with its `ETag: W/"versionId"` (FHIR read and update)."""
    from mes.adapters.fhir.resources import etag
    return fhir_json(resource, headers=etag(resource))
