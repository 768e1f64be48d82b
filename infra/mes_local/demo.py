"""Demo data for the local stack, loaded through the real entry points (never table writes).

Three people of department 2A: Camille (e-mail), whose espace is activated through the enrolment
services with the code read from the outbox (login ``demo.camille``, password
``camille-demo-2026``); Louis, reached by letter; Zoé, Camille's child. They are imported by the
population import function, then the wave function runs for department 2A at the current time.
Idempotent: nothing is done when ``demo.camille`` already exists."""

from __future__ import annotations

import json
import random
import uuid
from datetime import date
from typing import Any

from mes_local import outbox
from mes_local.functions import ROOT, invoke
from mes_local.population import make_nir, to_csv

DEMO_LOGIN = "demo.camille"
DEMO_PASSWORD = "camille-demo-2026"  # noqa: S105 - a published demo account of the local stack
DEMO_EMAIL = "demo.camille@example.org"
DEPARTMENT = "2A"


def demo_people() -> list[dict[str, str]]:
    """Always the same three people (fixed seed): valid NIRs of Corsica-du-Sud."""
    rng = random.Random("mes-demo")
    camille_birth, louis_birth, zoe_birth = date(1988, 5, 14), date(1961, 11, 2), date(2016, 9, 21)
    camille_nir = make_nir(rng, camille_birth, DEPARTMENT, sex=2)
    common = {"department": DEPARTMENT, "guardian_nir": "", "guardian_birth_date": "", "email": "", "mobile": ""}
    return [
        {**common, "nir": camille_nir, "birth_date": camille_birth.isoformat(), "vitale_serial": "20260000001",
         "last_name": "Santoni", "first_name": "Camille", "email": DEMO_EMAIL,
         "address": "3 cours Napoléon, 20000 Ajaccio"},
        {**common, "nir": make_nir(rng, louis_birth, DEPARTMENT, sex=1), "birth_date": louis_birth.isoformat(),
         "vitale_serial": "20260000002", "last_name": "Casanova", "first_name": "Louis",
         "address": "12 route des Sanguinaires, 20000 Ajaccio"},
        {**common, "nir": make_nir(rng, zoe_birth, DEPARTMENT, sex=2), "birth_date": zoe_birth.isoformat(),
         "vitale_serial": "20260000003", "last_name": "Santoni", "first_name": "Zoé",
         "guardian_nir": camille_nir, "guardian_birth_date": camille_birth.isoformat()},
    ]


def summary() -> dict[str, Any]:
    return {"login": DEMO_LOGIN, "password": DEMO_PASSWORD, "email": DEMO_EMAIL, "department": DEPARTMENT}


def _event(name: str) -> dict[str, Any]:
    return json.loads((ROOT / "events" / f"{name}.json").read_text(encoding="utf-8"))


def _sent(container: Any, to: str, field: str, template: str | None = None) -> str:
    s = container.settings
    entries = outbox.collect(outbox.local_data(), container.client("s3"), s.letters_bucket, s.ses_template_prefix)
    values = [e["data"][field] for e in entries
              if outbox.matches(e, to) and field in e["data"] and (template is None or e["template"] == template)]
    if not values:
        raise RuntimeError(f"demo: nothing with a {field!r} was sent to {to}")
    return values[-1]


def load_demo(container: Any) -> dict[str, Any]:
    """Import, notify and activate the demo people (see the module doc). Returns the demo login."""
    if container.credentials.get(DEMO_LOGIN) is not None:
        return summary()
    from mes.services.auth import authenticate
    from mes.services.enrolment import ENROLMENT_AUDIENCE, confirm_activation, start_activation, start_session

    settings = container.settings
    people = demo_people()

    # 1. The insurer's file, through the population import function (S3 event).
    key = f"imports/demo-{uuid.uuid4().hex}.csv"
    container.client("s3").put_object(
        Bucket=settings.population_bucket, Key=key, Body=to_csv(people).encode("utf-8"),
        ServerSideEncryption="aws:kms", SSEKMSKeyId=settings.data_key_arn)
    event = _event("population_import")
    event["Records"][0]["s3"]["bucket"]["name"] = settings.population_bucket
    event["Records"][0]["s3"]["object"]["key"] = key
    report = invoke("population_import", event, deps=container)["files"][0]
    if report["rejected"]:
        raise RuntimeError(f"demo: rows rejected by the import: {report['errors']}")

    # 2. The wave for 2A, now: Camille gets her code (and Zoé's) by e-mail, Louis a letter.
    now = container.clock()
    event = _event("wave")
    event.update({"id": str(uuid.uuid4()), "time": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
                  "detail": {"department": DEPARTMENT}})
    invoke("wave", event, deps=container)

    # 3. Camille activates her espace with her own code (the outbox also holds Zoé's, same address).
    camille = people[0]
    deps = container.account_deps()
    codes = _codes_for(container, DEMO_EMAIL)
    for code in codes:
        try:
            token, _ = start_session(deps, nir=camille["nir"], birth_date=camille["birth_date"],
                                     vitale_serial=camille["vitale_serial"], code=code, now=container.clock())
            break
        except Exception:  # noqa: BLE001 - the child's code does not open Camille's session
            continue
    else:
        raise RuntimeError("demo: no code opened Camille's session")
    claims = authenticate(deps, token, ENROLMENT_AUDIENCE, container.clock())
    challenge = start_activation(deps, claims, email=DEMO_EMAIL, mobile=None, otp_channel="email",
                                 login=DEMO_LOGIN, password=DEMO_PASSWORD, accept_terms=True,
                                 now=container.clock())
    otp = _sent(container, DEMO_EMAIL, "otp", "otp")
    confirm_activation(deps, claims, challenge_id=challenge.challenge_id, otp=otp, sms_otp=None,
                       now=container.clock())
    return summary()


def _codes_for(container: Any, to: str) -> list[str]:
    """Codes e-mailed to `to`, Camille's own first (the child's message names the child)."""
    s = container.settings
    entries = outbox.collect(outbox.local_data(), container.client("s3"), s.letters_bucket, s.ses_template_prefix)
    found = [e["data"] for e in entries if outbox.matches(e, to) and "code" in e["data"]]
    found.sort(key=lambda data: bool(data.get("for_child")))
    return [data["code"] for data in found]
