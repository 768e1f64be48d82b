"""The BOLA matrix: every route of the inventory (`chalicelib.routing.REGISTRY`) × every kind of
caller → the expected HTTP status, run against the real app (Chalice test client, moto built from
template.yaml, the local Pro Santé Connect stand-in): no mock of the app.

Path parameters are filled with real ids of a victim's data created through the API (her espace,
her child's espace, her document, a professional's deposit, a conversation, an export, the RPPS of
a professional she authorised, her INS), so "another holder" really targets someone else's
existing object. GET routes are also called by the rightful caller (the victim, or her
administrator PS) as a control: 200 proves the ids are real.

Caller kinds (columns):

    none        no Authorization header
    owner       the victim's own holder token (control on holder GETs; a holder token on PS routes)
    other       another activated holder's token
    enrolment   an enrolment token (another person's, from /enrolment/sessions)
    ps          the victim's authorised PS, her administrator (control on PS GETs; a PS token on holder routes)
    ps_no_auth  a médecin without any authorisation on the victim's espace
    ps_blocked  a médecin with the victim's consent, then blocked by her (BR-31)
    ps_no_read  an opticien-lunetier (28) with her consent: his profession reads no category (BR-29)

and four derived columns, callers aiming at the victim's objects another way:

    rep         the second legal representative of the victim's child (an active holder she
                invited, BR-16): the child's espace is theirs to read, the victim's own is not

    other_child another holder on the victim's CHILD's espace id (BR-16: only her representatives)
    other_me    another holder on their own espace (`me`) with the victim's object ids (document,
                conversation, export, representative): an object id must be bound to its espace
    ps_cross    a médecin authorised on ANOTHER patient, using that patient's INS with the victim's
                document ids: a document id must be bound to the patient's espace

Derived columns default to the `other` / `ps_no_auth` expectation where the path has the ids
they aim at (404 where the object exists only in the victim's espace), None where it has not.

On PS routes the three `ps_*` kinds are fresh professionals for every cell (their own RPPS, set
up just before), so a cell's side effects (an emergency access, a consent) never leak into another.

`None` in a row = not applicable (documented where it appears). The statuses follow shared/API.md:
401 no or bad token (a token for another audience is a bad token), 403 authenticated but not
allowed, 404 "does not exist or belongs to someone else" (never confirm another person's object).
"""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from tests.fakes import person
from tests.support import flows
from tests.support.clock import FrozenClock
from tests.support.leaks import remember

NONE, OWNER, OTHER, ENROLMENT = "none", "owner", "other", "enrolment"
PS, PS_NO_AUTH, PS_BLOCKED, PS_NO_READ = "ps", "ps_no_auth", "ps_blocked", "ps_no_read"
OTHER_CHILD, OTHER_ME, PS_CROSS, REP = "other_child", "other_me", "ps_cross", "rep"
DERIVED = (OTHER_CHILD, OTHER_ME, PS_CROSS, REP)
KINDS = (NONE, OWNER, OTHER, ENROLMENT, PS, PS_NO_AUTH, PS_BLOCKED, PS_NO_READ, *DERIVED)
VICTIM_OBJECT_IDS = ("{document_id}", "{conversation_id}", "{export_id}", "{representative_id}")
HOLDER_KINDS = (OWNER, OTHER)
PS_KINDS = (PS, PS_NO_AUTH, PS_BLOCKED, PS_NO_READ)

JSON = {"Content-Type": "application/json"}
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
PASSWORD = "une phrase de passe assez longue"
DOCTOR = "10000000101"        # the victim's authorised médecin and administrator PS (BR-32)
CROSS_DOCTOR = "10000000106"  # a médecin authorised on the other holder only
BLOCK_TARGET = "10000000103"  # the PS an administrator would block on PS routes (never DOCTOR)
OPTICIAN = "28"               # BR-29: no read access in either matrix version

Row = dict[str, int | None]


# -- the expected statuses ------------------------------------------------------------------------
def holder_row(owner: int | None = None, other: int | None = 404) -> Row:
    """A holder route: only a holder token opens it; someone else's espace is a 404 (API.md)."""
    return {NONE: 401, OWNER: owner, OTHER: other, ENROLMENT: 401,
            PS: 401, PS_NO_AUTH: 401, PS_BLOCKED: 401, PS_NO_READ: 401}


