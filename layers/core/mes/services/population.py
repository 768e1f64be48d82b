"""BR-04: population import. Bad rows are reported by line number and skipped; nothing else is lost;
re-importing the same file changes nothing (espace ids are derived, inserts are conditional)."""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from mes.domain.errors import ValidationError
from mes.domain.espace import Contact, Espace
from mes.domain.identity import (
    normalise_mobile,
    normalise_nir,
    normalise_vitale_serial,
    parse_birth_date,
    validate_email,
)
from mes.domain.keys import Keys
from mes.ports import EspaceRepository
from mes.progress import Progress, Tally

COLUMNS = ["nir", "birth_date", "vitale_serial", "last_name", "first_name", "email", "mobile", "address",
           "department", "guardian_nir", "guardian_birth_date"]
_DEPARTMENT = re.compile(r"^(0[1-9]|[1-8][0-9]|9[0-5]|2A|2B|97[1-6])$")
CHUNK = 500


@dataclass
class RowError:
    line: int
    field: str | None
    detail: str


@dataclass
class ImportReport:
    rows: int = 0
    imported: int = 0
    already_known: int = 0
    errors: list[RowError] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "rows": self.rows, "imported": self.imported, "already_known": self.already_known,
            "rejected": len(self.errors),
            "errors": [{"line": e.line, "field": e.field, "detail": e.detail} for e in self.errors],
        }


def espace_id_for(keys: Keys, nir: str, birth: date, first_name: str) -> str:
    """Opaque and stable: the same person imported twice gets the same id (BR-02: never the NIR)."""
    digest = hmac.new(keys.nir, f"espace-id:{nir}:{birth.isoformat()}:{first_name.strip().lower()}".encode(),
                      hashlib.sha256).digest()
    return str(uuid.UUID(bytes=digest[:16], version=4))


def read_csv(text: str) -> list[tuple[int, dict[str, str]]]:
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in ("nir", "birth_date", "vitale_serial", "department") if c not in (reader.fieldnames or [])]
    if missing:
        raise ValidationError(f"En-tête CSV incomplet : colonnes manquantes {', '.join(missing)}.", field="header")
    return [(index + 2, {k: (v or "").strip() for k, v in row.items() if k}) for index, row in enumerate(reader)]


def _parse(keys: Keys, row: dict[str, str], now: datetime) -> tuple[Espace, tuple[str, date] | None]:
    nir = normalise_nir(row.get("nir", ""))
    birth = parse_birth_date(row.get("birth_date", ""), today=now.date())
    vitale = normalise_vitale_serial(row.get("vitale_serial", ""))
    department = row.get("department", "").upper()
    if not _DEPARTMENT.match(department):
        raise ValidationError("Département inconnu.", field="department")
    email = validate_email(row["email"]) if row.get("email") else None
    mobile = normalise_mobile(row["mobile"]) if row.get("mobile") else None
    address = row.get("address") or None
    first_name = row.get("first_name", "")
    guardian = None
    if row.get("guardian_nir"):
        try:
            guardian_nir = normalise_nir(row["guardian_nir"])
        except ValidationError as exc:
            raise ValidationError(exc.detail.replace("Le NIR", "Le NIR du représentant légal"),
                                  field="guardian_nir") from exc
        try:
            guardian_birth = parse_birth_date(row.get("guardian_birth_date", ""), today=now.date())
        except ValidationError as exc:
            raise ValidationError("La date de naissance du représentant légal est invalide.",
                                  field="guardian_birth_date") from exc
        guardian = (guardian_nir, guardian_birth)
    elif not email and not address:
        raise ValidationError("Ni e-mail ni adresse postale : impossible d'envoyer le code.", field="address")
    espace = Espace(
        espace_id=espace_id_for(keys, nir, birth, first_name), nir_hmac=keys.nir_hmac(nir), birth_date=birth,
        vitale_hmac=keys.vitale_hmac(vitale), first_name=first_name, last_name=row.get("last_name", ""),
        department=department, email=email, mobile=mobile, address=address, imported_at=now,
    )
    return espace, guardian


