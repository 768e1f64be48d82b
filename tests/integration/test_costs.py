"""Cost regressions, counted (not timed) with the botocore hook: the figures of `make bench` at a
scale that fits the test suite. They fail if a change adds requests per person or reads the
non-due population."""

from __future__ import annotations

from datetime import timedelta

from mes_instrument import awscount
from tests.support import flows


def test_wave_costs_at_most_a_tenth_of_a_request_per_person_and_never_scans(aws, clock):
    flows.population(aws, flows.people(800, seed=41, department="44"))
    aws.__dict__.pop("keys", None)  # a cold container pays its secret fetch
    with awscount.counting() as counter:
        result = flows.scheduled("wave", clock(), {"department": "44"})
    notified = result["notified_email"] + result["notified_letter"]
    assert notified == 800
    assert counter.total / notified <= 0.1
    assert counter.requests["dynamodb.Scan"] == 0
    # e-mails go 50 at a time, letters one print file per batch
    assert counter.requests["ses.SendBulkTemplatedEmail"] <= result["notified_email"] / 50 + result["batches"]
    assert counter.requests["s3.PutObject"] <= result["batches"]


def test_auto_create_reads_only_the_due_people(aws, clock):
    early = flows.people(60, seed=42, department="44")
    late = flows.people(240, seed=43, department="75")
    flows.population(aws, early + late)
    flows.scheduled("wave", clock(), {"department": "44"})
    flows.scheduled("wave", clock() + timedelta(days=20), {"department": "75"})
    with awscount.counting() as counter:
        result = flows.scheduled("auto_create", clock() + timedelta(days=43))
    assert result["created"] == 60
    assert counter.items_read / result["created"] <= 1.1
    assert counter.requests["dynamodb.Scan"] == 0


def test_a_document_page_costs_one_query_and_no_document_bytes_pass_through_the_api(api, aws, clock):
    import json

    from mes.domain.documents import AuthorType, DocStatus, Document, new_document_id
    who = flows.holder(api, aws, clock, seed=44, email="costs@example.org", login="costs.holder")
    for i in range(60):
        document_id = new_document_id(clock() + timedelta(seconds=i))
        aws.documents.create(Document(
            espace_id=who["espace_id"], document_id=document_id, title="t", category="BIOLOGIE", filename="a.pdf",
            content_type="application/pdf", size=10, author_type=AuthorType.PATIENT, author_id=who["espace_id"],
            created_at=clock(), object_key=f"documents/{who['espace_id']}/{document_id}",
            status=DocStatus.AVAILABLE))
    with awscount.counting() as counter:
        page = api.http.get("/espaces/me/documents?limit=50", headers=who["headers"]).json_body
    assert len(page["items"]) == 50 and page["next_cursor"]
    assert counter.requests["dynamodb.Query"] == 1
    assert counter.by_service("dynamodb") == 2  # + the token revocation check; nothing per item

    content = b"%PDF-1.4\n" + b"x" * 50_000
    with awscount.counting() as counter:
        r = api.http.post("/espaces/me/documents", headers=who["headers"], body=json.dumps(
            {"title": "t", "category": "BIOLOGIE", "filename": "b.pdf", "content_type": "application/pdf",
             "size": len(content)}))
        flows.upload(r.json_body["upload"], content)
    assert sum(counter.object_bytes.values()) == 0  # the upload went straight to S3
    with awscount.counting() as counter:
        flows.scan(aws)
    assert counter.object_bytes["GetObject"] <= 4096  # the validation reads the header only


def test_an_authorised_professional_listing_costs_four_dynamodb_requests_whatever_the_espace_holds(
        api, aws, clock, psc):
    """Authorisation check + block check (one Query) + find the patient + list + log write ≤ 4,
    independent of the number of documents and of other professionals on the espace."""
    import json
    who = flows.holder(api, aws, clock, seed=45, email="pro.costs@example.org", login="pro.costs")
    ins = who["row"]["nir"]

    def measure():
        ps = {"Authorization": f"Bearer {psc.issue('10000000042', '10', now=clock())}"}
        api.http.post(f"/pro/patients/{ins}/authorisations", headers={**ps, "Content-Type": "application/json"},
                      body=json.dumps({"basis": "consent"}))
        with awscount.counting() as counter:
            assert api.http.get(f"/pro/patients/{ins}/documents?limit=50", headers=ps).status_code == 200
        return counter.by_service("dynamodb"), counter.requests["dynamodb.Scan"]

    small = measure()
    from mes.domain.documents import AuthorType, DocStatus, Document, new_document_id
    for i in range(80):
        document_id = new_document_id(clock() + timedelta(seconds=i))
        aws.documents.create(Document(
            espace_id=who["espace_id"], document_id=document_id, title="t", category="BIOLOGIE", filename="a.pdf",
            content_type="application/pdf", size=10, author_type=AuthorType.PATIENT, author_id=who["espace_id"],
            created_at=clock(), object_key=f"documents/{who['espace_id']}/{document_id}", status=DocStatus.AVAILABLE))
    for n in range(30):
        aws.access.put_authorisation(who["espace_id"], f"200000000{n:02d}", "consent", {}, clock())
    large = measure()
    assert small == large == (4, 0)
