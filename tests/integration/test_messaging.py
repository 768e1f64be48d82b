"""Secure messaging on moto through the real routes (issue #5, BR-37 to BR-39)."""

from __future__ import annotations

import json

import pytest

from tests.integration.test_children import attach, household  # noqa: F401,F811 - the fixture
from tests.integration.test_children import deposit as child_deposit
from tests.support import flows
from tests.support.leaks import remember

DOCTOR, OTHER_DOCTOR, NURSE = "10000000101", "10000000102", "10000000103"
PDF = b"%PDF-1.4\n" + b"resultats " * 50
SUBJECT = "Résultats de votre bilan sanguin"
BODY = "Bonjour, votre glycémie à jeun est de 1,32 g/L : nous en reparlons jeudi."
REPLY = "Merci docteur, je joins mon ancien bilan de 2024."


@pytest.fixture
def patient(api, aws, clock):
    who = flows.holder(api, aws, clock, seed=95, email="patient.msg@example.org", login="patient.msg")
    remember(who["row"]["nir"])
    return who


def token(psc, clock, rpps, profession="10", **kw):
    return {**flows.pro_headers(psc, clock, rpps, profession, **kw), "Content-Type": "application/json"}


def deposit(api, aws, ins, ps, title="Bilan sanguin du 2 mars"):
    r = api.http.post(f"/pro/patients/{ins}/documents", headers=ps, body=json.dumps(
        {"title": title, "category": "BIOLOGIE", "filename": "bilan.pdf", "content_type": "application/pdf",
         "size": len(PDF)}))
    assert r.status_code == 201, r.body
    assert flows.upload(r.json_body["upload"], PDF) in (200, 201, 204)
    flows.scan(aws)
    return r.json_body["document"]["id"]


def holder_upload(api, aws, who, title="Ancien bilan 2024"):
    r = api.http.post("/espaces/me/documents", headers=who["headers"], body=json.dumps(
        {"title": title, "category": "AUTR_DOC", "filename": "ancien.pdf", "content_type": "application/pdf",
         "size": len(PDF)}))
    assert r.status_code == 201, r.body
    assert flows.upload(r.json_body["upload"], PDF) in (200, 201, 204)
    flows.scan(aws)
    return r.json_body["document"]["id"]


def start(api, ins, ps, subject=SUBJECT, body=BODY, attachments=None):
    payload = {"subject": subject, "body": body}
    if attachments is not None:
        payload["attachments"] = attachments
    return api.http.post(f"/pro/patients/{ins}/conversations", headers=ps, body=json.dumps(payload))


def post(api, path, headers, body, attachments=None):
    return api.http.post(path, headers=headers, body=json.dumps({"body": body, "attachments": attachments or []}))


def raw_items(aws):
    """Everything the table holds (a test-only Scan), as DynamoDB JSON text."""
    ddb = aws.client("dynamodb")
    return json.dumps(ddb.scan(TableName=aws.settings.messages_table)["Items"], ensure_ascii=False)


