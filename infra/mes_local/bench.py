"""`make bench`: the figures of the README, one `name: value` line each, printed (and flushed) as
soon as each is measured, then `bench.seconds: N` (the whole run, wall clock).

Costs are counted, not timed: AWS requests and DynamoDB items go through a botocore event hook
(mes_instrument.awscount), so they are what AWS would bill and do not drift on a noisy machine.
Runs on moto in-process (mock_aws).

`FIGURES` is the ordered list of figure functions. Each takes the `Bench` (its sizes and its
stacks) and returns `{name: value}`. Most share one provisioned stack (each uses espaces of its
own; the automatic-creation and retention figures add their populations to the same espaces table,
which makes the "not due" crowd larger, never smaller); the wave gets a fresh stack whose table
holds only the people it notifies. Set-up data are written straight into moto's tables (no request,
nothing counted); what is measured goes through the real handlers, repositories and clients.

Figures from other modules: add one line to `EXTRA_FIGURES` (name, callable or "module:function"
returning `{name: value}`), e.g. `("deploy", "mes_local.deploy_check:figures")`, or call
`register("deploy", figures)` before `main()`. They run after the core figures, outside moto.

`python -m mes_local.bench --only wave retention` runs some figures only (`--list` names them);
`--tiny` runs every figure on tiny populations (a smoke test: not the README's figures)."""

from __future__ import annotations

import argparse
import functools
import importlib
import os
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from mes_instrument import awscount

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
REGION = "eu-west-3"


def _fake_env() -> None:
    os.environ.update({"AWS_DEFAULT_REGION": REGION, "AWS_REGION": REGION,
                       "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench"})
    os.environ.pop("AWS_ENDPOINT_URL", None)
    _quiet()


def _quiet() -> None:
    os.environ.update({"POWERTOOLS_LOG_LEVEL": "WARNING", "POWERTOOLS_METRICS_DISABLED": "true"})


@dataclass(frozen=True)
class Sizes:
    """The populations. Per-item ratios (retention) use a smaller N than totals; the output says N."""

    wave_people: int = 10_000
    autocreate_due: int = 1_000
    autocreate_small_not_due: int = 5_000  # the first run: 1,000 due among 6,000 notified
    autocreate_not_due: int = 19_000  # the second run: 1,000 due among 20,000 notified
    retention_due: int = 200
    retention_closed_not_due: int = 2_000  # closed, deletion or archive later (+ every espace already there)
    documents: int = 120
    pro_documents: int = 200
    pro_others: int = 50
    measurement_days: int = 200
    messages: int = 120
    conversations: int = 20
    import_runs: int = 5


TINY = Sizes(wave_people=150, autocreate_due=30, autocreate_small_not_due=40, autocreate_not_due=100,
             retention_due=5, retention_closed_not_due=20, documents=60, pro_documents=60, pro_others=3,
             measurement_days=60, messages=60, conversations=2, import_runs=1)


@contextmanager
def stack(psc: Any = None) -> Any:
    """A moto account with every resource of template.yaml; with `psc`, its keys pinned as the
    trusted Pro Santé Connect JWKS (after provisioning, whose env carries the template's empty one)."""
    import json

    import boto3
    from moto import mock_aws

    from mes_local.provision import provision
    with mock_aws():
        env = provision(boto3.session.Session(region_name=REGION))["env"]
        os.environ.update(env)
        _quiet()  # the template says INFO: stdout is for the figures
        if psc is not None:
            os.environ.update({"PSC_ISSUER": psc.issuer, "PSC_AUDIENCE": psc.audience,
                               "PSC_JWKS": json.dumps(psc.jwks())})
        yield


def fresh_container(clock: Callable[[], datetime] = lambda: NOW) -> Any:
    """A cold container, as a new Lambda instance would have (secret and key fetched again)."""
    from mes.bootstrap import Container, set_container
    from mes.settings import Settings
    container = Container(Settings.from_env(), clock=clock)
    set_container(container)
    return container


def scheduled_event(at: datetime, detail: dict | None = None) -> dict[str, Any]:
    return {"version": "0", "id": str(uuid.uuid4()), "detail-type": "Scheduled Event", "source": "aws.events",
            "account": "123456789012", "time": at.strftime("%Y-%m-%dT%H:%M:%SZ"), "region": REGION,
            "resources": [], "detail": detail or {}}


