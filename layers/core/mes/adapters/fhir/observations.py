"""PCH-01 (FHIR.md §2 "Measurements", §6): a transaction Bundle of Observations (and optional
PhdDevice entries) read into the JSON API's measurement requests (`mes.domain.measurements`),
and the transaction-response built from what the use case stored. LOINC and UCUM here only:
ranges, units and the (type, measured_at) identity stay in the domain rules.

| LOINC | mes type | UCUM accepted → stored |
|---|---|---|
| 29463-7 | weight | kg |
| 8302-2 | height | cm |
| 8310-5 | temperature | Cel → °C |
| 85354-9 (components 8480-6 / 8462-4) | blood_pressure | mm[Hg] → mmHg |
| 8867-4 | heart_rate | /min → bpm |
| 2345-7 | glycemia | mg/dL ÷ 100, mmol/L × 0.1802, g/L → g/L |
| 4548-4 | hba1c | % (of total haemoglobin, NGSP/DCCT) |
| 39156-5 (BMI) | — refused: computed from weight and height, never posted |
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from mes.domain.errors import DomainError, ValidationError

from . import codes

UCUM = "http://unitsofmeasure.org"
MAX_ENTRIES = 100
BMI = "39156-5"
HBA1C = "4548-4"
BLOOD_PRESSURE = "85354-9"
SYSTOLIC = "8480-6"
DIASTOLIC = "8462-4"
GLUCOSE = "2345-7"
# LOINC → (mes type, {UCUM code: factor to the mes unit})
SINGLE: dict[str, tuple[str, dict[str, float]]] = {
    "29463-7": ("weight", {"kg": 1.0}),
    "8302-2": ("height", {"cm": 1.0}),
    "8310-5": ("temperature", {"Cel": 1.0}),
    "8867-4": ("heart_rate", {"/min": 1.0}),
    GLUCOSE: ("glycemia", {"mg/dL": 0.01, "mmol/L": 0.1802, "g/L": 1.0}),
    HBA1C: ("hba1c", {"%": 1.0}),
}
LOINC_OF = {mes_type: loinc for loinc, (mes_type, _) in SINGLE.items()} | {"blood_pressure": BLOOD_PRESSURE}
UCUM_OF = {"weight": "kg", "height": "cm", "temperature": "Cel", "heart_rate": "/min", "glycemia": "g/L",
           "hba1c": "%", "blood_pressure": "mm[Hg]"}
OBSERVATION_STATUSES = ("final", "amended", "corrected", "preliminary")


class UnsupportedMeasurement(DomainError):
    """A well-formed Observation mes does not store (BMI, another LOINC code): 422."""

    code = "unsupported_measurement"


class UnsupportedTransaction(DomainError):
    """A transaction this endpoint does not handle (neither measurements nor a document deposit): 422."""

    code = "unsupported_transaction"


@dataclass(frozen=True)
class Reading:
    index: int  # the entry's position in the Bundle (the response keeps the order)
    full_url: str | None
    data: dict[str, Any]  # a POST /espaces/{id}/measurements body


@dataclass(frozen=True)
class Transaction:
    nir: str
    readings: list[Reading]
    devices: list[int]  # entry positions of PhdDevice entries (acknowledged, not stored)
    size: int


def _bad(detail: str, where: str) -> ValidationError:
    return ValidationError(detail, field=where)


def is_measurements(bundle: Any) -> bool:
    """The dispatcher's test: a transaction whose resources are Observations (and Devices), one at least."""
    if not isinstance(bundle, dict) or not isinstance(bundle.get("entry"), list):
        return False
    kinds = {(e.get("resource") or {}).get("resourceType") for e in bundle["entry"] if isinstance(e, dict)}
    return "Observation" in kinds and kinds <= {"Observation", "Device"}


def parse_transaction(bundle: dict[str, Any]) -> Transaction:
    """Every entry checked before anything is stored (one bad entry refuses the whole transaction)."""
    if bundle.get("resourceType") != "Bundle" or bundle.get("type") != "transaction":
        raise _bad("Un Bundle de type « transaction » est attendu.", "type")
    entries = bundle.get("entry")
    if not isinstance(entries, list) or not 1 <= len(entries) <= MAX_ENTRIES:
        raise _bad(f"La transaction doit contenir de 1 à {MAX_ENTRIES} entrées.", "entry")
    readings: list[Reading] = []
    devices: list[int] = []
    nirs: set[str] = set()
    for index, entry in enumerate(entries):
        resource, full_url = _entry(entry, index)
        if resource["resourceType"] == "Device":
            devices.append(index)
            continue
        nir, data = observation(resource, f"entry[{index}].resource")
        nirs.add(nir)
        readings.append(Reading(index, full_url, data))
    if len(nirs) != 1:
        raise _bad("Toutes les mesures d'une transaction concernent un seul patient (même INS).",
                   "entry.resource.subject")
    return Transaction(nirs.pop(), readings, devices, len(entries))


def _entry(entry: Any, index: int) -> tuple[dict[str, Any], str | None]:
    where = f"entry[{index}]"
    if not isinstance(entry, dict) or not isinstance(entry.get("resource"), dict):
        raise _bad("Chaque entrée porte une ressource.", where)
    resource = entry["resource"]
    kind = resource.get("resourceType")
    request: dict[str, Any] = entry["request"] if isinstance(entry.get("request"), dict) else {}
    if kind not in ("Observation", "Device") or request.get("method") != "POST" or request.get("url") != kind:
        raise _bad("Seules des entrées POST Observation (et POST Device) sont acceptées ici.", where + ".request")
    full_url = entry.get("fullUrl")
    return resource, full_url if isinstance(full_url, str) else None