def test_the_whole_story_doctor_writes_holder_replies_saves_and_cannot_reply_once_closed(api, aws, clock, psc,
                                                                                          patient):
    ins, espace_id = patient["row"]["nir"], patient["espace_id"]
    doctor = token(psc, clock, DOCTOR, name="Dr Hélène Vasseur", structure="750712184")
    report = deposit(api, aws, ins, doctor)

    # the doctor starts a conversation with an attachment (no read authorisation needed, BR-37)
    r = start(api, ins, doctor, attachments=[report])
    assert r.status_code == 201, r.body
    conversation_id = r.json_body["conversation_id"]

    # the holder is told, without content (BR-39): no subject, no body, no name
    notices = flows.sent(aws, "patient.msg@example.org", "new-message")
    assert len(notices) == 1 and set(notices[0]["data"]) == {"first_name"}
    sent_text = json.dumps(notices, ensure_ascii=False)
    for secret in (SUBJECT, BODY, "Vasseur", "glycémie", "Bilan"):
        assert secret not in sent_text
    # encrypted at rest by the application: the table never holds the subject or the body in clear
    stored = raw_items(aws)
    for clear in (SUBJECT, BODY, "glycémie", "bilan sanguin", "Bilan sanguin du 2 mars"):
        assert clear not in stored
    assert "v1." in stored

    # the holder lists and reads
    listed = api.http.get("/espaces/me/conversations", headers=patient["headers"]).json_body
    assert [(c["id"], c["subject"], c["status"], c["professional"]["rpps"]) for c in listed["items"]] == [
        (conversation_id, SUBJECT, "open", DOCTOR)]
    page = api.http.get(f"/espaces/me/conversations/{conversation_id}", headers=patient["headers"]).json_body
    assert page["conversation"]["subject"] == SUBJECT
    [first] = page["items"]
    assert (first["author"], first["body"]) == ("professional", BODY)
    assert [(a["document_id"], a["title"]) for a in first["attachments"]] == [(report, "Bilan sanguin du 2 mars")]
    # ... and downloads the attachment through the document routes
    r = api.http.get(f"/espaces/me/documents/{report}", headers=patient["headers"])
    assert r.status_code == 200 and r.json_body["download"]["url"]

    # the holder replies with one of their documents
    clock.advance(minutes=5)
    old = holder_upload(api, aws, patient)
    r = post(api, f"/espaces/{espace_id}/conversations/{conversation_id}/messages", patient["headers"], REPLY, [old])
    assert r.status_code == 201, r.body
    assert r.json_body["author"] == "holder" and r.json_body["attachments"][0]["document_id"] == old
    listed = api.http.get("/espaces/me/conversations", headers=patient["headers"]).json_body["items"]
    assert listed[0]["message_count"] == 2 and listed[0]["last_message_at"] == "2026-03-02T09:05:00Z"

    # the doctor reads, newest first, and downloads the holder's attachment: the conversation grants it,
    # although the doctor has no read authorisation on the patient's documents
    page = api.http.get(f"/pro/conversations/{conversation_id}", headers=doctor).json_body
    assert [(m["author"], m["body"]) for m in page["items"]] == [("holder", REPLY), ("professional", BODY)]
    assert api.http.get(f"/pro/patients/{ins}/documents/{old}", headers=doctor).status_code in (403, 404)
    r = api.http.get(f"/pro/conversations/{conversation_id}/attachments/{old}", headers=doctor)
    assert r.status_code == 200 and r.json_body["id"] == old and r.json_body["download"]["url"]
    # ... but not a document that was never attached
    never_attached = old[:-1] + ("1" if old.endswith("0") else "0")  # another id (ids are random)
    assert api.http.get(f"/pro/conversations/{conversation_id}/attachments/{never_attached}",
                        headers=doctor).status_code == 404

    # the holder saves the doctor's attachment into their documents: a copy of their own, idempotent
    s3, bucket = aws.client("s3"), aws.settings.documents_bucket
    s3.put_object_tagging(Bucket=bucket, Key=f"documents/{espace_id}/{report}", Tagging={"TagSet": [
        {"Key": "GuardDutyMalwareScanStatus", "Value": "NO_THREATS_FOUND"}]})
    save = f"/espaces/me/conversations/{conversation_id}/attachments/{report}/save"
    r = api.http.post(save, headers=patient["headers"])
    assert r.status_code == 201, r.body
    saved = r.json_body
    assert (saved["author_type"], saved["title"], saved["status"]) == ("PATIENT", "Bilan sanguin du 2 mars", "pending")
    assert api.http.post(save, headers=patient["headers"]).json_body["id"] == saved["id"]  # retry: same document
    flows.scan(aws)
    docs = api.http.get("/espaces/me/documents?limit=100", headers=patient["headers"]).json_body["items"]
    assert [d["status"] for d in docs if d["id"] == saved["id"]] == ["available"]
    assert len([d for d in docs if d["title"] == "Bilan sanguin du 2 mars"]) == 2
    head = aws.client("s3").head_object(Bucket=aws.settings.documents_bucket,
                                        Key=f"documents/{espace_id}/{saved['id']}")
    assert head["ServerSideEncryption"] == "aws:kms" and head["SSEKMSKeyId"] == aws.settings.data_key_arn
    # the copy gets its own malware verdict: the original's tags are not copied
    assert s3.get_object_tagging(Bucket=bucket, Key=f"documents/{espace_id}/{saved['id']}")["TagSet"] == []
    assert api.http.post(save, headers=patient["headers"]).json_body["id"] == saved["id"]  # still the same
    # the holder's own attachment is not "received": nothing to save
    assert api.http.post(f"/espaces/me/conversations/{conversation_id}/attachments/{old}/save",
                         headers=patient["headers"]).status_code == 404

    # the doctor ends the conversation (BR-38): the holder can no longer reply, nor the doctor write
    r = api.http.post(f"/pro/conversations/{conversation_id}/close", headers=doctor)
    assert r.status_code == 200 and r.json_body["status"] == "closed" and r.json_body["closed_at"]
    assert api.http.post(f"/pro/conversations/{conversation_id}/close", headers=doctor).status_code == 200
    r = post(api, f"/espaces/me/conversations/{conversation_id}/messages", patient["headers"], "Encore une question")
    assert r.status_code == 409 and r.json_body["code"] == "conversation_closed"
    assert r.headers["Content-Type"] == "application/problem+json" and "clôturée" in r.json_body["detail"]
    r = post(api, f"/pro/conversations/{conversation_id}/messages", doctor, "Un dernier mot")
    assert r.status_code == 409 and r.json_body["code"] == "conversation_closed"
    assert api.http.get("/espaces/me/conversations", headers=patient["headers"]).json_body["items"][0][
        "status"] == "closed"

    # every professional action is in the holder's access log (BR-35)
    log = api.http.get("/espaces/me/access-log?limit=100", headers=patient["headers"]).json_body["items"]
    actions = [(e["action"], e["decision"]) for e in log if e["target"] == conversation_id]
    assert ("conversation_start", "allowed") in actions and ("conversation_close", "allowed") in actions
    assert ("read", "allowed") in [(e["action"], e["decision"]) for e in log if e["target"] == old]


