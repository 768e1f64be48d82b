"""Synthetic population for the local stack, tests and benchmarks: valid NIRs (python-stdnum
computes the key), French names, half of the adults with an e-mail."""

from __future__ import annotations

import csv
import io
import random
import unicodedata
from datetime import date, timedelta

from stdnum.fr import nir as stdnum_nir

from mes.services.population import COLUMNS

FIRST = ["Camille", "Louis", "Léa", "Hugo", "Chloé", "Jules", "Manon", "Gabriel", "Inès", "Arthur", "Zoé", "Raphaël"]
LAST = ["Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau"]
DEPARTMENTS = ["44", "75", "69", "13", "2A", "33", "59", "35"]


def _ascii(name: str) -> str:
    return unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()


def make_nir(rng: random.Random, birth: date, department: str, sex: int | None = None) -> str:
    sex = sex or rng.choice([1, 2])
    if department.startswith("97"):
        place = department + f"{rng.randint(1, 99):02d}"
    else:
        place = department + f"{rng.randint(1, 999):03d}"
    body = f"{sex}{birth.year % 100:02d}{birth.month:02d}{place}{rng.randint(1, 999):03d}"
    return body + stdnum_nir.calc_check_digits(body)


def make_person(rng: random.Random, index: int, department: str | None = None, email_ratio: float = 0.5,
                today: date = date(2026, 1, 1)) -> dict[str, str]:
    department = department or rng.choice(DEPARTMENTS)
    birth = date(1950, 1, 1) + timedelta(days=rng.randint(0, 365 * 55))
    first, last = rng.choice(FIRST), rng.choice(LAST)
    with_email = rng.random() < email_ratio
    return {
        "nir": make_nir(rng, birth, department), "birth_date": birth.isoformat(),
        "vitale_serial": f"{rng.randint(0, 10**11 - 1):011d}", "last_name": last, "first_name": first,
        "email": f"{_ascii(first)}.{_ascii(last)}.{index}@example.org"
        if with_email else "",
        "mobile": f"+336{rng.randint(0, 10**8 - 1):08d}" if rng.random() < 0.7 else "",
        "address": f"{rng.randint(1, 200)} rue de la République, {department}000 Ville",
        "department": department, "guardian_nir": "", "guardian_birth_date": "",
    }


def generate(count: int, seed: int = 0, department: str | None = None, email_ratio: float = 0.5) -> list[dict[str, str]]:
    rng = random.Random(seed)
    return [make_person(rng, i, department, email_ratio) for i in range(count)]


def to_csv(rows: list[dict[str, str]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({c: row.get(c, "") for c in COLUMNS})
    return buffer.getvalue()
