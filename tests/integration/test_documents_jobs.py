"""Documents: the GuardDuty verdict port, the daily release of documents hidden from the holder
(BR-26) and the new-document notification (BR-27), on moto through the real handlers."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from mes.adapters.s3_documents import GuardDutyScanner
from mes.domain.documents import HIDDEN_RELEASE_AFTER, AuthorType, DocStatus, Document, new_document_id
from tests.support import flows

PDF = b"%PDF-1.4\n%%EOF\n"


@pytest.fixture
def lea(api, aws, clock):
    return flows.holder(api, aws, clock, seed=61, email="lea@example.org", login="lea.documents")


def _upload(api, aws, who, content=PDF):
    r = api.http.post("/espaces/me/documents", headers=who["headers"], body=json.dumps(
        {"title": "Ordonnance", "category": "ORD_SOIN", "filename": "o.pdf", "content_type": "application/pdf",
         "size": len(content)}))
    flows.upload(r.json_body["upload"], content)
    document_id = r.json_body["document"]["id"]
    return document_id, f"documents/{who['espace_id']}/{document_id}"


@pytest.mark.parametrize("tag,status,reason", [("NO_THREATS_FOUND", "available", None),
                                               ("THREATS_FOUND", "rejected", "malware"),
                                               ("UNSUPPORTED", "rejected", "unscannable")])
def test_guardduty_verdict_tags_decide_and_no_tag_yet_means_later(api, aws, lea, tag, status, reason):
    aws.__dict__["scanner"] = GuardDutyScanner()
    document_id, key = _upload(api, aws, lea)
    sqs = aws.client("sqs")
    sqs.set_queue_attributes(QueueUrl=aws.settings.document_scan_queue_url, Attributes={"VisibilityTimeout": "0"})
    from mes_local.queues import drain_once
    queue = aws.settings.document_scan_queue_url
    first = drain_once(sqs, queue, "document_scan")
    if first["received"] == 1 and first["failed"] == 0:  # the s3:TestEvent came first
        first = drain_once(sqs, queue, "document_scan")
    assert first["failed"] == 1  # no verdict yet: reported, the message comes back
    assert aws.documents.get(lea["espace_id"], document_id).status == "pending"
    aws.client("s3").put_object_tagging(Bucket=aws.settings.documents_bucket, Key=key, Tagging={
        "TagSet": [{"Key": "GuardDutyMalwareScanStatus", "Value": tag}]})
    assert drain_once(sqs, queue, "document_scan") == {"received": 1, "failed": 0}
    stored = aws.documents.get(lea["espace_id"], document_id)
    assert (stored.status, stored.reject_reason) == (status, reason)


def _hidden_pro_document(aws, espace_id, created):
    document = Document(espace_id=espace_id, document_id=new_document_id(created), title="Résultat d'examen",
                        category="BIOLOGIE", filename="r.pdf", content_type="application/pdf", size=len(PDF),
                        author_type=AuthorType.PRACTITIONER, author_id="10003456789", created_at=created,
                        object_key="documents/x", status=DocStatus.AVAILABLE, hidden_from_holder=True,
                        hidden_until=created + HIDDEN_RELEASE_AFTER)
    aws.documents.create(document)
    return document.document_id


def test_hidden_documents_notice_after_14_days_visible_after_a_month_once(api, aws, lea, clock):
    start = clock()
    document_id = _hidden_pro_document(aws, lea["espace_id"], start)
    listed = lambda: [d["id"] for d in api.http.get("/espaces/me/documents", headers=lea["headers"]).json_body["items"]]  # noqa: E731
    assert document_id not in listed()
    assert api.http.get(f"/espaces/me/documents/{document_id}", headers=lea["headers"]).status_code == 404

    assert flows.scheduled("hidden_release", start + timedelta(days=13)) == {"notified": 0, "released": 0,
                                                                           "complete": True}
    day14 = flows.scheduled("hidden_release", start + timedelta(days=14, minutes=1), event_id="hr-14")
    assert day14["notified"] == 1 and day14["released"] == 0
    notices = flows.sent(aws, "lea@example.org", "hidden-document-notice")
    assert len(notices) == 1 and notices[0]["data"]["release_date"]
    assert "Résultat" not in json.dumps(notices[0]["data"])  # no health data (BR-27)
    # duplicate event and the next day's run: no second notice
    assert flows.scheduled("hidden_release", start + timedelta(days=14, minutes=1), event_id="hr-14") == day14
    assert flows.scheduled("hidden_release", start + timedelta(days=15))["notified"] == 0
    assert document_id not in listed()

    released = flows.scheduled("hidden_release", start + HIDDEN_RELEASE_AFTER + timedelta(minutes=1))
    assert released["released"] == 1
    assert document_id in listed()
    # the holder is told a new document arrived, without its title or category
    new = flows.sent(aws, "lea@example.org", "new-document")
    assert len(new) == 1 and set(new[0]["data"]) == {"first_name"}
    assert flows.scheduled("hidden_release", start + timedelta(days=40))["released"] == 0


def test_a_professionals_new_document_notifies_the_holder_unless_refused(api, aws, lea, clock):
    from mes.services.documents import notify_new_document
    document = aws.documents.get(lea["espace_id"], _hidden_pro_document(aws, lea["espace_id"], clock()))
    document.hidden_from_holder = False
    notify_new_document(aws.document_deps(), document)
    assert len(flows.sent(aws, "lea@example.org", "new-document")) == 1
    api.http.patch("/espaces/me/settings", headers=lea["headers"],
                   body=json.dumps({"notifications": {"documents": False}}))
    notify_new_document(aws.document_deps(), document)
    assert len(flows.sent(aws, "lea@example.org", "new-document")) == 1
    # the holder's own uploads never notify
    _upload(api, aws, lea)
    flows.scan(aws)
    assert len(flows.sent(aws, "lea@example.org", "new-document")) == 1


def test_a_holder_who_refused_document_e_mails_gets_no_hidden_document_notice(api, aws, lea, clock):
    """BR-26/BR-27: the day-14 notice follows the holder's document notification preference; the
    notice is still marked sent (counted once), so a later change of mind sends nothing late."""
    start = clock()
    _hidden_pro_document(aws, lea["espace_id"], start)
    api.http.patch("/espaces/me/settings", headers=lea["headers"],
                   body=json.dumps({"notifications": {"documents": False}}))

    day14 = flows.scheduled("hidden_release", start + timedelta(days=14, minutes=1), event_id="hr-14")

    assert day14["notified"] == 1
    assert flows.sent(aws, "lea@example.org", "hidden-document-notice") == []
    api.http.patch("/espaces/me/settings", headers=lea["headers"],
                   body=json.dumps({"notifications": {"documents": True}}))
    assert flows.scheduled("hidden_release", start + timedelta(days=15))["notified"] == 0
    assert flows.sent(aws, "lea@example.org", "hidden-document-notice") == []


def test_releasing_a_hidden_document_reads_its_holder_once(aws, lea, clock):
    """BR-26 cost: the release reads the holder only where it is used (the new-document e-mail), not
    once more before it (counted with the botocore hook, as `make bench` does)."""
    from mes_instrument import awscount

    start = clock()
    _hidden_pro_document(aws, lea["espace_id"], start)
    with awscount.counting() as counter:
        released = flows.scheduled("hidden_release", start + HIDDEN_RELEASE_AFTER + timedelta(minutes=1))
    assert released["released"] == 1
    assert counter.requests["dynamodb.GetItem"] == 1
    assert len(flows.sent(aws, "lea@example.org", "new-document")) == 1