def enrolment_row() -> Row:
    """An enrolment route: only an enrolment token. Its path holds no object id: the token's own
    `sub` is the only espace it can touch, so the enrolment column is not a BOLA case (None)."""
    return {NONE: 401, OWNER: 401, OTHER: 401, ENROLMENT: None,
            PS: 401, PS_NO_AUTH: 401, PS_BLOCKED: 401, PS_NO_READ: 401}


def pro_row(ps: int | None = None, no_auth: int | None = 403, blocked: int | None = 403,
            no_read: int | None = 403) -> Row:
    """A PS route: holder and enrolment tokens are bad tokens here (401)."""
    return {NONE: 401, OWNER: 401, OTHER: 401, ENROLMENT: 401,
            PS: ps, PS_NO_AUTH: no_auth, PS_BLOCKED: blocked, PS_NO_READ: no_read}


PUBLIC: Row = dict.fromkeys(KINDS, None)  # no token needed (login, one-time code, enrolment session, renewal)

E = "/espaces/{espace_id}"
P = "/pro/patients/{ins}"
EXPECTED: dict[tuple[str, str], Row] = {
    # public
    ("POST", "/auth/login"): PUBLIC,
    ("POST", "/auth/otp"): PUBLIC,
    ("POST", "/auth/otp/resend"): PUBLIC,
    # the HttpOnly session cookie is the only credential (WEB.md "Session"): no bearer token of any
    # kind renews a session, the holder's own included (the cookie cases: tests/integration/test_session_cookie.py)
    ("POST", "/auth/refresh"): dict.fromkeys(KINDS, 401),
    ("POST", "/enrolment/sessions"): PUBLIC,
    ("POST", "/enrolment/codes"): PUBLIC,
    # enrolment token
    ("POST", "/enrolment/opposition"): enrolment_row(),
    ("GET", "/enrolment/opposition/receipt"): enrolment_row(),
    ("POST", "/enrolment/activation"): enrolment_row(),
    ("POST", "/enrolment/activation/confirm"): enrolment_row(),
    # holder: the espace and its settings
    ("GET", E): holder_row(owner=200),
    ("GET", f"{E}/settings"): holder_row(owner=200),
    ("PATCH", f"{E}/settings"): holder_row(),
    # the other holder logs out their own session (run last; the owner column would end the victim's)
    ("POST", "/auth/logout"): {**holder_row(other=204)},
    # the other holder offers the victim's child's identity with a code they do not have: the
    # same 401 `invalid_credentials` as any wrong field (BR-16, no enumeration)
    ("POST", "/espaces/me/children"): holder_row(other=401),
    # on the victim's child's espace: a stranger gets 404; the second representative may neither
    # invite (403, only the guardian declared to the insurer) nor remove the guardian (409)
    ("POST", f"{E}/representatives"): {**holder_row(), REP: 403},
    ("DELETE", f"{E}/representatives/{{representative_id}}"): {**holder_row(), REP: 409},
    # documents
    ("POST", f"{E}/documents"): holder_row(),
    ("GET", f"{E}/documents"): holder_row(owner=200),
    ("GET", f"{E}/documents/{{document_id}}"): holder_row(owner=200),
    ("PATCH", f"{E}/documents/{{document_id}}"): holder_row(),
    ("DELETE", f"{E}/documents/{{document_id}}"): holder_row(),
    # professionals, blocks, administrator, access log
    ("GET", f"{E}/access-log"): holder_row(owner=200),
    ("GET", f"{E}/professionals"): holder_row(owner=200),
    ("DELETE", f"{E}/professionals/{{rpps}}"): holder_row(),
    ("PUT", f"{E}/blocks/{{rpps}}"): holder_row(),
    ("DELETE", f"{E}/blocks/{{rpps}}"): holder_row(),
    ("PUT", f"{E}/administrator"): holder_row(),
    # profile, measurements, reimbursements
    ("GET", f"{E}/profile"): holder_row(owner=200),
    ("PUT", f"{E}/profile/{{section}}"): holder_row(),
    ("POST", f"{E}/measurements"): holder_row(),
    ("GET", f"{E}/measurements"): holder_row(owner=200),
    ("GET", f"{E}/reimbursements"): holder_row(owner=200),
    # messaging
    ("GET", f"{E}/conversations"): holder_row(owner=200),
    ("GET", f"{E}/conversations/{{conversation_id}}"): holder_row(owner=200),
    ("POST", f"{E}/conversations/{{conversation_id}}/messages"): holder_row(),
    ("POST", f"{E}/conversations/{{conversation_id}}/attachments/{{document_id}}/save"): holder_row(),
    # closure, exports
    ("POST", f"{E}/closure"): holder_row(),
    ("POST", f"{E}/exports"): holder_row(),
    ("GET", f"{E}/exports/{{export_id}}"): holder_row(owner=200),
    # PS: consent and reads (BR-30): recording a consent is the PS's act (201 for anyone not blocked)
    ("POST", f"{P}/authorisations"): pro_row(no_auth=201, no_read=201),
    ("GET", f"{P}/documents"): pro_row(ps=200, no_read=200),    # BR-29: the opticien's list is empty
    # one document a PS may not see (no authorisation, or not in its profession's row) is a 404 for
    # that PS (its existence is not confirmed; the refusal is logged); a blocked PS gets 403 `blocked`
    ("GET", f"{P}/documents/{{document_id}}"): pro_row(ps=200, no_auth=404, no_read=404),
    # depositing needs no read consent (BR-30); a block refuses it (BR-31)
    ("POST", f"{P}/documents"): pro_row(no_auth=201, no_read=201),
    # only the author withdraws or reveals its own deposit: someone else's document does not exist
    ("DELETE", f"{P}/documents/{{document_id}}"): pro_row(no_auth=404, blocked=404, no_read=404),
    ("PATCH", f"{P}/documents/{{document_id}}"): pro_row(no_auth=404, blocked=404, no_read=404),
    # BR-34: break-glass is allowed unless the holder refused it; a block still applies
    ("POST", f"{P}/emergency-access"): pro_row(no_auth=201, no_read=201),
    # BR-32: administrator PS only
    ("GET", f"{P}/access-log"): pro_row(ps=200),
    ("PUT", f"{P}/blocks/{{rpps}}"): pro_row(),
    # BR-20: the trusted person and emergency contacts are for any authorised PS; vaccinations and
    # advance directives only through the matrix (CAR_VAC, DIR_ANT): the opticien gets a 200 without them
    ("GET", f"{P}/profile"): pro_row(ps=200, no_read=200),
    # the PS's own notices: nothing patient-specific in the path
    ("GET", "/pro/notifications"): pro_row(ps=200, no_auth=200, blocked=200, no_read=200),
    # messaging (BR-37): any PS not blocked may start; a conversation is its author's only
    ("POST", f"{P}/conversations"): pro_row(no_auth=201, no_read=201),
    ("GET", "/pro/conversations/{conversation_id}"): pro_row(ps=200, no_auth=404, blocked=404, no_read=404),
    ("POST", "/pro/conversations/{conversation_id}/messages"): pro_row(no_auth=404, blocked=404, no_read=404),
    ("POST", "/pro/conversations/{conversation_id}/close"): pro_row(no_auth=404, blocked=404, no_read=404),
    ("GET", "/pro/conversations/{conversation_id}/attachments/{document_id}"):
        pro_row(ps=200, no_auth=404, blocked=404, no_read=404),
    # the FHIR facade (issue 12): the same decisions as the JSON routes above. Searches name the
    # victim's INS in their parameters (`fhir_query`), ps_cross included: a PS authorised on another
    # patient is refused like one without any authorisation; reads by id carry no INS, the
    # document's own espace decides (404: its existence is not confirmed)
    ("GET", "/fhir/R4/metadata"): dict.fromkeys((NONE, OWNER, OTHER, ENROLMENT, *PS_KINDS), 200),
    ("GET", "/fhir/R4/DocumentReference"): {**pro_row(ps=200, no_read=200), PS_CROSS: 403},
    ("POST", "/fhir/R4/DocumentReference/_search"): {**pro_row(ps=200, no_read=200), PS_CROSS: 403},
    ("GET", "/fhir/R4/DocumentReference/{document_id}"): {**pro_row(ps=200, no_auth=404, no_read=404), PS_CROSS: 404},
    ("GET", "/fhir/R4/Binary/{document_id}"): {**pro_row(ps=302, no_auth=404, no_read=404), PS_CROSS: 404},
    # knowing that an INS has an espace needs no consent (a deposit needs none); a block refuses it
    ("GET", "/fhir/R4/Patient"): {**pro_row(ps=200, no_auth=200, no_read=200), PS_CROSS: 200},
    # PCH-01: posting a measurement is a deposit (BR-30: no read consent; a block refuses it); the
    # body names the victim's INS, so ps_cross posts for her like any PS not blocked
    ("POST", "/fhir/R4"): {**pro_row(ps=200, no_auth=200, no_read=200), PS_CROSS: 200},
    # BR-20: measurements are the holder's only: every PS is refused before any parameter
    ("GET", "/fhir/R4/Observation"): pro_row(ps=403),
    # BR-32: the access log and the consents are the administrator's (the `ps` column) only
    ("GET", "/fhir/R4/AuditEvent"): {**pro_row(ps=200), PS_CROSS: 403},
    ("GET", "/fhir/R4/Consent"): {**pro_row(ps=200), PS_CROSS: 403},
    # PATCH on the victim's own upload: a PS who may see it but is not its author → 403 (FHIR.md §6),
    # one who may not see it → 404, a blocked one → 403
    ("PATCH", "/fhir/R4/DocumentReference/{document_id}"): {**pro_row(ps=403, no_auth=404, no_read=404), PS_CROSS: 404},
    # the same PATCH, the document named by `?identifier=` (its masterIdentifier, `fhir_query`): the same cells
    ("PATCH", "/fhir/R4/DocumentReference"): {**pro_row(ps=403, no_auth=404, no_read=404), PS_CROSS: 404},
}



