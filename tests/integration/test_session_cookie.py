"""The web session (WEB.md "Session", journey 5 "Login"): POST /auth/otp sets an HttpOnly cookie
holding an opaque session id; POST /auth/refresh renews the holder token with it, without a new
one-time code, while the holder was active within the last 30 minutes; the id rotates at every
renewal; logout, closure and suspension (BR-14, BR-15: the session epoch) end it. Only a keyed hash
of the id is stored, and the id never reaches a log line."""

from __future__ import annotations

import json
import re

import boto3
import pytest

from mes.domain.codes import keyed_hash
from mes.domain.espace import Status
from tests.support import flows, leaks
from tests.support.leaks import remember

JSON = {"Content-Type": "application/json"}
PASSWORD = "une phrase de passe assez longue"
EMAIL = "session.holder@example.org"
ATTRIBUTES = "Max-Age=1800; Path=/api/auth; HttpOnly; Secure; SameSite=Strict"
CLEARED = "mes_session=; Max-Age=0; Path=/api/auth; HttpOnly; Secure; SameSite=Strict"


def set_cookie(response) -> str:
    return response.headers.get("set-cookie") or response.headers.get("Set-Cookie") or ""


def session_id(response) -> str:
    """The id in `mes_session=<id>; …`, remembered for the log-leak scan."""
    match = re.fullmatch(rf"mes_session=([^;]*); {re.escape(ATTRIBUTES)}", set_cookie(response))
    assert match, set_cookie(response)
    remember(match.group(1))
    return match.group(1)


@pytest.fixture
def who(api, aws, clock):
    return {**flows.holder(api, aws, clock, seed=41, email=EMAIL, login="holder.session", password=PASSWORD),
            "email": EMAIL}


def log_in(api, aws, who):
    r = api.http.post("/auth/login", headers=JSON, body=json.dumps({"login": "holder.session", "password": PASSWORD}))
    assert r.status_code == 202, r.body
    otp = flows.sent(aws, EMAIL, "otp")[-1]["data"]["otp"]
    r = api.http.post("/auth/otp", headers=JSON, body=json.dumps({"challenge_id": r.json_body["challenge_id"],
                                                                  "otp": otp}))
    assert r.status_code == 200, r.body
    remember(r.json_body["access_token"])
    return r


def refresh(api, sid: str | None):
    headers = {"Cookie": f"theme=dark; mes_session={sid}"} if sid is not None else {}
    r = api.http.post("/auth/refresh", headers=headers, body=b"")
    if r.status_code == 200:
        remember(r.json_body["access_token"])
    return r


def me(api, token: str) -> int:
    return api.http.get("/espaces/me", headers={"Authorization": f"Bearer {token}"}).status_code


def assert_expired(r) -> None:
    assert r.status_code == 401, r.body
    assert r.headers["Content-Type"] == "application/problem+json"
    assert r.json_body["code"] == "session_expired"
    assert r.json_body["detail"].startswith("Votre session a expiré")
    assert set_cookie(r) == CLEARED  # the browser drops the dead cookie


def stored_sessions(aws) -> list[dict]:
    table = boto3.resource("dynamodb", region_name="eu-west-3").Table(aws.settings.ephemeral_table)
    return [i for i in table.scan()["Items"] if str(i["pk"]).startswith("websession#")]


def stored(aws, sid: str) -> dict | None:
    """The item of this session id: found under the keyed hash of the id, never the id."""
    pk = "websession#" + keyed_hash(aws.keys.session, "session", sid)
    return next((i for i in stored_sessions(aws) if i["pk"] == pk), None)


def test_the_one_time_code_sets_an_httponly_secure_strict_cookie_on_the_auth_path(api, aws, clock, who):
    r = log_in(api, aws, who)

    sid = session_id(r)  # exactly: mes_session=<id>; Max-Age=1800; Path=/api/auth; HttpOnly; Secure; SameSite=Strict
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", sid)  # 32 random bytes, URL-safe
    assert sid not in r.body.decode()  # the id is in the cookie only, never in what a script can read
    assert set(r.json_body) == {"access_token", "token_type", "expires_in"}
    assert sid != who["session_id"]  # a new session at each login


def test_given_29_minutes_without_activity_then_refresh_renews_without_a_code_and_31_minutes_does_not(
        api, aws, clock, who):
    """WEB.md: logged out after 30 minutes without activity; no new one-time code within that time."""
    sid = session_id(log_in(api, aws, who))
    otps_sent = len(flows.sent(aws, EMAIL, "otp"))
    clock.advance(minutes=29)

    r = refresh(api, sid)

    assert r.status_code == 200, r.body
    assert r.json_body["token_type"] == "Bearer" and r.json_body["expires_in"] == 900
    assert me(api, r.json_body["access_token"]) == 200  # the first token (15 min) had expired; this one works
    assert len(flows.sent(aws, EMAIL, "otp")) == otps_sent  # no new one-time code
    new = session_id(r)
    clock.advance(minutes=31)
    assert_expired(refresh(api, new))