class Bench:
    """The sizes, the shared stack (provisioned once, on first use) and what was seeded in it."""

    def __init__(self, sizes: Sizes = Sizes()):
        from mes_local.psc import LocalPsc
        self.sizes = sizes
        self.psc = LocalPsc(issuer="https://psc.bench", audience="mes")
        self.espaces = 0  # espaces in the shared stack's table
        self.notified_not_due = 0  # of which notified, opposition deadline not passed at NOW
        self._shared: ExitStack | None = None

    def shared(self) -> Any:
        """A cold container on the shared stack."""
        if self._shared is None:
            self._shared = ExitStack()
            self._shared.enter_context(stack(self.psc))
        return fresh_container()

    def close(self) -> None:
        if self._shared is not None:
            self._shared.close()
            self._shared = None
            self.espaces = self.notified_not_due = 0

    def seed(self, container: Any, espaces: list[Any]) -> None:
        _seed(container, espaces)
        self.espaces += len(espaces)


# -------------------------------------------------------------------------------------------------
# Set-up (not measured, not counted)
# -------------------------------------------------------------------------------------------------
def _seed(container: Any, espaces: list[Any]) -> None:
    """Espaces written straight into moto's table as the repository writes them (same item, same
    index attributes), without a request: set-up only, ~20 times faster than through boto."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends
    repo = container.espaces
    backend = dynamodb_backends[DEFAULT_ACCOUNT_ID][REGION]
    table = repo.Espace.Meta.table_name
    for espace in espaces:
        backend.put_item(table, repo.to_model(espace, 1).serialize())
        espace.version = 1


class _Seeder:
    """The population import's repository for set-up: new espaces go straight into moto."""

    def __init__(self, bench: Bench | None, container: Any):
        self.bench, self.container = bench, container

    def add_new(self, espaces: list[Any]) -> int:
        if self.bench is not None:
            self.bench.seed(self.container, list(espaces))
        else:
            _seed(self.container, list(espaces))
        return len(espaces)

    def find_by_nir(self, nir_hmac: str) -> list[Any]:
        return self.container.espaces.find_by_nir(nir_hmac)


def _import(container: Any, count: int, seed: int, department: str = "44") -> None:
    """Pending people as the population import makes them (its parsing and rules), seeded."""
    from mes.services.population import import_population
    from mes_local.population import generate
    rows = generate(count, seed=seed, department=department, email_ratio=0.5)
    report = import_population(list(enumerate(rows, start=2)), repo=_Seeder(None, container), keys=container.keys,
                               now=NOW)
    assert report.imported == count, report.as_dict()


def _notified(bench: Bench, container: Any, count: int, seed: int, notified_at: datetime) -> list[Any]:
    """Notified espaces (set-up only)."""
    import random
    from datetime import date

    from mes.domain.espace import Espace, notify
    from mes.services.population import espace_id_for
    from mes_local.population import make_person
    rng = random.Random(seed)
    espaces = []
    for i in range(count):
        row = make_person(rng, i, "44")
        birth = date.fromisoformat(row["birth_date"])
        espace = Espace(espace_id=espace_id_for(container.keys, row["nir"], birth, row["first_name"]),
                        nir_hmac=container.keys.nir_hmac(row["nir"]), birth_date=birth,
                        vitale_hmac=container.keys.vitale_hmac(row["vitale_serial"]), first_name=row["first_name"],
                        last_name=row["last_name"], department="44", email=row["email"] or None,
                        address=row["address"])
        espaces.append(notify(espace, notified_at))
    bench.seed(container, espaces)
    return espaces


def _holder(container: Any) -> tuple[str, dict[str, str]]:
    """An active espace and a holder token for it (set-up only)."""
    from mes.domain.espace import Espace, Status
    espace = Espace(espace_id=str(uuid.uuid4()), nir_hmac="bench", birth_date=NOW.date().replace(year=1980),
                    vitale_hmac="bench", first_name="Bench", last_name="Holder", department="44",
                    status=Status.ACTIVE, email="bench@example.org")
    container.espaces.add_new([espace])
    token = container.tokens.sign({"aud": "mes-holder", "sub": espace.espace_id, "jti": uuid.uuid4().hex,
                                   "iat": int(NOW.timestamp()), "exp": int(NOW.timestamp()) + 900})
    return espace.espace_id, {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}


