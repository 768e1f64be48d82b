"""`make bench`: the figures of the README, one `name: value` line each.

Costs are counted, not timed: AWS requests and DynamoDB items go through a botocore event hook
(mes_local.awscount), so they are what AWS would bill and do not drift on a noisy machine.
Runs on moto in-process (mock_aws)."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import uuid
from collections.abc import Callable
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from mes_local import awscount

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _fake_env() -> None:
    os.environ.update({"AWS_DEFAULT_REGION": "eu-west-3", "AWS_REGION": "eu-west-3",
                       "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
                       "POWERTOOLS_LOG_LEVEL": "WARNING", "POWERTOOLS_METRICS_DISABLED": "true"})
    os.environ.pop("AWS_ENDPOINT_URL", None)


@contextmanager
def stack() -> Any:
    import boto3
    from moto import mock_aws

    from mes_local import motofix
    from mes_local.resources import provision
    motofix.apply()
    awscount.install()
    with mock_aws():
        env = provision(boto3.session.Session(region_name="eu-west-3"))["env"]
        os.environ.update(env)
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
            "account": "123456789012", "time": at.strftime("%Y-%m-%dT%H:%M:%SZ"), "region": "eu-west-3",
            "resources": [], "detail": detail or {}}


def _import(container: Any, count: int, seed: int, department: str = "44") -> None:
    from mes.services.population import import_population
    from mes_local.population import generate
    rows = generate(count, seed=seed, department=department, email_ratio=0.5)
    import_population(list(enumerate(rows, start=2)), repo=container.espaces, keys=container.keys, now=NOW)


def wave_requests_per_person(people: int = 10_000) -> dict[str, float]:
    from mes_local.functions import invoke
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


def _notified(container: Any, count: int, seed: int, notified_at: datetime) -> list[Any]:
    """Notified espaces written straight through the repository (set-up only, not measured)."""
    import random

    from mes.domain.espace import Espace, notify
    from mes.services.population import espace_id_for
    from mes_local.population import make_person
    rng = random.Random(seed)
    espaces = []
    for i in range(count):
        row = make_person(rng, i, "44")
        from datetime import date
        birth = date.fromisoformat(row["birth_date"])
        espace = Espace(espace_id=espace_id_for(container.keys, row["nir"], birth, row["first_name"]),
                        nir_hmac=container.keys.nir_hmac(row["nir"]), birth_date=birth,
                        vitale_hmac=container.keys.vitale_hmac(row["vitale_serial"]), first_name=row["first_name"],
                        last_name=row["last_name"], department="44", email=row["email"] or None,
                        address=row["address"])
        espaces.append(notify(espace, notified_at))
    container.espaces.add_new(espaces)
    return espaces


def autocreate_items_read(due: int = 1_000, not_due: int = 19_000) -> float:
    from mes_local.functions import invoke
    with stack():
        container = fresh_container()
        _notified(container, due, seed=2, notified_at=NOW - timedelta(days=50))
        _notified(container, not_due, seed=3, notified_at=NOW - timedelta(days=10))
        fresh_container()
        with awscount.counting() as counter:
            result = invoke("auto_create", scheduled_event(NOW))
        assert result["created"] == due, result
        return round(counter.items_read / result["created"], 4)


def retention_items_read(due: int = 1_000, not_due: int = 19_000) -> float:
    """BR-14: DynamoDB items the retention job reads per espace purged, with many espaces present
    that are not due (active, or closed with a later deletion or archive date)."""
    from mes.domain import closure as rules
    from mes.domain.espace import Espace, Status
    from mes_local.functions import invoke
    with stack():
        container = fresh_container()
        espaces = []
        for i in range(due + not_due):
            espace = Espace(espace_id=str(uuid.UUID(int=i)), nir_hmac=f"bench{i}", birth_date=NOW.date().replace(year=1980),
                            vitale_hmac="bench", first_name="Bench", last_name="Holder", department="44",
                            status=Status.ACTIVE, email=f"bench{i}@example.org")
            if i < due:  # deletion requested 31 days ago: due
                rules.close(espace, NOW - timedelta(days=31), delete_data=True)
            elif i % 2:  # closed recently, deletion or archive not due yet
                rules.close(espace, NOW - timedelta(days=i % 29), delete_data=bool(i % 3))
            espaces.append(espace)
        container.espaces.add_new(espaces)
        fresh_container()
        with awscount.counting() as counter:
            result = invoke("retention", scheduled_event(NOW))
        assert result["processed"] == due, result
        return round(counter.items_read / result["processed"], 4)


def cold_import_ratio(runs: int = 5) -> dict[str, float]:
    from mes_local.functions import FUNCTIONS
    api = str(FUNCTIONS / "api")
    snippet = "import time; t=time.perf_counter(); {stmt}; print(time.perf_counter()-t)"

    def median(stmt: str) -> float:
        times = []
        for _ in range(runs):
            out = subprocess.run([sys.executable, "-c", snippet.format(stmt=stmt)], cwd=api, check=True,
                                 capture_output=True, text=True, env={**os.environ, "PYTHONPATH": api})
            times.append(float(out.stdout.strip().splitlines()[-1]))
        return statistics.median(times)

    baseline = median("import chalice, boto3")
    app = median("import app")
    return {"api.cold_import_ratio": round(app / baseline, 2), "api.cold_import_ms": round(app * 1000, 1),
            "api.cold_import_baseline_ms": round(baseline * 1000, 1)}


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


def documents_figures(count: int = 120) -> dict[str, Any]:
    import json

    import requests
    from chalice.test import Client

    from mes.domain.documents import AuthorType, DocStatus, Document, new_document_id
    from mes_local.functions import api_app
    from mes_local.queues import drain
    figures: dict[str, Any] = {}
    with stack():
        container = fresh_container()
        espace_id, headers = _holder(container)
        for i in range(count):
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


def pro_list_requests(documents: int = 200, other_professionals: int = 50) -> dict[str, Any]:
    """DynamoDB requests for one authorised professional listing (patient lookup, grants, list, log)."""
    import json
    import random

    from chalice.test import Client

    from mes.domain.documents import AuthorType, DocStatus, Document, new_document_id
    from mes.domain.espace import Espace, Status
    from mes_local.functions import api_app
    from mes_local.population import make_nir
    from mes_local.psc import LocalPsc
    psc = LocalPsc(issuer="https://psc.bench", audience="mes")
    with stack():
        # after provisioning (whose env carries the template's empty JWKS): pin the stand-in's keys
        os.environ.update({"PSC_ISSUER": "https://psc.bench", "PSC_AUDIENCE": "mes",
                           "PSC_JWKS": json.dumps(psc.jwks())})
        container = fresh_container()
        nir = make_nir(random.Random(5), NOW.date().replace(year=1980), "44")
        espace = Espace(espace_id=str(uuid.uuid4()), nir_hmac=container.keys.nir_hmac(nir),
                        birth_date=NOW.date().replace(year=1980), vitale_hmac="bench", first_name="Bench",
                        last_name="Patient", department="44", status=Status.ACTIVE, email="patient@example.org")
        container.espaces.add_new([espace])
        for i in range(documents):
            document_id = new_document_id(NOW + timedelta(seconds=i))
            container.documents.create(Document(
                espace_id=espace.espace_id, document_id=document_id, title="t", category="BIOLOGIE",
                filename="a.pdf", content_type="application/pdf", size=10, author_type=AuthorType.PATIENT,
                author_id=espace.espace_id, created_at=NOW, object_key=f"documents/{espace.espace_id}/{document_id}",
                status=DocStatus.AVAILABLE))
        for n in range(other_professionals):
            container.access.put_authorisation(espace.espace_id, f"2{n:010d}", "consent", {}, NOW)
        container.access.put_authorisation(espace.espace_id, "10000000042", "consent", {}, NOW)
        headers = {"Authorization": f"Bearer {psc.issue('10000000042', '10', now=NOW)}"}
        with Client(api_app().app) as client, awscount.counting() as counter:
            page = client.http.get(f"/pro/patients/{nir}/documents?limit=50", headers=headers).json_body
        assert len(page["items"]) == 50, page
        return {"pro.list_requests": counter.by_service("dynamodb")}


def measurements_requests_per_page(days: int = 200) -> dict[str, Any]:
    """DynamoDB requests for one page of measurements (50, newest first) through the use case, for one
    type over a period and for every type: the token check is not counted (it is the same for every
    holder route); the holder's own espace needs no read (`resolve_id`)."""
    from mes.services import profile
    with stack():
        container = fresh_container()
        espace_id, _ = _holder(container)
        claims, deps = {"sub": espace_id}, container.profile_deps()
        for day in range(days):
            at = (NOW - timedelta(days=day)).strftime("%Y-%m-%dT%H:%M:%SZ")
            profile.add_measurement(deps, claims, "me", {"type": "weight", "measured_at": at, "value": 70}, NOW)
            profile.add_measurement(deps, claims, "me", {"type": "blood_pressure", "measured_at": at,
                                                         "systolic": 125, "diastolic": 80}, NOW)
        counts = []
        for type_ in ("weight", None):
            with awscount.counting() as counter:
                page = profile.list_measurements(deps, claims, "me", type_=type_, start="2025-06-01", end=None,
                                                 limit=50, cursor=None)
            assert len(page.items) == 50 and page.next_key
            counts.append(counter.by_service("dynamodb"))
        return {"measurements.requests_per_page": max(counts)}