def _derive(key: tuple[str, str], row: Row) -> Row:
    """Fill the derived columns a row does not set itself (see the module docstring)."""
    method, path = key
    if all(v is None for k, v in row.items() if k in (NONE, OWNER, OTHER)):
        return {**dict.fromkeys(DERIVED, None), **row}  # public
    token_is_wrong = 401 if row[NONE] == 401 else None
    holder_route, pro_route = row[OTHER] != 401, row[PS] != 401 or row[PS_NO_AUTH] != 401
    derived: Row = {}
    if holder_route:
        aims_espace = "{espace_id}" in path and "/representatives" not in path  # those already use the child
        aims_object = "{espace_id}" in path and any(i in path for i in VICTIM_OBJECT_IDS)
        derived = {OTHER_CHILD: row[OTHER] if aims_espace else None,
                   OTHER_ME: row[OTHER] if aims_object else None, PS_CROSS: token_is_wrong,
                   # the victim's own espace, like a stranger; their own session's logout is not a case
                   REP: row[OTHER] if row[OTHER] != 204 else None}
    elif pro_route:
        aims_document = "{ins}" in path and "{document_id}" in path
        derived = {OTHER_CHILD: token_is_wrong, OTHER_ME: token_is_wrong, PS_CROSS: 404 if aims_document else None,
                   REP: token_is_wrong}
    else:  # enrolment
        derived = dict.fromkeys(DERIVED, token_is_wrong)
    return {**derived, **row}


