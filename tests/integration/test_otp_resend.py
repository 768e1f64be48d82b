"""`POST /auth/otp/resend` on moto: a new login code after a short wait, on the same or the other
channel (WEB.md journey 5; BR-11 single use and ≤ 5 tries, BR-12 lock and send limits)."""

from __future__ import annotations

import pytest

from tests.integration.test_api_contract import assert_problem, ident, post
from tests.support import flows
from tests.support.leaks import remember

PASSWORD = "mot de passe très long"
MOBILE = "+33612345678"


@pytest.fixture
def people(aws, clock):
    rows = flows.people(2, seed=47, department="44")
    for i, row in enumerate(rows):
        row["email"] = f"resend{i}@example.org"
    flows.population(aws, rows)
    flows.scheduled("wave", clock(), {"department": "44"})
    return rows


def _activate(api, aws, row, login, mobile: bool):
    token = post(api, "/enrolment/sessions", ident(row, code=flows.last_code(aws, row["email"]))).json_body[
        "enrolment_token"]
    remember(token)
    form = {"email": row["email"], "otp_channel": "email", "login": login, "password": PASSWORD, "accept_terms": True}
    r = post(api, "/enrolment/activation", {**form, "mobile": "06 12 34 56 78"} if mobile else form, token)
    proofs = {"challenge_id": r.json_body["challenge_id"], "otp": flows.sent(aws, row["email"], "otp")[-1]["data"]["otp"]}
    if mobile:
        proofs["sms_otp"] = flows.sent(aws, MOBILE, "otp")[-1]["data"]["otp"]
    assert post(api, "/enrolment/activation/confirm", proofs, token).status_code == 201


@pytest.fixture
def holder(api, aws, people, clock):
    """Alice (login alice.durand, codes by e-mail, a mobile proven at activation), at the start of a
    fresh 10-minute send window (activation's own sends are in the previous one)."""
    _activate(api, aws, people[0], "alice.durand", mobile=True)
    clock.advance(seconds=600 - int(clock().timestamp()) % 600)
    return people[0]


def _login(api, login="alice.durand"):
    r = post(api, "/auth/login", {"login": login, "password": PASSWORD})
    assert r.status_code == 202, r.body
    return r.json_body


def _last_otp(aws, to):
    return flows.sent(aws, to, "otp")[-1]["data"]["otp"]


def _otp(api, challenge, otp):
    r = post(api, "/auth/otp", {"challenge_id": challenge, "otp": otp})
    if r.status_code == 200:
        remember(r.json_body["access_token"])
    return r


def _wrong(otp):
    return f"{(int(otp) + 1) % 10**6:06d}"


def test_login_answers_the_wait_and_the_channels_the_holder_has(api, aws, holder, people):
    """WEB.md journey 5: "Renvoyer le code" is shown at once with the seconds left; "sms" is offered
    only with a verified mobile (BR-10)."""
    body = _login(api)
    assert (body["channel"], body["resend_after"], body["channels"]) == ("email", 30, ["email", "sms"])

    _activate(api, aws, people[1], "bruno.martin", mobile=False)
    body = _login(api, "bruno.martin")
    assert (body["channel"], body["resend_after"], body["channels"]) == ("email", 30, ["email"])


def test_a_resend_waits_30_seconds_then_sends_a_new_code_and_the_old_one_stops(api, aws, holder, clock):
    """BR-11: the previous code stops working, only the latest one is accepted."""
    challenge = _login(api)["challenge_id"]
    first = _last_otp(aws, holder["email"])
    sent = len(flows.sent(aws, holder["email"], "otp"))

    clock.advance(seconds=10)
    early = post(api, "/auth/otp/resend", {"challenge_id": challenge})
    body = assert_problem(early, 429, "rate_limited")
    assert early.headers["Retry-After"] == "20" and "Réessayez" in body["detail"]

    clock.advance(seconds=20)
    r = post(api, "/auth/otp/resend", {"challenge_id": challenge})
    assert r.status_code == 202, r.body
    assert r.json_body == {"challenge_id": challenge, "channel": "email", "expires_in": 600, "resend_after": 30}
    assert len(flows.sent(aws, holder["email"], "otp")) == sent + 1  # the early request sent nothing
    second = _last_otp(aws, holder["email"])
    if second != first:  # two random 6-digit codes collide once in a million
        assert_problem(_otp(api, challenge, first), 401, "invalid_otp")
    assert _otp(api, challenge, second).status_code == 200


