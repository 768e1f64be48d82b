"""openapi.json, generated from the route registry and the pydantic models.

`python -m mes_local.openapi > openapi.json`; the local stack serves it at /openapi.json.

Every operation has a unique operationId (`pro_` before the professionals' views), a tag (its
blueprint), its security scheme (holder, enrolment, pro: HTTP bearer JWTs), problem+json answers
for its 4xx, 413/415 when it takes a body, 429 where rate-limited and 500; request bodies carry one
valid example (the model's own); strings carry the models' patterns, formats and lengths."""

from __future__ import annotations

import json
import re
from typing import Any

PROBLEM_DESCRIPTIONS = {
    400: "validation_error: a field is missing, unknown or invalid (`field` names it)",
    401: "no token, a bad or expired token, or wrong credentials",
    403: "authenticated, but not allowed (blocked, refused, suspended…)",
    404: "does not exist, or belongs to someone else",
    406: "not_acceptable: a file route asked without its media type first in Accept",
    409: "state conflict",
    410: "expired",
    412: "precondition_failed: If-Match names a version the resource has left (FHIR PATCH)",
    413: "payload_too_large: the body exceeds 256 KiB",
    415: "unsupported_media_type: the body must be application/json",
    422: "unprocessable: well-formed, against a business rule (FHIR facade: content type, category, labels)",
    429: "rate limited, locked or over quota (Retry-After when it applies)",
    500: "internal_error: a technical error, nothing leaked",
}

TAGS = {
    "enrolment": "Enrolment: provisional code, opposition, activation, code renewal (BR-06 to BR-10)",
    "auth": "Login with password and one-time code; logout (BR-11 to BR-13)",
    "espaces": "The holder's espace",
    "documents": "The holder's documents and settings (BR-22 to BR-27)",
    "access": "Consent as the holder sees it: access log, professionals, blocks, administrator (BR-31, BR-32, BR-35)",
    "professionals": "Professionals (Pro Santé Connect token): consent, documents, emergency access (BR-28 to BR-36)",
    "profile": "Medical profile and measurements (BR-19, BR-20)",
    "messaging": "Secure messaging (BR-37 to BR-39)",
    "children": "Children and legal representatives (BR-16, BR-17)",
    "closure": "Closing one's espace (BR-14)",
    "reimbursements": "Reimbursement history (BR-21)",
    "exports": "Export of all one's data (GDPR)",
    "fhir": "FHIR R4 facade for professionals (PDSm / IHE MHD: metadata, ITI-67, ITI-68, Patient); "
            "application/fhir+json, errors as OperationOutcome (FHIR.md)",
}
FHIR_JSON = "application/fhir+json"
FORM = "application/x-www-form-urlencoded"

