"""The HTTP contract on moto: problem+json with stable codes and French details, no enumeration,
brute-force limits, token checks (API.md Conventions; BR-01, BR-06, BR-09, BR-11, BR-12)."""

from __future__ import annotations

import base64
import json

import pytest

from mes_instrument import awscount
from tests.support import flows
from tests.support.leaks import remember

JSON = {"Content-Type": "application/json"}


def post(api, path, body=None, token=None, raw=None):
    headers = dict(JSON)
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return api.http.post(path, headers=headers, body=raw if raw is not None else json.dumps(body or {}))


def ident(row, **over):
    return {"nir": row["nir"], "birth_date": row["birth_date"], "vitale_serial": row["vitale_serial"], **over}


@pytest.fixture
def notified(aws, clock):
    rows = flows.people(3, seed=31, department="44")
    for i, row in enumerate(rows):
        row["email"] = f"person{i}@example.org"
    flows.population(aws, rows)
    flows.scheduled("wave", clock(), {"department": "44"})
    return rows


def assert_problem(response, status, code):
    assert response.status_code == status, response.body
    assert response.headers["Content-Type"] == "application/problem+json"
    body = response.json_body
    assert body["code"] == code and body["status"] == status
    assert set(body) >= {"type", "title", "status", "detail", "code"}
    return body


def test_unknown_missing_and_malformed_fields_are_400_with_the_field_named(api):
    body = assert_problem(post(api, "/enrolment/sessions", {"nir": "x", "birth_date": "x", "vitale_serial": "x",
                                                             "code": "x", "admin": True}), 400, "validation_error")
    assert body["field"] == "admin" and "inconnu" in body["detail"]
    body = assert_problem(post(api, "/enrolment/sessions", {"nir": "x"}), 400, "validation_error")
    assert body["field"] in {"birth_date", "vitale_serial", "code"} and "manquant" in body["detail"]
    assert_problem(post(api, "/auth/login", raw="{not json"), 400, "validation_error")
    body = assert_problem(post(api, "/enrolment/codes", {"nir": "185057800608491", "birth_date": "2000-01-01",
                                                          "vitale_serial": "12345678901", "channel": "pigeon"}),
                          400, "validation_error")
    assert body["field"] == "channel"


def test_an_invalid_nir_is_refused_before_any_lookup(api, aws):
    with awscount.counting() as counter:
        body = assert_problem(post(api, "/enrolment/sessions", {"nir": "185057800608437", "birth_date": "1985-05-01",
                                                                "vitale_serial": "12345678901",
                                                                "code": "ABCDEFGHIJKL"}), 400, "validation_error")
    assert body["field"] == "nir"
    assert counter.by_service("dynamodb") == 0


def test_a_wrong_field_gives_the_same_answer_whichever_it_is(api, notified, aws):
    row = notified[0]
    code = flows.last_code(aws, row["email"])
    other = notified[1]
    answers = [
        post(api, "/enrolment/sessions", ident(row, code="ZZZZZZZZZZZZ")),
        post(api, "/enrolment/sessions", ident(row, code=code, birth_date="1999-12-31")),
        post(api, "/enrolment/sessions", ident(row, code=code, vitale_serial="99999999999")),
        post(api, "/enrolment/sessions", ident(other, code=code)),
    ]
    bodies = {json.dumps(assert_problem(r, 401, "invalid_credentials"), sort_keys=True) for r in answers}
    assert len(bodies) == 1


def test_five_wrong_codes_lock_the_code_even_for_the_right_one(api, notified, aws):
    row = notified[0]
    code = flows.last_code(aws, row["email"])
    for _ in range(4):
        assert_problem(post(api, "/enrolment/sessions", ident(row, code="WRONGWRONG12")), 401, "invalid_credentials")
    assert_problem(post(api, "/enrolment/sessions", ident(row, code="WRONGWRONG12")), 429, "code_locked")
    locked = post(api, "/enrolment/sessions", ident(row, code=code))
    assert_problem(locked, 429, "code_locked")
    # API.md: a lock is 429 with Retry-After; a renewal is still possible today → 60 s (BR-09/BR-12)
    assert locked.headers["Retry-After"] == "60"
    # A new code unlocks (BR-12)
    assert post(api, "/enrolment/codes", ident(row, channel="email")).status_code == 202
    assert post(api, "/enrolment/sessions", ident(row, code=flows.last_code(aws, row["email"]))).status_code == 201


def test_code_renewal_answers_the_same_for_everybody_and_revokes_the_old_code(api, notified, aws):
    row = notified[0]
    old = flows.last_code(aws, row["email"])
    known = post(api, "/enrolment/codes", ident(row, channel="email"))
    unknown = post(api, "/enrolment/codes", {"nir": "269054958815780", "birth_date": "1969-05-01",
                                             "vitale_serial": "12345678901", "channel": "email"})
    no_mobile = post(api, "/enrolment/codes", ident(notified[1], channel="sms", vitale_serial="11111111111"))
    assert known.status_code == unknown.status_code == no_mobile.status_code == 202
    assert known.body == unknown.body == no_mobile.body
    new = flows.last_code(aws, row["email"])
    assert new != old
    assert_problem(post(api, "/enrolment/sessions", ident(row, code=old)), 401, "invalid_credentials")
    assert post(api, "/enrolment/sessions", ident(row, code=new)).status_code == 201


