"""The SMART on FHIR client library (fhirclient 4.4.0) against the real local stack (issue 12):
`python -m mes_local.stack` on free ports, a PS token from `mes pro-token`, real HTTP. It reads the
CapabilityStatement, then pages a DocumentReference search through the absolute `next` links, and
retrieves a document (ITI-68) by a redirect to S3 — the Authorization header is not sent there."""

from __future__ import annotations

import base64
import json
import time
import urllib.request

import pytest
import requests

from mes_local.demo import demo_people
from tests.e2e.test_local_stack import Stack, stack  # noqa: F401 - the module's own local stack
from tests.support import leaks
from tests.support.fhir import valid

INS = "urn:oid:1.2.250.1.213.1.4.8"
RPPS = "10003456789"
CONTENTS = [b"%PDF-1.4\n%% document " + bytes(str(i), "ascii") + b"\n%%EOF\n" for i in range(5)]


@pytest.fixture(scope="module")
def deposited(stack: Stack):  # noqa: F811
    """Camille's consent recorded by a doctor who deposits five PDFs (validated by the stack's scan)."""
    nir = demo_people()[0]["nir"]
    token = stack.mes("pro-token", "--rpps", RPPS, "--profession", "10", "--ttl", "3600").strip().splitlines()[-1]
    leaks.remember(token, nir)
    status, body = stack.http("POST", f"/pro/patients/{nir}/authorisations", {"basis": "consent"}, token=token)
    assert status == 201, body
    for i, content in enumerate(CONTENTS):
        status, body = stack.http("POST", f"/pro/patients/{nir}/documents", {
            "title": f"Compte rendu {i}", "category": "CPT_REND", "filename": f"cr{i}.pdf",
            "content_type": "application/pdf", "size": len(content)}, token=token)
        assert status == 201, body
        form = body["upload"]
        assert requests.post(form["url"], data=form["fields"], files={"file": ("cr.pdf", content)},
                             timeout=30).status_code in (200, 201, 204)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        status, body = stack.http("GET", f"/pro/patients/{nir}/documents?limit=100", token=token)
        if [d["status"] for d in body["items"]] == ["available"] * len(CONTENTS):
            return {"nir": nir, "token": token, "ids": [d["id"] for d in body["items"]],
                    "first": next(d["id"] for d in body["items"] if d["title"] == "Compte rendu 0")}
        time.sleep(0.5)
    pytest.fail(f"the deposits were not validated: {body}\n{stack.logs()}")


def test_fhirclient_reads_metadata_and_pages_a_document_search(stack: Stack, deposited):  # noqa: F811
    from fhirclient import server as fhir_server
    from fhirclient.models.documentreference import DocumentReference

    server = fhir_server.FHIRServer(None, base_uri=stack.api + "/fhir/R4/")
    server.get_capability()  # anonymous
    assert server.capabilityStatement.fhirVersion == "4.0.1"
    # no SMART `oauth-uris`: fhirclient's plain FHIRAuth (no OAuth2 flow, the bearer header is ours)
    from fhirclient.auth import FHIRAuth
    assert type(server.auth) is FHIRAuth and not server.auth.can_sign_headers()
    search = DocumentReference.where(struct={"patient.identifier": f"{INS}|{deposited['nir']}", "status": "current",
                                             "_count": "2"})
    with pytest.raises(fhir_server.FHIRUnauthorizedException):
        list(search.perform_resources_iter(server))
    server.session.headers["Authorization"] = "Bearer " + deposited["token"]
    bundles = list(search.perform_iter(server))
    assert len(bundles) == 3  # 2 + 2 + 1, through the absolute `next` links
    found = [entry.resource for bundle in bundles for entry in bundle.entry or []]
    assert [d.id for d in found] == deposited["ids"]  # newest first, as GET /pro/patients/{ins}/documents
    assert {d.status for d in found} == {"current"}
    assert {d.author[0].reference for d in found} == {"#author"}
    assert {d.contained[0].identifier[0].value for d in found} == {"8" + RPPS}
    for bundle in bundles:
        valid(bundle.as_json())


def test_raw_pages_validate_and_iti68_redirects_without_the_token(stack: Stack, deposited):  # noqa: F811
    headers = {"Authorization": "Bearer " + deposited["token"]}
    url = (f"{stack.api}/fhir/R4/DocumentReference?patient.identifier={INS}|{deposited['nir']}"
           "&status=current&_count=2")
    seen = []
    while url:
        r = requests.get(url, headers=headers, timeout=30)
        assert r.status_code == 200 and r.headers["Content-Type"] == "application/fhir+json"
        bundle = valid(r.json())
        seen += [e["resource"]["id"] for e in bundle["entry"]]
        url = next((link["url"] for link in bundle["link"] if link["relation"] == "next"), None)
        assert url is None or url.startswith(stack.api + "/fhir/R4/")
    assert seen == deposited["ids"]
    document_id = deposited["first"]  # ids of one second are not ordered by time: found by title
    r = requests.get(f"{stack.api}/fhir/R4/Binary/{document_id}", headers=headers, allow_redirects=False, timeout=30)
    assert r.status_code == 302 and r.content == b""
    followed = requests.get(f"{stack.api}/fhir/R4/Binary/{document_id}", headers=headers, timeout=30)
    assert followed.content == CONTENTS[0] and "Authorization" not in followed.request.headers
    r = requests.get(f"{stack.api}/fhir/R4/Binary/{document_id}",
                     headers={**headers, "Accept": "application/fhir+json"}, timeout=30)
    assert base64.b64decode(valid(r.json())["data"]) == CONTENTS[0]
    with urllib.request.urlopen(stack.api + "/fhir/R4/metadata", timeout=10) as response:  # noqa: S310
        assert valid(json.loads(response.read()))["implementation"]["url"] == stack.api + "/fhir/R4"