def test_given_31_minutes_after_login_then_the_session_is_over(api, aws, clock, who):
    sid = session_id(log_in(api, aws, who))
    clock.advance(minutes=31)
    assert_expired(refresh(api, sid))


def test_each_refresh_slides_the_30_minute_window(api, aws, clock, who):
    sid = session_id(log_in(api, aws, who))
    for _ in range(4):  # 4 × 25 minutes: 100 minutes after the login, still in
        clock.advance(minutes=25)
        r = refresh(api, sid)
        assert r.status_code == 200, r.body
        sid = session_id(r)
    item = stored(aws, sid)
    assert int(item["last_active_epoch"]) == int(clock().timestamp())  # last activity = the last refresh
    assert int(item["expires_at_epoch"]) == int(clock().timestamp()) + 1800  # the TTL follows it


def test_a_refresh_rotates_the_id_and_the_old_cookie_stops_working(api, aws, clock, who):
    sid = session_id(log_in(api, aws, who))
    clock.advance(minutes=1)
    new = session_id(refresh(api, sid))

    assert new != sid
    assert_expired(refresh(api, sid))  # a stolen old cookie is worth nothing
    assert refresh(api, new).status_code == 200


def test_given_two_parallel_refreshes_with_the_same_id_then_one_wins(api, aws, clock, who, monkeypatch):
    """Both read the session before either writes: the conditional rotation lets only one through."""
    sid = session_id(log_in(api, aws, who))
    stale = aws.ephemeral.get_session(stored(aws, sid)["pk"].partition("#")[2])
    count = len(stored_sessions(aws))
    clock.advance(minutes=1)
    first = refresh(api, sid)
    monkeypatch.setattr(aws.ephemeral, "get_session", lambda session_hash: stale)  # the second read it too

    second = refresh(api, sid)

    assert first.status_code == 200, first.body
    assert_expired(second)
    assert len(stored_sessions(aws)) == count  # the old one replaced by the winner's new one only
    assert stored(aws, sid) is None and stored(aws, session_id(first)) is not None


def test_logout_ends_the_session_server_side_and_clears_the_cookie(api, aws, clock, who):
    r = log_in(api, aws, who)
    sid, token = session_id(r), r.json_body["access_token"]
    assert stored(aws, sid) is not None

    out = api.http.post("/auth/logout", headers={"Authorization": f"Bearer {token}",
                                                 "Cookie": f"mes_session={sid}"}, body=b"")

    assert out.status_code == 204
    assert set_cookie(out) == CLEARED
    assert stored(aws, sid) is None
    assert_expired(refresh(api, sid))


def test_closure_ends_the_session(api, aws, clock, who):
    """BR-14: closing the espace revokes every session at once, the web session included."""
    r = log_in(api, aws, who)
    sid = session_id(r)
    closed = api.http.post("/espaces/me/closure", headers={**JSON, "Authorization": f"Bearer {r.json_body['access_token']}"},
                           body=json.dumps({"password": PASSWORD, "delete_data": False}))
    assert closed.status_code in (200, 202, 204), closed.body
    assert_expired(refresh(api, sid))


def test_a_new_session_epoch_ends_the_session_even_on_an_active_espace(api, aws, clock, who):
    """BR-15: suspension (or any revocation of every session) bumps the epoch the session carries."""
    sid = session_id(log_in(api, aws, who))
    espace = aws.espaces.get(who["espace_id"])
    espace.session_epoch += 1
    aws.espaces.save(espace)
    assert aws.espaces.get(who["espace_id"]).status == Status.ACTIVE

    assert_expired(refresh(api, sid))


@pytest.mark.parametrize("cookie", [None, "", "x" * 43, "short", "a" * 42 + "!"])
def test_no_or_a_forged_cookie_is_refused(api, aws, clock, who, cookie):
    assert_expired(refresh(api, cookie))


def test_only_a_keyed_hash_of_the_id_is_stored_and_no_log_line_holds_it(api, aws, clock, who):
    r = log_in(api, aws, who)
    sid = session_id(r)
    clock.advance(minutes=2)
    new = session_id(refresh(api, sid))
    api.http.post("/auth/logout", headers={"Authorization": f"Bearer {r.json_body['access_token']}",
                                           "Cookie": f"mes_session={new}"}, body=b"")
    log_in(api, aws, who)

    for item in stored_sessions(aws):
        assert re.fullmatch(r"websession#[0-9a-f]{64}", item["pk"])  # HMAC-SHA256, hex
        assert set(item) == {"pk", "kind", "espace_id", "epoch", "last_active_epoch", "expires_at_epoch",
                             "attempts", "used", "hits"}
        assert not any(s in json.dumps(item, default=str) for s in (sid, new))
    assert not [line for line in leaks.LINES if sid in line or new in line]