def _activate(api, aws, row, login, password, channel="email"):
    token = post(api, "/enrolment/sessions", ident(row, code=flows.last_code(aws, row["email"]))).json_body[
        "enrolment_token"]
    remember(token, password)
    r = post(api, "/enrolment/activation", {"email": row["email"], "mobile": "06 12 34 56 78", "otp_channel": channel,
                                            "login": login, "password": password, "accept_terms": True}, token)
    assert r.status_code == 202 and r.json_body["channels"] == ["email", "sms"]
    email_otp = flows.sent(aws, row["email"], "otp")[-1]["data"]["otp"]
    sms_otp = flows.sent(aws, "+33612345678", "otp")[-1]["data"]["otp"]
    r = post(api, "/enrolment/activation/confirm", {"challenge_id": r.json_body["challenge_id"], "otp": email_otp,
                                                    "sms_otp": sms_otp}, token)
    assert r.status_code == 201, r.body
    return token


def _login(api, aws, login, password, to):
    r = post(api, "/auth/login", {"login": login, "password": password})
    assert r.status_code == 202, r.body
    otp = flows.sent(aws, to, "otp")[-1]["data"]["otp"]
    r = post(api, "/auth/otp", {"challenge_id": r.json_body["challenge_id"], "otp": otp})
    assert r.status_code == 200, r.body
    remember(r.json_body["access_token"])
    return r.json_body["access_token"]


def test_activation_needs_both_contacts_proven_and_the_login_must_be_free(api, notified, aws):
    row = notified[0]
    token = post(api, "/enrolment/sessions", ident(row, code=flows.last_code(aws, row["email"]))).json_body[
        "enrolment_token"]
    start = {"email": row["email"], "mobile": "0612345678", "otp_channel": "sms", "login": "camille.durand",
             "password": "une phrase de passe longue", "accept_terms": True}
    assert_problem(post(api, "/enrolment/activation", {**start, "accept_terms": False}, token), 400, "validation_error")
    assert_problem(post(api, "/enrolment/activation", {**start, "login": "a@b.fr"}, token), 400, "validation_error")
    assert_problem(post(api, "/enrolment/activation", {**start, "password": "court"}, token), 400, "validation_error")
    r = post(api, "/enrolment/activation", start, token)
    email_otp = flows.sent(aws, row["email"], "otp")[-1]["data"]["otp"]
    # the e-mail code alone is not enough when a mobile was given
    assert_problem(post(api, "/enrolment/activation/confirm", {"challenge_id": r.json_body["challenge_id"],
                                                               "otp": email_otp}, token), 401, "invalid_otp")
    sms_otp = flows.sent(aws, "+33612345678", "otp")[-1]["data"]["otp"]
    ok = post(api, "/enrolment/activation/confirm", {"challenge_id": r.json_body["challenge_id"], "otp": email_otp,
                                                     "sms_otp": sms_otp}, token)
    assert ok.status_code == 201
    # the login is now taken for anybody else
    other = notified[1]
    token2 = post(api, "/enrolment/sessions", ident(other, code=flows.last_code(aws, other["email"]))).json_body[
        "enrolment_token"]
    assert_problem(post(api, "/enrolment/activation", {**start, "email": other["email"]}, token2), 409, "login_taken")


def test_login_does_not_reveal_whether_an_identifier_exists_and_is_rate_limited(api, notified, aws):
    _activate(api, aws, notified[0], "lea.moreau", "mot de passe très long")
    unknown = post(api, "/auth/login", {"login": "personne.inconnue", "password": "mot de passe très long"})
    wrong = post(api, "/auth/login", {"login": "lea.moreau", "password": "mauvais mot de passe"})
    assert json.dumps(assert_problem(unknown, 401, "invalid_credentials")) == json.dumps(
        assert_problem(wrong, 401, "invalid_credentials"))
    for _ in range(9):
        post(api, "/auth/login", {"login": "lea.moreau", "password": "mauvais mot de passe"})
    body = assert_problem(post(api, "/auth/login", {"login": "lea.moreau", "password": "mot de passe très long"}),
                          429, "rate_limited")
    assert "Réessayez" in body["detail"]


