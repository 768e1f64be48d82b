"""Children and legal representatives on moto, through the real routes and handlers (BR-16 to BR-18)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest

from mes.domain.espace import Status
from mes_instrument import awscount
from tests.fakes import person
from tests.support import flows
from tests.support.leaks import remember

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
PASSWORD = "une phrase de passe assez longue"
DOCTOR, OTHER_DOCTOR = "10000000011", "10000000012"
JSON = {"Content-Type": "application/json"}


def child_row(index: int, guardian: dict, birth: date, first_name: str, email: str = "") -> dict:
    row = {**person(index, birth=birth, guardian=guardian, department="44"), "first_name": first_name, "email": email}
    remember(row["nir"], row["vitale_serial"])
    return row


def ident(row: dict) -> dict:
    return {k: row[k] for k in ("nir", "birth_date", "vitale_serial")}


def code_for_child(aws, guardian_email: str, child: dict) -> str:
    """The child's code, sent to the guardian by the wave (BR-05)."""
    return [e["data"]["code"] for e in flows.sent(aws, guardian_email, "wave-code")
            if e["data"].get("first_name") == child["first_name"]][-1]


def login(api, aws, email: str, login_name: str) -> dict:
    r = api.http.post("/auth/login", headers=JSON, body=json.dumps({"login": login_name, "password": PASSWORD}))
    assert r.status_code == 202, r.body
    otp = flows.sent(aws, email, "otp")[-1]["data"]["otp"]
    r = api.http.post("/auth/otp", headers=JSON, body=json.dumps({"challenge_id": r.json_body["challenge_id"],
                                                                  "otp": otp}))
    assert r.status_code == 200, r.body
    remember(r.json_body["access_token"])
    return {"Authorization": f"Bearer {r.json_body['access_token']}", **JSON}


def activate_own(api, aws, row: dict, code: str, email: str, login_name: str) -> dict:
    """The young adult activates their espace with their own code (BR-10), then logs in."""
    r = api.http.post("/enrolment/sessions", headers=JSON, body=json.dumps({**ident(row), "code": code}))
    assert r.status_code == 201, r.body
    auth = {"Authorization": f"Bearer {r.json_body['enrolment_token']}", **JSON}
    remember(r.json_body["enrolment_token"], PASSWORD)
    r = api.http.post("/enrolment/activation", headers=auth, body=json.dumps(
        {"email": email, "otp_channel": "email", "login": login_name, "password": PASSWORD, "accept_terms": True}))
    assert r.status_code == 202, r.body
    otp = flows.sent(aws, email, "otp")[-1]["data"]["otp"]
    r = api.http.post("/enrolment/activation/confirm", headers=auth,
                      body=json.dumps({"challenge_id": r.json_body["challenge_id"], "otp": otp}))
    assert r.status_code == 201, r.body
    return login(api, aws, email, login_name)


def pro(psc, clock, rpps: str) -> dict:
    value = psc.issue(rpps, "10", now=clock())
    remember(value)
    return {"Authorization": f"Bearer {value}", **JSON}


def deposit(api, aws, ps: dict, ins: str, title: str, **extra) -> str:
    r = api.http.post(f"/pro/patients/{ins}/documents", headers=ps, body=json.dumps({
        "title": title, "category": "BIOLOGIE", "filename": "resultats.pdf", "content_type": "application/pdf",
        "size": len(PDF), **extra}))
    assert r.status_code == 201, r.body
    assert flows.upload(r.json_body["upload"], PDF) in (200, 201, 204)
    flows.scan(aws)
    return r.json_body["document"]["id"]


def listed(api, headers: dict, espace: str) -> set[str]:
    r = api.http.get(f"/espaces/{espace}/documents", headers=headers)
    assert r.status_code == 200, r.body
    return {d["id"] for d in r.json_body["items"]}


@pytest.fixture
def household(api, aws, clock):
    """A guardian (active), the other parent (active), a parent who never activated, and a child born
    on 10 May 2010 with an e-mail of her own, notified: her code went to the guardian."""
    guardian = flows.holder(api, aws, clock, seed=91, email="guardian@example.org", login="guardian.one")
    other = flows.holder(api, aws, clock, seed=92, email="other.parent@example.org", login="other.parent")
    idle = flows.people(1, seed=93, department="44")[0]
    flows.population(aws, [idle])
    child = child_row(5001, guardian["row"], date(2010, 5, 10), "Zoé", email="zoe.young@example.org")
    flows.population(aws, [child])
    flows.scheduled("wave", clock(), {"department": "44"})
    return {"guardian": guardian, "other": other, "idle": idle, "child": child}


