"""The access log cannot be silenced with a client's Idempotency-Key (BR-35: every PS action is
written once; BR-34: the administrator is told of every emergency access).

A record is keyed on the request so that a *retry* writes nothing; the key is the client's
`Idempotency-Key` when it sends one. A retry is the same professional doing the same action on the
same target: another document, another action or another professional with the same key (a reused
or guessed key) is another request and must be logged."""

from __future__ import annotations

import json

from tests.support import flows
from tests.support.leaks import remember

DOCTOR, OTHER_DOCTOR, ADMINISTRATOR = "10000000301", "10000000302", "10000000303"


def pro(psc, clock, rpps, key=None):
    value = psc.issue(rpps, "10", now=clock())
    remember(value)
    headers = {"Authorization": f"Bearer {value}", "Content-Type": "application/json"}
    return {**headers, "Idempotency-Key": key} if key else headers


def deposit(api, ins, headers, title):
    r = api.http.post(f"/pro/patients/{ins}/documents", headers=headers, body=json.dumps(
        {"title": title, "category": "BIOLOGIE", "filename": "bilan.pdf", "content_type": "application/pdf",
         "size": 100}))
    assert r.status_code == 201, r.body
    return r.json_body["document"]["id"]


def reads(api, patient):
    log = api.http.get("/espaces/me/access-log?limit=100", headers=patient["headers"]).json_body["items"]
    return sorted((e["rpps"], e["target"]) for e in log if e["action"] == "read")


def test_one_idempotency_key_reused_for_other_documents_and_by_another_professional_is_logged_each_time(
        api, aws, clock, psc):
    patient = flows.holder(api, aws, clock, seed=501, email="journal@example.org", login="patient.journal")
    ins = patient["row"]["nir"]
    remember(ins)
    first = deposit(api, ins, pro(psc, clock, DOCTOR), "Bilan 1")    # the author sees its own deposits
    second = deposit(api, ins, pro(psc, clock, DOCTOR), "Bilan 2")
    assert api.http.post(f"/pro/patients/{ins}/authorisations", headers=pro(psc, clock, OTHER_DOCTOR),
                         body=json.dumps({"basis": "consent"})).status_code == 201

    same_key = pro(psc, clock, DOCTOR, key="reused-key-1")
    for _ in range(2):  # a true retry: one record
        assert api.http.get(f"/pro/patients/{ins}/documents/{first}", headers=same_key).status_code == 200
    assert reads(api, patient) == [(DOCTOR, first)]
    # the same key (the clock does not move: the same second) on another document: logged
    assert api.http.get(f"/pro/patients/{ins}/documents/{second}", headers=same_key).status_code == 200
    # ... and by another professional (a refused read of a pending document is logged too)
    api.http.get(f"/pro/patients/{ins}/documents/{first}", headers=pro(psc, clock, OTHER_DOCTOR, key="reused-key-1"))
    assert reads(api, patient) == sorted([(DOCTOR, first), (DOCTOR, second), (OTHER_DOCTOR, first)])


def test_two_emergency_accesses_with_the_same_key_both_reach_the_administrator(api, aws, clock, psc):
    patient = flows.holder(api, aws, clock, seed=502, email="urgence@example.org", login="patient.urgence")
    ins = patient["row"]["nir"]
    remember(ins)
    assert api.http.put("/espaces/me/administrator", headers=patient["headers"],
                        body=json.dumps({"rpps": ADMINISTRATOR})).status_code == 204
    body = json.dumps({"mode": "break_glass", "reason": "Patient inconscient aux urgences"})
    for rpps in (DOCTOR, OTHER_DOCTOR):
        r = api.http.post(f"/pro/patients/{ins}/emergency-access", headers=pro(psc, clock, rpps, key="urgence-1"),
                          body=body)
        assert r.status_code == 201, r.body
    notices = api.http.get("/pro/notifications", headers=pro(psc, clock, ADMINISTRATOR)).json_body["items"]
    assert sorted(n["by"]["rpps"] for n in notices) == [DOCTOR, OTHER_DOCTOR]
    log = api.http.get("/espaces/me/access-log", headers=patient["headers"]).json_body["items"]
    assert sorted(e["rpps"] for e in log if e["action"] == "emergency") == [DOCTOR, OTHER_DOCTOR]