def test_nobody_else_sees_the_conversation(api, aws, clock, psc, patient):
    ins = patient["row"]["nir"]
    doctor = token(psc, clock, DOCTOR)
    conversation_id = start(api, ins, doctor).json_body["conversation_id"]
    other = flows.holder(api, aws, clock, seed=96, email="other.msg@example.org", login="other.msg")

    # another holder: 404 whether by "me" or by the patient's espace id; nothing in their list
    for espace in ("me", patient["espace_id"]):
        assert api.http.get(f"/espaces/{espace}/conversations/{conversation_id}",
                            headers=other["headers"]).status_code == 404
        r = post(api, f"/espaces/{espace}/conversations/{conversation_id}/messages", other["headers"], "Bonjour")
        assert r.status_code == 404
    assert api.http.get("/espaces/me/conversations", headers=other["headers"]).json_body["items"] == []

    # another professional: 404 on every route of the conversation
    stranger = token(psc, clock, OTHER_DOCTOR)
    assert api.http.get(f"/pro/conversations/{conversation_id}", headers=stranger).status_code == 404
    assert post(api, f"/pro/conversations/{conversation_id}/messages", stranger, "Bonjour").status_code == 404
    assert api.http.post(f"/pro/conversations/{conversation_id}/close", headers=stranger).status_code == 404
    assert api.http.get(f"/espaces/me/conversations/{conversation_id}",
                        headers=patient["headers"]).json_body["conversation"]["status"] == "open"

    # without a PS token: 401
    assert api.http.get(f"/pro/conversations/{conversation_id}", headers=patient["headers"]).status_code == 401


def test_a_blocked_professional_can_neither_start_nor_continue_and_it_is_logged(api, aws, clock, psc, patient):
    ins = patient["row"]["nir"]
    nurse = token(psc, clock, NURSE, "60")
    conversation_id = start(api, ins, nurse).json_body["conversation_id"]
    assert api.http.put(f"/espaces/me/blocks/{NURSE}", headers=patient["headers"]).status_code == 204
    clock.advance(seconds=1)
    r = start(api, ins, nurse)
    assert r.status_code == 403 and r.json_body["code"] == "blocked"
    for r in (api.http.get(f"/pro/conversations/{conversation_id}", headers=nurse),
              post(api, f"/pro/conversations/{conversation_id}/messages", nurse, "Bonjour")):
        assert r.status_code == 403 and r.json_body["code"] == "blocked"
    log = api.http.get("/espaces/me/access-log", headers=patient["headers"]).json_body["items"]
    assert ("conversation_start", "refused:blocked") in [(e["action"], e["decision"]) for e in log]
    assert len(flows.sent(aws, "patient.msg@example.org", "new-message")) == 1  # only the first one


