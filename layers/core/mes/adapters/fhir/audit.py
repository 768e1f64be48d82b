"""The access log as AuditEvents and the professionals' authorisations and blocks as Consents
(FHIR.md §2 "AuditEvent", "Consent"; §6 "Access log"). Plain dicts, like resources.py; what a
record holds is the access-log writer's (mes.services.access_log.log_access)."""

from __future__ import annotations

import hashlib
from collections import Counter
from typing import Any

from . import codes
from .observations import observation_id

JsonDict = dict[str, Any]
IHE_EVENT = "urn:ihe:event-type-code"
DICOM = "http://dicom.nema.org/resources/ontology/DCM"
ACT_REASON = "http://terminology.hl7.org/CodeSystem/v3-ActReason"
# access-log action → IHE transaction (only where one applies)
SUBTYPES = {"list": "ITI-67", "read": "ITI-68", "retrieve": "ITI-68", "deposit": "ITI-65"}
# access-log action → AuditEvent.action (C create, R read, D delete, E execute)
ACTIONS = {"list": "R", "read": "R", "retrieve": "R", "profile": "R", "lookup": "R", "access_log": "R",
           "consent": "R", "deposit": "C", "measurement": "C", "delete": "D"}
PURPOSES = {"samu": ("ETREAT", "emergency treatment"), "break_glass": ("BTG", "break the glass")}


def id_nat_ps(rpps: str) -> JsonDict:
    """idNatPs: "8" + RPPS (FHIR.md §6)."""
    return {"system": codes.ID_NAT_PS, "value": "8" + rpps}


def _id(*parts: str | None) -> str:
    return hashlib.sha256("|".join(p or "" for p in parts).encode()).hexdigest()[:40]


def _entities(record: JsonDict, espace_id: str) -> list[JsonDict]:
    entities: list[JsonDict] = [{"what": {"reference": f"Patient/{espace_id}"},
                                 "type": {"system": "http://terminology.hl7.org/CodeSystem/audit-entity-type",
                                          "code": "1"}}]
    target, action = record.get("target"), record.get("action")
    if target and action in ("deposit", "read", "retrieve", "delete"):
        entities.append({"what": {"reference": f"DocumentReference/{target}"}})
    elif target and action == "measurement":
        entities.append({"what": {"reference": f"Observation/{observation_id(espace_id, target)}"}})
    return entities


def audit_event(record: JsonDict, espace_id: str) -> JsonDict:
    """One access-log record (who, when, what, decision, emergency mode, channel)."""
    action = record.get("action") or ""
    refused = str(record.get("decision") or "").startswith("refused")
    agent: JsonDict = {"who": {"identifier": id_nat_ps(record["rpps"])}, "requestor": True}
    if record.get("name"):
        agent["who"]["display"] = record["name"]
    event: JsonDict = {
        "resourceType": "AuditEvent", "id": _id(espace_id, record.get("at"), record["rpps"], action,
                                                record.get("decision"), record.get("mode"), record.get("target")),
        "type": {"system": DICOM, "code": "110110", "display": "Patient Record"},
        "action": ACTIONS.get(action, "E"), "recorded": record["at"],
        "outcome": "4" if refused else "0", "outcomeDesc": f"{action}: {record.get('decision')}",
        "agent": [agent],
        "source": {"observer": {"display": "Mon espace santé"},
                   "type": [{"system": "http://terminology.hl7.org/CodeSystem/security-source-type", "code": "4",
                             "display": f"channel {record.get('channel') or 'api'}"}]},
        "entity": _entities(record, espace_id)}
    if action in SUBTYPES:
        event["subtype"] = [{"system": IHE_EVENT, "code": SUBTYPES[action]}]
    if record.get("mode") in PURPOSES:
        code, display = PURPOSES[record["mode"]]
        event["purposeOfEvent"] = [{"coding": [{"system": ACT_REASON, "code": code, "display": display}]}]
    return event


def audit_events(records: list[JsonDict], espace_id: str) -> list[JsonDict]:
    """A page of records (newest first) as AuditEvents with distinct ids: a searchset's fullUrls are
    unique (bdl-7). Records can be alike to the second — a 302 and the `curl -L` after it, two
    searches: counted from the oldest on the page, the n-th repeat (n ≥ 1) gets `_id(first id, n)`
    and the oldest keeps `audit_event`'s id, so a newer like record does not change the ids already
    given. A run of like records cut by a page boundary counts again from the next page's oldest."""
    events = [audit_event(record, espace_id) for record in records]
    seen = Counter[str]()
    for event in reversed(events):
        repeat = seen[event["id"]]
        seen[event["id"]] += 1
        if repeat:
            event["id"] = _id(event["id"], str(repeat))
    return events


def consent(professional: JsonDict, espace_id: str) -> JsonDict | None:
    """A professional's standing with the holder: blocked → deny (a block wins over a consent, BR-31),
    an authorisation → permit; neither (an administrator without one) → no Consent."""
    if professional.get("blocked"):
        kind = "deny"
    elif professional.get("authorisation"):
        kind = "permit"
    else:
        return None
    resource: JsonDict = {
        "resourceType": "Consent", "id": _id("consent", espace_id, professional["rpps"]), "status": "active",
        "scope": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/consentscope",
                              "code": "patient-privacy"}]},
        "category": [{"coding": [{"system": codes.LOINC, "code": "59284-0", "display": "Patient Consent"}]}],
        "patient": {"reference": f"Patient/{espace_id}"},
        "policyRule": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
                                   "code": "OPTOUT" if kind == "deny" else "OPTIN"}]},
        "provision": {"type": kind, "actor": [{
            "role": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType",
                                 "code": "PRCP"}]},
            "reference": {"identifier": id_nat_ps(professional["rpps"]),
                          **({"display": professional["name"]} if professional.get("name") else {})}}]}}
    if professional.get("authorisation"):
        resource["extension"] = [{"url": "https://mes.example.org/fhir/StructureDefinition/authorisation-basis",
                                  "valueCode": professional["authorisation"]}]
    if professional.get("authorised_at"):
        resource["dateTime"] = professional["authorised_at"]
    return resource
