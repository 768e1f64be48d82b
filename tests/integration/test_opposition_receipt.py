"""`GET /enrolment/opposition/receipt` on moto: the opposition receipt as a French PDF (WEB.md
journey 3, "Télécharger le justificatif"; BR-07 proof, BR-08 never created, BR-09/BR-10 changing
one's mind), read back with pypdf; the raw bytes through Chalice's local server and the Lambda
handler's base64 answer (API Gateway's BinaryMediaTypes)."""

from __future__ import annotations

import base64
import io
import json
import threading
import urllib.error
import urllib.request

import pytest
from pypdf import PdfReader

from mes_instrument import awscount
from tests.integration.test_api_contract import assert_problem, ident, post
from tests.support import flows
from tests.support.leaks import remember

PDF = "application/pdf"
TITLE = "Justificatif d'opposition à la création de Mon espace santé"


@pytest.fixture
def notified(aws, clock):
    rows = flows.people(2, seed=53, department="44")
    for i, row in enumerate(rows):
        row["email"] = f"receipt{i}@example.org"
    flows.population(aws, rows)
    flows.scheduled("wave", clock(), {"department": "44"})
    return rows


def _session(api, aws, row) -> str:
    r = post(api, "/enrolment/sessions", ident(row, code=flows.last_code(aws, row["email"])))
    assert r.status_code == 201, r.body
    remember(r.json_body["enrolment_token"])
    return r.json_body["enrolment_token"]


def _receipt(api, token=None, accept=PDF):
    headers = {"Accept": accept} if accept else {}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return api.http.get("/enrolment/opposition/receipt", headers=headers)


@pytest.fixture
def opposed(api, aws, notified, clock):
    """The first person opposes on 1 April 2026 at 09:07 UTC, 11 h 07 in Paris (summer time, BR-07)."""
    clock.advance(days=30, minutes=7)
    token = _session(api, aws, notified[0])
    r = post(api, "/enrolment/opposition", token=token)
    assert r.status_code == 200, r.body
    return {"row": notified[0], "token": token, "receipt": r.json_body["receipt"]}


def _text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content), strict=True)
    assert reader.metadata.title == TITLE
    return "\n".join(page.extract_text() for page in reader.pages)


def test_the_receipt_is_a_french_pdf_with_its_number_date_and_the_holders_name(api, opposed):
    row, receipt = opposed["row"], opposed["receipt"]
    with awscount.counting() as counter:
        r = _receipt(api, opposed["token"])
    assert r.status_code == 200
    assert r.headers["Content-Type"] == PDF and r.headers["Cache-Control"] == "no-store"
    assert r.headers["Content-Disposition"] == f'attachment; filename="justificatif-opposition-{receipt["id"]}.pdf"'
    assert r.body.startswith(b"%PDF-1.4\n")
    text = _text(r.body)
    assert TITLE in text
    assert f"Numéro du justificatif : {receipt['id']}" in text
    assert receipt["at"].startswith("2026-04-01T09:07")
    assert "Opposition enregistrée le 1er avril 2026 à 11 h 07 (heure de Paris)" in text
    assert f"Titulaire : {row['first_name']} {row['last_name']}" in text
    # what opposition means and how to change one's mind (BR-08, BR-09, BR-10), accents intact
    for words in ("ne sera pas créé automatiquement", "revenir sur votre décision", "demandez un nouveau code",
                  "numéro de série de votre carte Vitale", "3422", "activez votre profil", "L'Assurance Maladie"):
        assert words in " ".join(text.split()), words
    # nothing of the NIR: neither whole, nor its 13 digits without the key
    nir = row["nir"].replace(" ", "")
    assert nir[:13] not in text.replace(" ", "") and nir[:13].encode() not in r.body
    # one DynamoDB read: the token's espace
    assert counter.total == 1 and counter.requests["dynamodb.GetItem"] == 1, counter.requests


def test_a_second_download_gives_the_same_receipt(api, opposed):
    assert _receipt(api, opposed["token"]).body == _receipt(api, opposed["token"]).body


def test_an_espace_that_is_not_opposed_has_no_receipt(api, aws, notified):
    token = _session(api, aws, notified[1])
    body = assert_problem(_receipt(api, token), 409, "not_opposed")
    assert "Aucune opposition" in body["detail"]


