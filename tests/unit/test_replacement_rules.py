"""Document replacement without AWS (BR-24): who may replace what, when the old one is superseded or
released, who still sees it, and how ITI-65 reads `relatesTo` and the UpdateDocumentRefs entry."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

import pytest

from mes.adapters.fhir import resources, transaction
from mes.domain import access
from mes.domain import documents as rules
from mes.domain.documents import AuthorType, DocStatus, Document
from mes.domain.errors import Forbidden, Unprocessable, ValidationError
from mes.domain.professionals import ProIdentity
from tests.support.fhir import valid

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
RPPS, BASE, NIR = "10000000003", "https://mes.example/fhir/R4", "279035121518989"


def deposit(**kw) -> Document:
    base = dict(espace_id="e1", document_id=rules.new_document_id(NOW), title="t", category="BIOLOGIE",
                filename="a.pdf", content_type="application/pdf", size=10, author_type=AuthorType.PRACTITIONER,
                author_id=RPPS, created_at=NOW, object_key="documents/e1/x", status=DocStatus.AVAILABLE)
    return Document(**{**base, **kw})


def test_only_the_author_s_available_unclaimed_document_is_replaceable():
    rules.check_replaceable(deposit(), RPPS)
    with pytest.raises(Forbidden):
        rules.check_replaceable(deposit(author_id="10000000009"), RPPS)
    with pytest.raises(Forbidden):
        rules.check_replaceable(deposit(author_type=AuthorType.PATIENT, author_id=RPPS), RPPS)
    for status in (DocStatus.PENDING, DocStatus.REJECTED, DocStatus.ENTERED_IN_ERROR, DocStatus.REPLACED):
        with pytest.raises(rules.NotReplaceable):
            rules.check_replaceable(deposit(status=status), RPPS)
    with pytest.raises(rules.NotReplaceable):
        rules.check_replaceable(deposit(replaced_by="f" * 32), RPPS)  # one replacement per document


def test_the_claim_supersedes_on_acceptance_and_is_released_on_rejection():
    old, new = deposit(), deposit(status=DocStatus.PENDING)
    rules.claim(old, new)
    assert (old.replaced_by, new.replaces, old.status) == (new.document_id, old.document_id, DocStatus.AVAILABLE)
    assert not rules.supersede(old, deposit())  # another document's acceptance changes nothing
    assert rules.supersede(old, new) and old.status == DocStatus.REPLACED
    assert not rules.release(old, new.document_id)  # too late: it is replaced
    other, newer = deposit(), deposit(status=DocStatus.PENDING)
    rules.claim(other, newer)
    assert not rules.release(other, "0" * 32) and rules.release(other, newer.document_id)
    assert (other.replaced_by, other.status) == (None, DocStatus.AVAILABLE)
    withdrawn = deposit(status=DocStatus.ENTERED_IN_ERROR, replaced_by=newer.document_id)
    assert not rules.supersede(withdrawn, newer)  # withdrawn meanwhile: it stays withdrawn


def test_a_replacement_cannot_hide_what_the_old_version_showed():
    with pytest.raises(Unprocessable):
        rules.check_replacement_labels(deposit(), True, False)
    with pytest.raises(Unprocessable):
        rules.check_replacement_labels(deposit(), False, True)
    rules.check_replacement_labels(deposit(hidden_from_holder=True, hidden_from_representatives=True), True, True)


def test_replaced_documents_are_seen_only_when_asked_and_never_by_the_holder():
    ps = ProIdentity(rpps="10000000006", profession="10")
    allowed = access.Decision(True, "authorisation")
    replaced = deposit(status=DocStatus.REPLACED)
    assert not access.visible_to_professional(ps, replaced, allowed)
    assert access.visible_to_professional(ps, replaced, allowed, include_replaced=True)
    assert not access.visible_to_professional(ps, deposit(status=DocStatus.REPLACED, masked=True), allowed,
                                              include_replaced=True)  # masking still applies
    author = ProIdentity(rpps=RPPS, profession="10")
    assert access.filter_documents(author, [replaced], allowed) == []
    assert access.filter_documents(author, [replaced], allowed, include_replaced=True) == [replaced]
    assert not rules.visible_to_holder(replaced) and rules.exported_to_holder(replaced)
    assert not rules.exported_to_holder(deposit(status=DocStatus.REPLACED, hidden_from_holder=True))
    assert rules.has_content(replaced) and not rules.has_content(deposit(status=DocStatus.PENDING))


def test_the_new_version_names_the_old_one_in_relates_to():
    old, new = deposit(), deposit()
    rules.claim(old, new)
    resource = valid(resources.document_reference(new, BASE, "e1", NIR))
    assert resource["relatesTo"] == [{"code": "replaces", "target": {"reference": f"DocumentReference/{old.document_id}"}}]
    old.status = DocStatus.REPLACED
    read = valid(resources.document_reference(old, BASE, "e1"))
    assert read["status"] == "superseded" and "relatesTo" not in read


def bundle(*extra, relates=None):
    subject = {"reference": f"Patient?identifier=urn:oid:1.2.250.1.213.1.4.8|{NIR}"}
    doc = {"resourceType": "DocumentReference", "status": "current",
           "contained": [{"resourceType": "Practitioner", "id": "ps",
                          "identifier": [{"system": "urn:oid:1.2.250.1.71.4.2.1", "value": "8" + RPPS}]}],
           "masterIdentifier": {"value": "urn:oid:1.2.3.1"}, "subject": subject, "author": [{"reference": "#ps"}],
           "type": {"coding": [{"system": "http://loinc.org", "code": "11502-2"}]},
           "category": [{"coding": [{"system": transaction.codes.TRE_A03, "code": "10"}]}],
           "content": [{"attachment": {"contentType": "application/pdf", "url": "urn:uuid:b", "title": "Bilan"}}]}
    if relates is not None:
        doc["relatesTo"] = relates
    return {"resourceType": "Bundle", "type": "transaction", "entry": [
        {"fullUrl": "urn:uuid:d", "request": {"method": "POST", "url": "DocumentReference"}, "resource": doc},
        {"fullUrl": "urn:uuid:b", "request": {"method": "POST", "url": "Binary"},
         "resource": {"resourceType": "Binary", "contentType": "application/pdf",
                      "data": base64.b64encode(b"%PDF-1.7\n%%EOF\n").decode()}}, *extra]}


OLD = "a" * 32
REPLACES = [{"code": "replaces", "target": {"reference": f"DocumentReference/{OLD}"}}]


def patch_entry(operations, target=OLD):
    return {"request": {"method": "PATCH", "url": f"DocumentReference/{target}"},
            "resource": {"resourceType": "Binary", "contentType": "application/json-patch+json",
                         "data": base64.b64encode(json.dumps(operations).encode()).decode()}}


def test_iti65_reads_relates_to_and_the_update_entry():
    assert transaction.parse(bundle(), BASE, RPPS).deposits[0].replaces is None
    absolute = [{"code": "replaces", "target": {"reference": f"{BASE}/DocumentReference/{OLD}"}}]
    assert transaction.parse(bundle(relates=absolute), BASE, RPPS).deposits[0].replaces == OLD
    put = {"request": {"method": "PUT", "url": f"DocumentReference/{OLD}"},
           "resource": {"resourceType": "DocumentReference", "id": OLD, "status": "superseded"}}
    tx = transaction.parse(bundle(put, relates=REPLACES), BASE, RPPS)
    assert (tx.deposits[0].replaces, tx.updates) == (OLD, {2: OLD})
    answer = valid(transaction.response(tx, BASE, [("b" * 32, True)]))
    assert answer["entry"][2]["response"] == {"status": "200 OK", "location": f"{BASE}/DocumentReference/{OLD}"}
    superseded = [{"op": "replace", "path": "/status", "value": "superseded"}]
    assert transaction.parse(bundle(patch_entry(superseded), relates=REPLACES), BASE, RPPS).updates == {2: OLD}


@pytest.mark.parametrize("relates,extra", [
    ([{"code": "appends", "target": {"reference": f"DocumentReference/{OLD}"}}], []),
    ([*REPLACES, *REPLACES], []),
    ([{"code": "replaces", "target": {"reference": "DocumentReference?identifier=x"}}], []),
    ([{"code": "replaces", "target": {"reference": f"Binary/{OLD}"}}], []),
    (REPLACES, [patch_entry([{"op": "replace", "path": "/status", "value": "entered-in-error"}])]),
    (REPLACES, [patch_entry([{"op": "replace", "path": "/status", "value": "superseded"}], "b" * 32)]),
    (None, [patch_entry([{"op": "replace", "path": "/status", "value": "superseded"}])]),
])
def test_iti65_refuses_other_relations_and_updates_with_422(relates, extra):
    with pytest.raises(Unprocessable):
        transaction.parse(bundle(*extra, relates=relates), BASE, RPPS)


def test_an_update_entry_of_the_wrong_shape_is_400():
    wrong = {"request": {"method": "PUT", "url": f"DocumentReference/{OLD}"},
             "resource": {"resourceType": "Binary", "contentType": "application/json-patch+json", "data": ""}}
    with pytest.raises(ValidationError):
        transaction.parse(bundle(wrong, relates=REPLACES), BASE, RPPS)