def test_one_time_codes_are_single_use_bound_and_limited(api, notified, aws):
    row = notified[0]
    _activate(api, aws, row, "jules.petit", "mot de passe très long", channel="sms")
    r = post(api, "/auth/login", {"login": "jules.petit", "password": "mot de passe très long"})
    assert r.json_body["channel"] == "sms" and r.json_body["expires_in"] <= 600
    challenge = r.json_body["challenge_id"]
    otp = flows.sent(aws, "+33612345678", "otp")[-1]["data"]["otp"]
    wrong = "000000" if otp != "000000" else "111111"
    for _ in range(5):
        assert_problem(post(api, "/auth/otp", {"challenge_id": challenge, "otp": wrong}), 401, "invalid_otp")
    # BR-11/BR-12, API.md: the lock is 429 with Retry-After (seconds until the challenge expires)
    locked = post(api, "/auth/otp", {"challenge_id": challenge, "otp": otp})
    assert_problem(locked, 429, "code_locked")
    assert 0 < int(locked.headers["Retry-After"]) <= 600
    # a fresh login, the right code works once
    r = post(api, "/auth/login", {"login": "jules.petit", "password": "mot de passe très long"})
    otp = flows.sent(aws, "+33612345678", "otp")[-1]["data"]["otp"]
    assert post(api, "/auth/otp", {"challenge_id": r.json_body["challenge_id"], "otp": otp}).status_code == 200
    assert_problem(post(api, "/auth/otp", {"challenge_id": r.json_body["challenge_id"], "otp": otp}), 401, "invalid_otp")


def _forge(payload: dict, header: dict) -> str:
    enc = lambda d: base64.urlsafe_b64encode(json.dumps(d).encode()).rstrip(b"=").decode()  # noqa: E731
    return f"{enc(header)}.{enc(payload)}."


def test_holder_routes_check_the_token(api, notified, aws, clock):
    row = notified[0]
    enrolment_token = _activate(api, aws, row, "hugo.leroy", "mot de passe très long")
    access = _login(api, aws, "hugo.leroy", "mot de passe très long", row["email"])
    me = api.http.get("/espaces/me", headers={"Authorization": f"Bearer {access}"})
    assert me.status_code == 200
    own_id = me.json_body["id"]
    assert api.http.get(f"/espaces/{own_id}", headers={"Authorization": f"Bearer {access}"}).status_code == 200
    # no token, garbage, an enrolment token, alg none, a tampered payload → 401
    assert_problem(api.http.get("/espaces/me"), 401, "unauthorized")
    assert_problem(api.http.get("/espaces/me", headers={"Authorization": "Bearer abc.def.ghi"}), 401, "unauthorized")
    assert_problem(api.http.get("/espaces/me", headers={"Authorization": f"Bearer {enrolment_token}"}), 401,
                   "unauthorized")
    claims = json.loads(base64.urlsafe_b64decode(access.split(".")[1] + "=="))
    none_alg = _forge(claims, {"alg": "none", "typ": "JWT"})
    assert_problem(api.http.get("/espaces/me", headers={"Authorization": f"Bearer {none_alg}"}), 401, "unauthorized")
    header, _, signature = access.split(".")
    tampered = f"{header}.{_forge({**claims, 'sub': 'someone-else'}, {}).split('.')[1]}.{signature}"
    assert_problem(api.http.get("/espaces/me", headers={"Authorization": f"Bearer {tampered}"}), 401, "unauthorized")
    # another person's espace id → 404, never a confirmation
    other_id = flows_id(aws, notified[1])
    assert_problem(api.http.get(f"/espaces/{other_id}", headers={"Authorization": f"Bearer {access}"}), 404,
                   "not_found")
    # expired
    clock.advance(seconds=901)
    assert_problem(api.http.get("/espaces/me", headers={"Authorization": f"Bearer {access}"}), 401, "unauthorized")


def flows_id(container, row):
    from datetime import date

    from mes.services.population import espace_id_for
    return espace_id_for(container.keys, row["nir"], date.fromisoformat(row["birth_date"]), row["first_name"])


def test_opposition_after_the_deadline_is_refused(api, notified, aws, clock):
    row = notified[0]
    clock.advance(days=42, seconds=1)
    # the first code has expired with the window (BR-06)...
    assert_problem(post(api, "/enrolment/sessions", ident(row, code=flows.last_code(aws, row["email"]))), 410,
                   "code_expired")
    flows.scheduled("auto_create", clock())
    # ...and with a new code the espace can be activated, but no longer opposed (BR-07): closing is the way
    assert post(api, "/enrolment/codes", ident(row, channel="email")).status_code == 202
    token = post(api, "/enrolment/sessions", ident(row, code=flows.last_code(aws, row["email"]))).json_body[
        "enrolment_token"]
    assert_problem(post(api, "/enrolment/opposition", token=token), 409, "deadline_passed")


def test_errors_never_leak_internals(api, aws):
    aws.__dict__["espaces"] = None  # any unexpected failure
    body = assert_problem(post(api, "/enrolment/sessions", {"nir": "269054958815780", "birth_date": "1969-05-01",
                                                            "vitale_serial": "12345678901", "code": "ABCDEFGHIJKL"}),
                          500, "internal_error")
    assert "Traceback" not in json.dumps(body) and "NoneType" not in json.dumps(body)
