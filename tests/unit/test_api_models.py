"""The API's models mirror its routes (issue 10): `chalicelib/models/<area>.py` beside each
`chalicelib/routes/<area>.py` (plus `common.py`), and every answer built from a domain object is
built by its model's `from_domain()`, never field by field in a view."""

from __future__ import annotations

from pathlib import Path

import pytest

from mes_local.functions import api_app

CHALICELIB = Path(__file__).resolve().parents[2] / "functions" / "api" / "chalicelib"
# Answers built from plain values, not from a domain object: a static text, a token and its
# lifetime, what the caller just sent, or a profile answered as stored (validated on the way in).
PLAIN = {"AcceptedResponse", "TokenResponse", "AuthorisationOut", "ProfileOut", "ProProfileOut"}


def modules(folder: str) -> set[str]:
    return {p.stem for p in (CHALICELIB / folder).glob("*.py") if p.stem != "__init__"}


@pytest.fixture(scope="module")
def registry():
    api_app()
    from chalicelib.routing import REGISTRY
    return REGISTRY


def test_one_models_module_per_routes_module():
    assert modules("models") == modules("routes") | {"common"}
    assert not list(CHALICELIB.glob("models*.py")), "the flat models*.py modules are gone"


def test_every_model_of_a_route_lives_in_the_models_package(registry):
    for spec in registry:
        for model in (spec.body, spec.response, spec.query):
            if model is not None:
                assert model.__module__.split(".")[:2] == ["chalicelib", "models"], (spec.name, model)


def test_every_answer_built_from_the_domain_has_a_from_domain(registry):
    responses = {spec.response for spec in registry if spec.response is not None}
    missing = sorted(m.__name__ for m in responses if m.__name__ not in PLAIN and not hasattr(m, "from_domain"))
    assert not missing, f"response models without from_domain(): {missing}"
    assert PLAIN <= {m.__name__ for m in responses}, "PLAIN names a model no route answers any more"


def test_views_do_not_map_documents_by_hand():
    routes = "".join(p.read_text() for p in (CHALICELIB / "routes").glob("*.py"))
    assert "document_out(" not in routes and "DocumentOut(**" not in routes
