"""Domain values → FHIR R4 resources as plain JSON dicts (no FHIR library at run time: the tests
validate every answer with fhir.resources' R4B models and fhirclient's R4 models).

`base` is the facade's absolute base (`{api}/fhir/R4`): `fullUrl`, `attachment.url` and paging
links are absolute on it (FHIR.md §6)."""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any

from mes.domain.documents import AuthorType, Document
from mes.domain.espace import Espace

from . import codes

FHIR_JSON = "application/fhir+json"
JsonDict = dict[str, Any]


def instant(value: datetime) -> str:
    """To the second, in UTC (FHIR `instant` needs a zone)."""
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def coding(system: str, code: str) -> JsonDict:
    return {"system": system, "code": code}


def concept(*codings: tuple[str, str]) -> JsonDict:
    return {"coding": [coding(s, c) for s, c in codings]}


def nir_identifier(nir: str) -> JsonDict:
    return {"system": codes.INS_NIR, "value": nir}


def master_identifier(document_id: str) -> JsonDict:
    """The document's unique id as a URI: its 32 hex digits written as a urn:uuid."""
    d = document_id
    value = f"urn:uuid:{d[:8]}-{d[8:12]}-{d[12:16]}-{d[16:20]}-{d[20:32]}" if len(d) == 32 else f"urn:mes:{d}"
    return {"system": codes.RFC3986, "value": value}


def _author(document: Document, nir: str | None) -> tuple[list[JsonDict], JsonDict | None]:
    """The contained author (FHIR.md §3) and, for an organisation, the custodian reference."""
    if document.author_type == AuthorType.PRACTITIONER:
        return [{"resourceType": "Practitioner", "id": "author",
                 "identifier": [{"system": codes.ID_NAT_PS, "value": "8" + document.author_id}]}], None
    if document.author_type == AuthorType.ORGANISATION:
        organisation = {"resourceType": "Organization", "id": "custodian",
                        "identifier": [{"system": codes.ID_NAT_STRUCT, "value": "1" + document.author_id}]}
        device = {"resourceType": "Device", "id": "author", "owner": {"reference": "#custodian"}}
        return [device, organisation], {"reference": "#custodian"}
    patient: JsonDict = {"resourceType": "Patient", "id": "author", "active": True}
    if nir:
        patient["identifier"] = [nir_identifier(nir)]
    return [patient], None


def document_reference(document: Document, base: str, patient_id: str, nir: str | None = None) -> JsonDict:
    """One DocumentReference (FHIR.md §3, §4): id = the JSON API's document id, `date` = created_at,
    the title in `content[0].attachment.title`, the bytes at `{base}/Binary/{id}`."""
    contained, custodian = _author(document, nir)
    subject: JsonDict = {"reference": f"Patient/{patient_id}"}
    if nir:
        subject["identifier"] = nir_identifier(nir)
    attachment: JsonDict = {"contentType": document.content_type, "url": f"{base}/Binary/{document.document_id}",
                            "size": document.real_size or document.size, "title": document.title,
                            "creation": instant(document.created_at)}
    resource: JsonDict = {
        "resourceType": "DocumentReference", "id": document.document_id, "contained": contained,
        "masterIdentifier": master_identifier(document.document_id),
        "status": codes.fhir_status(document) or "entered-in-error",
        "type": concept(codes.type_coding(document.category, base)),
        "category": [concept(*codes.category_codings(document.category, base))],
        "subject": subject, "date": instant(document.created_at), "author": [{"reference": "#author"}],
        "securityLabel": [concept(label) for label in codes.security_labels(document)],
        "content": [{"attachment": attachment}],
    }
    if custodian:
        resource["custodian"] = custodian
    if document.replaces:  # BR-24: the new version names the one it replaces (ITI-65 relatesTo)
        resource["relatesTo"] = [{"code": codes.RELATES_REPLACES,
                                  "target": {"reference": f"DocumentReference/{document.replaces}"}}]
    if document.version > 0:
        resource["meta"] = meta(document)
    return resource


def meta(document: Document) -> JsonDict:
    """`versionId` = the document's optimistic-lock version (`DocumentRepository.save` adds 1 at every
    write, each PATCH included): what `ETag: W/"n"` and `If-Match` name. No `lastUpdated`: mes keeps
    no time of the last change (`date` is when the document was added)."""
    return {"versionId": str(document.version)}


def etag(resource: JsonDict) -> dict[str, str]:
    """The `ETag: W/"versionId"` header of a read or PATCH answer (none for a resource without meta)."""
    version = resource.get("meta", {}).get("versionId")
    return {"ETag": f'W/"{version}"'} if version else {}


def patient(espace: Espace, nir: str) -> JsonDict:
    """FHIR.md §2: `{id, identifier, active}` of a created or active espace [design]."""
    return {"resourceType": "Patient", "id": espace.espace_id, "identifier": [nir_identifier(nir)], "active": True}


def binary(document: Document, data: bytes) -> JsonDict:
    return {"resourceType": "Binary", "id": document.document_id, "contentType": document.content_type,
            "data": base64.b64encode(data).decode("ascii")}


def searchset(resources: list[JsonDict], base: str, self_url: str, next_url: str | None) -> JsonDict:
    links = [{"relation": "self", "url": self_url}]
    if next_url:
        links.append({"relation": "next", "url": next_url})
    return {"resourceType": "Bundle", "type": "searchset", "link": links,
            "entry": [{"fullUrl": f"{base}/{r['resourceType']}/{r['id']}", "resource": r,
                       "search": {"mode": "match"}} for r in resources]}


# OperationOutcome issue.code per HTTP status (FHIR.md §1).
ISSUE_CODES = {400: "invalid", 401: "login", 403: "forbidden", 404: "not-found", 405: "not-supported",
               406: "not-supported", 409: "conflict", 412: "conflict", 410: "deleted", 413: "too-costly", 415: "not-supported",
               422: "business-rule", 429: "throttled", 500: "exception"}


def operation_outcome(status: int, code: str, detail: str, base: str, field: str | None = None) -> JsonDict:
    """FHIR.md §6: the JSON API's `code` in details.coding (system `{base}/CodeSystem/mes-error`),
    its French `detail` in details.text; the field, if any, in `expression`."""
    issue: JsonDict = {"severity": "error" if status < 500 else "fatal",
                       "code": ISSUE_CODES.get(status, "processing"),
                       "details": {"coding": [coding(codes.mes_error_system(base), code)], "text": detail}}
    if field:
        issue["expression"] = [field]
    return {"resourceType": "OperationOutcome", "issue": [issue]}