def attach(api, aws, who: dict, child: dict, code: str | None = None):
    return api.http.post("/espaces/me/children", headers=who["headers"], body=json.dumps(
        {**ident(child), "code": code or code_for_child(aws, "guardian@example.org", child)}))


def test_the_guardian_attaches_the_child_and_invites_the_other_parent_only_if_active(api, aws, household):
    guardian, other, child = household["guardian"], household["other"], household["child"]
    # a stranger with the right code: the same 401 as a wrong field (no enumeration)
    r = attach(api, aws, other, child)
    assert (r.status_code, r.json_body["code"]) == (401, "invalid_credentials")
    r = attach(api, aws, guardian, child, code="AAAAAAAAAAAA")
    assert (r.status_code, r.json_body["code"]) == (401, "invalid_credentials")
    r = attach(api, aws, guardian, child)
    assert r.status_code == 201, r.body
    child_id = r.json_body["espace"]["id"]
    assert r.json_body["espace"]["status"] == "active"
    r = attach(api, aws, guardian, child)
    assert (r.status_code, r.json_body["code"]) == (409, "code_used")
    assert aws.espaces.get(child_id).login is None  # no credentials of its own
    me = api.http.get("/espaces/me", headers=guardian["headers"]).json_body
    assert me["children"] == [{"id": child_id, "first_name": child["first_name"]}]  # WEB.md 13: the switch's name
    summary = api.http.get(f"/espaces/{child_id}", headers=guardian["headers"]).json_body
    assert summary["representatives"] == [{"id": guardian["espace_id"], "role": "guardian"}]

    # BR-16: the second representative must hold an ACTIVE espace (404 otherwise, unknown or not)
    invite = f"/espaces/{child_id}/representatives"
    idle = household["idle"]
    r = api.http.post(invite, headers=guardian["headers"], body=json.dumps(
        {"nir": idle["nir"], "birth_date": idle["birth_date"]}))
    assert (r.status_code, r.json_body["code"]) == (404, "not_found")
    assert api.http.get(f"/espaces/{child_id}", headers=other["headers"]).status_code == 404
    r = api.http.post(invite, headers=guardian["headers"], body=json.dumps(
        {"nir": other["row"]["nir"], "birth_date": other["row"]["birth_date"]}))
    assert r.status_code == 201, r.body
    assert r.json_body["representative"]["id"] == other["espace_id"]
    r = api.http.post(invite, headers=guardian["headers"], body=json.dumps(
        {"nir": other["row"]["nir"], "birth_date": other["row"]["birth_date"], "extra": 1}))
    assert (r.status_code, r.json_body["code"]) == (400, "validation_error")
    # the invited representative lists the child and acts on the child's espace id: one read of the
    # child's espace decides (plus the token check, one BatchGetItem, and the one Query of the page)
    assert [c["id"] for c in api.http.get("/espaces/me", headers=other["headers"]).json_body["children"]] == [child_id]
    with awscount.counting() as counter:
        assert api.http.get(f"/espaces/{child_id}/documents", headers=other["headers"]).status_code == 200
    assert (counter.requests["dynamodb.BatchGetItem"], counter.requests["dynamodb.GetItem"],
            counter.requests["dynamodb.Query"]) == (1, 1, 1)
    assert counter.by_service("dynamodb") == 3
    r = api.http.post(f"/espaces/{child_id}/documents", headers=other["headers"], body=json.dumps(
        {"title": "Carnet", "category": "CAR_VAC", "filename": "carnet.pdf", "content_type": "application/pdf",
         "size": len(PDF)}))
    assert r.status_code == 201, r.body
    # the representative does not invite in turn (403), and may withdraw themself
    r = api.http.post(invite, headers=other["headers"], body=json.dumps(
        {"nir": idle["nir"], "birth_date": idle["birth_date"]}))
    assert r.status_code == 403
    r = api.http.delete(f"/espaces/{child_id}/representatives/{other['espace_id']}", headers=other["headers"])
    assert r.status_code == 204
    assert api.http.get(f"/espaces/{child_id}/documents", headers=other["headers"]).status_code == 404
    assert api.http.get("/espaces/me", headers=other["headers"]).json_body["children"] == []