BEARER = {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
SECURITY_SCHEMES = {
    "holder": {**BEARER, "description": "holder token from POST /auth/otp (ES256, 15 minutes)"},
    "enrolment": {**BEARER, "description": "enrolment token from POST /enrolment/sessions (only /enrolment/*)"},
    "pro": {**BEARER, "description": "Pro Santé Connect token (RS256/ES256; locally `mes pro-token`)"},
    "session": {"type": "apiKey", "in": "cookie", "name": "mes_session",
                "description": "web session id set by POST /auth/otp (HttpOnly; Secure; SameSite=Strict; "
                               "Path=/api/auth; 30 minutes without activity), rotated by POST /auth/refresh"},
}
SET_COOKIE = {"Set-Cookie": {"description": "the web session cookie `mes_session` (HttpOnly; Secure; SameSite=Strict; "
                                            "Max-Age=1800), or its removal (Max-Age=0)",
                             "schema": {"type": "string"}}}


def path_parameter(name: str) -> dict[str, Any]:
    """What a path segment may hold; anything else is a 400 or a 404, never a 500."""
    from chalicelib.models import NIR_PATTERN
    from mes.domain.profile import SECTIONS

    schemas: dict[str, dict[str, Any]] = {
        "espace_id": {"type": "string", "minLength": 1, "maxLength": 64,
                      "description": "`me` for the caller's own espace, or a child's/represented espace id",
                      "examples": ["me"]},
        "ins": {"type": "string", "pattern": NIR_PATTERN, "minLength": 15, "maxLength": 15,
                "description": "the patient's INS (their NIR, 15 characters)", "examples": ["288052A00412353"]},
        "rpps": {"type": "string", "pattern": "^[0-9]{11}$", "description": "RPPS, 11 digits",
                 "examples": ["10003456789"]},
        "section": {"type": "string", "enum": sorted(SECTIONS), "description": "a BR-19 section"},
    }
    schema = schemas.get(name, {"type": "string", "minLength": 1, "maxLength": 64})
    return {"name": name, "in": "path", "required": True, "schema": schema}


def _nullable_free(schema: dict[str, Any]) -> dict[str, Any]:
    """A query parameter is absent or a value: drop pydantic's `anyOf [..., null]`."""
    if "anyOf" in schema:
        options = [s for s in schema["anyOf"] if s.get("type") != "null"]
        merged = {k: v for k, v in schema.items() if k not in ("anyOf", "default")}
        if len(options) == 1:
            return {**options[0], **merged}
    return {k: v for k, v in schema.items() if k != "default"}


def query_parameters(model: Any) -> list[dict[str, Any]]:
    props = model.model_json_schema(by_alias=True).get("properties", {})
    required = set(model.model_json_schema(by_alias=True).get("required", []))
    params = []
    for name, prop in props.items():
        schema = _nullable_free(prop)
        schema.pop("title", None)
        param: dict[str, Any] = {"name": name, "in": "query", "required": name in required, "schema": schema}
        if "description" in schema:
            param["description"] = schema.pop("description")
        params.append(param)
    return params


def operation_id(spec: Any) -> str:
    return spec.name if not spec.path.startswith("/pro/") or spec.name.startswith("pro_") else f"pro_{spec.name}"


def problem_statuses(spec: Any) -> list[int]:
    statuses = set(spec.errors) | {500}
    if spec.auth:
        statuses.add(401)
    if spec.body or spec.query or re.search(r"{(ins|rpps)}", spec.path):
        statuses.add(400)  # a body or query field, or an INS (NIR key) / RPPS in the path
    if spec.body:
        statuses |= {413, 415}
    return sorted(statuses)


PROBLEM_CONTENT = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
RETRY_AFTER = {"Retry-After": {"description": "seconds to wait, when it applies", "schema": {"type": "string"}}}
CONTENT_DISPOSITION = {"Content-Disposition": {"description": 'attachment; filename="…"',
                                                "schema": {"type": "string"}}}
SUCCESS_DESCRIPTIONS = {201: "Created", 202: "Accepted", 204: "No Content"}


def _schema_ref(model: Any) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def parameters(spec: Any) -> list[dict[str, Any]]:
    """The path parameters, in path order, then the query model's fields (a FHIR POST search takes
    them as a form body instead)."""
    params = [path_parameter(p) for p in re.findall(r"{(\w+)}", spec.path)]
    if spec.query and not (spec.media == "fhir" and spec.method == "POST"):
        params += query_parameters(spec.query)
    return params


def request_body(body: Any) -> dict[str, Any]:
    """The JSON body with the model's first example; required unless every field is optional."""
    media: dict[str, Any] = {"schema": _schema_ref(body)}
    examples = (body.model_json_schema().get("examples") or [])[:1]
    if examples:
        media["examples"] = {"valid": {"summary": "a valid body", "value": examples[0]}}
    # a body whose fields are all optional may be left out (PATCH settings: no change; exports: `{}`)
    required = bool(body.model_json_schema().get("required"))
    return {"required": required, "content": {"application/json": media}}


def fhir_responses(spec: Any) -> dict[str, Any]:
    """The FHIR facade: the resource (or a 302 to the document's presigned URL for a Binary), then
    OperationOutcome for every error status (FHIR.md §1)."""
    from chalicelib.models.fhir import answer_schema_of

    schema = answer_schema_of(spec.method, spec.path)
    ok = {"description": "OK", "content": {FHIR_JSON: {"schema": {"$ref": f"#/components/schemas/{schema}"}}}}
    answers: dict[str, Any] = {"200": ok}
    if "/Binary/" in spec.path:
        answers["302"] = {"description": "the document itself: a short-lived presigned S3 GET (any Accept but "
                                         "application/fhir+json)",
                          "headers": {"Location": {"schema": {"type": "string", "format": "uri"}}}}
    outcome = {FHIR_JSON: {"schema": {"$ref": "#/components/schemas/FhirOperationOutcome"}}}
    for status in problem_statuses(spec):
        answers[str(status)] = {"description": PROBLEM_DESCRIPTIONS.get(status, "OperationOutcome"),
                                "content": outcome}
    return answers


def responses(spec: Any) -> dict[str, Any]:
    """The success answer, then one problem+json answer per status (429 with Retry-After)."""
    if spec.media == "fhir":
        return fhir_responses(spec)
    ok: dict[str, Any] = {"description": SUCCESS_DESCRIPTIONS.get(spec.status, "OK")}
    if spec.response:
        ok["content"] = {"application/json": {"schema": _schema_ref(spec.response)}}
    if spec.produces:  # a file (FileAnswer): its bytes, saved under the name Content-Disposition gives
        ok["content"] = {spec.produces: {"schema": {"type": "string", "format": "binary"}}}
        ok["headers"] = CONTENT_DISPOSITION
    answers: dict[str, Any] = {str(spec.status): ok}
    for status in problem_statuses(spec):
        answers[str(status)] = {"description": PROBLEM_DESCRIPTIONS.get(status, "problem"),
                                "content": PROBLEM_CONTENT}
        if status == 429:
            answers["429"]["headers"] = RETRY_AFTER
    if spec.session:  # the cookie is set, renewed or cleared on success; cleared when a renewal fails
        answers[str(spec.status)]["headers"] = SET_COOKIE
        if spec.session == "renew":
            answers["401"]["headers"] = SET_COOKIE
    return answers


def _label_value(system: str, code: str) -> dict[str, Any]:
    return {"type": "object", "required": ["coding"], "properties": {"coding": {
        "type": "array", "minItems": 1, "maxItems": 1, "items": {
            "type": "object", "required": ["system", "code"],
            "properties": {"system": {"const": system}, "code": {"const": code}}}}}}


def _patch_operation(path: str, value: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "required": ["op", "path", "value"],
            "properties": {"op": {"enum": ["replace", "add"]}, "path": {"const": path}, "value": value}}


# FHIR.md §2/§6: one operation — /status → entered-in-error, or /securityLabel/0 MASQUE_PS | INVISIBLE_REPRESENTANTS_LEGAUX | N
JSON_PATCH_SCHEMA = {"type": "array", "minItems": 1, "maxItems": 1, "items": {"oneOf": [
    _patch_operation("/status", {"const": "entered-in-error"}),
    _patch_operation("/securityLabel/0", {"oneOf": [
        _label_value("https://mos.esante.gouv.fr/NOS/TRE_A07-StatutVisibiliteDocument/FHIR/TRE-A07-StatutVisibiliteDocument",
                     "MASQUE_PS"),
        _label_value("https://mos.esante.gouv.fr/NOS/TRE_A07-StatutVisibiliteDocument/FHIR/TRE-A07-StatutVisibiliteDocument",
                     "INVISIBLE_REPRESENTANTS_LEGAUX"),
        _label_value("http://terminology.hl7.org/CodeSystem/v3-Confidentiality", "N")]})]}}


def fhir_request_body(spec: Any) -> dict[str, Any]:
    """A FHIR POST or PATCH: ITI-67's criteria as a form, a JSON Patch, or ITI-65's transaction Bundle
    (POST /fhir/R4: the only other FHIR POST)."""
    if spec.method == "PATCH":  # FHIR.md §2: one JSON Patch operation on /status or /securityLabel/0
        return {"required": True, "content": {"application/json-patch+json": {"schema": JSON_PATCH_SCHEMA}}}
    if spec.query:
        return {"required": True, "content": {FORM: {"schema": _schema_ref(spec.query)}}}
    return {"required": True, "content": {FHIR_JSON: {"schema": {"$ref": "#/components/schemas/FhirTransaction"}}}}


def operation(spec: Any) -> dict[str, Any]:
    op: dict[str, Any] = {"operationId": operation_id(spec), "summary": spec.summary,
                          "tags": [spec.area or "api"], "responses": {}}
    params = parameters(spec)
    if params:
        op["parameters"] = params
    op["security"] = [{spec.auth: []}] if spec.auth else [{"session": []}] if spec.session == "renew" else []
    if spec.body:
        op["requestBody"] = request_body(spec.body)
    if spec.media == "fhir" and spec.method in ("POST", "PATCH"):
        op["requestBody"] = fhir_request_body(spec)
    op["responses"] = responses(spec)
    return op


def component_schemas(registry: Any) -> dict[str, Any]:
    """Every body and response model of the registry, and Problem, as JSON Schema definitions."""
    from pydantic.json_schema import models_json_schema

    from chalicelib.models import Problem
    from chalicelib.models.fhir import FHIR_SCHEMAS

    models = {m for spec in registry for m in (spec.body, spec.response) if m is not None} | {Problem}
    models |= {spec.query for spec in registry if spec.media == "fhir" and spec.method == "POST" and spec.query}
    _, defs = models_json_schema([(m, "validation") for m in sorted(models, key=lambda m: m.__name__)],
                                 ref_template="#/components/schemas/{model}", by_alias=True)
    return {**defs["$defs"], **FHIR_SCHEMAS}


def build() -> dict[str, Any]:
    from mes_local.functions import api_app
    api_app()
    from chalicelib.routing import REGISTRY

    schemas = component_schemas(REGISTRY)
    paths: dict[str, Any] = {}
    used_tags: set[str] = set()
    for spec in sorted(REGISTRY, key=lambda s: (s.path, s.method)):
        used_tags.add(spec.area or "api")
        paths.setdefault(spec.path, {})[spec.method.lower()] = operation(spec)
    return {
        "openapi": "3.1.0",
        "info": {"title": "mes — Mon espace santé", "version": "0.1.0",
                 "description": "Errors are application/problem+json with a stable `code` and a French `detail`; "
                                "under /fhir/R4, application/fhir+json OperationOutcome with the same code "
                                "in issue.details.coding (FHIR.md)."},
        "tags": [{"name": name, "description": TAGS.get(name, name)} for name in sorted(used_tags)],
        "paths": paths,
        "components": {"schemas": schemas, "securitySchemes": SECURITY_SCHEMES},
    }


def main() -> None:
    print(json.dumps(build(), indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