def _codes(concept: Any) -> set[str]:
    codings = concept.get("coding") if isinstance(concept, dict) else None
    return {str(c.get("code")) for c in codings or [] if isinstance(c, dict) and c.get("system") == codes.LOINC}


def _subject_nir(resource: dict[str, Any], where: str) -> str:
    from .search import patient_nir

    identifier = (resource.get("subject") or {}).get("identifier") if isinstance(resource.get("subject"), dict) else None
    if not isinstance(identifier, dict):
        raise _bad("« subject.identifier » (INS du patient) est obligatoire.", where + ".subject.identifier")
    return patient_nir(f"{identifier.get('system')}|{identifier.get('value')}", where + ".subject.identifier")


def observation(resource: dict[str, Any], where: str) -> tuple[str, dict[str, Any]]:
    """One Observation → (the patient's NIR, a measurement request in the JSON API's units)."""
    if resource.get("status") not in OBSERVATION_STATUSES:
        raise _bad("« status » : final, amended, corrected ou preliminary.", where + ".status")
    loinc = _codes(resource.get("code"))
    nir = _subject_nir(resource, where)
    if not isinstance(resource.get("effectiveDateTime"), str):
        raise _bad("« effectiveDateTime » (date et heure de la mesure) est obligatoire.", where + ".effectiveDateTime")
    data: dict[str, Any] = {"measured_at": resource["effectiveDateTime"]}
    note = _note(resource)
    if note:
        data["note"] = note
    if BMI in loinc:
        raise UnsupportedMeasurement("L'IMC n'est pas accepté : Mon espace santé le calcule à partir du poids "
                                     "et de la taille.")
    if BLOOD_PRESSURE in loinc:
        return nir, {**data, "type": "blood_pressure", **_blood_pressure(resource, where)}
    known = [code for code in loinc if code in SINGLE]
    if not known:
        raise UnsupportedMeasurement("Type de mesure non pris en charge (codes LOINC acceptés : "
                                     + ", ".join([*SINGLE, BLOOD_PRESSURE]) + ").")
    mes_type, units = SINGLE[known[0]]
    return nir, {**data, "type": mes_type, "value": _quantity(resource.get("valueQuantity"), units,
                                                              where + ".valueQuantity")}


def _note(resource: dict[str, Any]) -> str | None:
    notes = resource.get("note")
    if isinstance(notes, list) and notes and isinstance(notes[0], dict) and isinstance(notes[0].get("text"), str):
        return notes[0]["text"]
    return None


def _quantity(quantity: Any, units: dict[str, float], where: str) -> float:
    if not isinstance(quantity, dict) or quantity.get("system") != UCUM or quantity.get("code") not in units:
        raise _bad(f"Valeur attendue en UCUM ({UCUM}), unité : {' ou '.join(units)}.", where)
    value = quantity.get("value")
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _bad("« valueQuantity.value » doit être un nombre.", where + ".value")
    factor = units[quantity["code"]]
    return value if factor == 1.0 else round(value * factor, 4)


def _blood_pressure(resource: dict[str, Any], where: str) -> dict[str, Any]:
    found: dict[str, Any] = {}
    components = resource.get("component")
    for i, component in enumerate(components if isinstance(components, list) else []):
        loinc = _codes(component.get("code") if isinstance(component, dict) else None)
        name = "systolic" if SYSTOLIC in loinc else "diastolic" if DIASTOLIC in loinc else None
        if name:
            found[name] = _quantity(component.get("valueQuantity"), {"mm[Hg]": 1.0},
                                    f"{where}.component[{i}].valueQuantity")
    for name, code in (("systolic", SYSTOLIC), ("diastolic", DIASTOLIC)):
        if name not in found:
            raise _bad(f"Pression artérielle : composante {code} ({name}) manquante.", where + ".component")
    return found


def observation_id(espace_id: str, measurement_id: str) -> str:
    """The Observation's id: the espace and the measurement's own id (type + instant), FHIR id charset
    and at most 64 characters. The espace's uuid without its dashes (32) and the longest measurement
    id (`blood_pressure-YYYYMMDDTHHMMSSZ`, 31) fit; anything longer is hashed, never cut (a cut id
    dropped the seconds: two blood pressures of the same ten minutes had one id)."""
    value = f"{espace_id.replace('-', '')}-{measurement_id}".replace("_", "-")
    return value if len(value) <= 64 else hashlib.sha256(value.encode()).hexdigest()


def transaction_response(transaction: Transaction, stored: list[tuple[str, bool]], base: str,
                         when: str) -> dict[str, Any]:
    """`transaction-response`, entries in the request's order: 201 + location for a new measurement,
    200 for one already stored (a retry), 200 for a Device (acknowledged; mes keeps no device)."""
    answers: list[dict[str, Any]] = [{} for _ in range(transaction.size)]
    for index in transaction.devices:
        answers[index] = {"response": {"status": "200 OK"}}
    for reading, (resource_id, created) in zip(transaction.readings, stored, strict=True):
        answers[reading.index] = {"response": {"status": "201 Created" if created else "200 OK",
                                               "location": f"Observation/{resource_id}", "lastModified": when}}
    return {"resourceType": "Bundle", "type": "transaction-response", "entry": answers}
