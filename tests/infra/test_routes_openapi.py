"""The Chalice routes, the template's Api events and openapi.json describe the same API (issue #2)."""

from __future__ import annotations

import json
from pathlib import Path

from mes_local.functions import api_app
from mes_local.openapi import build
from mes_local.provision import load_template

ROOT = Path(__file__).resolve().parents[2]


def _chalice_routes() -> set[tuple[str, str]]:
    app = api_app().app
    return {(path, method) for path, methods in app.routes.items() for method in methods}


def _template_events() -> dict[tuple[str, str], str]:
    template = load_template()
    function = template["Resources"]["ApiFunction"]["Properties"]
    events = {}
    for event in function["Events"].values():
        if event["Type"] != "Api":
            continue
        props = event["Properties"]
        # MesApi's DefaultAuthorizer applies when an event states none
        authorizer = (props.get("Auth") or {}).get("Authorizer", "HolderAuth")
        events[(props["Path"], props["Method"].upper())] = authorizer
    return events


def test_every_chalice_route_has_exactly_one_api_event_and_the_reverse():
    assert _chalice_routes() == set(_template_events())


def test_each_route_is_guarded_by_the_authorizer_its_view_requires():
    from chalicelib.routing import AUTHORIZERS, REGISTRY
    expected = {(spec.path, spec.method): spec.gateway_authorizer for spec in REGISTRY}
    assert expected == _template_events()
    # only the FHIR facade's PS routes leave the token to the view (an OperationOutcome 401, FHIR.md §1)
    assert {(s.path, s.method) for s in REGISTRY if s.gateway_authorizer != AUTHORIZERS[s.auth]} == {
        (s.path, s.method) for s in REGISTRY if s.path.startswith("/fhir/R4") and s.auth == "pro"}


def test_openapi_lists_exactly_the_app_routes():
    spec = build()
    documented = {(path, method.upper()) for path, ops in spec["paths"].items() for method in ops}
    assert documented == _chalice_routes()


def test_committed_openapi_json_is_up_to_date():
    committed = json.loads((ROOT / "openapi.json").read_text())
    assert committed == build(), "run `make openapi` and commit openapi.json"


def test_openapi_request_bodies_refuse_unknown_fields():
    schemas = build()["components"]["schemas"]
    for name in ("SessionRequest", "ActivationRequest", "LoginRequest", "CodeRenewalRequest", "OtpResendRequest"):
        assert schemas[name]["additionalProperties"] is False


PUBLIC_ROUTES = {("/enrolment/sessions", "POST"), ("/enrolment/codes", "POST"), ("/auth/login", "POST"),
                 ("/auth/otp", "POST"), ("/auth/otp/resend", "POST"),
                 ("/auth/refresh", "POST"),  # no bearer token: the HttpOnly session cookie (WEB.md "Session")
                 ("/fhir/R4/metadata", "GET")}  # the FHIR CapabilityStatement (FHIR.md §1)


def test_every_route_has_an_authorisation_rule_and_only_the_listed_ones_are_public():
    """A new route without a token rule fails the build (issue #4)."""
    from chalicelib.routing import REGISTRY
    api_app()
    assert {(s.path, s.method) for s in REGISTRY if s.auth is None} == PUBLIC_ROUTES
    assert {(s.path, s.method) for s in REGISTRY if s.auth is None and s.session == "renew"} == {
        ("/auth/refresh", "POST")}  # the one public route that needs a credential: the session cookie
    for spec in REGISTRY:
        if spec.path.startswith("/pro/") or spec.path.startswith("/fhir/") and not spec.path.endswith("/metadata"):
            assert spec.auth == "pro", spec
        elif spec.path.startswith("/espaces/"):
            assert spec.auth == "holder", spec


# --- issue 9: a valid OpenAPI document ------------------------------------------------------------------
def _operations(spec: dict) -> list[tuple[str, str, dict]]:
    return [(path, method, op) for path, ops in spec["paths"].items() for method, op in ops.items()]


def test_openapi_is_valid_for_openapi_spec_validator():
    from openapi_spec_validator import validate
    validate(build())  # raises on any error (duplicated operationIds included)


