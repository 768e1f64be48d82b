"""Closure, deletion, reopening, suspension and retention on moto through the real routes and
handlers (issue #5, BR-14, BR-15)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from mes.domain.espace import Status
from mes_instrument import awscount
from mes_local.functions import invoke
from tests.support import flows
from tests.support.leaks import remember

PASSWORD = "une phrase de passe assez longue"
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
JSON = {"Content-Type": "application/json"}


def holder(api, aws, clock, seed, name):
    who = flows.holder(api, aws, clock, seed=seed, email=f"{name}@example.org", login=f"{name}.login")
    who.update(email=f"{name}@example.org", login=f"{name}.login")
    remember(who["row"]["nir"])
    return who


def add_document(api, aws, who, content=PDF):
    r = api.http.post("/espaces/me/documents", headers=who["headers"], body=json.dumps(
        {"title": "Bilan", "category": "BIOLOGIE", "filename": "bilan.pdf", "content_type": "application/pdf",
         "size": len(content)}))
    assert r.status_code == 201, r.body
    assert flows.upload(r.json_body["upload"], content) in (200, 201, 204)
    flows.scan(aws)
    return r.json_body["document"]["id"]


def authorise_doctor(api, psc, clock, who, rpps="10000000001"):
    token = psc.issue(rpps, "10", now=clock())
    remember(token)
    ps = {"Authorization": f"Bearer {token}", **JSON}
    r = api.http.post(f"/pro/patients/{who['row']['nir']}/authorisations", headers=ps,
                      body=json.dumps({"basis": "consent"}))
    assert r.status_code == 201, r.body
    return ps


def close(api, who, delete_data=False, password=PASSWORD, espace="me"):
    return api.http.post(f"/espaces/{espace}/closure", headers=who["headers"],
                         body=json.dumps({"password": password, "delete_data": delete_data}))


def login(api, aws, who, password=PASSWORD, login_name=None):
    r = api.http.post("/auth/login", headers=JSON, body=json.dumps({"login": login_name or who["login"],
                                                                   "password": password}))
    if r.status_code != 202:
        return r, None
    otp = flows.sent(aws, who["email"], "otp")[-1]["data"]["otp"]
    r2 = api.http.post("/auth/otp", headers=JSON, body=json.dumps({"challenge_id": r.json_body["challenge_id"],
                                                                   "otp": otp}))
    token = r2.json_body["access_token"]
    remember(token)
    return r2, {"Authorization": f"Bearer {token}", **JSON}


def operator(aws, action, espace_id):
    return invoke("operator", {"action": action, "espace_id": espace_id, "reason": "FRAUDE-2026-0042"}, deps=aws)


HOLDER_ROUTES = [("GET", "/espaces/me"), ("GET", "/espaces/me/documents"), ("GET", "/espaces/me/settings"),
                 ("GET", "/espaces/me/access-log"), ("GET", "/espaces/me/professionals")]


def assert_every_holder_route_refused(api, headers):
    for method, path in HOLDER_ROUTES:
        r = getattr(api.http, method.lower())(path, headers=headers)
        assert r.status_code == 401 and r.json_body["code"] == "unauthorized", (path, r.body)
    r = close(api, {"headers": headers})
    assert r.status_code == 401


# -------------------------------------------------------------------------------------------------
# Closure (BR-14)
# -------------------------------------------------------------------------------------------------
def test_closure_without_deletion_archives_ten_years_and_revokes_every_session_at_once(api, aws, clock, psc):
    who = holder(api, aws, clock, 91, "alice")
    _, second_session = login(api, aws, who)  # two sessions: both end
    add_document(api, aws, who)
    ps = authorise_doctor(api, psc, clock, who)

    r = close(api, who)
    assert r.status_code == 200, r.body
    assert r.json_body == {"status": "closed", "archived_until": "2036-03-02T09:00:00Z", "deletion_due": None}
    for headers in (who["headers"], second_session):
        assert_every_holder_route_refused(api, headers)
    # a closed espace cannot log in (same answer as a wrong password), nor be read by a professional
    r, _ = login(api, aws, who)
    assert r.status_code == 401 and r.json_body["code"] == "invalid_credentials"
    r = api.http.get(f"/pro/patients/{who['row']['nir']}/documents", headers=ps)
    assert r.status_code == 404
    # informed once, in French, without health data
    (mail,) = flows.sent(aws, who["email"], "closure-confirmation")
    assert mail["data"]["archived_until"] == "2 mars 2036" and mail["data"]["deletion_due"] == ""
    # archived: nothing was deleted
    espace = aws.espaces.get(who["espace_id"])
    assert espace.status == Status.CLOSED and espace.deletion_due is None
    assert aws.documents.list(who["espace_id"], category=None, limit=10, cursor=None, holder_only=True).items


def test_wrong_password_is_refused_and_counted_like_a_failed_login(api, aws, clock):
    who = holder(api, aws, clock, 92, "bruno")
    remember("pas le bon mot de passe")
    for _ in range(10):
        r = close(api, who, password="pas le bon mot de passe")
        assert r.status_code == 401 and r.json_body["code"] == "invalid_credentials"
    # BR-12: the login's hourly budget is spent too, and the right password waits as well
    r = api.http.post("/auth/login", headers=JSON, body=json.dumps({"login": who["login"], "password": PASSWORD}))
    assert r.status_code == 429
    assert close(api, who).status_code == 429
    assert aws.espaces.get(who["espace_id"]).status == Status.ACTIVE
    r = api.http.get("/espaces/me", headers=who["headers"])
    assert r.status_code == 200


def test_closure_body_is_validated(api, aws, clock):
    who = holder(api, aws, clock, 93, "chloe")
    for body in ({"password": PASSWORD}, {"password": PASSWORD, "delete_data": "oui"},
                 {"password": PASSWORD, "delete_data": False, "reason": "x"}):
        r = api.http.post("/espaces/me/closure", headers=who["headers"], body=json.dumps(body))
        assert r.status_code == 400 and r.json_body["code"] == "validation_error", body
    r = close(api, who, espace="someone-else")
    assert r.status_code == 404


# -------------------------------------------------------------------------------------------------
# Retention (BR-14): deletion requests within 3 months, archives after 10 years
# -------------------------------------------------------------------------------------------------
def _espace_items(aws, espace_id):
    """Everything stored about the espace outside its tombstone."""
    s = aws.settings
    ddb, s3 = aws.client("dynamodb"), aws.client("s3")
    found = {}
    for table in (s.documents_table, s.access_table, s.access_log_table):
        found[table] = ddb.query(TableName=table, KeyConditionExpression="espace_id = :e",
                                 ExpressionAttributeValues={":e": {"S": espace_id}})["Items"]
    versions = s3.list_object_versions(Bucket=s.documents_bucket, Prefix=f"documents/{espace_id}/")
    found["s3"] = versions.get("Versions", []) + versions.get("DeleteMarkers", [])
    found["credentials"] = ddb.query(TableName=s.credentials_table, IndexName="by_espace",
                                     KeyConditionExpression="espace_id = :e",
                                     ExpressionAttributeValues={":e": {"S": espace_id}})["Items"]
    found["sessions"] = ddb.get_item(TableName=s.ephemeral_table, Key={"pk": {"S": f"sessions#{espace_id}"}}
                                     ).get("Item")
    return {k: v for k, v in found.items() if v}


def test_deletion_request_is_purged_at_thirty_days_the_holder_informed_once(api, aws, clock, psc):
    who = holder(api, aws, clock, 94, "denis")
    document_id = add_document(api, aws, who)
    aws.client("s3").put_object(Bucket=aws.settings.documents_bucket,  # a second version of the object
                                Key=f"documents/{who['espace_id']}/{document_id}", Body=PDF)
    ps = authorise_doctor(api, psc, clock, who)
    api.http.get(f"/pro/patients/{who['row']['nir']}/documents", headers=ps)  # an access-log record
    closed_at = clock()

    r = close(api, who, delete_data=True)
    assert r.status_code == 200
    assert r.json_body["deletion_due"] == "2026-04-01T09:00:00Z"  # closure + 30 days, within 3 months
    assert _espace_items(aws, who["espace_id"]).keys() >= {aws.settings.documents_table, "s3", "credentials",
                                                           aws.settings.access_table, aws.settings.access_log_table}

    # the day before: nothing
    result = flows.scheduled("retention", closed_at + timedelta(days=29, hours=23))
    assert result["processed"] == 0
    # due: everything goes, the tombstone keeps no personal data, the holder is told once
    event_id = "retention-2026-04-01"
    result = flows.scheduled("retention", closed_at + timedelta(days=30), event_id=event_id)
    assert (result["processed"], result["notified"]) == (1, 1)
    assert _espace_items(aws, who["espace_id"]) == {}
    item = aws.client("dynamodb").get_item(TableName=aws.settings.espaces_table,
                                           Key={"espace_id": {"S": who["espace_id"]}})["Item"]
    assert set(item) == {"espace_id", "status", "closed_at", "archived_until", "deletion_due", "purged_at",
                         "version", "session_epoch"}
    assert item["status"] == {"S": "purged"}
    assert len(flows.sent(aws, who["email"], "data-deleted")) == 1
    # a duplicate event and the next days' runs change nothing and send nothing
    assert flows.scheduled("retention", closed_at + timedelta(days=30), event_id=event_id) == result
    assert flows.scheduled("retention", closed_at + timedelta(days=31))["processed"] == 0
    assert len(flows.sent(aws, who["email"], "data-deleted")) == 1
    # gone for everyone: no login, no enrolment, no professional
    r, _ = login(api, aws, who)
    assert r.status_code == 401
    assert api.http.get(f"/pro/patients/{who['row']['nir']}/documents", headers=ps).status_code == 404


def test_archive_is_purged_after_ten_years_without_e_mail(api, aws, clock):
    who = holder(api, aws, clock, 95, "emma")
    add_document(api, aws, who)
    closed_at = clock()
    assert close(api, who).status_code == 200
    assert flows.scheduled("retention", closed_at + timedelta(days=3652 - 1))["processed"] == 0  # 2036-03-01
    result = flows.scheduled("retention", closed_at.replace(year=2036))
    assert (result["processed"], result["notified"]) == (1, 0)
    assert _espace_items(aws, who["espace_id"]) == {}
    assert flows.sent(aws, who["email"], "data-deleted") == []


class Crash(RuntimeError):
    pass


def test_a_purge_killed_half_way_is_finished_by_the_next_run_nobody_lost_nobody_mailed_twice(
        api, aws, clock, monkeypatch):
    people = [holder(api, aws, clock, 96 + i, f"purge{i}") for i in range(3)]
    for who in people:
        add_document(api, aws, who)
        assert close(api, who, delete_data=True).status_code == 200
    due = clock() + timedelta(days=30)
    real = aws.holder_data_stores
    calls = {"n": 0}

    class Dying:
        def __init__(self, store):
            self.store = store

        def purge_espace(self, espace_id):
            calls["n"] += 1
            if calls["n"] == 2:  # the second espace's documents: the Lambda dies
                raise Crash("killed")
            return self.store.purge_espace(espace_id)

    monkeypatch.setattr(aws, "holder_data_stores", lambda: [Dying(s) for s in real()][:1] + real()[1:])
    with pytest.raises(Crash):
        flows.scheduled("retention", due, event_id="retention-crash")
    monkeypatch.setattr(aws, "holder_data_stores", real)
    result = flows.scheduled("retention", due, event_id="retention-crash")  # the same event, retried
    assert result["processed"] == 2  # the one done before the crash is not done again
    for who in people:
        assert aws.espaces.get(who["espace_id"]).status == Status.PURGED
        assert _espace_items(aws, who["espace_id"]) == {}
        assert len(flows.sent(aws, who["email"], "data-deleted")) == 1


def test_retention_reads_only_the_due_espaces(api, aws, clock):
    """retention.items_read_per_item at a small scale: many closed or active espaces not due."""
    from mes.domain import closure as rules
    from mes.domain.espace import Espace
    now = clock()
    espaces = []
    for i in range(150):
        e = Espace(espace_id=f"espace-{i:04d}", nir_hmac=f"h{i}", birth_date=now.date().replace(year=1980),
                   vitale_hmac="v", first_name="P", last_name="N", department="44", status=Status.ACTIVE,
                   email=f"p{i}@example.org")
        if i < 120:
            rules.close(e, now - timedelta(days=10 if i < 20 else 1), delete_data=i < 20 or i >= 100)
        espaces.append(e)
    aws.espaces.add_new(espaces)
    with awscount.counting() as counter:
        result = flows.scheduled("retention", now + timedelta(days=20, hours=1))
    assert result["processed"] == 20
    assert counter.items_read / result["processed"] <= 1.1
    assert counter.requests["dynamodb.Scan"] == 0


# -------------------------------------------------------------------------------------------------
# Reopening (BR-14)
# -------------------------------------------------------------------------------------------------
def reopen(api, aws, who, login_name, password=PASSWORD):
    ident = {k: who["row"][k] for k in ("nir", "birth_date", "vitale_serial")}
    r = api.http.post("/enrolment/codes", headers=JSON, body=json.dumps({**ident, "channel": "email"}))
    assert r.status_code == 202
    r = api.http.post("/enrolment/sessions", headers=JSON,
                      body=json.dumps({**ident, "code": flows.last_code(aws, who["email"])}))
    assert r.status_code == 201, r.body
    assert r.json_body["espace"]["status"] == "closed"
    etoken = r.json_body["enrolment_token"]
    remember(etoken, password)
    auth = {"Authorization": f"Bearer {etoken}", **JSON}
    r = api.http.post("/enrolment/activation", headers=auth, body=json.dumps(
        {"email": who["email"], "otp_channel": "email", "login": login_name, "password": password,
         "accept_terms": True}))
    assert r.status_code == 202, r.body
    otp = flows.sent(aws, who["email"], "otp")[-1]["data"]["otp"]
    r = api.http.post("/enrolment/activation/confirm", headers=auth,
                      body=json.dumps({"challenge_id": r.json_body["challenge_id"], "otp": otp}))
    assert r.status_code == 201, r.body
    return r.json_body["espace"]


def test_closed_without_deletion_reopened_a_year_later_has_all_its_data_back(api, aws, clock, psc):
    who = holder(api, aws, clock, 99, "felix")
    document_id = add_document(api, aws, who)
    ps = authorise_doctor(api, psc, clock, who)
    assert close(api, who).status_code == 200

    clock.advance(days=365)
    assert flows.scheduled("retention", clock())["processed"] == 0
    reopened = reopen(api, aws, who, who["login"], "une toute nouvelle phrase")
    assert (reopened["id"], reopened["status"]) == (who["espace_id"], "active")
    remember("une toute nouvelle phrase")
    # the old password no longer works, the new one does
    r, _ = login(api, aws, who)
    assert r.status_code == 401
    r, headers = login(api, aws, who, password="une toute nouvelle phrase")
    assert r.status_code == 200
    r = api.http.get(f"/espaces/me/documents/{document_id}", headers=headers)
    assert r.status_code == 200 and r.json_body["status"] == "available" and r.json_body["download"]["url"]
    assert api.http.get("/espaces/me/professionals", headers=headers).json_body["items"][0]["rpps"] == "10000000001"
    ps = {**ps, "Authorization": f"Bearer {psc.issue('10000000001', '10', now=clock())}"}
    assert api.http.get(f"/pro/patients/{who['row']['nir']}/documents", headers=ps).status_code == 200
    espace = aws.espaces.get(who["espace_id"])
    assert (espace.closed_at, espace.archived_until, espace.deletion_due) == (None, None, None)
    # and it can be closed again
    assert close(api, {"headers": headers}, password="une toute nouvelle phrase").status_code == 200


def test_reopening_cancels_a_pending_deletion_and_a_new_login_replaces_the_old(api, aws, clock):
    who = holder(api, aws, clock, 100, "gaelle")
    add_document(api, aws, who)
    closed_at = clock()
    assert close(api, who, delete_data=True).status_code == 200
    clock.advance(days=10)
    reopen(api, aws, who, "gaelle.nouvelle")
    assert flows.scheduled("retention", closed_at + timedelta(days=31))["processed"] == 0
    assert aws.espaces.get(who["espace_id"]).status == Status.ACTIVE
    assert aws.documents.list(who["espace_id"], category=None, limit=10, cursor=None, holder_only=True).items
    r, _ = login(api, aws, who)  # the old login is gone
    assert r.status_code == 401
    r, headers = login(api, aws, who, login_name="gaelle.nouvelle")
    assert r.status_code == 200
    assert api.http.get("/espaces/me", headers=headers).json_body["status"] == "active"


# -------------------------------------------------------------------------------------------------
# Suspension (BR-15)
# -------------------------------------------------------------------------------------------------
def test_suspension_without_objection_is_closed_automatically_after_six_weeks(api, aws, clock):
    who = holder(api, aws, clock, 101, "hugo")
    suspended_at = clock()
    result = operator(aws, "suspend", who["espace_id"])
    assert result["changed"] is True and result["suspension_due"] == "2026-04-13T09:00:00Z"
    assert operator(aws, "suspend", who["espace_id"])["changed"] is False  # a repeated order: nothing
    assert len(flows.sent(aws, who["email"], "suspension-notice")) == 1
    assert_every_holder_route_refused(api, who["headers"])
    r, _ = login(api, aws, who)
    assert r.status_code == 403 and r.json_body["code"] == "suspended"
    from mes_local import openapi  # the contract says so too (a client must expect this 403)
    assert "403" in openapi.build()["paths"]["/auth/login"]["post"]["responses"]

    assert flows.scheduled("suspension_followup", suspended_at + timedelta(days=42, seconds=-1))["processed"] == 0
    event_id = "followup-2026-04-13"
    result = flows.scheduled("suspension_followup", suspended_at + timedelta(days=42), event_id=event_id)
    assert (result["processed"], result["notified"]) == (1, 1)
    espace = aws.espaces.get(who["espace_id"])
    assert espace.status == Status.CLOSED and espace.archived_until.year == 2036 and espace.deletion_due is None
    assert flows.scheduled("suspension_followup", suspended_at + timedelta(days=42), event_id=event_id) == result
    assert flows.scheduled("suspension_followup", suspended_at + timedelta(days=43))["processed"] == 0
    assert len(flows.sent(aws, who["email"], "suspension-closure")) == 1
    r, _ = login(api, aws, who)
    assert r.status_code == 401


def test_lifted_before_six_weeks_is_never_closed(api, aws, clock):
    who = holder(api, aws, clock, 102, "ines")
    suspended_at = clock()
    operator(aws, "suspend", who["espace_id"])
    clock.advance(days=20)
    result = operator(aws, "lift", who["espace_id"])
    assert (result["changed"], result["status"]) == (True, "active")
    assert len(flows.sent(aws, who["email"], "suspension-lifted")) == 1
    assert flows.scheduled("suspension_followup", suspended_at + timedelta(days=43))["processed"] == 0
    assert aws.espaces.get(who["espace_id"]).status == Status.ACTIVE
    r, headers = login(api, aws, who)
    assert r.status_code == 200
    assert api.http.get("/espaces/me", headers=headers).status_code == 200
    assert_every_holder_route_refused(api, who["headers"])  # the sessions of before stay revoked


def test_operator_orders_are_validated(aws):
    assert invoke("operator", {"action": "delete", "espace_id": "x", "reason": "r"}, deps=aws)["error"] == \
        "validation_error"
    assert invoke("operator", {"action": "suspend", "espace_id": "x"}, deps=aws)["error"] == "validation_error"
    assert operator(aws, "suspend", "unknown-espace")["error"] == "not_found"