def messages_requests_per_page(messages: int = 120, other_conversations: int = 20) -> dict[str, Any]:
    """DynamoDB requests for one page (50) of a conversation's messages read by the holder: the page
    itself (conversation + messages in one Query), counted apart from the holder token's revocation
    check (one GetItem on the ephemeral table, the same for every holder route)."""
    from chalice.test import Client

    from mes.domain.messaging import Author, Conversation, Message, new_id
    from mes_local.functions import api_app
    with stack():
        container = fresh_container()
        espace_id, headers = _holder(container)
        target = None
        for n in range(other_conversations + 1):
            at = NOW + timedelta(minutes=n)
            c = Conversation(espace_id=espace_id, conversation_id=new_id(at), rpps="10000000042", subject=f"s{n}",
                             created_at=at, last_at=at)
            container.messages.start(c, Message(espace_id=espace_id, conversation_id=c.conversation_id,
                                                message_id=new_id(at), author=Author.PROFESSIONAL,
                                                author_id="10000000042", at=at, body="b"))
            target = target or c
        for i in range(messages - 1):
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


def main() -> None:
    _fake_env()
    figures: dict[str, Any] = {}
    figures.update(wave_requests_per_person())
    figures["autocreate.items_read_per_espace"] = autocreate_items_read()
    figures["autocreate.items_read_per_espace_5k_not_due"] = autocreate_items_read(due=1_000, not_due=5_000)
    figures["retention.items_read_per_item"] = retention_items_read()
    figures.update(documents_figures())
    figures.update(pro_list_requests())
    figures.update(measurements_requests_per_page())
    figures.update(messages_requests_per_page())
    figures.update(cold_import_ratio())
    for name, value in figures.items():
        print(f"{name}: {value}", flush=True)


if __name__ == "__main__":
    main()