# -------------------------------------------------------------------------------------------------
# Figures
# -------------------------------------------------------------------------------------------------
def cold_import_ratio(bench: Bench) -> dict[str, float]:
    """Median of N fresh interpreters: `import app` ÷ `import chalice, boto3`, with the functions'
    environment of the template (as in Lambda; no moto involved in the interpreters)."""
    from mes_local.functions import FUNCTIONS
    bench.shared()  # the provisioned stack's function environment, in os.environ
    api = str(FUNCTIONS / "api")
    snippet = "import time; t=time.perf_counter(); {stmt}; print(time.perf_counter()-t)"

    def median(stmt: str) -> float:
        times = []
        for _ in range(bench.sizes.import_runs):
            out = subprocess.run([sys.executable, "-c", snippet.format(stmt=stmt)], cwd=api, check=True,
                                 capture_output=True, text=True, env={**os.environ, "PYTHONPATH": api})
            times.append(float(out.stdout.strip().splitlines()[-1]))
        return statistics.median(times)

    baseline = median("import chalice, boto3")
    app = median("import app")
    return {"api.cold_import_ratio": round(app / baseline, 2), "api.cold_import_ms": round(app * 1000, 1),
            "api.cold_import_baseline_ms": round(baseline * 1000, 1)}


def documents_figures(bench: Bench) -> dict[str, Any]:
    import json

    import requests
    from chalice.test import Client

    from mes.domain.documents import AuthorType, DocStatus, Document, new_document_id
    from mes_local.functions import api_app
    from mes_local.queues import drain
    figures: dict[str, Any] = {}
    container = bench.shared()
    espace_id, headers = _holder(container)
    for i in range(bench.sizes.documents):
        document_id = new_document_id(NOW + timedelta(seconds=i))
        container.documents.create(Document(
            espace_id=espace_id, document_id=document_id, title=f"doc {i}", category="BIOLOGIE",
            filename="a.pdf", content_type="application/pdf", size=10, author_type=AuthorType.PATIENT,
            author_id=espace_id, created_at=NOW, object_key=f"documents/{espace_id}/{document_id}",
            status=DocStatus.AVAILABLE))
    with Client(api_app().app) as client:
        with awscount.counting() as counter:
            page = client.http.get("/espaces/me/documents?limit=50", headers=headers).json_body
        assert len(page["items"]) == 50
        figures["documents.list_requests_per_page"] = counter.requests["dynamodb.Query"]
        figures["documents.list_dynamodb_requests_per_page_with_auth"] = counter.by_service("dynamodb")

        # Real uploads through presigned POSTs, then the validation function.
        content = b"%PDF-1.4\n" + b"x" * 200_000
        with awscount.counting() as counter:
            for i in range(5):
                r = client.http.post("/espaces/me/documents", headers=headers, body=json.dumps({
                    "title": f"upload {i}", "category": "BIOLOGIE", "filename": "b.pdf",
                    "content_type": "application/pdf", "size": len(content)}))
                form = r.json_body["upload"]
                requests.post(form["url"], data=form["fields"], files={"file": ("b.pdf", content)}, timeout=30)
            api_bytes = sum(counter.object_bytes.values())
        with awscount.counting() as counter:
            drain(container.client("sqs"), container.settings.document_scan_queue_url, "document_scan")
        from mes.adapters.s3_documents import HEAD_BYTES
        beyond_header = max(0, counter.object_bytes["GetObject"] - 5 * HEAD_BYTES)
        figures["documents.bytes_through_lambda"] = api_bytes + beyond_header
        figures["documents.validation_bytes_read_per_document"] = counter.object_bytes["GetObject"] // 5
    return figures


