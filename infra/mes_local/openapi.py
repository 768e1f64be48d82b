"""openapi.json, generated from the route registry and the pydantic models.

`python -m mes_local.openapi > openapi.json`; the local stack serves it at /openapi.json."""

from __future__ import annotations

import json
import re
from typing import Any


def build() -> dict[str, Any]:
    from mes_local.functions import api_app
    api_app()
    from pydantic.json_schema import models_json_schema

    from chalicelib.models import Problem
    from chalicelib.routing import REGISTRY

    models = {m for spec in REGISTRY for m in (spec.body, spec.response) if m is not None} | {Problem}
    _, defs = models_json_schema([(m, "validation") for m in sorted(models, key=lambda m: m.__name__)],
                                 ref_template="#/components/schemas/{model}")
    paths: dict[str, Any] = {}
    for spec in sorted(REGISTRY, key=lambda s: (s.path, s.method)):
        op: dict[str, Any] = {"operationId": spec.name, "summary": spec.summary, "responses": {}}
        params = re.findall(r"{(\w+)}", spec.path)
        if params:
            op["parameters"] = [{"name": p, "in": "path", "required": True, "schema": {"type": "string"}}
                                for p in params]
        if spec.query:
            for name, field in spec.query.model_fields.items():
                op.setdefault("parameters", []).append({"name": field.alias or name, "in": "query", "required": field.is_required(),
                                                        "schema": {"type": "integer" if name == "limit" else "string"}})
        if spec.auth:
            op["security"] = [{spec.auth: []}]
        if spec.body:
            op["requestBody"] = {"required": True, "content": {"application/json": {
                "schema": {"$ref": f"#/components/schemas/{spec.body.__name__}"}}}}
        ok: dict[str, Any] = {"description": "OK"}
        if spec.response:
            ok["content"] = {"application/json": {"schema": {"$ref": f"#/components/schemas/{spec.response.__name__}"}}}
        op["responses"][str(spec.status)] = ok
        for status in spec.errors:
            op["responses"][str(status)] = {"description": "problem", "content": {"application/problem+json": {
                "schema": {"$ref": "#/components/schemas/Problem"}}}}
        paths.setdefault(spec.path, {})[spec.method.lower()] = op
    return {
        "openapi": "3.1.0",
        "info": {"title": "mes — Mon espace santé", "version": "0.1.0"},
        "paths": paths,
        "components": {"schemas": defs["$defs"], "securitySchemes": {
            "holder": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
            "enrolment": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}},
    }


def main() -> None:
    print(json.dumps(build(), indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
