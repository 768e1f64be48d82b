"""BR-21: the insurer's reimbursement history, imported in batch like the population (BR-04).

- A file (CSV with a header, or JSON Lines) dropped in the reimbursements bucket → the import function.
- Each line is validated; bad lines are reported by line number and field, and skipped.
- Lines whose care date is more than two years before the event time are ignored (counted).
- The person is found by the HMAC of the NIR on the `by_nir` index (never the clear NIR), one Query
  per distinct NIR of the file (not per line), then by birth date (and first name for twins).
- Item ids are an HMAC of the insurer's line id: a re-run or a duplicate S3 event writes nothing twice
  (known ids are read with BatchGetItem, 100 at a time, and only new ones are written).
- The holder reads the history (one Query per page, newest first); there is no write route."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from mes.domain import reimbursements as rules
from mes.domain.errors import ValidationError
from mes.domain.espace import Espace, Status
from mes.domain.identity import normalise_nir, parse_birth_date
from mes.domain.keys import Keys
from mes.ports import EspaceRepository, Page, ReimbursementRepository
from mes.progress import Progress, Tally
from mes.services.paging import page_limit

from .espaces import resolve_id

CHUNK = 500
# Espaces that may receive history: not the opposed (no espace, BR-07), closed or purged ones.
RECEIVING = frozenset({Status.PENDING, Status.NOTIFIED, Status.CREATED, Status.ACTIVE, Status.SUSPENDED})


def sort_key(r: rules.Reimbursement) -> str:
    """Newest first by care date, then the item id (unique per line)."""
    return f"{r.care_date.isoformat()}#{r.reimbursement_id}"


@dataclass
class LineError:
    line: int
    field: str | None
    detail: str


@dataclass
class ImportReport:
    lines: int = 0
    imported: int = 0
    already_known: int = 0
    too_old: int = 0
    errors: list[LineError] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"lines": self.lines, "imported": self.imported, "already_known": self.already_known,
                "too_old": self.too_old, "rejected": len(self.errors),
                "errors": [{"line": e.line, "field": e.field, "detail": e.detail} for e in self.errors]}


# --- reading the file ----------------------------------------------------------------------------
Lines = list[tuple[int, dict[str, str] | None]]


def _json_fields(raw: str) -> dict[str, str] | None:
    """One JSON line's fields as text (null → ""), None when it is not a JSON object."""
    try:
        data = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    return {str(k): "" if v is None else str(v) for k, v in data.items()}


def _read_json_lines(text: str) -> Lines:
    return [(number, _json_fields(raw)) for number, raw in enumerate(text.splitlines(), start=1) if raw.strip()]


def _read_csv_lines(text: str) -> Lines:
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in rules.REQUIRED if c not in (reader.fieldnames or [])]
    if missing:
        raise ValidationError(f"En-tête incomplet : colonnes manquantes {', '.join(missing)}.", field="header")
    return [(index + 2, {k: (v or "").strip() for k, v in row.items() if k}) for index, row in enumerate(reader)]


def read_lines(text: str, name: str = "") -> Lines:
    """(line number, fields) per data line; fields None for a JSON line that is not an object.
    JSON Lines when the name ends with .jsonl/.ndjson or the first non-blank character is '{'."""
    if name.lower().endswith((".jsonl", ".ndjson")) or text.lstrip().startswith("{"):
        return _read_json_lines(text)
    return _read_csv_lines(text)


@dataclass
class _Line:
    number: int
    nir_hmac: str
    birth_date: date
    first_name: str
    item: rules.Reimbursement  # espace_id filled once matched


def _parse(keys: Keys, number: int, row: dict[str, str], now: datetime) -> _Line:
    line_id = rules.validate_line_id(row.get("line_id", ""))
    nir = normalise_nir(row.get("nir", ""))
    birth = parse_birth_date(row.get("birth_date", ""), today=now.date())
    care = rules.parse_care_date(row.get("care_date", ""), now.date())
    label = rules.validate_label(row.get("act_label", ""), "act_label", required=True)
    professional = rules.validate_label(row.get("professional_name", ""), "professional_name", required=False)
    paid = rules.parse_amount(row.get("amount_paid", ""), "amount_paid")
    reimbursed = rules.parse_amount(row.get("amount_reimbursed", ""), "amount_reimbursed")
    if reimbursed > paid:
        raise ValidationError("Le montant remboursé dépasse le montant payé.", field="amount_reimbursed")
    item = rules.Reimbursement(espace_id="", reimbursement_id=rules.reimbursement_id(keys.nir, line_id),
                               care_date=care, act_label=label or "", professional_name=professional,
                               amount_paid=paid, amount_reimbursed=reimbursed, imported_at=now)
    return _Line(number, keys.nir_hmac(nir), birth, (row.get("first_name") or "").strip().lower(), item)