def _pro_patient(bench: Bench, container: Any, seed: int = 5) -> tuple[str, Any, dict[str, str]]:
    """A patient with `pro_documents` available documents and `pro_others` + 1 authorised PS; the NIR,
    the espace and the headers of the last PS (a médecin)."""
    import random

    from mes.domain.documents import AuthorType, DocStatus, Document, new_document_id
    from mes.domain.espace import Espace, Status
    from mes_local.population import make_nir
    nir = make_nir(random.Random(seed), NOW.date().replace(year=1980), "44")
    espace = Espace(espace_id=str(uuid.uuid4()), nir_hmac=container.keys.nir_hmac(nir),
                    birth_date=NOW.date().replace(year=1980), vitale_hmac="bench", first_name="Bench",
                    last_name="Patient", department="44", status=Status.ACTIVE, email="patient@example.org")
    container.espaces.add_new([espace])
    for i in range(bench.sizes.pro_documents):
        document_id = new_document_id(NOW + timedelta(seconds=i))
        container.documents.create(Document(
            espace_id=espace.espace_id, document_id=document_id, title="t", category="BIOLOGIE",
            filename="a.pdf", content_type="application/pdf", size=10, author_type=AuthorType.PATIENT,
            author_id=espace.espace_id, created_at=NOW, object_key=f"documents/{espace.espace_id}/{document_id}",
            status=DocStatus.AVAILABLE))
    for n in range(bench.sizes.pro_others):
        container.access.put_authorisation(espace.espace_id, f"2{n:010d}", "consent", {}, NOW)
    container.access.put_authorisation(espace.espace_id, "10000000042", "consent", {}, NOW)
    return nir, espace, {"Authorization": f"Bearer {bench.psc.issue('10000000042', '10', now=NOW)}"}


def pro_list_requests(bench: Bench) -> dict[str, Any]:
    """DynamoDB requests for one authorised professional listing (patient lookup, grants, list, log)."""
    from chalice.test import Client

    from mes_local.functions import api_app
    container = bench.shared()
    nir, _, headers = _pro_patient(bench, container)
    with Client(api_app().app) as client, awscount.counting() as counter:
        page = client.http.get(f"/pro/patients/{nir}/documents?limit=50", headers=headers).json_body
    assert len(page["items"]) == 50, page
    return {"pro.list_requests": counter.by_service("dynamodb")}


def fhir_figures(bench: Bench) -> dict[str, Any]:
    """The FHIR facade (issue 12), on the same kind of patient as `pro.list_requests`: DynamoDB
    requests for an ITI-67 page of 50 (the same four: patient, grants, list, log), the bytes an ITI-68
    retrieve puts through Lambda (a 302 to a presigned GET: 0), the write side's AWS requests
    (`fhir_write_figures`: ITI-65 per document, PCH-01 per Observation, and each one's fixed part), and
    the answers fhir.resources (R4B) or fhirclient (R4) refuse among every answer of the run (metadata,
    search pages, read, Binary, Patient, errors, transaction-responses)."""
    from chalice.test import Client

    from mes_local.functions import api_app
    from tests.support.fhir import problems
    container = bench.shared()
    nir, espace, headers = _pro_patient(bench, container, seed=6)
    query = f"/fhir/R4/DocumentReference?patient.identifier=urn:oid:1.2.250.1.213.1.4.8|{nir}&status=current&_count=50"
    answers = []
    with Client(api_app().app) as client:
        with awscount.counting() as counter:
            first = client.http.get(query, headers=headers)
        answers.append(first.json_body)
        assert len(first.json_body["entry"]) == 50, first.json_body
        document_id = first.json_body["entry"][0]["resource"]["id"]
        container.client("s3").put_object(Bucket=container.settings.documents_bucket,
                                          Key=f"documents/{espace.espace_id}/{document_id}", Body=b"%PDF-1.4\n%%EOF\n")
        with awscount.counting() as retrieve:
            redirect = client.http.get(f"/fhir/R4/Binary/{document_id}", headers=headers)
        assert redirect.status_code == 302
        next_url = next(link["url"] for link in first.json_body["link"] if link["relation"] == "next")
        for path, extra in ((next_url.split("/fhir/R4", 1)[1], {}), (f"/DocumentReference/{document_id}", {}),
                            (f"/Binary/{document_id}", {"Accept": "application/fhir+json"}), ("/metadata", {}),
                            (f"/Patient?identifier=urn:oid:1.2.250.1.213.1.4.8|{nir}", {}),
                            ("/DocumentReference?status=current", {}), ("/DocumentReference/" + "0" * 32, {})):
            answers.append(client.http.get("/fhir/R4" + path, headers={**headers, **extra}).json_body)
        writes, written = fhir_write_figures(client, container, headers, nir, "10000000042")
    return {"fhir.iti67_requests_per_page": counter.by_service("dynamodb"),
            "fhir.bytes_through_lambda_on_retrieve": sum(retrieve.object_bytes.values()), **writes,
            "fhir.validation_failures": sum(bool(problems(a)) for a in answers + written),
            "fhir.validated_answers": len(answers + written)}


