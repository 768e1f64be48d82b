"""Every store of a holder's data, seen together (issue #5): the export holds each of them, and an
express deletion purges each of them (BR-14, BR-19, BR-21, BR-37). A table added without being wired
into `Container.holder_data_stores` and `EXPORT_PROVIDERS` fails here."""

from __future__ import annotations

import json
from datetime import timedelta

from tests.integration.test_children import household  # noqa: F401,F811 - the fixture
from tests.integration.test_exports import download, request, run_exports, status
from tests.integration.test_reimbursements import drop, line
from tests.support import flows
from tests.support.leaks import remember

DOCTOR = "10000000301"
BODY = "Votre vaccin contre le tétanos est à refaire en 2030."


def _partition(aws, table, espace_id):
    return aws.client("dynamodb").query(TableName=table, KeyConditionExpression="espace_id = :e",
                                        ExpressionAttributeValues={":e": {"S": espace_id}})["Items"]


def test_export_holds_every_store_and_an_express_deletion_purges_every_store(api, aws, clock, psc):
    who = flows.holder(api, aws, clock, seed=97, email="every.store@example.org", login="every.store")
    remember(who["row"]["nir"])
    headers, espace_id = who["headers"], who["espace_id"]
    vaccination = {"items": [{"vaccine": "Revaxis", "diseases": ["tétanos"], "date": "2020-05-04"},
                             {"diseases": ["grippe"], "date": "2025"}]}  # BR-19: a partial date exports as is
    assert api.http.put("/espaces/me/profile/vaccinations", headers=headers,
                        body=json.dumps(vaccination)).status_code == 200
    assert api.http.post("/espaces/me/measurements", headers=headers, body=json.dumps(
        {"type": "weight", "measured_at": "2026-03-01T08:00:00Z", "value": 71.5})).status_code == 201
    ps_token = psc.issue(DOCTOR, "10", now=clock())
    remember(ps_token)
    ps = {"Authorization": f"Bearer {ps_token}", "Content-Type": "application/json"}
    r = api.http.post(f"/pro/patients/{who['row']['nir']}/conversations", headers=ps,
                      body=json.dumps({"subject": "Rappel de vaccination", "body": BODY}))
    assert r.status_code == 201, r.body
    drop(aws, [line(who["row"], "EVERY-1", "2026-02-01", label="Vaccination")], at=clock())

    # the export: one section per store, the message in clear for its holder
    r = request(api, who)
    assert r.status_code == 202, r.body
    assert run_exports(aws) == {"received": 1, "failed": 0}
    archive = download(status(api, who, r.json_body["export_id"]).json_body)
    profile = json.loads(archive.read("profile.json"))
    assert profile["sections"]["vaccinations"] == vaccination
    assert [m["type"] for m in profile["measurements"]] == ["weight"]
    (conversation,) = json.loads(archive.read("messages.json"))["conversations"]
    assert conversation["subject"] == "Rappel de vaccination"
    assert BODY in json.dumps(conversation, ensure_ascii=False)
    assert [x["act_label"] for x in json.loads(archive.read("reimbursements.json"))] == ["Vaccination"]

    # the express deletion: every table holding the holder's data is empty for them afterwards
    s = aws.settings
    stores = (s.profiles_table, s.messages_table, s.reimbursements_table, s.exports_table)
    assert all(_partition(aws, table, espace_id) for table in stores)
    closed = api.http.post("/espaces/me/closure", headers=headers, body=json.dumps(
        {"password": "une phrase de passe assez longue", "delete_data": True}))
    assert closed.status_code == 200, closed.body
    result = flows.scheduled("retention", clock() + timedelta(days=30))
    assert result["processed"] == 1
    assert {table: _partition(aws, table, espace_id) for table in stores} == {table: [] for table in stores}


def test_a_representatives_export_leaves_out_what_the_minor_hid_from_them(api, aws, clock, psc, household):  # noqa: F811
    """BR-17 holds in the export: asked through the guardian, the child's archive has neither the
    document the minor asked to hide from the representatives nor the log entries about it."""
    from tests.integration.test_children import attach, deposit, pro
    guardian, child = household["guardian"], household["child"]
    child_id = attach(api, aws, guardian, child).json_body["espace"]["id"]
    doctor = pro(psc, clock, DOCTOR)
    secret = deposit(api, aws, doctor, child["nir"], "Consultation confidentielle", hidden_from_representatives=True)
    plain = deposit(api, aws, doctor, child["nir"], "Vaccins")
    r = request(api, guardian, espace=child_id)
    assert r.status_code == 202, r.body
    assert run_exports(aws) == {"received": 1, "failed": 0}
    archive = download(status(api, guardian, r.json_body["export_id"], espace=child_id).json_body)
    assert [d["id"] for d in json.loads(archive.read("documents.json"))] == [plain]
    assert not any(secret in name for name in archive.namelist())
    log = json.loads(archive.read("access_log.json"))
    assert [e["target"] for e in log if e["action"] == "deposit"] == [plain]
    assert secret not in json.dumps(log)