def test_operation_ids_are_unique_and_every_operation_has_a_declared_tag():
    spec = build()
    ids = [op["operationId"] for _, _, op in _operations(spec)]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    declared = {t["name"] for t in spec["tags"]}
    for path, method, op in _operations(spec):
        assert op.get("tags") and set(op["tags"]) <= declared, (path, method)


def test_every_security_scheme_used_is_declared():
    spec = build()
    declared = spec["components"]["securitySchemes"]
    used = {name for _, _, op in _operations(spec) for requirement in op.get("security", []) for name in requirement}
    assert used == {"holder", "enrolment", "pro", "session"} and used <= set(declared)
    for name in used - {"session"}:
        assert declared[name] == {**declared[name], "type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    # WEB.md "Session": the HttpOnly cookie renews the token, on POST /auth/refresh only
    assert declared["session"] == {**declared["session"], "type": "apiKey", "in": "cookie", "name": "mes_session"}
    refresh = spec["paths"]["/auth/refresh"]["post"]
    assert refresh["security"] == [{"session": []}]
    assert [op["operationId"] for _, _, op in _operations(spec) if {"session": []} in op.get("security", [])] == [
        "refresh"]
    for path in ("/auth/otp", "/auth/refresh", "/auth/logout"):  # the cookie set, renewed or cleared
        ok = next(r for status, r in spec["paths"][path]["post"]["responses"].items() if status.startswith("2"))
        assert "Set-Cookie" in ok["headers"], path
    assert "Set-Cookie" in refresh["responses"]["401"]["headers"]  # a failed renewal clears it


def test_every_operation_declares_its_problem_answers():
    """401 when a token is needed, 400/413/415 when there is a body, 429 where rate-limited, 500 always."""
    from chalicelib.routing import REGISTRY
    spec = build()
    for entry in REGISTRY:
        responses = spec["paths"][entry.path][entry.method.lower()]["responses"]
        media = "application/fhir+json" if entry.media == "fhir" else "application/problem+json"
        problems = {int(s) for s, r in responses.items() if s >= "400" and media in r.get("content", {})}
        assert 500 in problems and any(400 <= s < 500 for s in problems), (entry.path, entry.method)
        assert set(entry.errors) <= problems
        if entry.auth:
            assert 401 in problems
        if entry.body:
            assert {400, 413, 415} <= problems


def test_every_request_body_has_one_example_its_own_model_accepts():
    from chalicelib.routing import REGISTRY
    spec = build()
    for entry in REGISTRY:
        if entry.body is None:
            continue
        media = spec["paths"][entry.path][entry.method.lower()]["requestBody"]["content"]["application/json"]
        example = media["examples"]["valid"]["value"]
        entry.body.model_validate(example)


def test_identifiers_codes_and_dates_carry_patterns_and_formats():
    """BR-01 NIR (2A/2B), BR-03 Vitale serial, BR-06 code, BR-11 OTP, dates: a generator can build them."""
    import re

    from stdnum.fr import nir
    schemas = build()["components"]["schemas"]
    session = schemas["SessionRequest"]["properties"]
    for valid in ("288052A00412353", "185057800608491"):
        assert re.match(session["nir"]["pattern"], valid) and nir.is_valid(valid)
    for invalid in ("388052A00412353", "2881320004123", "28805 2A00412353"):
        assert not re.match(session["nir"]["pattern"], invalid)
    assert session["birth_date"]["format"] == "date"
    assert re.match(session["vitale_serial"]["pattern"], "20260000001")
    assert not re.match(session["vitale_serial"]["pattern"], "1234567")
    assert session["code"]["pattern"] == "^[0-9A-Za-z]{12}$"
    assert schemas["OtpRequest"]["properties"]["otp"]["pattern"] == "^[0-9]{6}$"
    assert schemas["AdministratorRequest"]["properties"]["rpps"]["pattern"] == "^[0-9]{11}$"
    assert schemas["MeasurementIn"]["properties"]["measured_at"]["format"] == "date-time"
    assert schemas["EmergencyRequest"]["properties"]["reason"]["maxLength"] == 1000