EXPECTED = {key: _derive(key, row) for key, row in EXPECTED.items()}

# Routes whose cells run after all the others, in this order: a closure that wrongly succeeded
# would hide every later cell behind a 404; logging out ends the caller's own session.
RUN_LAST = [("POST", "/espaces/{espace_id}/closure"), ("POST", "/auth/logout")]


# -- the victim's world ---------------------------------------------------------------------------
@dataclass
class World:
    api: Any
    aws: Any
    clock: Any
    psc: Any
    victim: dict
    other: dict
    rep: dict
    child_id: str
    child_row: dict
    enrolment_headers: dict
    ids: dict[str, str]
    shared: dict[str, dict] = field(default_factory=dict)  # kind -> headers (non-PS routes)
    _rpps: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def pro_headers(self, rpps: str, profession: str = "10") -> dict:
        value = self.psc.issue(rpps, profession, now=self.clock())
        remember(value)
        return {"Authorization": f"Bearer {value}", **JSON}

    def new_rpps(self) -> str:
        return f"3{next(self._rpps):010d}"

    def fresh_professional(self, kind: str) -> dict:
        """A professional of that kind, set up for this cell only."""
        ins = self.ids["ins"]
        if kind == PS_NO_AUTH:
            return self.pro_headers(self.new_rpps())
        if kind == PS_BLOCKED:
            rpps = self.new_rpps()
            headers = self.pro_headers(rpps)
            _ok(self.api.http.post(f"/pro/patients/{ins}/authorisations", headers=headers,
                                   body=json.dumps({"basis": "consent"})), 201)
            _ok(self.api.http.put(f"/espaces/me/blocks/{rpps}", headers=self.victim["headers"]), 204)
            return headers
        if kind == PS_NO_READ:
            headers = self.pro_headers(self.new_rpps(), OPTICIAN)
            _ok(self.api.http.post(f"/pro/patients/{ins}/authorisations", headers=headers,
                                   body=json.dumps({"basis": "consent"})), 201)
            return headers
        raise ValueError(kind)

    def headers(self, kind: str, auth: str | None) -> dict:
        if kind == NONE:
            return dict(JSON)
        if kind in (OTHER_CHILD, OTHER_ME):
            return self.shared[OTHER]
        if kind == REP:
            return self.rep["headers"]
        if auth == "pro" and kind in (PS_NO_AUTH, PS_BLOCKED, PS_NO_READ):
            return self.fresh_professional(kind)
        return self.shared[kind]


