"""The FHIR facade's mapping module (mes.adapters.fhir; FHIR.md §3, §6): code tables, statuses,
security labels, identifiers, search parameters, OperationOutcome and the CapabilityStatement.
Every resource built here is also validated with fhir.resources (R4B) and fhirclient (R4)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from mes.adapters.fhir import capability, codes, resources, search
from mes.domain.documents import CATEGORIES, AuthorType, DocStatus, Document
from mes.domain.errors import ValidationError
from tests.support.fhir import valid

BASE = "https://mes.example/fhir/R4"
AT = datetime(2026, 3, 1, 9, 0, 2, 345000, tzinfo=UTC)
NIR = "279035121518989"


def document(**fields) -> Document:
    values = {"espace_id": "e1", "document_id": "019c" + "a" * 28, "title": "Bilan", "category": "BIOLOGIE",
              "filename": "b.pdf", "content_type": "application/pdf", "size": 15, "author_type": AuthorType.PRACTITIONER,
              "author_id": "10101201234", "created_at": AT, "object_key": "k", "status": DocStatus.AVAILABLE}
    return Document(**{**values, **fields})


def test_every_category_has_a_class_row_and_the_table_of_fhir_md():
    assert set(codes.CATEGORY_CLASSES) == set(CATEGORIES)
    expected = {"SYNTHESE": "11", "ORD_SOIN": "42", "RADIO_SC": "31", "BIOLOGIE": "10", "CPT_REND": "10",
                "DEPISTAG": "10", "CERT_MED": "52", "DOC_ADM": "95", "REMB": "60", "AUTR_DOC": "10", "CAR_VAC": "52"}
    for category, code in expected.items():
        assert codes.category_codings(category, BASE) == [(codes.TRE_A03, code),
                                                          (f"{BASE}/CodeSystem/mes-category", category)]
    for category in ("DIR_ANT", "VDP"):  # no TRE_A03 class (FHIR.md §3): the mes-category coding only
        assert codes.category_codings(category, BASE) == [(f"{BASE}/CodeSystem/mes-category", category)]
    assert codes.categories_of_class("10") == {"BIOLOGIE", "CPT_REND", "DEPISTAG", "AUTR_DOC"}
    assert codes.categories_of_class("43") == {"ORD_SOIN"} and codes.categories_of_class("90") == frozenset()
    assert codes.type_coding("BIOLOGIE", BASE) == (codes.LOINC, "11502-2")
    assert codes.type_coding("REMB", BASE) == (f"{BASE}/CodeSystem/mes-category", "REMB")  # no LOINC invented
    assert codes.categories_of_type(codes.LOINC, "11502-2", BASE) == {"BIOLOGIE"}
    assert codes.categories_of_type(None, "REMB", BASE) == {"REMB"}


@pytest.mark.parametrize(("status", "fhir"), [(DocStatus.AVAILABLE, "current"),
                                              (DocStatus.ENTERED_IN_ERROR, "entered-in-error"),
                                              (DocStatus.REPLACED, "superseded"),
                                              (DocStatus.PENDING, None), (DocStatus.REJECTED, None)])
def test_statuses(status, fhir):
    assert codes.fhir_status(document(status=status)) == fhir


def test_security_labels():
    assert codes.security_labels(document()) == [(codes.V3_CONFIDENTIALITY, "N")]
    assert codes.security_labels(document(masked=True)) == [(codes.TRE_A07, "MASQUE_PS")]
    assert codes.security_labels(document(hidden_from_holder=True, hidden_from_representatives=True)) == [
        (codes.TRE_A07, "INVISIBLE_PATIENT"), (codes.TRE_A07, "INVISIBLE_REPRESENTANTS_LEGAUX")]


def test_a_document_reference_as_fhir_md_section_4():
    resource = valid(resources.document_reference(document(), BASE, "e1", NIR))
    assert resource["contained"] == [{"resourceType": "Practitioner", "id": "author", "identifier": [
        {"system": "urn:oid:1.2.250.1.71.4.2.1", "value": "810101201234"}]}]
    assert resource["date"] == "2026-03-01T09:00:02Z"  # created_at to the second (FHIR.md §6)
    assert resource["masterIdentifier"] == {"system": "urn:ietf:rfc:3986",
                                            "value": "urn:uuid:019caaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa"}
    assert resource["subject"] == {"reference": "Patient/e1", "identifier": {"system": codes.INS_NIR, "value": NIR}}
    assert resource["content"][0]["attachment"]["url"] == f"{BASE}/Binary/{'019c' + 'a' * 28}"
    holder = valid(resources.document_reference(document(author_type=AuthorType.PATIENT, author_id="e1"), BASE, "e1"))
    assert holder["contained"] == [{"resourceType": "Patient", "id": "author", "active": True}]
    assert [c["code"] for c in holder["category"][0]["coding"]] == ["10", "BIOLOGIE"]  # no class 90 (FHIR.md §6)
    organisation = valid(resources.document_reference(document(author_type=AuthorType.ORGANISATION,
                                                               author_id="750712184"), BASE, "e1"))
    assert organisation["contained"][0] == {"resourceType": "Device", "id": "author", "owner": {"reference": "#custodian"}}
    assert organisation["custodian"] == {"reference": "#custodian"}


def test_operation_outcome_carries_the_json_code_and_the_french_detail():
    body = valid(resources.operation_outcome(403, "blocked", "Le patient a bloqué votre accès.", BASE))
    assert body["issue"] == [{"severity": "error", "code": "forbidden", "details": {
        "coding": [{"system": f"{BASE}/CodeSystem/mes-error", "code": "blocked"}],
        "text": "Le patient a bloqué votre accès."}}]
    for status, code in ((400, "invalid"), (401, "login"), (404, "not-found"), (406, "not-supported"),
                         (409, "conflict"), (410, "deleted"), (413, "too-costly"), (422, "business-rule"),
                         (429, "throttled"), (500, "exception")):
        assert valid(resources.operation_outcome(status, "x", "y", BASE))["issue"][0]["code"] == code


def test_search_parameters_parse_and_refuse():
    pairs = [("patient.identifier", f"{codes.INS_NIR}|{NIR}"), ("status", "current,superseded"),
             ("category", "10"), ("category", f"{BASE}/CodeSystem/mes-category|BIOLOGIE,CPT_REND"),
             ("date", "ge2026-03"), ("_count", "20"), ("_cursor", "abc")]
    parsed = search.parse(pairs, BASE)
    assert parsed.nir == NIR and parsed.statuses == {"current", "superseded"} and parsed.count == 20
    assert parsed.categories == {"BIOLOGIE", "CPT_REND"} and parsed.single_category is None and parsed.cursor == "abc"
    assert search.matches(parsed, document(), BASE)
    assert not search.matches(parsed, document(category="CPT_REND", created_at=datetime(2026, 2, 28, tzinfo=UTC)), BASE)
    assert not search.matches(parsed, document(status=DocStatus.PENDING), BASE)
    assert search.parse(pairs[:2] + [("category", "BIOLOGIE")], BASE).single_category == "BIOLOGIE"
    # the 2A/2B INS of Corsica, the test and demo OIDs
    assert search.patient_nir("urn:oid:1.2.250.1.213.1.4.10|288052A00412353") == "288052A00412353"
    for bad, field in (([("status", "current")], "patient.identifier"),
                       ([pairs[0]], "status"), ([pairs[0], ("status", "final")], "status"),
                       ([pairs[0], pairs[1], ("_count", "0")], "_count"),
                       ([pairs[0], pairs[1], ("date", "le2026-02-30")], "date"),
                       ([pairs[0], pairs[1], ("type", "http://loinc.org|")], "type"),
                       ([pairs[0], pairs[1], ("patient", "Patient/1")], "patient"),
                       ([("patient.identifier", f"{codes.INS_NIA}|{NIR}"), pairs[1]], "patient.identifier"),
                       ([pairs[0], ("patient.identifier", f"{codes.INS_NIR}|288052A00412353"), pairs[1]],
                        "patient.identifier")):
        with pytest.raises(ValidationError) as caught:
            search.parse(bad, BASE)
        assert caught.value.field == field, bad


@pytest.mark.parametrize(("value", "inside", "outside"), [
    ("2026-03-01", AT, datetime(2026, 3, 2, tzinfo=UTC)),
    ("ge2026-03-01", datetime(2027, 1, 1, tzinfo=UTC), datetime(2026, 2, 28, 23, 59, tzinfo=UTC)),
    ("lt2026-03", datetime(2026, 2, 28, tzinfo=UTC), AT),
    ("gt2026", datetime(2027, 1, 1, tzinfo=UTC), datetime(2026, 12, 31, tzinfo=UTC)),
    ("le2026-12", datetime(2026, 12, 31, 23, 0, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)),
    ("ne2026-03-01", datetime(2026, 3, 2, tzinfo=UTC), AT),
    ("eq2026-03-01T09:00:02Z", AT, datetime(2026, 3, 1, 9, 0, 3, tzinfo=UTC)),
])
def test_date_prefixes_and_precision(value, inside, outside):
    criterion = search._date(value, "date")
    assert criterion.accepts(inside) and not criterion.accepts(outside)


def test_the_next_link_is_absolute_and_keeps_the_criteria():
    parsed = search.parse([("patient.identifier", f"{codes.INS_NIR}|{NIR}"), ("status", "current"),
                           ("_cursor", "old")], BASE)
    url = search.page_url(BASE, parsed, "eyJr")
    assert url == f"{BASE}/DocumentReference?patient.identifier=urn%3Aoid%3A1.2.250.1.213.1.4.8%7C{NIR}" \
                  "&status=current&_cursor=eyJr"


def test_the_capability_statement_follows_the_routes():
    routes = [("GET", "/fhir/R4/metadata"), ("GET", "/fhir/R4/DocumentReference"),
              ("POST", "/fhir/R4/DocumentReference/_search"), ("GET", "/fhir/R4/Binary/{document_id}"),
              ("GET", "/pro/notifications")]
    statement = valid(capability.capability_statement(routes, BASE, "2026-03-01T09:00:00Z"))
    kinds = {r["type"]: [i["code"] for i in r["interaction"]] for r in statement["rest"][0]["resource"]}
    assert kinds == {"Binary": ["read"], "DocumentReference": ["search-type"]}  # no read route given: no read
    assert statement["implementation"]["url"] == BASE and statement["fhirVersion"] == "4.0.1"
    # no SMART `oauth-uris` extension: fhirclient would start an OAuth flow (FHIR.md §1)
    assert "extension" not in statement["rest"][0]["security"]


def test_the_facade_needs_no_fhir_library_at_run_time():
    """fhir.resources and fhirclient are test dependencies: the Lambda code builds plain JSON."""
    import ast
    from pathlib import Path
    root = Path(__file__).resolve().parents[2]
    shipped = [*(root / "layers" / "core" / "mes").rglob("*.py"), *(root / "functions").rglob("*.py")]
    imported = set()
    for path in shipped:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported |= {(a.name, path.name) for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:  # not chalicelib.fhir
                imported.add((node.module, path.name))
    assert not [(m, f) for m, f in imported if m.split(".")[0] in ("fhir", "fhirclient", "fhir_core")]
    assert ("mes.adapters.fhir.resources", "fhir.py") in imported  # the scan sees the facade's imports
    for requirements in ("layers/core/requirements.txt", "functions/api/requirements.txt"):
        assert "fhir" not in (root / requirements).read_text().lower()


# --- labels and metadata updates: BR-17 on deposits, PATCH ?identifier=, meta.versionId -------------
def _deposit_bundle(*labels: tuple[str, str]) -> dict:
    import base64
    nir = f"{codes.INS_NIR}|{NIR}"
    doc = {"resourceType": "DocumentReference", "status": "current",
           "contained": [{"resourceType": "Practitioner", "id": "ps",
                          "identifier": [{"system": codes.ID_NAT_PS, "value": "810101201234"}]}],
           "masterIdentifier": {"system": codes.RFC3986, "value": "urn:oid:1.2.250.1.999.1.7"},
           "type": {"coding": [{"system": codes.LOINC, "code": "11502-2"}]},
           "category": [{"coding": [{"system": codes.TRE_A03, "code": "10"}]}],
           "subject": {"reference": f"Patient?identifier={nir}"}, "author": [{"reference": "#ps"}],
           "securityLabel": [{"coding": [{"system": s, "code": c}]} for s, c in labels],
           "content": [{"attachment": {"contentType": "application/pdf", "url": "urn:uuid:b", "title": "Bilan"}}]}
    binary = {"resourceType": "Binary", "contentType": "application/pdf", "data": base64.b64encode(b"%PDF-1.7").decode()}
    return {"resourceType": "Bundle", "type": "transaction", "entry": [
        {"fullUrl": "urn:uuid:d", "request": {"method": "POST", "url": "DocumentReference"}, "resource": doc},
        {"fullUrl": "urn:uuid:b", "request": {"method": "POST", "url": "Binary"}, "resource": binary}]}


@pytest.mark.parametrize(("labels", "flags"), [
    ([(codes.TRE_A07, "INVISIBLE_REPRESENTANTS_LEGAUX")], (False, False, True)),
    ([(codes.TRE_A07, "MASQUE_PS"), (codes.TRE_A07, "INVISIBLE_REPRESENTANTS_LEGAUX")], (False, True, True)),
    ([(codes.TRE_A07, "INVISIBLE_PATIENT"), (codes.TRE_A07, "INVISIBLE_REPRESENTANTS_LEGAUX")], (True, False, True)),
    ([(codes.V3_CONFIDENTIALITY, "N")], (False, False, False)),
    ([], (False, False, False)),
])
def test_an_iti65_deposit_reads_every_allowed_label_combination(labels, flags):
    """FHIR.md §3: BR-17's INVISIBLE_REPRESENTANTS_LEGAUX goes with any label; only INVISIBLE_PATIENT
    with MASQUE_PS is refused (BR-26)."""
    from mes.adapters.fhir import transaction
    (entry,) = transaction.parse(_deposit_bundle(*labels), BASE, "10101201234").deposits
    assert (entry.hidden_from_holder, entry.masked, entry.hidden_from_representatives) == flags


def test_an_iti65_deposit_refuses_an_unknown_label_and_hidden_with_masked():
    from mes.adapters.fhir import transaction
    from mes.domain.errors import Unprocessable
    for labels in ([(codes.TRE_A07, "INVISIBLE_PATIENT"), (codes.TRE_A07, "MASQUE_PS")],
                   [(codes.TRE_A07, "INVISIBLE_REPRESENTANTS")], [(codes.V3_CONFIDENTIALITY, "R")]):
        with pytest.raises(Unprocessable):
            transaction.parse(_deposit_bundle(*labels), BASE, "10101201234")


def test_a_patch_value_may_be_invisible_representants_legaux_but_not_invisible_patient():
    from mes.adapters.fhir import patch
    from mes.domain.errors import Unprocessable

    def op(system, code):
        return [{"op": "replace", "path": "/securityLabel/0", "value": {"coding": [{"system": system, "code": code}]}}]
    assert patch.parse(op(codes.TRE_A07, "INVISIBLE_REPRESENTANTS_LEGAUX")) == (patch.LABEL, "INVISIBLE_REPRESENTANTS_LEGAUX")
    assert patch.parse(op(codes.V3_CONFIDENTIALITY, "N")) == (patch.LABEL, "N")
    with pytest.raises(Unprocessable):
        patch.parse(op(codes.TRE_A07, "INVISIBLE_PATIENT"))  # hiding from the holder after the deposit: not built


def test_a_patch_identifier_is_the_mes_urn_uuid_or_the_authors_own_value():
    from mes.adapters.fhir import patch
    from mes.domain.errors import NotFound
    mes_id = "019c" + "a" * 28
    urn = resources.master_identifier(mes_id)["value"]
    assert patch.identifier([("identifier", f"{codes.RFC3986}|{urn}")]) == (mes_id, urn)
    assert patch.identifier([("identifier", urn)]) == (mes_id, urn)  # a token without system: any system
    assert patch.identifier([("identifier", f"{codes.RFC3986}|urn:oid:1.2.250.1.999.1.7")]) == (
        None, "urn:oid:1.2.250.1.999.1.7")
    with pytest.raises(NotFound):
        patch.identifier([("identifier", f"urn:oid:1.2.3|{urn}")])  # a system mes keeps nothing under
    for params in ([], [("identifier", urn), ("status", "current")], [("_id", mes_id)], [("identifier", "")]):
        with pytest.raises(ValidationError):
            patch.identifier(params)


def test_if_match_is_a_weak_or_strong_etag_of_a_version():
    from mes.adapters.fhir import patch
    assert patch.if_match(None) is None and patch.if_match("*") is None  # any version
    assert patch.if_match('W/"3"') == 3 and patch.if_match('"12"') == 12
    for bad in ("3", 'W/"x"', 'W/3', 'W/"1", W/"2"'):
        with pytest.raises(ValidationError):
            patch.if_match(bad)


def test_meta_version_id_is_the_documents_version_and_the_etag_names_it():
    resource = valid(resources.document_reference(document(version=4), BASE, "e1", NIR))
    assert resource["meta"] == {"versionId": "4"}
    assert resources.etag(resource) == {"ETag": 'W/"4"'}
    unsaved = resources.document_reference(document(), BASE, "e1")  # never stored: no version to name
    assert "meta" not in unsaved and resources.etag(unsaved) == {}