def test_a_resend_by_sms_switches_the_challenge_to_the_sms_code(api, aws, holder, clock):
    """The seeds' case: the e-mail never arrived; the code goes by SMS, the e-mail code is refused."""
    challenge = _login(api)["challenge_id"]
    email_otp = _last_otp(aws, holder["email"])
    sms_before = len(flows.sent(aws, MOBILE, "otp"))

    clock.advance(seconds=30)
    r = post(api, "/auth/otp/resend", {"challenge_id": challenge, "channel": "sms"})
    assert r.status_code == 202, r.body
    assert (r.json_body["channel"], r.json_body["resend_after"]) == ("sms", 30)
    sms = flows.sent(aws, MOBILE, "otp")
    assert len(sms) == sms_before + 1
    sms_otp = sms[-1]["data"]["otp"]
    if sms_otp != email_otp:  # two random 6-digit codes collide once in a million
        assert_problem(_otp(api, challenge, email_otp), 401, "invalid_otp")
    assert _otp(api, challenge, sms_otp).status_code == 200


def test_sms_is_refused_without_a_verified_mobile(api, aws, holder, people, clock):
    _activate(api, aws, people[1], "bruno.martin", mobile=False)
    challenge = _login(api, "bruno.martin")["challenge_id"]
    clock.advance(seconds=30)
    sms_before = len(flows.sent(aws, MOBILE, "otp"))
    body = assert_problem(post(api, "/auth/otp/resend", {"challenge_id": challenge, "channel": "sms"}),
                          400, "validation_error")
    assert body["field"] == "channel" and "mobile" in body["detail"]
    assert len(flows.sent(aws, MOBILE, "otp")) == sms_before
    assert post(api, "/auth/otp/resend", {"challenge_id": challenge, "channel": "email"}).status_code == 202


def test_five_sends_per_10_minutes_across_login_and_resends(api, aws, holder, clock):
    """BR-12: the login and 4 resends are the 5 sends of the window; the next resend and the next
    login are 429 with Retry-After = the seconds until the window ends."""
    challenge = _login(api)["challenge_id"]
    for i in range(4):
        clock.advance(seconds=30)
        channel = "sms" if i % 2 else "email"
        assert post(api, "/auth/otp/resend", {"challenge_id": challenge, "channel": channel}).status_code == 202
    sent = len(flows.sent(aws, holder["email"], "otp")) + len(flows.sent(aws, MOBILE, "otp"))
    clock.advance(seconds=30)  # 150 s into the window
    limited = post(api, "/auth/otp/resend", {"challenge_id": challenge})
    assert_problem(limited, 429, "rate_limited")
    assert limited.headers["Retry-After"] == "450"
    again = post(api, "/auth/login", {"login": "alice.durand", "password": PASSWORD})
    assert_problem(again, 429, "rate_limited")
    assert len(flows.sent(aws, holder["email"], "otp")) + len(flows.sent(aws, MOBILE, "otp")) == sent
    clock.advance(seconds=450)
    assert post(api, "/auth/otp/resend", {"challenge_id": challenge}).status_code == 202


def test_a_resend_keeps_the_tries_and_never_lifts_a_lock(api, aws, holder, clock):
    """BR-11/BR-12: ≤ 5 tries per challenge whatever the resends; a locked challenge stays locked
    (429 `code_locked`, like `POST /auth/otp`), no new code is sent; a new login starts again."""
    challenge = _login(api)["challenge_id"]
    otp = _last_otp(aws, holder["email"])
    for _ in range(3):
        assert_problem(_otp(api, challenge, _wrong(otp)), 401, "invalid_otp")
    clock.advance(seconds=30)
    assert post(api, "/auth/otp/resend", {"challenge_id": challenge}).status_code == 202
    otp = _last_otp(aws, holder["email"])
    for _ in range(2):
        assert_problem(_otp(api, challenge, _wrong(otp)), 401, "invalid_otp")
    assert_problem(_otp(api, challenge, otp), 429, "code_locked")  # 3 + 2 tries: locked

    sent = len(flows.sent(aws, holder["email"], "otp"))
    clock.advance(seconds=30)
    locked = post(api, "/auth/otp/resend", {"challenge_id": challenge, "channel": "sms"})
    assert_problem(locked, 429, "code_locked")
    assert 0 < int(locked.headers["Retry-After"]) <= 600
    assert len(flows.sent(aws, holder["email"], "otp")) == sent
    assert_problem(_otp(api, challenge, otp), 429, "code_locked")


def test_an_unknown_expired_or_used_challenge_answers_like_the_otp_route(api, aws, holder, clock):
    """No oracle: the same 401 `invalid_otp` as `POST /auth/otp` gives for it."""
    unknown = post(api, "/auth/otp/resend", {"challenge_id": "no-such-challenge"})
    assert unknown.json_body == _otp(api, "no-such-challenge", "123456").json_body
    assert_problem(unknown, 401, "invalid_otp")

    challenge = _login(api)["challenge_id"]
    clock.advance(seconds=601)
    assert_problem(post(api, "/auth/otp/resend", {"challenge_id": challenge}), 401, "invalid_otp")

    challenge = _login(api)["challenge_id"]
    assert _otp(api, challenge, _last_otp(aws, holder["email"])).status_code == 200
    clock.advance(seconds=30)
    assert_problem(post(api, "/auth/otp/resend", {"challenge_id": challenge}), 401, "invalid_otp")