class SetupFailed(AssertionError):
    pass


def _ok(response: Any, status: int) -> Any:
    if response.status_code != status:
        raise SetupFailed(f"expected {status}, got {response.status_code}: {response.body[:200]!r}")
    return response


def build_world(api: Any, aws: Any, clock: Any, psc: Any) -> World:
    """The victim (with a child, a document, an authorised administrator PS who deposited a report
    and wrote to her, a reply with her document attached, an export), another holder, and a
    notified person's enrolment token — all made through the API, the functions and the outbox."""
    post = api.http.post
    victim = flows.holder(api, aws, clock, seed=301, email="victime.bola@example.org", login="victime.bola")
    other = flows.holder(api, aws, clock, seed=302, email="autre.bola@example.org", login="autre.bola")
    co_parent = flows.holder(api, aws, clock, seed=304, email="coparent.bola@example.org", login="coparent.bola")
    remember(victim["row"]["nir"], other["row"]["nir"], co_parent["row"]["nir"])
    ins = victim["row"]["nir"]

    # her child, whose code went to her by the wave (BR-05/BR-16)
    child = {**person(7301, birth=date(2015, 6, 1), guardian=victim["row"], department="44"), "first_name": "Léa"}
    remember(child["nir"], child["vitale_serial"])
    # a notified person who will open an enrolment session
    enrolee = flows.people(1, seed=303, department="44")[0]
    enrolee["email"] = "inscrit.bola@example.org"
    flows.population(aws, [child, enrolee])
    flows.scheduled("wave", clock(), {"department": "44"})
    code = [e["data"]["code"] for e in flows.sent(aws, "victime.bola@example.org", "wave-code")
            if e["data"].get("first_name") == "Léa"][-1]
    ident = {k: child[k] for k in ("nir", "birth_date", "vitale_serial")}
    child_id = _ok(post("/espaces/me/children", headers=victim["headers"],
                        body=json.dumps({**ident, "code": code})), 201).json_body["espace"]["id"]
    _ok(post(f"/espaces/{child_id}/representatives", headers=victim["headers"], body=json.dumps(
        {"nir": co_parent["row"]["nir"], "birth_date": co_parent["row"]["birth_date"]})), 201)
    r = _ok(post("/enrolment/sessions", headers=JSON, body=json.dumps(
        {**{k: enrolee[k] for k in ("nir", "birth_date", "vitale_serial")},
         "code": flows.last_code(aws, enrolee["email"])})), 201)
    remember(r.json_body["enrolment_token"])
    enrolment_headers = {"Authorization": f"Bearer {r.json_body['enrolment_token']}", **JSON}

    world = World(api, aws, clock, psc, victim, other, co_parent, child_id, child, enrolment_headers, ids={})
    doctor = world.pro_headers(DOCTOR)
    cross = world.pro_headers(CROSS_DOCTOR)  # authorised on the other holder, not on the victim
    _ok(post(f"/pro/patients/{other['row']['nir']}/authorisations", headers=cross,
             body=json.dumps({"basis": "consent"})), 201)
    _ok(post(f"/pro/patients/{ins}/authorisations", headers=doctor, body=json.dumps({"basis": "consent"})), 201)
    _ok(api.http.put("/espaces/me/administrator", headers=victim["headers"], body=json.dumps({"rpps": DOCTOR})), 204)

    # her own document, the doctor's deposit, the conversation with both attached, an export
    mine = _upload(api, aws, "/espaces/me/documents", victim["headers"], "Ancien bilan", "AUTR_DOC")
    report = _upload(api, aws, f"/pro/patients/{ins}/documents", doctor, "Bilan sanguin", "BIOLOGIE")
    conversation_id = _ok(post(f"/pro/patients/{ins}/conversations", headers=doctor, body=json.dumps(
        {"subject": "Vos résultats", "body": "Bonjour, voici vos résultats.", "attachments": [report]})),
        201).json_body["conversation_id"]
    clock.advance(seconds=1)
    _ok(post(f"/espaces/me/conversations/{conversation_id}/messages", headers=victim["headers"],
             body=json.dumps({"body": "Merci, voici mon ancien bilan.", "attachments": [mine]})), 201)
    export_id = _ok(post("/espaces/me/exports", headers=victim["headers"], body="{}"), 202).json_body["export_id"]

    world.ids.update({"espace_id": victim["espace_id"], "ins": ins, "document_id": mine, "report": report,
                      "conversation_id": conversation_id, "export_id": export_id, "rpps": DOCTOR,
                      "section": "allergies", "child_id": child_id, "representative_id": victim["espace_id"]})
    world.shared = {OWNER: victim["headers"], OTHER: other["headers"], ENROLMENT: enrolment_headers,
                    PS: doctor, PS_NO_AUTH: world.pro_headers("10000000102"),
                    PS_BLOCKED: world.pro_headers("10000000104"), PS_NO_READ: world.pro_headers("10000000105", OPTICIAN),
                    PS_CROSS: cross}
    return world