def test_hidden_from_representatives_then_the_handover_at_18(api, aws, clock, psc, household):
    """BR-17: invisible to the representatives (404), visible to the PS and, after the handover, to
    the young adult. BR-18: the job ends the guardian's access, is idempotent on a duplicate event."""
    guardian, child = household["guardian"], household["child"]
    child_id = attach(api, aws, guardian, child).json_body["espace"]["id"]
    ins = child["nir"]
    doctor = pro(psc, clock, DOCTOR)
    secret = deposit(api, aws, doctor, ins, "Consultation confidentielle", hidden_from_representatives=True)
    revealed = deposit(api, aws, doctor, ins, "Bilan", hidden_from_representatives=True)
    plain = deposit(api, aws, doctor, ins, "Vaccins")
    # an adult's espace has no representatives to hide from
    r = api.http.post(f"/pro/patients/{guardian['row']['nir']}/documents", headers=doctor, body=json.dumps({
        "title": "x", "category": "BIOLOGIE", "filename": "x.pdf", "content_type": "application/pdf", "size": 9,
        "hidden_from_representatives": True}))
    assert (r.status_code, r.json_body["code"]) == (400, "validation_error")

    assert listed(api, guardian["headers"], child_id) == {plain}
    for doc in (secret, revealed):
        assert api.http.get(f"/espaces/{child_id}/documents/{doc}", headers=guardian["headers"]).status_code == 404
        r = api.http.patch(f"/espaces/{child_id}/documents/{doc}", headers=guardian["headers"],
                           body=json.dumps({"masked": True}))
        assert r.status_code == 404
    assert len(flows.sent(aws, "guardian@example.org", "new-document")) == 1  # the plain one only (BR-27)
    # the PS sees them
    assert api.http.post(f"/pro/patients/{ins}/authorisations", headers=doctor,
                         body=json.dumps({"basis": "consent"})).status_code == 201
    seen = {d["id"]: d for d in api.http.get(f"/pro/patients/{ins}/documents", headers=doctor).json_body["items"]}
    assert set(seen) == {secret, revealed, plain} and seen[secret]["hidden_from_representatives"] is True
    # making one visible again: only its author, and for good
    path = f"/pro/patients/{ins}/documents/{revealed}"
    other_doctor = pro(psc, clock, OTHER_DOCTOR)
    assert api.http.patch(path, headers=other_doctor,
                          body=json.dumps({"hidden_from_representatives": False})).status_code == 404
    r = api.http.patch(path, headers=doctor, body=json.dumps({"hidden_from_representatives": False}))
    assert r.status_code == 200 and r.json_body["hidden_from_representatives"] is False
    r = api.http.patch(path, headers=doctor, body=json.dumps({"hidden_from_representatives": True}))
    assert (r.status_code, r.json_body["code"]) == (409, "state_conflict")
    assert listed(api, guardian["headers"], child_id) == {plain, revealed}
    # nor does the access log tell the representatives about the hidden one
    log = api.http.get(f"/espaces/{child_id}/access-log", headers=guardian["headers"]).json_body["items"]
    assert {e["target"] for e in log if e["action"] == "deposit"} == {plain, revealed}

    # BR-18: the day before, nothing; on the 18th birthday (00:45 UTC run) the handover
    clock.now = datetime(2028, 5, 9, 0, 45, tzinfo=UTC)
    assert flows.scheduled("majority_handover", clock(), event_id="maj-1")["handed_over"] == 0
    guardian_headers = login(api, aws, "guardian@example.org", "guardian.one")
    assert api.http.get(f"/espaces/{child_id}", headers=guardian_headers).status_code == 200
    clock.now = datetime(2028, 5, 10, 0, 45, tzinfo=UTC)
    with awscount.counting() as counter:
        first = flows.scheduled("majority_handover", clock(), event_id="maj-2")
    assert counter.requests["dynamodb.Query"] == 8 and "dynamodb.Scan" not in counter.requests  # one per shard
    assert (first["handed_over"], first["codes_by_email"]) == (1, 1)
    assert flows.scheduled("majority_handover", clock(), event_id="maj-2") == first  # duplicate event
    assert flows.scheduled("majority_handover", clock(), event_id="maj-3")["handed_over"] == 0
    (notice,) = flows.sent(aws, "zoe.young@example.org", "majority-code")
    assert not flows.sent(aws, "guardian@example.org", "majority-code")
    assert aws.espaces.get(child_id).status == Status.CREATED
    # the guardian's access has ended: 404, and the child is no longer listed
    guardian_headers = login(api, aws, "guardian@example.org", "guardian.one")
    for path in (f"/espaces/{child_id}", f"/espaces/{child_id}/documents", f"/espaces/{child_id}/documents/{plain}"):
        assert api.http.get(path, headers=guardian_headers).status_code == 404
    assert api.http.get("/espaces/me", headers=guardian_headers).json_body["children"] == []
    # the young adult activates with their own code and sees everything, the hidden document included
    clock.now = datetime(2028, 5, 12, 9, 0, tzinfo=UTC)
    young = activate_own(api, aws, child, notice["data"]["code"], "zoe.young@example.org", "zoe.young")
    assert listed(api, young, "me") == {secret, revealed, plain}
    assert api.http.get(f"/espaces/me/documents/{secret}", headers=young).status_code == 200
    log = api.http.get("/espaces/me/access-log", headers=young).json_body["items"]
    assert {e["target"] for e in log if e["action"] == "deposit"} == {secret, plain, revealed}