def test_without_a_valid_enrolment_token_the_answer_is_the_enrolment_routes_401(api, opposed):
    for token in (None, "not-a-token", opposed["token"][:-4] + "AAAA"):
        refused = assert_problem(_receipt(api, token), 401, "unauthorized")
        assert refused == post(api, "/enrolment/opposition", token=token).json_body


@pytest.mark.parametrize("accept", [None, "*/*", "application/json", "text/html, application/pdf"])
def test_the_pdf_is_answered_only_when_asked_for_first_in_accept(api, opposed, accept):
    """API Gateway decodes a binary body only when the first Accept type is a binary media type."""
    body = assert_problem(_receipt(api, opposed["token"], accept=accept), 406, "not_acceptable")
    assert "Accept: application/pdf" in body["detail"]
    assert _receipt(api, opposed["token"], accept="application/pdf;q=1, */*;q=0.1").status_code == 200


def test_after_changing_their_mind_the_person_keeps_the_receipt_until_activation(api, aws, opposed):
    """BR-07/BR-09/BR-10: a new code opens a new session on the still-opposed espace; once active,
    there is no opposition any more."""
    row = opposed["row"]
    assert post(api, "/enrolment/codes", ident(row, channel="email")).status_code == 202
    token = _session(api, aws, row)
    assert _receipt(api, token).status_code == 200
    r = post(api, "/enrolment/activation", {"email": row["email"], "otp_channel": "email", "login": "rose.receipt",
                                            "password": "une phrase de passe assez longue", "accept_terms": True},
             token)
    assert r.status_code == 202, r.body
    proof = {"challenge_id": r.json_body["challenge_id"], "otp": flows.sent(aws, row["email"], "otp")[-1]["data"]["otp"]}
    assert post(api, "/enrolment/activation/confirm", proof, token).status_code == 201
    assert_problem(_receipt(api, token), 409, "not_opposed")


def test_the_lambda_answers_base64_for_api_gateway_to_decode(aws, opposed):
    """API Gateway (BinaryMediaTypes application~1pdf) receives the bytes base64-encoded."""
    from chalice.local import LambdaContext

    from mes_local.functions import api_app
    event = {"resource": "/enrolment/opposition/receipt", "path": "/enrolment/opposition/receipt",
             "httpMethod": "GET", "headers": {"Accept": PDF, "Authorization": f"Bearer {opposed['token']}"},
             "multiValueHeaders": {}, "queryStringParameters": None, "multiValueQueryStringParameters": None,
             "pathParameters": None,
             "stageVariables": None, "body": None, "isBase64Encoded": False,
             "requestContext": {"resourcePath": "/enrolment/opposition/receipt", "httpMethod": "GET",
                                "requestId": "r-1", "stage": "api"}}
    answer = api_app().app(event, LambdaContext("api", 1024))
    assert answer["statusCode"] == 200 and answer["isBase64Encoded"] is True
    assert TITLE in _text(base64.b64decode(answer["body"]))


def test_the_local_server_sends_the_raw_bytes(aws, opposed):
    """`make run`'s API (Chalice's LocalDevServer) answers the PDF bytes themselves."""
    from mes_local.stack import make_api_server
    server = make_api_server("127.0.0.1", 0, access_log=False)
    thread = threading.Thread(target=server.server.serve_forever, daemon=True)
    thread.start()
    try:
        port = server.server.server_address[1]
        request = urllib.request.Request(f"http://127.0.0.1:{port}/enrolment/opposition/receipt", headers={
            "Accept": PDF, "Authorization": f"Bearer {opposed['token']}"})
        with urllib.request.urlopen(request, timeout=30) as response:
            assert response.headers["Content-Type"] == PDF
            content = response.read()
        assert content.startswith(b"%PDF-1.4") and content.rstrip().endswith(b"%%EOF")
        assert opposed["receipt"]["id"] in _text(content)
        with pytest.raises(urllib.error.HTTPError) as refused:  # no token: the problem+json 401
            urllib.request.urlopen(f"http://127.0.0.1:{port}/enrolment/opposition/receipt", timeout=30)
        assert refused.value.code == 401 and json.loads(refused.value.read())["code"] == "unauthorized"
    finally:
        server.server.shutdown()
        server.server.server_close()