def _upload(api: Any, aws: Any, path: str, headers: dict, title: str, category: str) -> str:
    r = _ok(api.http.post(path, headers=headers, body=json.dumps(
        {"title": title, "category": category, "filename": "document.pdf", "content_type": "application/pdf",
         "size": len(PDF)})), 201)
    assert flows.upload(r.json_body["upload"], PDF) in (200, 201, 204)
    flows.scan(aws)
    return r.json_body["document"]["id"]


# -- path parameters and bodies per route ----------------------------------------------------------
def path_params(method: str, path: str, world: World, kind: str) -> dict[str, str]:
    ids = dict(world.ids)
    if kind == OTHER_CHILD:
        ids["espace_id"] = ids["child_id"]
    if kind == OTHER_ME:
        ids["espace_id"] = "me"
    if kind == PS_CROSS:
        ids["ins"] = world.other["row"]["nir"]
    if "/representatives" in path and kind != OTHER_ME:
        ids["espace_id"] = ids["child_id"]  # the victim's child's espace, where representatives live
    if path.startswith("/pro/patients/") and path.endswith("{document_id}") and method in ("DELETE", "PATCH"):
        ids["document_id"] = ids["report"]  # a professional's own deposit
    if path.endswith("/attachments/{document_id}/save"):
        ids["document_id"] = ids["report"]  # what the doctor attached, for the holder to save
    if path == "/pro/patients/{ins}/blocks/{rpps}":
        ids["rpps"] = BLOCK_TARGET
    return ids


def body_for(method: str, path: str, world: World) -> dict | None:
    """A valid body for the route, so that a refusal comes from the access check, not validation."""
    other = world.other["row"]
    bodies: dict[tuple[str, str], dict] = {
        ("PATCH", f"{E}/settings"): {"documents_masked_by_default": True},
        ("POST", "/espaces/me/children"): {**{k: world.child_row[k] for k in ("nir", "birth_date", "vitale_serial")},
                                           "code": "AAAAAAAAAAAA"},
        ("POST", f"{E}/representatives"): {"nir": other["nir"], "birth_date": other["birth_date"]},
        ("POST", f"{E}/documents"): {"title": "Intrus", "category": "AUTR_DOC", "filename": "x.pdf",
                                     "content_type": "application/pdf", "size": len(PDF)},
        ("PATCH", f"{E}/documents/{{document_id}}"): {"masked": True},
        ("PUT", f"{E}/administrator"): {"rpps": DOCTOR},
        ("PUT", f"{E}/profile/{{section}}"): {"items": []},
        ("POST", f"{E}/measurements"): {"type": "weight", "measured_at": "2026-03-01T08:00:00Z", "value": 70},
        ("POST", f"{E}/conversations/{{conversation_id}}/messages"): {"body": "Bonjour", "attachments": []},
        ("POST", f"{E}/closure"): {"password": PASSWORD, "delete_data": True},
        ("POST", f"{E}/exports"): {},
        ("POST", f"{P}/authorisations"): {"basis": "consent"},
        ("POST", f"{P}/documents"): {"title": "Compte rendu", "category": "CPT_REND", "filename": "cr.pdf",
                                     "content_type": "application/pdf", "size": len(PDF)},
        ("PATCH", f"{P}/documents/{{document_id}}"): {"hidden_from_representatives": False},
        ("POST", f"{P}/emergency-access"): {"mode": "break_glass", "reason": "Patient inconscient aux urgences"},
        ("POST", f"{P}/conversations"): {"subject": "Bonjour", "body": "Un message."},
        ("POST", "/pro/conversations/{conversation_id}/messages"): {"body": "Bonjour", "attachments": []},
    }
    return bodies.get((method, path))


