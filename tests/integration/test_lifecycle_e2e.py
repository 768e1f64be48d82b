"""The foundation's story, end to end on moto, through the real entry points (issue #2)."""

from __future__ import annotations

from datetime import timedelta

from tests.support import flows
from tests.support.leaks import remember


def session(api, person, code):
    return api.http.post("/enrolment/sessions", headers={"Content-Type": "application/json"}, body=_json(
        {"nir": person["nir"], "birth_date": person["birth_date"], "vitale_serial": person["vitale_serial"],
         "code": code}))


def _json(data):
    import json
    return json.dumps(data)


def test_import_wave_oppose_autocreate_activate_login(aws, api, clock):
    # Given four people of department 44, two with an e-mail, two reached by letter
    rows = flows.people(4, seed=7, department="44")
    rows[0]["email"], rows[1]["email"] = "alice@example.org", "bruno@example.org"
    rows[2]["email"] = rows[3]["email"] = ""
    report = flows.population(aws, rows)
    assert report["imported"] == 4 and report["rejected"] == 0

    # When the wave runs for the department (BR-05)
    result = flows.scheduled("wave", clock(), {"department": "44"})
    assert (result["notified_email"], result["notified_letter"]) == (2, 2)
    letters = flows.read_letters(aws)
    assert len(letters) == 2 and all(len(line["code"]) == 12 for line in letters)
    # every print file is encrypted with the project key (SSE-KMS)
    s3 = aws.client("s3")
    for obj in s3.list_objects_v2(Bucket=aws.settings.letters_bucket)["Contents"]:
        head = s3.head_object(Bucket=aws.settings.letters_bucket, Key=obj["Key"])
        assert head["ServerSideEncryption"] == "aws:kms"
        assert head["SSEKMSKeyId"] in (aws.settings.data_key_arn, aws.settings.data_key_arn.split("/")[-1])

    # Alice opposes with her code within the window (BR-07)
    code_a = flows.last_code(aws, "alice@example.org")
    r = session(api, rows[0], code_a)
    assert r.status_code == 201, r.body
    token = r.json_body["enrolment_token"]
    remember(token)
    r = api.http.post("/enrolment/opposition", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200 and r.json_body["status"] == "opposed"
    assert r.json_body["receipt"]["id"].startswith("OPP-")

    # The deadline passes: automatic creation creates Bruno and the letter people, never Alice (BR-08)
    created = flows.scheduled("auto_create", clock() + timedelta(days=43))
    assert created["created"] == 3
    assert aws.espaces.get(_id(aws, rows[0])).status == "opposed"
    assert aws.espaces.get(_id(aws, rows[1])).status == "created"

    # Bruno activates (BR-10) then logs in with password + one-time code (BR-11)
    clock.advance(days=44)
    old_code = flows.last_code(aws, "bruno@example.org")
    assert session(api, rows[1], old_code).status_code == 410  # BR-06: valid 6 weeks
    r = api.http.post("/enrolment/codes", body=_json({
        "nir": rows[1]["nir"], "birth_date": rows[1]["birth_date"], "vitale_serial": rows[1]["vitale_serial"],
        "channel": "email"}))
    assert r.status_code == 202 and "code" not in r.json_body
    code_b = flows.last_code(aws, "bruno@example.org")
    assert code_b != old_code
    r = session(api, rows[1], code_b)
    assert r.status_code == 201, r.body
    etoken = r.json_body["enrolment_token"]
    remember(etoken, "bruno-very-secret-pw")
    r = api.http.post("/enrolment/activation", headers={"Authorization": f"Bearer {etoken}"}, body=_json({
        "email": "bruno@example.org", "otp_channel": "email", "login": "bruno.durand",
        "password": "bruno-very-secret-pw", "accept_terms": True}))
    assert r.status_code == 202, r.body
    otp = [e for e in flows.sent(aws, "bruno@example.org", "otp")][-1]["data"]["otp"]
    r = api.http.post("/enrolment/activation/confirm", headers={"Authorization": f"Bearer {etoken}"},
                      body=_json({"challenge_id": r.json_body["challenge_id"], "otp": otp}))
    assert r.status_code == 201, r.body
    assert r.json_body["espace"]["status"] == "active"

    # The used code cannot serve again
    assert session(api, rows[1], code_b).status_code == 409

    r = api.http.post("/auth/login", body=_json({"login": "bruno.durand", "password": "bruno-very-secret-pw"}))
    assert r.status_code == 202, r.body
    otp = flows.sent(aws, "bruno@example.org", "otp")[-1]["data"]["otp"]
    r = api.http.post("/auth/otp", body=_json({"challenge_id": r.json_body["challenge_id"], "otp": otp}))
    assert r.status_code == 200, r.body
    access = r.json_body["access_token"]
    remember(access)
    r = api.http.get("/espaces/me", headers={"Authorization": f"Bearer {access}"})
    assert r.status_code == 200 and r.json_body["status"] == "active"
    assert "nir" not in r.body.decode()

    # Logout revokes the token
    assert api.http.post("/auth/logout", headers={"Authorization": f"Bearer {access}"}).status_code == 204
    r = api.http.get("/espaces/me", headers={"Authorization": f"Bearer {access}"})
    assert r.status_code == 401 and r.headers["Content-Type"] == "application/problem+json"


def _id(container, row):
    from datetime import date

    from mes.services.population import espace_id_for
    return espace_id_for(container.keys, row["nir"], date.fromisoformat(row["birth_date"]), row["first_name"])