FHIR_INS = "urn:oid:1.2.250.1.213.1.4.8"
# Documents (ITI-65) or Observations (PCH-01) in the larger transaction. The deposits stay pending
# here (no scan runs) and an espace holds at most MAX_PENDING_UPLOADS (10) pending documents: 1 + 8.
FHIR_TRANSACTION_SIZE = 8


def _iti65_bundle(nir: str, rpps: str, first: int, count: int) -> dict[str, Any]:
    """An ITI-65 transaction (FHIR.md §4's shape, the List left out: it costs nothing) of `count`
    one-page PDFs, masterIdentifiers from `first` on (each a new document)."""
    import base64
    data = base64.b64encode(b"%PDF-1.7\n%%EOF\n").decode()
    entries: list[dict[str, Any]] = []
    for n in range(first, first + count):
        binary = f"urn:uuid:00000000-0000-4000-8000-{n:012d}"
        entries.append({"fullUrl": f"urn:uuid:00000000-0000-4000-9000-{n:012d}",
                        "request": {"method": "POST", "url": "DocumentReference"}, "resource": {
            "resourceType": "DocumentReference", "status": "current",
            "contained": [{"resourceType": "Practitioner", "id": "ps",
                           "identifier": [{"system": "urn:oid:1.2.250.1.71.4.2.1", "value": "8" + rpps}]}],
            "masterIdentifier": {"system": "urn:ietf:rfc:3986", "value": f"urn:oid:1.2.250.1.999.1.{n}"},
            "type": {"coding": [{"system": "http://loinc.org", "code": "11502-2"}]},
            "category": [{"coding": [{"system": "https://mos.esante.gouv.fr/NOS/TRE_A03-ClasseDocument/FHIR/"
                                                "TRE-A03-ClasseDocument", "code": "10"}]}],
            "subject": {"reference": f"Patient?identifier={FHIR_INS}|{nir}"}, "author": [{"reference": "#ps"}],
            "content": [{"attachment": {"contentType": "application/pdf", "url": binary, "title": "Bilan"}}]}})
        entries.append({"fullUrl": binary, "request": {"method": "POST", "url": "Binary"},
                        "resource": {"resourceType": "Binary", "contentType": "application/pdf", "data": data}})
    return {"resourceType": "Bundle", "type": "transaction", "entry": entries}