def test_attachments_are_checked_on_both_sides(api, aws, clock, psc, patient):
    ins = patient["row"]["nir"]
    other = flows.holder(api, aws, clock, seed=97, email="third.msg@example.org", login="third.msg")
    foreign = holder_upload(api, aws, other, title="Pas à vous")
    own = holder_upload(api, aws, patient)
    nurse = token(psc, clock, NURSE, "60")
    # a professional may not attach a document it may not read (no authorisation) nor another patient's
    for document_id in (own, foreign):
        r = start(api, ins, nurse, attachments=[document_id])
        assert r.status_code == 400 and r.json_body["code"] == "invalid_attachment"
    conversation_id = start(api, ins, nurse).json_body["conversation_id"]
    # the holder may attach only their own available documents
    r = post(api, f"/espaces/me/conversations/{conversation_id}/messages", patient["headers"], "Voici", [foreign])
    assert r.status_code == 400 and r.json_body["code"] == "invalid_attachment"
    r = post(api, f"/espaces/me/conversations/{conversation_id}/messages", patient["headers"], "Voici", [own, own])
    assert r.status_code == 400 and r.json_body["code"] == "validation_error"
    assert post(api, f"/espaces/me/conversations/{conversation_id}/messages", patient["headers"], "Voici",
                [own]).status_code == 201
    # unknown fields refused (400 validation_error)
    r = api.http.post(f"/espaces/me/conversations/{conversation_id}/messages", headers=patient["headers"],
                      body=json.dumps({"body": "x", "to": "someone"}))
    assert r.status_code == 400 and r.json_body["code"] == "validation_error"


def test_messages_are_paginated_newest_first_one_query_per_page(api, aws, clock, psc, patient):
    from mes_instrument import awscount
    ins = patient["row"]["nir"]
    doctor = token(psc, clock, DOCTOR)
    conversation_id = start(api, ins, doctor, body="message 0").json_body["conversation_id"]
    for i in range(1, 5):
        clock.advance(seconds=1)
        assert post(api, f"/pro/conversations/{conversation_id}/messages", doctor, f"message {i}").status_code == 201
    seen, cursor, pages = [], None, 0
    while True:
        url = f"/espaces/me/conversations/{conversation_id}?limit=2" + (f"&cursor={cursor}" if cursor else "")
        with awscount.counting() as counter:
            r = api.http.get(url, headers=patient["headers"])
        assert r.status_code == 200, r.body
        # one Query for the page; the other request is the token revocation check (ephemeral table)
        assert counter.requests["dynamodb.Query"] == 1 and counter.by_service("dynamodb") == 2
        assert (r.json_body["conversation"] is not None) == (pages == 0)
        seen += [m["body"] for m in r.json_body["items"]]
        pages += 1
        cursor = r.json_body["next_cursor"]
        if not cursor:
            break
    assert seen == [f"message {i}" for i in range(4, -1, -1)]
    assert pages == 3
    r = api.http.get(f"/espaces/me/conversations/{conversation_id}?limit=101", headers=patient["headers"])
    assert r.status_code == 400 and r.json_body["code"] == "validation_error"
    r = api.http.get(f"/espaces/me/conversations/{conversation_id}?cursor=bm9wZQ", headers=patient["headers"])
    assert r.status_code == 400


def test_export_and_purge_an_espace(api, aws, clock, psc, patient):
    ins, espace_id = patient["row"]["nir"], patient["espace_id"]
    doctor = token(psc, clock, DOCTOR, name="Dr Hélène Vasseur")
    conversation_id = start(api, ins, doctor).json_body["conversation_id"]
    clock.advance(minutes=1)
    post(api, f"/espaces/me/conversations/{conversation_id}/messages", patient["headers"], REPLY)
    exported = aws.messages.export_espace(espace_id)
    json.dumps(exported)  # JSON-serialisable
    [conversation] = exported["conversations"]
    assert (conversation["id"], conversation["subject"], conversation["professional"]["name"]) == (
        conversation_id, SUBJECT, "Dr Hélène Vasseur")
    assert [(m["author"], m["body"]) for m in conversation["messages"]] == [("professional", BODY), ("holder", REPLY)]

    assert aws.messages.purge_espace(espace_id) == 4  # the conversation, two messages, the PS request marker
    assert aws.messages.purge_espace(espace_id) == 0  # idempotent
    assert aws.messages.export_espace(espace_id) == {"conversations": []}
    assert api.http.get("/espaces/me/conversations", headers=patient["headers"]).json_body["items"] == []
    assert api.http.get(f"/pro/conversations/{conversation_id}", headers=doctor).status_code == 404