Child = tuple[int, Espace, tuple[str, date]]


def _parse_rows(rows: Iterable[tuple[int, dict[str, str]]], keys: Keys, now: datetime,
                report: ImportReport) -> tuple[list[Espace], list[Child]]:
    """Every row parsed: bad rows reported by line (BR-04), the others split into adults and children."""
    adults: list[Espace] = []
    children: list[Child] = []
    for line, row in rows:
        report.rows += 1
        try:
            espace, guardian = _parse(keys, row, now)
        except ValidationError as exc:
            report.errors.append(RowError(line, exc.field, exc.detail))
            continue
        if guardian is None:
            adults.append(espace)
        else:
            children.append((line, espace, guardian))
    return adults, children


def _find_guardian(repo: EspaceRepository, keys: Keys, by_identity: dict[tuple[str, date], Espace],
                   g_nir: str, g_birth: date) -> Espace | None:
    """The guardian from the same file, else an adult already known with that NIR and birth date."""
    g_hmac = keys.nir_hmac(g_nir)
    guardian_espace = by_identity.get((g_hmac, g_birth))
    if guardian_espace is not None:
        return guardian_espace
    found = [e for e in repo.find_by_nir(g_hmac) if e.birth_date == g_birth and not e.is_child]
    return found[0] if found else None


def _attach_guardian(child: Espace, guardian_espace: Espace) -> None:
    child.guardian_id = guardian_espace.espace_id
    child.guardian_contact = Contact(
        name=f"{guardian_espace.first_name} {guardian_espace.last_name}".strip(),
        email=guardian_espace.email, mobile=guardian_espace.mobile, address=guardian_espace.address)


def _children_ready(children: list[Child], repo: EspaceRepository, keys: Keys,
                    by_identity: dict[tuple[str, date], Espace], report: ImportReport) -> list[Espace]:
    """Children whose guardian is found and reachable, attached to it; the others reported by line."""
    ready: list[Espace] = []
    for line, child, (g_nir, g_birth) in children:
        guardian_espace = _find_guardian(repo, keys, by_identity, g_nir, g_birth)
        if guardian_espace is None:
            report.errors.append(RowError(line, "guardian_nir", "Représentant légal introuvable dans la population."))
            continue
        if not guardian_espace.email and not guardian_espace.address:
            report.errors.append(RowError(line, "guardian_nir", "Le représentant légal n'a ni e-mail ni adresse."))
            continue
        _attach_guardian(child, guardian_espace)
        ready.append(child)
    return ready


def import_population(rows: Iterable[tuple[int, dict[str, str]]], *, repo: EspaceRepository, keys: Keys,
                      now: datetime, progress: Progress | None = None) -> ImportReport:
    """Adults first, then children, whose guardian must be in the same file or already known.
    `progress` hears of every chunk written (rows so far out of the rows that passed validation;
    children refused for their guardian count as handled in the next chunk)."""
    report = ImportReport()
    adults, children = _parse_rows(rows, keys, now, report)
    by_identity = {(a.nir_hmac, a.birth_date): a for a in adults}
    tally = Tally("population", progress, "rows", total=len(adults) + len(children))
    _insert(adults, repo, report, tally)
    ready = _children_ready(children, repo, keys, by_identity, report)
    refused = len(children) - len(ready)
    _insert(ready, repo, report, tally, extra=refused)
    if refused and not ready:
        tally.batch(refused)
    return report


def _insert(espaces: Sequence[Espace], repo: EspaceRepository, report: ImportReport, tally: Tally,
            extra: int = 0) -> None:
    """`extra`: rows handled without a write (refused children), reported with the first chunk."""
    for start in range(0, len(espaces), CHUNK):
        chunk = list({e.espace_id: e for e in espaces[start:start + CHUNK]}.values())
        inserted = repo.add_new(chunk)
        report.imported += inserted
        report.already_known += len(espaces[start:start + CHUNK]) - inserted
        tally.batch(len(espaces[start:start + CHUNK]) + (extra if start == 0 else 0))
