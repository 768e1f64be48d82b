"""Professionals and consent on moto through the real routes (issue #4, BR-28 to BR-36)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest

from mes.domain.access import CURRENT_MATRIX, matrix
from mes.domain.documents import CATEGORIES, AuthorType, DocStatus, Document, new_document_id
from tests.support import flows
from tests.support.leaks import remember

DOCTOR, PHARMACIST, NURSE, REGULATOR, OCCUPATIONAL = "10000000001", "10000000002", "10000000003", "10000000004", "10000000005"


@pytest.fixture
def patient(api, aws, clock):
    who = flows.holder(api, aws, clock, seed=81, email="patient@example.org", login="patient.pro")
    remember(who["row"]["nir"])
    return who


def token(psc, clock, rpps, profession, **kw):
    return {**flows.pro_headers(psc, clock, rpps, profession, **kw), "Content-Type": "application/json"}


def seed_documents(aws, espace_id, clock, *, masked=False, hidden=False, author=AuthorType.PATIENT, author_id=None):
    ids = {}
    for i, category in enumerate(CATEGORIES):
        document_id = new_document_id(clock() + timedelta(milliseconds=i))
        aws.documents.create(Document(
            espace_id=espace_id, document_id=document_id, title=f"{category}", category=category, filename="d.pdf",
            content_type="application/pdf", size=10, author_type=author, author_id=author_id or espace_id,
            created_at=clock(), object_key=f"documents/{espace_id}/{document_id}", status=DocStatus.AVAILABLE,
            masked=masked, hidden_from_holder=hidden, hidden_until=clock() + timedelta(days=30) if hidden else None))
        ids[document_id] = category
    return ids


def authorise(api, ins, headers, basis="consent"):
    return api.http.post(f"/pro/patients/{ins}/authorisations", headers=headers, body=json.dumps({"basis": basis}))


def listed_categories(api, ins, headers):
    r = api.http.get(f"/pro/patients/{ins}/documents?limit=100", headers=headers)
    assert r.status_code == 200, r.body
    return sorted(d["category"] for d in r.json_body["items"])


@pytest.mark.parametrize("profession", sorted(matrix(CURRENT_MATRIX)))
def test_visibility_matrix_generated_from_the_matrix_file(api, aws, clock, psc, patient, profession):
    """profession × category × (authorised, not authorised, blocked, masked, hidden, emergency)."""
    ins, espace_id = patient["row"]["nir"], patient["espace_id"]
    plain = seed_documents(aws, espace_id, clock)
    seed_documents(aws, espace_id, clock, masked=True)
    seed_documents(aws, espace_id, clock, hidden=True, author=AuthorType.PRACTITIONER, author_id="19999999999")
    allowed = sorted(matrix(CURRENT_MATRIX)[profession])
    ps = token(psc, clock, "1000000009" + str(len(profession) % 10), profession)

    # not authorised: refused and logged
    r = api.http.get(f"/pro/patients/{ins}/documents", headers=ps)
    assert r.status_code == 403 and r.json_body["code"] == "forbidden"
    # authorised: exactly the matrix row, masked ones excluded; documents hidden from the holder
    # (pending an announcement consultation, BR-26) are hidden from the holder only
    assert authorise(api, ins, ps).status_code == 201
    assert listed_categories(api, ins, ps) == sorted(allowed * 2)
    # emergency (masked allowed by default): the row, masked ones included
    sos = token(psc, clock, REGULATOR, profession)
    assert api.http.post(f"/pro/patients/{ins}/emergency-access", headers=sos,
                         body=json.dumps({"mode": "samu", "reason": "Détresse respiratoire, patient inconscient"})
                         ).status_code == 201
    assert listed_categories(api, ins, sos) == sorted(allowed * 3)
    # blocked: nothing, even with consent, from the very next request
    rpps = "1000000009" + str(len(profession) % 10)
    assert api.http.put(f"/espaces/me/blocks/{rpps}", headers=patient["headers"]).status_code == 204
    r = api.http.get(f"/pro/patients/{ins}/documents", headers=ps)
    assert r.status_code == 403 and r.json_body["code"] == "blocked"
    assert len(plain) == len(CATEGORIES)


def test_the_pharmacist_story_consent_notification_and_access_log(api, aws, clock, psc, patient):
    ins = patient["row"]["nir"]
    seed_documents(aws, patient["espace_id"], clock)
    ph = token(psc, clock, PHARMACIST, "21", structure="750712184", name="Jeanne Officine")
    r = authorise(api, ins, ph)
    assert r.status_code == 201 and r.json_body["first"] is True
    assert authorise(api, ins, ph).json_body["first"] is False
    notices = flows.sent(aws, "patient@example.org", "access-notice")
    assert len(notices) == 1 and set(notices[0]["data"]) == {"first_name", "at"}  # no health data (BR-36)
    assert listed_categories(api, ins, ph) == sorted(["ORD_SOIN", "BIOLOGIE", "CAR_VAC", "SYNTHESE"])
    log = api.http.get("/espaces/me/access-log", headers=patient["headers"]).json_body["items"]
    assert [(e["action"], e["decision"]) for e in log][:1] == [("list", "allowed")]
    assert {e["rpps"] for e in log} == {PHARMACIST} and log[0]["structure"] == "750712184"
    pros = api.http.get("/espaces/me/professionals", headers=patient["headers"]).json_body
    assert pros["items"][0]["rpps"] == PHARMACIST and pros["items"][0]["authorisation"] == "consent"


def test_a_blocked_nurse_is_refused_even_with_consent_and_the_refusal_is_logged(api, aws, clock, psc, patient):
    ins = patient["row"]["nir"]
    nurse = token(psc, clock, NURSE, "60")
    assert authorise(api, ins, nurse).status_code == 201
    assert api.http.put(f"/espaces/me/blocks/{NURSE}", headers=patient["headers"]).status_code == 204
    r = api.http.get(f"/pro/patients/{ins}/documents", headers=nurse)
    assert r.status_code == 403 and r.json_body["code"] == "blocked"
    r = authorise(api, ins, nurse)
    assert r.status_code == 403 and r.json_body["code"] == "blocked"
    log = api.http.get("/espaces/me/access-log", headers=patient["headers"]).json_body["items"]
    assert log[0]["decision"] == "refused:blocked"
    assert api.http.delete(f"/espaces/me/blocks/{NURSE}", headers=patient["headers"]).status_code == 204
    assert api.http.get(f"/pro/patients/{ins}/documents", headers=nurse).status_code == 200


def test_the_administrator_sees_masked_documents_reads_the_log_and_blocks(api, aws, clock, psc, patient):
    ins = patient["row"]["nir"]
    seed_documents(aws, patient["espace_id"], clock, masked=True)
    doctor = token(psc, clock, DOCTOR, "10")
    other = token(psc, clock, "10000000006", "10")
    assert authorise(api, ins, doctor).status_code == 201
    assert listed_categories(api, ins, doctor) == []  # masked: hidden from professionals (BR-25)
    assert api.http.get(f"/pro/patients/{ins}/access-log", headers=doctor).status_code == 403
    assert api.http.put("/espaces/me/administrator", headers=patient["headers"],
                        body=json.dumps({"rpps": DOCTOR})).status_code == 204
    assert listed_categories(api, ins, doctor) == sorted(CATEGORIES)
    assert api.http.get(f"/pro/patients/{ins}/access-log", headers=doctor).json_body["items"]
    assert api.http.put(f"/pro/patients/{ins}/blocks/10000000006", headers=doctor).status_code == 204
    assert authorise(api, ins, other).json_body["code"] == "blocked"


def test_emergency_access_lasts_24_hours_and_respects_the_holders_refusal(api, aws, clock, psc, patient):
    ins = patient["row"]["nir"]
    seed_documents(aws, patient["espace_id"], clock)
    samu = token(psc, clock, REGULATOR, "10")
    body = json.dumps({"mode": "samu", "reason": "Arrêt cardio-respiratoire, patient inconscient"})
    assert api.http.post(f"/pro/patients/{ins}/emergency-access", headers=samu,
                         body=json.dumps({"mode": "samu", "reason": ""})).status_code == 400
    r = api.http.post(f"/pro/patients/{ins}/emergency-access", headers=samu, body=body)
    assert r.status_code == 201 and r.json_body["expires_at"] == (clock() + timedelta(hours=24)).strftime(
        "%Y-%m-%dT%H:%M:%SZ")
    assert listed_categories(api, ins, samu) == sorted(CATEGORIES)
    log = api.http.get("/espaces/me/access-log", headers=patient["headers"]).json_body["items"]
    assert any(e["action"] == "emergency" and e["mode"] == "samu" for e in log)
    clock.advance(hours=24, seconds=1)
    samu = token(psc, clock, REGULATOR, "10")
    assert api.http.get(f"/pro/patients/{ins}/documents", headers=samu).status_code == 403
    # the holder refuses the SAMU mode
    holder = flows.holder(api, aws, clock, seed=82, email="refuses@example.org", login="refuses.samu")
    api.http.patch("/espaces/me/settings", headers=holder["headers"], body=json.dumps({"emergency": {"samu": False}}))
    r = api.http.post(f"/pro/patients/{holder['row']['nir']}/emergency-access", headers=samu, body=body)
    assert r.status_code == 403 and r.json_body["code"] == "emergency_refused"


def test_any_professional_deposits_without_consent_and_the_occupational_physician_reads_only_with_it(
        api, aws, clock, psc, patient):
    ins = patient["row"]["nir"]
    occ = token(psc, clock, OCCUPATIONAL, "10", occupational=True)
    r = api.http.post(f"/pro/patients/{ins}/documents", headers=occ, body=json.dumps({
        "title": "Avis d'aptitude", "category": "CERT_MED", "filename": "aptitude.pdf",
        "content_type": "application/pdf", "size": 20}))
    assert r.status_code == 201, r.body
    document_id = r.json_body["document"]["id"]
    flows.upload(r.json_body["upload"], b"%PDF-1.4\n%%EOF\n")
    flows.scan(aws)
    holder_view = api.http.get(f"/espaces/me/documents/{document_id}", headers=patient["headers"]).json_body
    assert holder_view["status"] == "available" and holder_view["author_type"] == "PRACTITIONER"
    assert flows.sent(aws, "patient@example.org", "new-document")
    # reading needs the express occupational consent (BR-33)
    assert api.http.get(f"/pro/patients/{ins}/documents", headers=occ).status_code == 403
    assert authorise(api, ins, occ, "consent").status_code == 403
    assert authorise(api, ins, occ, "occupational_consent").status_code == 201
    assert api.http.get(f"/pro/patients/{ins}/documents", headers=occ).status_code == 200
    # its own deposit it can withdraw; the holder's documents it cannot delete
    assert api.http.delete(f"/pro/patients/{ins}/documents/{document_id}", headers=occ).status_code == 204
    assert aws.documents.get(patient["espace_id"], document_id).status == "entered-in-error"


def test_a_rejected_deposit_is_shown_to_its_author_only_until_withdrawn(api, aws, clock, psc, patient):
    """BR-23/24/29: the depositing professional sees why its file was refused (no download); the holder
    and any other professional never see it; the author withdraws it. The holder's own rejected upload
    is not shown to professionals either."""
    ins = patient["row"]["nir"]
    doctor, other = token(psc, clock, DOCTOR, "10"), token(psc, clock, "10000000006", "10")
    for ps in (doctor, other):
        assert authorise(api, ins, ps).status_code == 201
    r = api.http.post(f"/pro/patients/{ins}/documents", headers=doctor, body=json.dumps({
        "title": "Compte rendu", "category": "CPT_REND", "filename": "cr.pdf",
        "content_type": "application/pdf", "size": 40}))
    assert r.status_code == 201, r.body
    rejected_id = r.json_body["document"]["id"]
    flows.upload(r.json_body["upload"], b"<html><body>pas un PDF</body></html>")
    r = api.http.post("/espaces/me/documents", headers=patient["headers"], body=json.dumps({
        "title": "Ordonnance", "category": "ORD_SOIN", "filename": "o.txt", "content_type": "text/plain",
        "size": 70}))
    holders_id = r.json_body["document"]["id"]
    from mes.domain.documents import EICAR
    flows.upload(r.json_body["upload"], EICAR)
    flows.scan(aws)

    got = api.http.get(f"/pro/patients/{ins}/documents/{rejected_id}", headers=doctor)
    assert got.status_code == 200, got.body
    assert (got.json_body["status"], got.json_body["rejection_reason"], got.json_body["download"]) == (
        "rejected", "Le fichier n'est pas un PDF valide.", None)
    listed = api.http.get(f"/pro/patients/{ins}/documents", headers=doctor).json_body["items"]
    assert [d["id"] for d in listed] == [rejected_id]  # not the holder's rejected upload
    # nobody else: another professional, the holder
    assert api.http.get(f"/pro/patients/{ins}/documents/{rejected_id}", headers=other).status_code == 404
    assert api.http.get(f"/pro/patients/{ins}/documents", headers=other).json_body["items"] == []
    assert api.http.get(f"/pro/patients/{ins}/documents/{holders_id}", headers=other).status_code == 404
    assert api.http.get(f"/espaces/me/documents/{rejected_id}", headers=patient["headers"]).status_code == 404
    mine = api.http.get("/espaces/me/documents", headers=patient["headers"]).json_body["items"]
    assert [(d["id"], d["status"]) for d in mine] == [(holders_id, "rejected")]
    # the author withdraws it: gone for the author too
    assert api.http.delete(f"/pro/patients/{ins}/documents/{rejected_id}", headers=doctor).status_code == 204
    assert api.http.get(f"/pro/patients/{ins}/documents/{rejected_id}", headers=doctor).status_code == 404
    assert api.http.get(f"/pro/patients/{ins}/documents", headers=doctor).json_body["items"] == []


def test_tokens_are_not_interchangeable_and_forgeries_are_refused(api, aws, clock, psc, patient):
    ins = patient["row"]["nir"]
    pharmacist = token(psc, clock, PHARMACIST, "21")
    for path in ("/espaces/me", "/espaces/me/documents"):
        assert api.http.get(path, headers=pharmacist).status_code == 401
    assert api.http.get(f"/pro/patients/{ins}/documents", headers=patient["headers"]).status_code == 401
    expired = token(psc, clock, PHARMACIST, "21")
    clock.advance(hours=2)
    assert api.http.get(f"/pro/patients/{ins}/documents", headers=expired).status_code == 401


def test_one_log_record_per_action_under_duplicated_requests(api, aws, clock, psc, patient):
    ins = patient["row"]["nir"]
    ph = token(psc, clock, PHARMACIST, "21")
    authorise(api, ins, ph)
    before = len(api.http.get("/espaces/me/access-log", headers=patient["headers"]).json_body["items"])
    retried = {**ph, "Idempotency-Key": "b7c2f1d0-retry-1"}
    for _ in range(3):
        assert api.http.get(f"/pro/patients/{ins}/documents", headers=retried).status_code == 200
    after = api.http.get("/espaces/me/access-log", headers=patient["headers"]).json_body["items"]
    assert len(after) == before + 1


def test_only_a_physician_may_be_designated_administrator(api, aws, clock, psc, patient):
    """BR-32: the administrator is the former DMP "médecin traitant": a physician, as its authorisation
    recorded its profession — neither another profession nor the occupational physician (BR-33)."""
    ins = patient["row"]["nir"]
    assert authorise(api, ins, token(psc, clock, PHARMACIST, "21"), basis="care_team").status_code == 201
    assert authorise(api, ins, token(psc, clock, OCCUPATIONAL, "10", occupational=True),
                     basis="occupational_consent").status_code == 201
    assert authorise(api, ins, token(psc, clock, DOCTOR, "10")).status_code == 201
    for refused in (PHARMACIST, OCCUPATIONAL):
        r = api.http.put("/espaces/me/administrator", headers=patient["headers"], body=json.dumps({"rpps": refused}))
        assert (r.status_code, r.json_body["code"], r.json_body["field"]) == (400, "validation_error", "rpps")
        assert r.json_body["detail"].startswith("Seul un médecin peut être désigné médecin administrateur")
    assert api.http.put("/espaces/me/administrator", headers=patient["headers"],
                        body=json.dumps({"rpps": DOCTOR})).status_code == 204
    listed = api.http.get("/espaces/me/professionals", headers=patient["headers"]).json_body
    assert listed["administrator"] == DOCTOR
    assert [p["rpps"] for p in listed["items"] if p["administrator"]] == [DOCTOR]


def test_a_retry_seconds_or_a_day_later_writes_no_second_log_record_or_notice(api, aws, clock, psc, patient):
    """BR-35: the record is keyed on the request (PS + Idempotency-Key), not on its time: a retry that
    arrives 5 s later, or after midnight, finds it; another PS with the same key has its own record."""
    ins = patient["row"]["nir"]
    assert authorise(api, ins, token(psc, clock, PHARMACIST, "21")).status_code == 201
    assert api.http.put("/espaces/me/administrator", headers=patient["headers"],
                        body=json.dumps({"rpps": DOCTOR})).status_code == 204

    def log():  # what GET /espaces/me/access-log answers (the holder's token would expire as the clock moves)
        return aws.access.read_log(patient["espace_id"], 100, None).items

    clock.now = clock().replace(hour=23, minute=59, second=50)
    before = len(log())
    first_at = clock().strftime("%Y-%m-%dT%H:%M:%SZ")
    for step in (0, 5, 20):  # the first request, +5 s, then past midnight (the next day)
        clock.advance(seconds=step)
        retried = {**token(psc, clock, PHARMACIST, "21"), "Idempotency-Key": "list-5e1d"}
        assert api.http.get(f"/pro/patients/{ins}/documents", headers=retried).status_code == 200
    assert clock().day != datetime.fromisoformat(first_at.replace("Z", "+00:00")).day
    entries = log()
    assert len(entries) == before + 1
    assert entries[0]["at"] == first_at and entries[0]["action"] == "list" and entries[0]["rpps"] == PHARMACIST

    # another professional reusing the same key is another request: its own record, newest first
    clock.advance(seconds=3)
    assert authorise(api, ins, token(psc, clock, NURSE, "60")).status_code == 201
    nurse = {**token(psc, clock, NURSE, "60"), "Idempotency-Key": "list-5e1d"}
    assert api.http.get(f"/pro/patients/{ins}/documents", headers=nurse).status_code == 200
    entries = log()
    assert len(entries) == before + 3
    assert [(e["rpps"], e["action"]) for e in entries[:3]] == [(NURSE, "list"), (NURSE, "authorisation"),
                                                               (PHARMACIST, "list")]

    # an emergency access retried 5 s and then a day later: one record, one notice for the administrator
    body = json.dumps({"mode": "samu", "reason": "Détresse respiratoire, patient inconscient"})
    opened_at = clock().strftime("%Y-%m-%dT%H:%M:%SZ")
    for step in (0, 5, 86400):
        clock.advance(seconds=step)
        samu = {**token(psc, clock, REGULATOR, "10"), "Idempotency-Key": "emergency-77"}
        assert api.http.post(f"/pro/patients/{ins}/emergency-access", headers=samu, body=body).status_code == 201
    emergencies = [e for e in log() if e["action"] == "emergency"]
    assert [(e["at"], e["rpps"]) for e in emergencies] == [(opened_at, REGULATOR)]
    notices = api.http.get("/pro/notifications", headers=token(psc, clock, DOCTOR, "10")).json_body["items"]
    assert [n["at"] for n in notices] == [opened_at]
    # the request markers are remembered a week (TTL), never less
    Item = aws.access.Item
    markers = list(Item.query(patient["espace_id"], Item.sk.startswith("request#")))
    opened = datetime.fromisoformat(opened_at.replace("Z", "+00:00"))
    assert markers and min(m.expires for m in markers if m.at == opened_at) >= (opened + timedelta(days=7)).timestamp()


def test_a_key_reused_for_a_different_outcome_keeps_every_record(api, aws, clock, psc, patient):
    """BR-35: the key spares a retry, never an event. Refused, then retried with the same key once the
    holder consented: both records. A deposit retried with the same key (a second document): two records."""
    ins = patient["row"]["nir"]
    key = {"Idempotency-Key": "same-key-3c9"}
    r = api.http.get(f"/pro/patients/{ins}/documents", headers={**token(psc, clock, PHARMACIST, "21"), **key})
    assert r.status_code == 403
    clock.advance(seconds=5)
    assert authorise(api, ins, token(psc, clock, PHARMACIST, "21")).status_code == 201
    clock.advance(seconds=5)
    r = api.http.get(f"/pro/patients/{ins}/documents", headers={**token(psc, clock, PHARMACIST, "21"), **key})
    assert r.status_code == 200
    body = json.dumps({"title": "Ordonnance", "category": "ORD_SOIN", "filename": "o.pdf",
                       "content_type": "application/pdf", "size": 20})
    deposited = []
    for _ in range(2):
        clock.advance(seconds=5)
        r = api.http.post(f"/pro/patients/{ins}/documents", headers={**token(psc, clock, DOCTOR, "10"), **key},
                          body=body)
        assert r.status_code == 201
        deposited.append(r.json_body["document"]["id"])
    log = aws.access.read_log(patient["espace_id"], 100, None).items
    assert [(e["rpps"], e["action"], e["decision"], e["target"]) for e in log] == [
        (DOCTOR, "deposit", "allowed", deposited[1]), (DOCTOR, "deposit", "allowed", deposited[0]),
        (PHARMACIST, "list", "allowed", None), (PHARMACIST, "authorisation", "allowed", "consent"),
        (PHARMACIST, "list", "refused:forbidden", None)]


def test_unknown_or_not_created_patients_are_404(api, aws, clock, psc):
    ph = token(psc, clock, PHARMACIST, "21")
    assert api.http.get("/pro/patients/269054958815780/documents", headers=ph).status_code == 404
    assert api.http.get("/pro/patients/123/documents", headers=ph).status_code == 400


def test_a_profession_without_a_matrix_row_reads_nothing(api, aws, clock, psc, patient):
    """BR-29/35: no row, no access — and nobody but professionals holds a token the API accepts."""
    ins = patient["row"]["nir"]
    seed_documents(aws, patient["espace_id"], clock)
    optician = token(psc, clock, "10000000007", "28")
    assert authorise(api, ins, optician).status_code == 201
    assert listed_categories(api, ins, optician) == []
    unknown = token(psc, clock, "10000000008", "99")
    assert authorise(api, ins, unknown).status_code == 201
    assert listed_categories(api, ins, unknown) == []


def test_consent_withdrawn_takes_effect_on_the_very_next_request(api, aws, clock, psc, patient):
    ins = patient["row"]["nir"]
    ph = token(psc, clock, PHARMACIST, "21")
    assert authorise(api, ins, ph).status_code == 201
    assert api.http.get(f"/pro/patients/{ins}/documents", headers=ph).status_code == 200
    assert api.http.delete(f"/espaces/me/professionals/{PHARMACIST}", headers=patient["headers"]).status_code == 204
    r = api.http.get(f"/pro/patients/{ins}/documents", headers=ph)
    assert r.status_code == 403 and r.json_body["code"] == "forbidden"
    # unlike a block, the professional may record the holder's consent again
    assert authorise(api, ins, ph).json_body["first"] is True


def test_the_administrator_is_told_of_an_emergency_access_once_per_request(api, aws, clock, psc, patient):
    """BR-34: the holder and the administrator professional are notified afterwards."""
    ins = patient["row"]["nir"]
    doctor, samu = token(psc, clock, DOCTOR, "10"), token(psc, clock, REGULATOR, "10")
    body = json.dumps({"mode": "break_glass", "reason": "Patient inconscient aux urgences"})
    # no administrator yet: nobody's notices change
    assert api.http.post(f"/pro/patients/{ins}/emergency-access", headers=samu, body=body).status_code == 201
    assert api.http.get("/pro/notifications", headers=doctor).json_body == {"items": [], "next_cursor": None}
    assert api.http.put("/espaces/me/administrator", headers=patient["headers"],
                        body=json.dumps({"rpps": DOCTOR})).status_code == 204
    clock.advance(minutes=5)
    retried = {**samu, "Idempotency-Key": "emergency-42"}
    for _ in range(2):  # the same request retried: one notice
        r = api.http.post(f"/pro/patients/{ins}/emergency-access", headers=retried, body=body)
        assert r.status_code == 201
    notices = api.http.get("/pro/notifications", headers=doctor).json_body["items"]
    assert notices == [{"at": clock().strftime("%Y-%m-%dT%H:%M:%SZ"), "kind": "emergency_access",
                        "mode": "break_glass", "until": r.json_body["expires_at"],
                        "patient": {"first_name": patient["row"]["first_name"],
                                    "last_name": patient["row"]["last_name"],
                                    "birth_date": patient["row"]["birth_date"]},
                        "by": {"rpps": REGULATOR, "profession": "10", "structure": notices[0]["by"]["structure"],
                               "name": notices[0]["by"]["name"]}}]
    assert ins not in json.dumps(notices)  # never the NIR
    # the holder was told too (BR-36), and the regulator's own notices are its own
    assert flows.sent(aws, "patient@example.org", "access-notice")
    assert api.http.get("/pro/notifications", headers=samu).json_body["items"] == []
    assert api.http.get("/pro/notifications?limit=0", headers=doctor).status_code == 400


def test_a_retried_read_tells_the_holder_once(api, aws, clock, psc, patient):
    """BR-36 with BR-35: the holder's access e-mail follows the log record, so a PS's retried request
    (same Idempotency-Key, seconds later) tells the holder once; a new request tells them again."""
    ins = patient["row"]["nir"]
    seed_documents(aws, patient["espace_id"], clock)
    assert authorise(api, ins, token(psc, clock, PHARMACIST, "21")).status_code == 201
    before = len(flows.sent(aws, "patient@example.org", "access-notice"))
    for step in (0, 5):
        clock.advance(seconds=step)
        retried = {**token(psc, clock, PHARMACIST, "21"), "Idempotency-Key": "list-once"}
        assert api.http.get(f"/pro/patients/{ins}/documents", headers=retried).status_code == 200
    assert len(flows.sent(aws, "patient@example.org", "access-notice")) == before + 1
    again = {**token(psc, clock, PHARMACIST, "21"), "Idempotency-Key": "list-twice"}
    assert api.http.get(f"/pro/patients/{ins}/documents", headers=again).status_code == 200
    assert len(flows.sent(aws, "patient@example.org", "access-notice")) == before + 2


def test_the_holder_reads_who_deposited_a_document(api, aws, clock, psc, patient):
    """WEB.md 7 (issue 11): a professional's deposit shows its author to the holder — the name and
    profession its Pro Santé Connect token gave at deposit time (BR-28); the holder's own upload has none."""
    ins = patient["row"]["nir"]
    doctor = token(psc, clock, DOCTOR, "10", name="Dr Claire Martin")
    r = api.http.post(f"/pro/patients/{ins}/documents", headers=doctor, body=json.dumps({
        "title": "Compte rendu", "category": "CPT_REND", "filename": "cr.pdf",
        "content_type": "application/pdf", "size": 20}))
    assert r.status_code == 201, r.body
    flows.upload(r.json_body["upload"], b"%PDF-1.4\n%%EOF\n")
    r = api.http.post("/espaces/me/documents", headers=patient["headers"], body=json.dumps({
        "title": "Ordonnance", "category": "ORD_SOIN", "filename": "o.pdf", "content_type": "application/pdf",
        "size": 15}))
    flows.upload(r.json_body["upload"], b"%PDF-1.4\n%%EOF\n")
    flows.scan(aws)
    listed = api.http.get("/espaces/me/documents", headers=patient["headers"]).json_body["items"]
    authors = {d["title"]: (d["author_type"], d["author_name"], d["author_profession"]) for d in listed}
    assert authors == {"Compte rendu": ("PRACTITIONER", "Dr Claire Martin", "10"),
                       "Ordonnance": ("PATIENT", None, None)}