FORM = "application/x-www-form-urlencoded"


def iti65_body(world: World, headers: dict) -> dict:
    """An ITI-65 transaction on the victim's INS whose contained author is the caller (the token's
    idNatPs, read without checking: the API checks it), so that a refusal comes from the policy."""
    import base64

    import jwt
    token = headers.get("Authorization", " ").split(" ", 1)[1]
    try:
        id_nat_ps = str(jwt.decode(token, options={"verify_signature": False}).get("SubjectNameID", "8"))
    except jwt.PyJWTError:  # a holder's or no token: any author
        id_nat_ps = "8" + DOCTOR
    subject = {"reference": "Patient?identifier=urn:oid:1.2.250.1.213.1.4.8|" + world.ids["ins"]}
    rpps = id_nat_ps[1:]
    document = {"resourceType": "DocumentReference", "status": "current",
                "contained": [{"resourceType": "Practitioner", "id": "ps",
                               "identifier": [{"system": "urn:oid:1.2.250.1.71.4.2.1", "value": "8" + rpps}]}],
                "masterIdentifier": {"system": "urn:ietf:rfc:3986", "value": "urn:oid:1.2.250.1.999.1.1"},
                "type": {"coding": [{"system": "http://loinc.org", "code": "11502-2"}]},
                "category": [{"coding": [{"system": "https://mos.esante.gouv.fr/NOS/TRE_A03-ClasseDocument/FHIR/"
                                                    "TRE-A03-ClasseDocument", "code": "10"}]}],
                "subject": subject, "author": [{"reference": "#ps"}],
                "content": [{"attachment": {"contentType": "application/pdf", "url": "urn:uuid:b", "title": "Bilan"}}]}
    binary = {"resourceType": "Binary", "contentType": "application/pdf", "data": base64.b64encode(PDF).decode()}
    return {"resourceType": "Bundle", "type": "transaction", "entry": [
        {"fullUrl": "urn:uuid:d", "request": {"method": "POST", "url": "DocumentReference"}, "resource": document},
        {"fullUrl": "urn:uuid:b", "request": {"method": "POST", "url": "Binary"}, "resource": binary}]}


def fhir_query(method: str, path: str, world: World) -> str:
    """The FHIR searches' parameters, always on the victim's INS (an unauthorised caller's refusal
    must come from the policy, not from a missing parameter)."""
    from urllib.parse import urlencode
    ins = "urn:oid:1.2.250.1.213.1.4.8|" + world.ids["ins"]
    if path == "/fhir/R4/Patient":
        return urlencode({"identifier": ins})
    if path in ("/fhir/R4/AuditEvent", "/fhir/R4/Consent"):
        return urlencode({"patient.identifier": ins})
    if (method, path) == ("PATCH", "/fhir/R4/DocumentReference"):  # the victim's upload, by masterIdentifier
        d = world.ids["document_id"]
        return urlencode({"identifier": f"urn:ietf:rfc:3986|urn:uuid:{d[:8]}-{d[8:12]}-{d[12:16]}-{d[16:20]}-{d[20:]}"})
    if path.startswith("/fhir/R4/DocumentReference") and "{" not in path:
        return urlencode({"patient.identifier": ins, "status": "current"})
    return ""


# -- running the matrix ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Cell:
    method: str
    path: str
    kind: str
    expected: int
    got: int
    code: str | None

    @property
    def unexpected(self) -> bool:
        return self.got != self.expected

    def __str__(self) -> str:
        return f"{self.method} {self.path} as {self.kind}: expected {self.expected}, got {self.got} ({self.code})"


