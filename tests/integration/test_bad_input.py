"""Malformed bodies never reach a 500 (issue 9): every write route of the REGISTRY — generated from
it, so a new route is covered — gets nested arrays, lone surrogates, huge strings, a text/plain body,
a JSON array, invalid UTF-8 and an empty body, with a valid token, and must answer a 4xx in
problem+json (never a 500, never Chalice's own `{"Code": ...}`)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tests.support import flows
from tests.support.leaks import remember

PRO_RPPS = "10003456789"
INS = "288052A00412353"


def _string_paths(value: Any, where: tuple = ()) -> list[tuple]:
    if isinstance(value, str):
        return [where]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _string_paths(v, (*where, k))]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _string_paths(v, (*where, i))]
    return []


def _replace(value: Any, where: tuple, new: Any) -> Any:
    if not where:
        return new
    head, rest = where[0], where[1:]
    if isinstance(value, dict):
        return {**value, head: _replace(value[head], rest, new)}
    return [_replace(v, rest, new) if i == head else v for i, v in enumerate(value)]


def _example(spec: Any) -> dict[str, Any]:
    example = json.loads(json.dumps(spec.body.model_json_schema()["examples"][0]))
    if spec.body.__name__ == "MessageRequest" or spec.body.__name__ == "ConversationStart":
        example["attachments"] = ["0f8e4c2a9b7d4e1f8a6b5c4d3e2f1a0b"]  # a string inside a list, mutated too
    return example


@pytest.fixture
def tokens(api, aws, clock, psc) -> dict[str, str]:
    holder = flows.holder(api, aws, clock, seed=901, email="bad.input@example.org", login="bad.input")
    row = flows.people(1, seed=902, department="44")[0]
    row["email"] = "bad.enrolment@example.org"
    flows.population(aws, [row])
    flows.scheduled("wave", clock(), {"department": "44"})
    r = api.http.post("/enrolment/sessions", headers={"Content-Type": "application/json"}, body=json.dumps(
        {**{k: row[k] for k in ("nir", "birth_date", "vitale_serial")}, "code": flows.last_code(aws, row["email"])}))
    assert r.status_code == 201, r.body
    enrolment = r.json_body["enrolment_token"]
    pro = psc.issue(PRO_RPPS, "10", now=clock())
    remember(enrolment, pro)
    return {"holder": holder["token"], "enrolment": enrolment, "pro": pro}


def _url(spec: Any) -> str:
    values = {"espace_id": "me", "ins": INS, "rpps": "10009876543", "section": "allergies"}
    return re.sub(r"{(\w+)}", lambda m: values.get(m.group(1), "0f8e4c2a9b7d4e1f8a6b5c4d3e2f1a0b"), spec.path)


def _assert_problem_4xx(response: Any, what: str) -> dict[str, Any]:
    assert 400 <= response.status_code < 500, (what, response.status_code, response.body[:300])
    assert response.headers.get("Content-Type") == "application/problem+json", (what, response.headers)
    body = json.loads(response.body)
    assert {"type", "title", "status", "detail", "code"} <= set(body) and "Code" not in body, (what, body)
    assert body["status"] == response.status_code
    return body


def test_every_write_route_refuses_malformed_bodies_with_a_4xx_problem(api, tokens):
    from chalicelib.routing import REGISTRY

    write_routes = [s for s in REGISTRY if s.body is not None]
    assert len(write_routes) >= 23  # the 29 write routes of the probe, less the 6 that take no body
    checked = 0
    for spec in write_routes:
        url, method = _url(spec), spec.method.lower()
        headers = {"Content-Type": "application/json"}
        if spec.auth:
            headers["Authorization"] = f"Bearer {tokens[spec.auth]}"

        def send(raw: bytes | str, content_type: str = "application/json", url=url, method=method,
                 headers=headers) -> Any:
            return getattr(api.http, method)(url, headers={**headers, "Content-Type": content_type}, body=raw)

        example = _example(spec)
        cases: dict[str, tuple[Any, int | None, str | None]] = {
            # name: (response, expected status or None for any 4xx, expected code)
            "nested [ x50,000": (send("[" * 50_000), 400, "validation_error"),
            "nested { x50,000": (send('{"a":' * 50_000), 400, "validation_error"),
            "text/plain": (send(json.dumps(example), "text/plain"), 415, "unsupported_media_type"),
            "a JSON array": (send(json.dumps([example])), 400, "validation_error"),
            "invalid UTF-8": (send(b'{"x": "\xff\xfe"}'), 400, "validation_error"),
            "NaN": (send('{"x": NaN}'), 400, "validation_error"),
            "1 MB body": (send(json.dumps({"x": "a" * 1_000_000})), 413, "payload_too_large"),
        }
        if spec.body.model_json_schema().get("required"):
            cases["empty body"] = (send(""), 400, "validation_error")
        for where in _string_paths(example):
            name = ".".join(map(str, where))
            cases[f"lone surrogate in {name}"] = (
                send(json.dumps(_replace(example, where, "x\ud800y"))), 400, "validation_error")
            cases[f"1 MB string in {name}"] = (send(json.dumps(_replace(example, where, "a" * 1_000_000))), 413,
                                               "payload_too_large")
            # Under the body limit, every free-text field still has its own maximum (BR-34 reason, BR-37
            # subject and body, names...): no item can approach DynamoDB's 400 KB.
            cases[f"100 kB string in {name}"] = (
                send(json.dumps(_replace(example, where, "a" * 100_000))), 400, "validation_error")
        for what, (response, status, code) in cases.items():
            body = _assert_problem_4xx(response, f"{spec.method} {spec.path}: {what}")
            if status is not None:
                assert (response.status_code, body["code"]) == (status, code), (spec.path, what, body)
            if what.startswith(("lone surrogate", "100 kB")):
                assert body["field"] == what.split(" in ", 1)[1] or body["field"].startswith(
                    what.split(" in ", 1)[1].split(".")[0]), (spec.path, what, body)
            checked += 1
    assert checked > 200


def test_an_empty_body_is_refused_where_fields_are_required_and_accepted_where_none_is(api, tokens):
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {tokens['holder']}"}
    r = api.http.post("/espaces/me/documents", headers=headers, body="")
    assert r.status_code == 400 and json.loads(r.body)["code"] == "validation_error"
    r = api.http.patch("/espaces/me/settings", headers=headers, body="")
    assert r.status_code == 200  # all fields optional: no change


def test_query_strings_are_bounded_too(api, tokens):
    headers = {"Authorization": f"Bearer {tokens['holder']}"}
    r = api.http.get("/espaces/me/documents?cursor=" + "a" * 5000, headers=headers)
    body = _assert_problem_4xx(r, "long cursor")
    assert body["field"] == "cursor"


def test_lone_surrogates_are_refused_even_where_no_constraint_would_catch_them():
    """pydantic passes a lone surrogate through an unconstrained `str` (and through `dict[str, Any]`,
    as in a profile section body); the body parser refuses it, naming the field, keys included."""
    from types import SimpleNamespace
    from typing import Any as AnyType

    from pydantic import BaseModel

    from mes_local.functions import api_app
    api_app()  # puts functions/api (chalicelib) on the path
    from chalicelib.bodies import BadInput, parse_body

    class Free(BaseModel):
        note: str = ""
        extra: dict[str, AnyType] = {}

    def request(raw: str) -> SimpleNamespace:
        return SimpleNamespace(headers={"content-type": "application/json"}, raw_body=raw.encode())

    assert Free.model_validate({"note": "x\ud800y"}).note == "x\ud800y"  # what the parser guards against
    for raw, field in (('{"note": "x\\ud800y"}', "note"), ('{"extra": {"a": [1, "\\udfff"]}}', "extra.a.1"),
                       ('{"extra": {"\\ud800": 1}}', "extra")):
        with pytest.raises(BadInput) as refused:
            parse_body(request(raw), Free)
        assert (refused.value.status, refused.value.code, refused.value.field) == (400, "validation_error", field)
        assert "caractère Unicode invalide" in refused.value.detail
    with pytest.raises(BadInput) as refused:
        parse_body(request("[" * 50_000), Free)
    assert refused.value.status == 400
    with pytest.raises(BadInput) as refused:
        parse_body(request('{"extra": ' * 20 + "1" + "}" * 20), Free)
    assert refused.value.status == 400 and "imbriqué" in refused.value.detail


def test_an_empty_message_says_so_in_french():
    """WEB.md 9: an empty reply is refused with a sentence a holder reads (not « Valeur invalide… »)."""
    from mes_local.functions import api_app
    api_app()  # puts functions/api (chalicelib) on the path
    from types import SimpleNamespace

    from chalicelib.bodies import BadInput, parse_body
    from chalicelib.models.messaging import MessageRequest

    request = SimpleNamespace(headers={"content-type": "application/json"}, raw_body=b'{"body": ""}')
    with pytest.raises(BadInput) as refused:
        parse_body(request, MessageRequest)
    assert (refused.value.field, refused.value.detail) == ("body", "« body » ne peut pas être vide.")
