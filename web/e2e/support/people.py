"""People for the browser tests, made only through the local stack's own doors: the `mes` CLI
(population import, wave, outbox, pro-token) and the HTTP API — never table writes.

Run by the Playwright support code with the project's venv:
  people.py person [--guardian NIR BIRTH_DATE]   a notified person and the code of their letter/e-mail
  people.py holder [--mobile]                    an activated holder (login, password, espace id)
  people.py last --to RECIPIENT --field otp      the latest value of a field sent to someone
  people.py pro-token --rpps R --profession P --name N
Each prints one JSON object. MES_AWS_ENDPOINT and MES_E2E_API name the stack under test."""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import json
import os
import random
import secrets
import sys
import tempfile
import urllib.request
from datetime import date, timedelta
from typing import Any

from mes_local import cli
from mes_local.population import make_nir

PASSWORD = "une phrase de passe de test 2026"  # noqa: S105 - a throwaway holder of the local stack


def mes(*args: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        status = cli.main(list(args))
    if status:
        raise SystemExit(f"mes {' '.join(args[:2])} failed ({status})")
    return out.getvalue()


def last(to: str, field: str) -> str:
    entries = json.loads(mes("outbox", "--to", to, "--json"))
    values = [e["data"][field] for e in entries if field in (e.get("data") or {})]
    if not values:
        raise SystemExit(f"nothing with {field} was sent to {to}")
    return values[-1]


# Children's first names are never a holder's (mes_local.population.FIRST): the page names each espace
# « Espace de PRÉNOM », and a child named like its guardian would make two buttons of one name.
CHILD_FIRST_NAMES = ["Timéo", "Lina", "Nolan", "Jade", "Maël", "Rose"]


def minor(row: dict[str, str]) -> dict[str, str]:
    """A child's birth date (2 to 15 years old: BR-16 attaches minors only), a NIR that matches it and a
    first name no holder has."""
    rng = random.Random(secrets.randbits(64))  # noqa: S311 - test data
    birth = date.today() - timedelta(days=rng.randint(2 * 366, 15 * 365))
    return {"birth_date": birth.isoformat(), "nir": make_nir(rng, birth, row["department"]),
            "first_name": rng.choice(CHILD_FIRST_NAMES)}


def person(guardian: tuple[str, str] | None = None) -> dict[str, Any]:
    seed = random.SystemRandom().randrange(1, 10**9)
    row = next(csv.DictReader(io.StringIO(mes("population", "generate", "--count", "1", "--seed", str(seed)))))
    tag = secrets.token_hex(4)
    if guardian:
        row.update(email="", mobile="", guardian_nir=guardian[0], guardian_birth_date=guardian[1], **minor(row))
    else:
        row.update(email=f"e2e.{tag}@example.org", mobile=f"+336{random.SystemRandom().randrange(10**7, 10**8)}")
    with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False, encoding="utf-8") as file:
        writer = csv.DictWriter(file, fieldnames=list(row))
        writer.writeheader()
        writer.writerow(row)
    try:
        mes("population", "import", file.name)
    finally:
        os.unlink(file.name)
    mes("wave", "run", "--department", row["department"])
    return {**row, "code": last(row["email"], "code")} if not guardian else row


def _post(path: str, body: dict[str, Any], token: str | None = None) -> dict[str, Any]:
    headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})}
    request = urllib.request.Request(os.environ["MES_E2E_API"] + path, json.dumps(body).encode(), headers, method="POST")
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 - the local stack
        return json.loads(response.read() or b"{}")


def holder(with_mobile: bool) -> dict[str, Any]:
    row = person()
    ident = {k: row[k] for k in ("nir", "birth_date", "vitale_serial")}
    token = _post("/enrolment/sessions", {**ident, "code": row["code"]})["enrolment_token"]
    login = f"e2e.{secrets.token_hex(5)}"
    body = {"email": row["email"], "otp_channel": "email", "login": login, "password": PASSWORD, "accept_terms": True}
    if with_mobile:
        body["mobile"] = row["mobile"]
    challenge = _post("/enrolment/activation", body, token)["challenge_id"]
    confirm = {"challenge_id": challenge, "otp": last(row["email"], "otp")}
    if with_mobile:
        confirm["sms_otp"] = last(row["mobile"], "otp")
    espace = _post("/enrolment/activation/confirm", confirm, token)["espace"]
    return {**row, "login": login, "password": PASSWORD, "espace_id": espace["id"]}


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser()
    commands = parser.add_subparsers(dest="command", required=True)
    p = commands.add_parser("person")
    p.add_argument("--guardian", nargs=2, metavar=("NIR", "BIRTH_DATE"))
    p = commands.add_parser("holder")
    p.add_argument("--mobile", action="store_true")
    p = commands.add_parser("last")
    p.add_argument("--to", required=True)
    p.add_argument("--field", default="otp")
    p = commands.add_parser("pro-token")
    for option in ("--rpps", "--profession", "--name"):
        p.add_argument(option, required=True)
    args = parser.parse_args(argv)
    if args.command == "person":
        result: Any = person(tuple(args.guardian) if args.guardian else None)
    elif args.command == "holder":
        result = holder(args.mobile)
    elif args.command == "last":
        result = {"value": last(args.to, args.field)}
    else:
        result = {"token": mes("pro-token", "--rpps", args.rpps, "--profession", args.profession,
                               "--name", args.name).strip()}
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main(sys.argv[1:])