def inventory() -> list[Any]:
    from mes_local.functions import api_app
    api_app()
    from chalicelib.routing import REGISTRY
    return list(REGISTRY)


def coverage_gaps(routes: list[Any] | None = None) -> tuple[set, set]:
    """(routes without a row, rows without a route)."""
    keys = {(r.method, r.path) for r in (routes if routes is not None else inventory())}
    return keys - set(EXPECTED), set(EXPECTED) - keys


def run_matrix(world: World, routes: list[Any] | None = None) -> list[Cell]:
    routes = routes if routes is not None else inventory()
    last = {key: i + 1 for i, key in enumerate(RUN_LAST)}
    ordered = sorted(routes, key=lambda r: last.get((r.method, r.path), 0))
    cells = []
    for spec in ordered:
        row = EXPECTED[(spec.method, spec.path)]
        for kind in KINDS:
            expected = row[kind]
            if expected is None:
                continue
            path = spec.path.format(**path_params(spec.method, spec.path, world, kind))
            body = body_for(spec.method, spec.path, world)
            try:
                headers = world.headers(kind, spec.auth)
            except SetupFailed as exc:  # an earlier unexpected success broke the victim's world
                cells.append(Cell(spec.method, spec.path, kind, expected, 0, f"setup failed: {exc}"))
                continue
            if (spec.method, spec.path) == ("POST", "/fhir/R4"):
                body = iti65_body(world, headers)
            if spec.method == "PATCH" and spec.path.startswith("/fhir/R4/DocumentReference"):
                headers = {**headers, "Content-Type": "application/json-patch+json"}
                body = [{"op": "replace", "path": "/status", "value": "entered-in-error"}]  # type: ignore[assignment]
            raw = json.dumps(body).encode() if body is not None else b""
            query = fhir_query(spec.method, spec.path, world)
            if query and spec.method == "POST":  # ITI-67 by POST: a form body
                headers, raw = {**headers, "Content-Type": FORM}, query.encode()
            elif query:
                path += "?" + query
            response = world.api.http.request(spec.method, path, headers=headers, body=raw)
            code = None
            if response.status_code >= 400:
                try:
                    answer = json.loads(response.body or b"{}")
                    code = answer.get("code") or answer["issue"][0]["details"]["coding"][0]["code"]
                except (ValueError, KeyError, IndexError):
                    code = None
            cells.append(Cell(spec.method, spec.path, kind, expected, response.status_code, code))
    return cells


# -- the bench figures: a standalone stack, outside pytest -----------------------------------------
@contextmanager
def standalone() -> Iterator[tuple[Any, Any, Any, Any]]:
    """(api client, container, clock, psc) on a fresh moto stack, as tests/conftest.py builds them."""
    saved = dict(os.environ)
    os.environ.update({"AWS_DEFAULT_REGION": "eu-west-3", "AWS_REGION": "eu-west-3", "AWS_ACCESS_KEY_ID": "testing",
                       "AWS_SECRET_ACCESS_KEY": "testing", "POWERTOOLS_LOG_LEVEL": "WARNING",
                       "POWERTOOLS_METRICS_DISABLED": "true"})
    os.environ.pop("AWS_ENDPOINT_URL", None)
    from chalice.test import Client

    from mes_instrument import botocache, motofix
    from mes_local.functions import api_app
    from mes_local.psc import LocalPsc
    from tests.support.stack import moto_container

    motofix.apply()
    botocache.apply()
    clock = FrozenClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    psc = LocalPsc(issuer="http://127.0.0.1:8000/psc-local", audience="mes")
    try:
        with moto_container(clock, psc) as container, Client(api_app().app) as client:
            yield client, container, clock, psc
    finally:
        os.environ.clear()
        os.environ.update(saved)


def figures() -> dict[str, int]:
    """`security.routes` (routes in the inventory), `security.bola_cells` (cells checked) and
    `security.bola_unexpected` (cells whose status differs from the table, routes without a row
    included: target 0)."""
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")  # before the app (and its logger) is imported
    routes = inventory()
    missing, _ = coverage_gaps(routes)
    with standalone() as (api, aws, clock, psc):
        world = build_world(api, aws, clock, psc)
        cells = run_matrix(world, [r for r in routes if (r.method, r.path) in EXPECTED])
    return {"security.routes": len(routes), "security.bola_cells": len(cells),
            "security.bola_unexpected": sum(c.unexpected for c in cells) + len(missing)}


