"""The Chalice routes, the template's Api events and openapi.json describe the same API (issue #2)."""

from __future__ import annotations

import json
from pathlib import Path

from mes_local.functions import api_app
from mes_local.openapi import build
from mes_local.resources import load_template

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
    expected = {(spec.path, spec.method): AUTHORIZERS[spec.auth] for spec in REGISTRY}
    assert expected == _template_events()


def test_openapi_lists_exactly_the_app_routes():
    spec = build()
    documented = {(path, method.upper()) for path, ops in spec["paths"].items() for method in ops}
    assert documented == _chalice_routes()


def test_committed_openapi_json_is_up_to_date():
    committed = json.loads((ROOT / "openapi.json").read_text())
    assert committed == build(), "run `make openapi` and commit openapi.json"


def test_openapi_request_bodies_refuse_unknown_fields():
    schemas = build()["components"]["schemas"]
    for name in ("SessionRequest", "ActivationRequest", "LoginRequest", "CodeRenewalRequest"):
        assert schemas[name]["additionalProperties"] is False


PUBLIC_ROUTES = {("/enrolment/sessions", "POST"), ("/enrolment/codes", "POST"), ("/auth/login", "POST"),
                 ("/auth/otp", "POST")}


def test_every_route_has_an_authorisation_rule_and_only_the_listed_ones_are_public():
    """A new route without a token rule fails the build (issue #4)."""
    from chalicelib.routing import REGISTRY
    api_app()
    assert {(s.path, s.method) for s in REGISTRY if s.auth is None} == PUBLIC_ROUTES
    for spec in REGISTRY:
        if spec.path.startswith("/pro/"):
            assert spec.auth == "pro", spec
        elif spec.path.startswith("/espaces/"):
            assert spec.auth == "holder", spec