def _match(candidates: list[Espace], line: _Line) -> Espace | None:
    found = [e for e in candidates if e.birth_date == line.birth_date and e.status in RECEIVING]
    if len(found) > 1 and line.first_name:  # twins on one card (BR-02, BR-03)
        found = [e for e in found if e.first_name.strip().lower() == line.first_name]
    if len(found) > 1:
        raise ValidationError("Plusieurs personnes correspondent : renseignez le prénom.", field="first_name")
    return found[0] if found else None


def _parse_lines(lines: Iterable[tuple[int, dict[str, str] | None]], keys: Keys, now: datetime,
                 report: ImportReport) -> list[_Line]:
    """Every line validated (bad ones reported by number and field); lines older than two years counted."""
    start = rules.history_start(now.date())
    parsed: list[_Line] = []
    for number, row in lines:
        report.lines += 1
        if row is None:
            report.errors.append(LineError(number, None, "Ligne JSON illisible (un objet par ligne)."))
            continue
        try:
            line = _parse(keys, number, row, now)
        except ValidationError as exc:
            report.errors.append(LineError(number, exc.field, exc.detail))
            continue
        if line.item.care_date < start:
            report.too_old += 1
            continue
        parsed.append(line)
    return parsed


def _match_chunk(chunk: list[_Line], espaces: EspaceRepository, by_nir: dict[str, list[Espace]],
                 report: ImportReport) -> list[rules.Reimbursement]:
    """The items of the lines whose person is found (espace_id filled); the others reported."""
    matched: list[rules.Reimbursement] = []
    for line in chunk:
        if line.nir_hmac not in by_nir:
            by_nir[line.nir_hmac] = espaces.find_by_nir(line.nir_hmac)  # one Query per distinct NIR
        try:
            espace = _match(by_nir[line.nir_hmac], line)
        except ValidationError as exc:
            report.errors.append(LineError(line.number, exc.field, exc.detail))
            continue
        if espace is None:
            report.errors.append(LineError(line.number, "nir", "Aucun espace ne correspond à cette personne."))
            continue
        line.item.espace_id = espace.espace_id
        matched.append(line.item)
    return matched


def _write_new(repo: ReimbursementRepository, matched: list[rules.Reimbursement], report: ImportReport) -> None:
    """Only the items not already stored are written (a re-run writes nothing twice)."""
    chunk = list({(r.espace_id, sort_key(r)): r for r in matched}.items())
    if not chunk:
        return
    known = repo.existing_ids([k for k, _ in chunk])
    new = [r for k, r in chunk if k not in known]
    repo.add(new)
    report.imported += len(new)
    report.already_known += len(matched) - len(new)


def import_reimbursements(lines: Iterable[tuple[int, dict[str, str] | None]], *, espaces: EspaceRepository,
                          repo: ReimbursementRepository, keys: Keys, now: datetime,
                          progress: Progress | None = None) -> ImportReport:
    """`now` is the S3 event's time: the two-year window is relative to it, so a replay gives the same result.
    Lines are matched and written chunk after chunk; `progress` hears of each chunk (lines so far out
    of the lines that passed validation and the two-year window)."""
    report = ImportReport()
    parsed = _parse_lines(lines, keys, now, report)
    by_nir: dict[str, list[Espace]] = {}
    tally = Tally("reimbursements", progress, "lines", total=len(parsed))
    for offset in range(0, len(parsed), CHUNK):
        chunk = parsed[offset:offset + CHUNK]
        _write_new(repo, _match_chunk(chunk, espaces, by_nir, report), report)
        tally.batch(len(chunk))
    report.errors.sort(key=lambda e: e.line)
    return report


# --- the holder's read-only history --------------------------------------------------------------
def _date_param(value: str | None, name: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise ValidationError(f"« {name} » doit être une date AAAA-MM-JJ.", field=name) from exc


def list_reimbursements(espaces: EspaceRepository, repo: ReimbursementRepository, claims: dict, espace_id: str, *,
                        since: str | None, until: str | None, limit: int | None, cursor: str | None,
                        today: date) -> Page:
    """Newest first, at most the last two years (BR-21) whatever `from` says; one Query per page."""
    target = resolve_id(espaces, claims, espace_id)
    start, end = _date_param(since, "from"), _date_param(until, "to")
    if start and end and start > end:
        raise ValidationError("« from » doit précéder « to ».", field="from")
    floor = rules.history_start(today)
    return repo.list(target, since=max(start, floor) if start else floor, until=end, limit=page_limit(limit),
                     cursor=cursor)