def _pch01_bundle(nir: str, rpps: str, first: int, count: int) -> dict[str, Any]:
    """A PCH-01 transaction of `count` weights, one a minute from `first` minutes before NOW."""
    entries = [{"fullUrl": f"urn:uuid:00000000-0000-4000-a000-{n:012d}",
                "request": {"method": "POST", "url": "Observation"}, "resource": {
        "resourceType": "Observation", "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "29463-7"}]},
        "subject": {"identifier": {"system": FHIR_INS, "value": nir}},
        "effectiveDateTime": (NOW - timedelta(minutes=n)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "valueQuantity": {"value": 70, "unit": "kg", "system": "http://unitsofmeasure.org", "code": "kg"}}}
        for n in range(first, first + count)]
    return {"resourceType": "Bundle", "type": "transaction", "entry": entries}


def _transaction_costs(client: Any, container: Any, headers: dict[str, str], nir: str, rpps: str,
                       build: Callable[[str, str, int, int], dict[str, Any]]) -> tuple[float | int, int, list[Any]]:
    """AWS requests of one `POST /fhir/R4` transaction of one resource, then of FHIR_TRANSACTION_SIZE:
    (per resource, the fixed part, the answers). Each resource is a new one (nothing replayed); each
    transaction a second after the previous one (document ids are derived from the request's time)."""
    import json
    costs, answers = [], []
    for first, count in ((1, 1), (2, FHIR_TRANSACTION_SIZE)):
        at = container.clock() + timedelta(seconds=1)
        container.clock = lambda at=at: at
        with awscount.counting() as counter:
            response = client.http.post("/fhir/R4", headers={**headers, "Content-Type": "application/fhir+json"},
                                        body=json.dumps(build(nir, rpps, first, count)))
        assert response.status_code == 200, response.body[:500]
        assert [e["response"]["status"] for e in response.json_body["entry"]].count("201 Created") >= count
        costs.append(counter.total)
        answers.append(response.json_body)
    per_resource = (costs[1] - costs[0]) / (FHIR_TRANSACTION_SIZE - 1)
    whole = int(per_resource) if per_resource.is_integer() else round(per_resource, 2)
    return whole, round(costs[0] - per_resource), answers


def fhir_write_figures(client: Any, container: Any, headers: dict[str, str], nir: str,
                       rpps: str) -> tuple[dict[str, Any], list[Any]]:
    """The write side (issue 12): AWS requests (every service) per document of an ITI-65 transaction and
    per Observation of a PCH-01 one, and the fixed part each transaction pays once (patient, grants);
    the transaction-responses, for the validation figures."""
    documents, per_deposit, deposits = _transaction_costs(client, container, headers, nir, rpps, _iti65_bundle)
    observations, per_post, posts = _transaction_costs(client, container, headers, nir, rpps, _pch01_bundle)
    return {"fhir.iti65_requests_per_document": documents,
            "fhir.iti65_requests_per_transaction": per_deposit,
            "fhir.pch01_requests_per_observation": observations,
            "fhir.pch01_requests_per_transaction": per_post,
            "fhir.transaction_size": FHIR_TRANSACTION_SIZE}, deposits + posts


def measurements_requests_per_page(bench: Bench) -> dict[str, Any]:
    """DynamoDB requests for one page of measurements (50, newest first) through the use case, for one
    type over a period and for every type: the token check is not counted (it is the same for every
    holder route); the holder's own espace needs no read (`resolve_id`)."""
    from mes.services import profile
    container = bench.shared()
    espace_id, _ = _holder(container)
    claims, deps = {"sub": espace_id}, container.profile_deps()
    for day in range(bench.sizes.measurement_days):
        at = (NOW - timedelta(days=day)).strftime("%Y-%m-%dT%H:%M:%SZ")
        profile.add_measurement(deps, claims, "me", {"type": "weight", "measured_at": at, "value": 70}, NOW)
        profile.add_measurement(deps, claims, "me", {"type": "blood_pressure", "measured_at": at,
                                                     "systolic": 125, "diastolic": 80}, NOW)
    counts = []
    start = (NOW - timedelta(days=bench.sizes.measurement_days + 1)).date().isoformat()
    for type_ in ("weight", None):
        with awscount.counting() as counter:
            page = profile.list_measurements(deps, claims, "me", type_=type_, start=start, end=None,
                                             limit=50, cursor=None)
        assert len(page.items) == 50 and page.next_key
        counts.append(counter.by_service("dynamodb"))
    return {"measurements.requests_per_page": max(counts)}


def messages_requests_per_page(bench: Bench) -> dict[str, Any]:
    """DynamoDB requests for one page (50) of a conversation's messages read by the holder: the page
    itself (conversation + messages in one Query), counted apart from the holder token's revocation
    check (one BatchGetItem on the ephemeral table, the same for every holder route)."""
    from chalice.test import Client

    from mes.domain.messaging import Author, Conversation, Message, new_id
    from mes_local.functions import api_app
    container = bench.shared()
    espace_id, headers = _holder(container)
    target = None
    for n in range(bench.sizes.conversations + 1):
        at = NOW + timedelta(minutes=n)
        c = Conversation(espace_id=espace_id, conversation_id=new_id(at), rpps="10000000042", subject=f"s{n}",
                         created_at=at, last_at=at)
        container.messages.start(c, Message(espace_id=espace_id, conversation_id=c.conversation_id,
                                            message_id=new_id(at), author=Author.PROFESSIONAL,
                                            author_id="10000000042", at=at, body="b"))
        target = target or c
    for i in range(bench.sizes.messages - 1):
        at = NOW + timedelta(seconds=i + 1)
        container.messages.add_message(target, Message(espace_id=espace_id, conversation_id=target.conversation_id,
                                                       message_id=new_id(at), author=Author.HOLDER,
                                                       author_id=espace_id, at=at, body=f"m{i}"))
    with Client(api_app().app) as client, awscount.counting() as counter:
        page = client.http.get(f"/espaces/me/conversations/{target.conversation_id}?limit=50",
                               headers=headers).json_body
    assert len(page["items"]) == 50 and page["conversation"] is not None, page
    assert counter.requests["dynamodb.BatchGetItem"] == 1  # the token check (logout + sessions), every holder route
    return {"messages.requests_per_page": counter.by_service("dynamodb") - 1,
            "messages.requests_per_page_with_auth": counter.by_service("dynamodb")}


def _auto_create(bench: Bench, due_seed: int, not_due: int, not_due_seed: int) -> tuple[float, int]:
    """Seeds `due` espaces past their deadline and `not_due` more within it, runs the job on a cold
    container: (items read per espace created, notified espaces in the index at the run)."""
    from mes_local.functions import invoke
    container = bench.shared()
    due = bench.sizes.autocreate_due
    _notified(bench, container, due, seed=due_seed, notified_at=NOW - timedelta(days=50))
    _notified(bench, container, not_due, seed=not_due_seed, notified_at=NOW - timedelta(days=10))
    bench.notified_not_due += not_due
    fresh_container()
    with awscount.counting() as counter:
        result = invoke("auto_create", scheduled_event(NOW))
    assert result["created"] == due, result
    return round(counter.items_read / result["created"], 4), due + bench.notified_not_due


def autocreate_items_read_few_not_due(bench: Bench) -> dict[str, Any]:
    """BR-08 on a small crowd: 1,000 due among 6,000 notified (the crowd does not change the cost)."""
    ratio, _ = _auto_create(bench, due_seed=2, not_due=bench.sizes.autocreate_small_not_due, not_due_seed=3)
    return {"autocreate.items_read_per_espace_5k_not_due": ratio}


def autocreate_items_read(bench: Bench) -> dict[str, Any]:
    """BR-08: 1,000 due among 20,000 notified (the first run's crowd plus more)."""
    more = max(0, bench.sizes.autocreate_not_due - bench.notified_not_due)
    ratio, notified = _auto_create(bench, due_seed=4, not_due=more, not_due_seed=5)
    return {"autocreate.items_read_per_espace": ratio, "autocreate.due": bench.sizes.autocreate_due,
            "autocreate.notified": notified}


def retention_items_read(bench: Bench) -> dict[str, Any]:
    """BR-14: DynamoDB items the retention job reads per espace purged, with many espaces present
    that are not due (every espace of the shared table: notified, created, active, and closed ones
    whose deletion or archive date is later)."""
    from mes.domain import closure as rules
    from mes.domain.espace import Espace, Status
    from mes_local.functions import invoke
    container = bench.shared()
    due, closed = bench.sizes.retention_due, bench.sizes.retention_closed_not_due
    espaces = []
    for i in range(due + closed):
        espace = Espace(espace_id=str(uuid.UUID(int=i)), nir_hmac=f"bench{i}", birth_date=NOW.date().replace(year=1980),
                        vitale_hmac="bench", first_name="Bench", last_name="Holder", department="44",
                        status=Status.ACTIVE, email=f"bench{i}@example.org")
        if i < due:  # deletion requested 31 days ago: due
            rules.close(espace, NOW - timedelta(days=31), delete_data=True)
        else:  # closed recently, deletion or archive not due yet
            rules.close(espace, NOW - timedelta(days=i % 29), delete_data=bool(i % 3))
        espaces.append(espace)
    bench.seed(container, espaces)
    fresh_container()
    with awscount.counting() as counter:
        result = invoke("retention", scheduled_event(NOW))
    assert result["processed"] == due, result
    return {"retention.items_read_per_item": round(counter.items_read / result["processed"], 4),
            "retention.items": due, "retention.espaces": bench.espaces}


def wave_requests_per_person(bench: Bench) -> dict[str, Any]:
    """BR-05 on a fresh stack: N pending people (half with an e-mail) notified by one run of the
    wave function on a cold container (its secret and key fetches and idempotency record included)."""
    from mes_local.functions import invoke
    bench.close()
    people = bench.sizes.wave_people
    with stack():
        _import(fresh_container(), people, seed=1)
        fresh_container()  # a cold container: the wave pays its own secret and key fetches
        with awscount.counting() as counter:
            result = invoke("wave", scheduled_event(NOW, {"department": "44"}))
        notified = result["notified_email"] + result["notified_letter"]
        assert notified == people, result
        return {"wave.requests_per_person": round(counter.total / notified, 4),
                "wave.ses_calls": counter.by_service("ses"), "wave.s3_puts": counter.requests["s3.PutObject"],
                "wave.dynamodb_requests": counter.by_service("dynamodb"), "wave.people": notified,
                "wave.batches": result["batches"]}


Figure = Callable[[Bench], dict[str, Any]]

# In the order they run (and print). Quick ones first; the wave last (it replaces the shared stack).
FIGURES: list[tuple[str, Figure]] = [
    ("api", cold_import_ratio),
    ("documents", documents_figures),
    ("pro", pro_list_requests),
    ("fhir", fhir_figures),
    ("measurements", measurements_requests_per_page),
    ("messages", messages_requests_per_page),
    ("autocreate_5k", autocreate_items_read_few_not_due),
    ("autocreate", autocreate_items_read),
    ("retention", retention_items_read),
    ("wave", wave_requests_per_person),
]

# Figures of other modules: (name, callable or "module:function"), each returning {name: value};
# run after FIGURES, outside moto, with no argument.
EXTRA_FIGURES: list[tuple[str, Callable[[], dict[str, Any]] | str]] = [
    ("security_bola", "tests.security.bola:figures"),
    ("security_forged", "tests.security.forged:figures"),
    ("schemathesis", "mes_local.fuzz:figures"),
    ("deploy", "mes_local.tool_figures:deploy"),
    ("checkov", "mes_local.tool_figures:checkov"),
    ("web", "mes_local.tool_figures:web"),
    ("health", "infra.code_health:figures"),
]


def register(name: str, figures: Callable[[], dict[str, Any]] | str) -> None:
    """Adds figures computed elsewhere (deploy checks, security scans...) to `make bench`."""
    EXTRA_FIGURES.append((name, figures))


def _resolve(target: Callable[[], dict[str, Any]] | str) -> Callable[[], dict[str, Any]]:
    if callable(target):
        return target
    module, _, function = target.partition(":")
    return getattr(importlib.import_module(module), function)


def _emit(figures: dict[str, Any], out: Any) -> None:
    for name, value in figures.items():
        out.write(f"{name}: {value}\n")
    out.flush()


def _parser(names: list[str]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m mes_local.bench",
                                     description="The README figures, one `name: value` line each, as measured.")
    parser.add_argument("--only", nargs="+", metavar="NAME", choices=names, help="among: " + ", ".join(names))
    parser.add_argument("--tiny", action="store_true", help="tiny populations: a smoke test, not the figures")
    parser.add_argument("--list", action="store_true", help="name the figure groups and exit")
    return parser


def _instrument() -> None:
    """A fake AWS environment, moto's fixes, one parsed botocore model per process (each cold
    container would re-read them) and the AWS call counter."""
    _fake_env()
    from mes_instrument import botocache, motofix
    motofix.apply()
    botocache.apply()
    awscount.install()


def _steps(bench: Bench, wanted: set[str]) -> list[tuple[str, Callable[[], dict[str, Any]]]]:
    """The wanted figure groups in their running order: FIGURES (on the bench), then EXTRA_FIGURES."""
    steps: list[tuple[str, Callable[[], dict[str, Any]]]] = [
        (name, functools.partial(figure, bench)) for name, figure in FIGURES if name in wanted]
    steps += [(name, _resolve(target)) for name, target in EXTRA_FIGURES if name in wanted]
    return steps


def _run_step(name: str, run: Callable[[], dict[str, Any]], out: Any) -> int:
    """Prints one group's figures and its duration (on stderr); 1 when it failed, else 0."""
    began = time.monotonic()
    status = 0
    try:
        _emit(run(), out)
    except Exception as exc:  # noqa: BLE001 - one broken figure does not hide the others
        status = 1
        print(f"# {name}: failed: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
    print(f"# {name}: {time.monotonic() - began:.1f} s", file=sys.stderr, flush=True)
    return status


def main(argv: list[str] | None = None, out: Any = None) -> int:
    names = [name for name, _ in FIGURES] + [name for name, _ in EXTRA_FIGURES]
    args = _parser(names).parse_args(argv)
    out = out or sys.stdout
    if args.list:
        out.write("\n".join(names) + "\n")
        return 0
    _instrument()
    started = time.monotonic()
    status = 0
    bench = Bench(TINY if args.tiny else Sizes())
    try:
        for name, run in _steps(bench, set(args.only or names)):
            status = max(status, _run_step(name, run, out))
    finally:
        bench.close()
    _emit({"bench.seconds": round(time.monotonic() - started)}, out)
    return status


if __name__ == "__main__":
    sys.exit(main())