def test_the_benchmark_at_small_scale_one_request_per_page():
    """`make bench`'s messages.requests_per_page, on 55 messages and 3 other conversations."""
    import dataclasses
    import os

    from mes.bootstrap import set_container
    from mes_local import bench
    saved = dict(os.environ)
    small = bench.Bench(dataclasses.replace(bench.TINY, messages=55, conversations=3))
    try:
        figures = bench.messages_requests_per_page(small)
    finally:
        small.close()
        set_container(None)
        os.environ.clear()
        os.environ.update(saved)
    assert figures == {"messages.requests_per_page": 1, "messages.requests_per_page_with_auth": 2}


def test_a_cursor_from_another_espace_is_refused(api, aws, clock, psc, patient):
    import base64
    doctor = token(psc, clock, DOCTOR)
    start(api, patient["row"]["nir"], doctor)
    forged = base64.urlsafe_b64encode(json.dumps({"espace_id": {"S": "someone-else"}, "sk": {"S": "c#x#~"},
                                                 "activity": {"S": "2026"}}).encode()).decode()
    r = api.http.get(f"/espaces/me/conversations?cursor={forged}", headers=patient["headers"])
    assert r.status_code == 400 and r.json_body["code"] == "validation_error"


def test_a_professional_retrying_with_the_same_idempotency_key_writes_and_notifies_once(api, aws, clock, psc,
                                                                                      patient):
    ins = patient["row"]["nir"]
    doctor = {**token(psc, clock, DOCTOR), "Idempotency-Key": "start-7f3a"}
    first = start(api, ins, doctor)
    clock.advance(seconds=2)
    again = start(api, ins, doctor)
    assert first.status_code == again.status_code == 201
    assert first.json_body["conversation_id"] == again.json_body["conversation_id"]
    conversation_id = first.json_body["conversation_id"]
    send = {**doctor, "Idempotency-Key": "send-91c2"}
    one = post(api, f"/pro/conversations/{conversation_id}/messages", send, "Une précision")
    clock.advance(seconds=2)
    two = post(api, f"/pro/conversations/{conversation_id}/messages", send, "Une précision")
    assert one.status_code == two.status_code == 201 and one.json_body["id"] == two.json_body["id"]
    listed = api.http.get("/espaces/me/conversations", headers=patient["headers"]).json_body["items"]
    assert [(c["id"], c["message_count"]) for c in listed] == [(conversation_id, 2)]
    assert len(flows.sent(aws, "patient.msg@example.org", "new-message")) == 2  # one per distinct request


def test_a_representative_replying_cannot_attach_what_the_minor_hid_from_them(api, aws, clock, psc,
                                                                            household):  # noqa: F811
    """BR-17 through the real routes: the guardian, replying in the child's conversation with the id of a
    document the minor had hidden from the legal representatives, gets the very answer of an unknown id
    (400 invalid_attachment, same detail): no title, nothing stored, nothing for the professional."""
    guardian, child = household["guardian"], household["child"]
    child_id = attach(api, aws, guardian, child).json_body["espace"]["id"]
    doctor = token(psc, clock, DOCTOR)
    secret = child_deposit(api, aws, doctor, child["nir"], "Consultation confidentielle",
                           hidden_from_representatives=True)
    plain = child_deposit(api, aws, doctor, child["nir"], "Vaccins")
    conversation_id = start(api, child["nir"], doctor).json_body["conversation_id"]
    path = f"/espaces/{child_id}/conversations/{conversation_id}/messages"
    unknown = post(api, path, guardian["headers"], "Voici", ["0" * 32])
    assert (unknown.status_code, unknown.json_body["code"]) == (400, "invalid_attachment")
    for ids in ([secret], [plain, secret]):
        r = post(api, path, guardian["headers"], "Voici", ids)
        assert (r.status_code, r.json_body) == (unknown.status_code, unknown.json_body), r.body
    assert "Consultation confidentielle" not in json.dumps(r.json_body, ensure_ascii=False)
    page = api.http.get(f"/espaces/{child_id}/conversations/{conversation_id}", headers=guardian["headers"])
    assert page.status_code == 200 and [m["author"] for m in page.json_body["items"]] == ["professional"]
    r = api.http.get(f"/pro/conversations/{conversation_id}/attachments/{secret}", headers=doctor)
    assert r.status_code == 404
    r = post(api, path, guardian["headers"], "Voici", [plain])  # what the guardian may read, they attach
    assert r.status_code == 201 and [a["title"] for a in r.json_body["attachments"]] == ["Vaccins"]

