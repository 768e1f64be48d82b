"""Models of routes/fhir.py, for the OpenAPI document only: the facade parses its own search
parameters (mes.adapters.fhir.search: repeated parameters, tokens, date prefixes) and answers FHIR
resources built as JSON by mes.adapters.fhir.resources, validated in the tests against the FHIR
R4B models of fhir.resources and the R4 models of fhirclient. The schemas below say what a
generator may send and what a client may expect, not the whole FHIR specification."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import ConfigDict, Field

from .common import NIR_PATTERN, Body

INS_PATTERN = r"^urn:oid:1\.2\.250\.1\.213\.1\.4\.(?:8|10|11)\|" + NIR_PATTERN.removeprefix("^")
STATUS_PATTERN = r"^(?:current|superseded|entered-in-error)(?:,(?:current|superseded|entered-in-error))*$"
DATE_PATTERN = r"^(?:eq|ne|gt|lt|ge|le|sa|eb)?[0-9]{4}(?:-(?:0[1-9]|1[0-2])(?:-(?:0[1-9]|[12][0-9]|3[01]))?)?$"
Token = Annotated[str, Field(min_length=1, max_length=300, pattern=r"^[^|]*\|?[^|]+$")]
FhirDate = Annotated[str, Field(max_length=40, pattern=DATE_PATTERN)]


class DocumentSearchQuery(Body):
    """ITI-67 (FHIR.md §2). `patient.identifier` and `status` are required."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    patient_identifier: str = Field(alias="patient.identifier", max_length=64, pattern=INS_PATTERN,
                                    description="the patient's INS: urn:oid:1.2.250.1.213.1.4.8|{NIR}")
    status: str = Field(max_length=60, pattern=STATUS_PATTERN, description="current, superseded, entered-in-error")
    type: Token | None = Field(None, description="LOINC type, or a mes-category code")
    category: Token | None = Field(None, description="TRE_A03 class or mes-category code, `system|code` or `code`")
    date: FhirDate | None = Field(None, description="when the document was added, with a prefix (ge2026-01-01)")
    period: FhirDate | None = Field(None, description="the service period (mes documents carry none)")
    creation: FhirDate | None = Field(None, description="attachment.creation, with a prefix")
    security_label: Token | None = Field(None, alias="security-label", description="TRE_A07 code or v3 N")
    identifier: Token | None = Field(None, description="masterIdentifier: urn:ietf:rfc:3986|urn:uuid:…")
    count: int | None = Field(None, alias="_count", ge=1, le=100, description="page size, 1 to 100 (50 by default)")
    cursor: str | None = Field(None, alias="_cursor", min_length=1, max_length=2048,
                               description="from the `next` link of the previous page")


class DocumentIdentifierQuery(Body):
    """PATCH DocumentReference?identifier= (FHIR conditional patch): the document's masterIdentifier, as
    mes emits it (urn:ietf:rfc:3986|urn:uuid:…) or as its author sent it on ITI-65."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    identifier: Token = Field(description="masterIdentifier: urn:ietf:rfc:3986|urn:uuid:… or the author's own value")


class PatientSearchQuery(Body):
    identifier: str = Field(max_length=64, pattern=INS_PATTERN,
                            description="the patient's INS: urn:oid:1.2.250.1.213.1.4.8|{NIR}")


class PatientIdentifierQuery(Body):
    """AuditEvent and Consent searches: the patient's INS only."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    patient_identifier: str = Field(alias="patient.identifier", max_length=64, pattern=INS_PATTERN,
                                    description="the patient's INS: urn:oid:1.2.250.1.213.1.4.8|{NIR}")
    count: int | None = Field(None, alias="_count", ge=1, le=100, description="page size, 1 to 100 (50 by default)")
    cursor: str | None = Field(None, alias="_cursor", min_length=1, max_length=2048,
                               description="from the `next` link of the previous page")


class ConsentSearchQuery(Body):
    """Consent: the patient's INS only (no paging: one Consent per professional)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    patient_identifier: str = Field(alias="patient.identifier", max_length=64, pattern=INS_PATTERN,
                                    description="the patient's INS: urn:oid:1.2.250.1.213.1.4.8|{NIR}")


def _resource(name: str, required: list[str], properties: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"type": "object", "required": ["resourceType", *required],
            "properties": {"resourceType": {"const": name}, **(properties or {})}}


FHIR_SCHEMAS: dict[str, dict[str, Any]] = {
    "FhirCapabilityStatement": _resource("CapabilityStatement", ["status", "date", "kind", "fhirVersion", "format"]),
    "FhirBundle": _resource("Bundle", ["type"], {"type": {"const": "searchset"},
                                                 "entry": {"type": "array", "items": {"type": "object"}}}),
    "FhirDocumentReference": _resource("DocumentReference", ["id", "status", "content"]),
    "FhirBinary": _resource("Binary", ["id", "contentType", "data"]),
    "FhirOperationOutcome": _resource("OperationOutcome", ["issue"], {"issue": {"type": "array", "minItems": 1}}),
    # POST /fhir/R4 (ITI-65 deposits, PCH-01 measurements): the transaction Bundle in, its transaction-response out
    "FhirTransaction": _resource("Bundle", ["type", "entry"], {
        "type": {"const": "transaction"}, "entry": {"type": "array", "minItems": 1, "maxItems": 100,
                                                    "items": {"type": "object"}}}),
    "FhirTransactionResponse": _resource("Bundle", ["type", "entry"], {
        "type": {"const": "transaction-response"}, "entry": {"type": "array", "items": {"type": "object"}}}),
}
TRANSACTION_PATH = "/fhir/R4"


def answer_schema(path: str) -> str:
    """The resource a facade route answers: metadata → CapabilityStatement, a read → that resource,
    a search → a Bundle."""
    if path == "/fhir/R4":
        return "FhirTransactionResponse"
    if path.endswith("/metadata"):
        return "FhirCapabilityStatement"
    if path == TRANSACTION_PATH:
        return "FhirTransactionResponse"
    if path.endswith("}"):
        return "Fhir" + path.split("/")[-2]
    return "FhirBundle"


def answer_schema_of(method: str, path: str) -> str:
    """`answer_schema`, but a PATCH answers the resource it changed (PATCH DocumentReference?identifier=)."""
    if method == "PATCH":
        return "Fhir" + path.removeprefix("/fhir/R4/").split("/")[0]
    return answer_schema(path)