def test_the_handover_job_resumes_after_a_crash_mid_run(api, aws, clock, household):
    """Two young adults come of age the same day; the run dies at the first e-mail; the rerun of the
    same event hands over the rest and sends each code exactly once."""
    from tests.integration.test_jobs_resilience import Crash, CrashAfter

    guardian, child = household["guardian"], household["child"]
    twin = child_row(5002, guardian["row"], date(2010, 5, 10), "Léa", email="lea.young@example.org")
    flows.population(aws, [twin])
    flows.scheduled("wave", clock(), {"department": "44"})
    assert attach(api, aws, guardian, child).status_code == 201
    ids = aws.espaces.children_of(guardian["espace_id"])
    assert len(ids) == 2
    real = aws.notifier
    aws.__dict__["notifier"] = CrashAfter(real, "send_templated", calls_before_crash=0)
    clock.now = datetime(2028, 5, 10, 0, 45, tzinfo=UTC)
    with pytest.raises(Crash):
        flows.scheduled("majority_handover", clock(), event_id="maj-crash")
    died = [e for e in aws.espaces.get_many(ids) if e.guardian_id is None]
    assert len(died) == 1 and died[0].handover_notice_pending  # handed over, its code not sent yet
    aws.__dict__["notifier"] = real
    result = flows.scheduled("majority_handover", clock(), event_id="maj-crash")
    assert result["codes_by_email"] == 2 and result["complete"] is True
    for email in ("zoe.young@example.org", "lea.young@example.org"):
        assert len(flows.sent(aws, email, "majority-code")) == 1
    assert aws.espaces.children_of(guardian["espace_id"]) == []
    assert flows.scheduled("majority_handover", clock(), event_id="maj-again")["handed_over"] == 0


def test_mes_majority_run_invokes_the_handler_at_the_given_time(aws, clock, monkeypatch, capsys):
    """`mes majority run --at TIME` (the CLI runs the same handler in-process; here on this moto)."""
    from mes_local import cli

    parent = flows.people(1, seed=94, department="44")[0]
    child = child_row(5003, parent, date(2010, 5, 10), "Noé", email="noe@example.org")
    flows.population(aws, [parent, child])
    monkeypatch.setattr(cli, "connect", lambda verbose=False: {})
    assert cli.main(["majority", "run", "--at", "2028-05-09T00:45:00Z"]) == 0
    assert "handed over: 0" in capsys.readouterr().out
    assert cli.main(["majority", "run", "--at", "2028-05-10T00:45:00Z"]) == 0
    out = capsys.readouterr().out
    assert "handed over: 1" in out and "complete: yes" in out
    (guardian,) = [e for e in aws.espaces.find_by_nir(aws.keys.nir_hmac(parent["nir"])) if e.first_name != "Noé"]
    assert aws.espaces.children_of(guardian.espace_id) == []


def test_a_closed_childs_espace_is_no_longer_offered_to_the_guardian(api, aws, household):
    """WEB.md 13: the switch "Espace de PRÉNOM" lists the espaces the guardian can open; a child's
    closed espace answers 404 (BR-14), so the summary leaves it out rather than offering a dead switch."""
    guardian, child = household["guardian"], household["child"]
    r = attach(api, aws, guardian, child)
    assert r.status_code == 201, r.body
    child_id = r.json_body["espace"]["id"]
    r = api.http.post(f"/espaces/{child_id}/closure", headers=guardian["headers"],
                      body=json.dumps({"password": "une phrase de passe assez longue", "delete_data": False}))
    assert r.status_code == 200, r.body
    assert api.http.get(f"/espaces/{child_id}", headers=guardian["headers"]).status_code == 404
    me = api.http.get("/espaces/me", headers=guardian["headers"])
    assert me.status_code == 200 and me.json_body["children"] == []
