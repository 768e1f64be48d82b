"""The FHIR facade's code tables, in one place (FHIR.md §3, §6): categories ↔ TRE_A03 class codes,
LOINC types and the `mes-category` code system; statuses; security labels; identifier systems.

Codes marked [?] in FHIR.md are ours (no ANS correspondence exists for the mes categories); the
tables below are the only place they are written."""

from __future__ import annotations

from mes.domain.documents import CATEGORIES, DocStatus, Document

# Identifier systems (FHIR.md §2, §3).
INS_NIR = "urn:oid:1.2.250.1.213.1.4.8"  # INS-NIR
INS_NIR_TEST = "urn:oid:1.2.250.1.213.1.4.10"  # INS-NIR of test
INS_NIR_DEMO = "urn:oid:1.2.250.1.213.1.4.11"  # INS-NIR of demonstration
INS_NIA = "urn:oid:1.2.250.1.213.1.4.9"  # a temporary identifier: no espace is keyed on it
NIR_SYSTEMS = (INS_NIR, INS_NIR_TEST, INS_NIR_DEMO)
ID_NAT_PS = "urn:oid:1.2.250.1.71.4.2.1"  # idNatPs: "8" + RPPS
ID_NAT_STRUCT = "urn:oid:1.2.250.1.71.4.2.2"  # idNatStruct: "1" + FINESS
RFC3986 = "urn:ietf:rfc:3986"

# Code systems.
TRE_A03 = "https://mos.esante.gouv.fr/NOS/TRE_A03-ClasseDocument/FHIR/TRE-A03-ClasseDocument"
TRE_A07 = "https://mos.esante.gouv.fr/NOS/TRE_A07-StatutVisibiliteDocument/FHIR/TRE-A07-StatutVisibiliteDocument"
V3_CONFIDENTIALITY = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"
LOINC = "http://loinc.org"
ISSUE_TYPE = "http://hl7.org/fhir/issue-type"

# mes category → TRE_A03 class codes (the first is emitted; any of them finds the category) [?].
CATEGORY_CLASSES: dict[str, tuple[str, ...]] = {
    "SYNTHESE": ("11",), "ORD_SOIN": ("42", "43", "44"), "RADIO_SC": ("31",), "BIOLOGIE": ("10",),
    "CPT_REND": ("10",), "DEPISTAG": ("10",), "CERT_MED": ("52",), "DOC_ADM": ("95",), "REMB": ("60",),
    "AUTR_DOC": ("10",), "CAR_VAC": ("52",), "DIR_ANT": (), "VDP": (),
}
# mes category → LOINC document type, where one LOINC code says what the category holds [?]; the
# others carry the `mes-category` code as their type (the facade never invents a LOINC code).
CATEGORY_TYPES: dict[str, str] = {
    "SYNTHESE": "60591-5",  # Patient summary Document
    "ORD_SOIN": "57833-6",  # Prescription for medication
    "RADIO_SC": "18748-4",  # Diagnostic imaging study
    "BIOLOGIE": "11502-2",  # Laboratory report
    "CPT_REND": "34133-9",  # Summary of episode note
    "CAR_VAC": "11369-6",  # History of Immunization Narrative
    "DIR_ANT": "42348-3",  # Advance healthcare directives
}
assert set(CATEGORY_CLASSES) == set(CATEGORIES)  # noqa: S101 - a new category needs its row here

# Statuses (FHIR.md §3): what a professional may list maps to a DocumentReference status; pending
# and rejected documents have none (MHD forbids docStatus) and are left out of the facade.
STATUSES: dict[str, str] = {
    DocStatus.AVAILABLE: "current",
    DocStatus.REPLACED: "superseded",  # BR-24: replaced by a validated replacement (relatesTo replaces)
    DocStatus.ENTERED_IN_ERROR: "entered-in-error",
}
FHIR_STATUSES = ("current", "superseded", "entered-in-error")
MES_STATUSES = {fhir: mes for mes, fhir in STATUSES.items()}  # a search's `status` → the use case's statuses
RELATES_REPLACES = "replaces"  # DocumentReference.relatesTo.code of a replacement (ITI-65, D transaction_td2.1)

# Security labels (FHIR.md §3): TRE_A07 for each visibility rule that applies, else v3 `N`.
MASKED, HIDDEN_FROM_HOLDER, HIDDEN_FROM_REPRESENTATIVES = "MASQUE_PS", "INVISIBLE_PATIENT", "INVISIBLE_REPRESENTANTS_LEGAUX"
NORMAL = "N"
# What an ITI-65 deposit may carry (FHIR.md §3): any of them together, but INVISIBLE_PATIENT with MASQUE_PS (BR-26).
DEPOSIT_LABELS = frozenset({(TRE_A07, MASKED), (TRE_A07, HIDDEN_FROM_HOLDER), (TRE_A07, HIDDEN_FROM_REPRESENTATIVES),
                            (V3_CONFIDENTIALITY, NORMAL)})


def mes_category_system(base: str) -> str:
    return f"{base}/CodeSystem/mes-category"


def mes_error_system(base: str) -> str:
    return f"{base}/CodeSystem/mes-error"


def fhir_status(document: Document) -> str | None:
    """The DocumentReference status, or None for what the facade does not show (pending, rejected)."""
    return STATUSES.get(document.status)


def security_labels(document: Document) -> list[tuple[str, str]]:
    """(system, code) of every label that applies; `N` when none does."""
    labels = [(TRE_A07, code) for flag, code in ((document.masked, MASKED),
                                                  (document.hidden_from_holder, HIDDEN_FROM_HOLDER),
                                                  (document.hidden_from_representatives, HIDDEN_FROM_REPRESENTATIVES))
              if flag]
    return labels or [(V3_CONFIDENTIALITY, NORMAL)]


def category_codings(category: str, base: str) -> list[tuple[str, str]]:
    """(system, code) of the category: its TRE_A03 class (if any), then the mes category."""
    classes = CATEGORY_CLASSES.get(category, ())
    return ([(TRE_A03, classes[0])] if classes else []) + [(mes_category_system(base), category)]


def type_coding(category: str, base: str) -> tuple[str, str]:
    code = CATEGORY_TYPES.get(category)
    return (LOINC, code) if code else (mes_category_system(base), category)


def categories_of_class(code: str) -> frozenset[str]:
    """Every mes category a TRE_A03 class code stands for (a category search on TRE_A03)."""
    return frozenset(c for c, classes in CATEGORY_CLASSES.items() if code in classes)


def categories_of_type(system: str | None, code: str, base: str) -> frozenset[str]:
    """Every mes category whose type is (system|)code."""
    return frozenset(c for c in CATEGORIES if _token_matches(type_coding(c, base), system, code))


def _token_matches(coding: tuple[str, str], system: str | None, code: str) -> bool:
    """FHIR token matching: `code` (any system), `system|code`, `|code` (no system: never ours)."""
    return coding[1] == code and (system is None or system == coding[0])
