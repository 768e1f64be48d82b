"""ITI-67 search parameters (FHIR.md §2): parsed from the query string (or the form body of
`POST DocumentReference/_search`) into one `DocumentSearch`, and the narrowing they apply to what
the access policy already let through. Visibility is never decided here: the professionals' use
case lists, this module only keeps the documents that match the FHIR criteria.

Strict handling [design]: an unknown parameter or modifier is a 400 (a typo in `security-label`
must not silently widen an answer)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from mes.domain.documents import CATEGORIES, Document
from mes.domain.errors import ValidationError

from . import codes
from .resources import master_identifier

COUNT_MAX = 100
COUNT_DEFAULT = 50
SEARCH_PARAMS = ("patient.identifier", "status", "type", "category", "date", "period", "creation",
                 "security-label", "identifier", "_count", "_cursor")
PARAM_NAME = re.compile(r"^[A-Za-z_.:-]{1,40}$")
NIR_VALUE = re.compile(r"^[0-9]{5}(?:[0-9]{2}|2[AB])[0-9]{8}$")  # the key is checked by the use case (BR-01)
DATE_VALUE = re.compile(r"^(eq|ne|gt|lt|ge|le|sa|eb)?([0-9]{4}(-[0-9]{2}(-[0-9]{2}(T[0-9:.]+(Z|[+-][0-9:]+)?)?)?)?)$")


@dataclass(frozen=True)
class Token:
    system: str | None  # None: any system
    code: str

    def matches(self, system: str, code: str) -> bool:
        return self.code == code and (self.system is None or self.system == system)


@dataclass(frozen=True)
class DateRange:
    prefix: str
    start: datetime  # the value's precision as a range [start, end)
    end: datetime

    def accepts(self, when: datetime) -> bool:
        return {"eq": self.start <= when < self.end, "ne": not self.start <= when < self.end,
                "gt": when >= self.end, "sa": when >= self.end, "lt": when < self.start, "eb": when < self.start,
                "ge": when >= self.start, "le": when < self.end}[self.prefix]


@dataclass
class DocumentSearch:
    nir: str
    statuses: frozenset[str]
    count: int = COUNT_DEFAULT
    cursor: str | None = None
    types: list[Token] = field(default_factory=list)
    categories: frozenset[str] | None = None  # None: any
    dates: list[DateRange] = field(default_factory=list)
    creations: list[DateRange] = field(default_factory=list)
    periods: bool = False  # a `period` criterion: mes documents carry no service period (nothing matches)
    labels: list[Token] = field(default_factory=list)
    identifiers: list[Token] = field(default_factory=list)
    echo: list[tuple[str, str]] = field(default_factory=list)  # the criteria, for the paging links

    @property
    def mes_statuses(self) -> frozenset[str]:
        """The use case's statuses for the FHIR ones (`superseded` → `replaced`, BR-24)."""
        return frozenset(codes.MES_STATUSES[s] for s in self.statuses)

    @property
    def single_category(self) -> str | None:
        """The category the use case can list by (one Query on its index), when there is one."""
        return next(iter(self.categories)) if self.categories and len(self.categories) == 1 else None


def _bad(detail: str, name: str) -> ValidationError:
    return ValidationError(detail, field=name)


def _token(value: str, name: str) -> Token:
    if not value or len(value) > 300:
        raise _bad(f"Paramètre « {name} » invalide.", name)
    system, bar, code = value.partition("|")
    if not bar:
        return Token(None, value)
    if not code:
        raise _bad(f"Paramètre « {name} » invalide : code manquant après « | ».", name)
    return Token(system, code)


def _tokens(values: Iterable[str], name: str) -> list[Token]:
    """A repeated parameter is AND, commas inside one are OR (FHIR search): one OR list per value."""
    return [_token(v, name) for value in values for v in value.split(",")]


def _date(value: str, name: str) -> DateRange:
    match = DATE_VALUE.match(value)
    if not match:
        raise _bad(f"Paramètre « {name} » invalide : une date FHIR est attendue (ex. ge2026-01-01).", name)
    prefix, text = match.group(1) or "eq", match.group(2)
    try:
        if "T" in text:
            start = datetime.fromisoformat(text.replace("Z", "+00:00"))
            start = start if start.tzinfo else start.replace(tzinfo=UTC)
            return DateRange(prefix, start, start + timedelta(seconds=1))
        parts = [int(p) for p in text.split("-")]
        start = datetime(parts[0], parts[1] if len(parts) > 1 else 1, parts[2] if len(parts) > 2 else 1, tzinfo=UTC)
    except ValueError:
        raise _bad(f"Paramètre « {name} » invalide : date impossible.", name) from None
    return DateRange(prefix, start, _next(start, len(parts)))


def _next(start: datetime, precision: int) -> datetime:
    if precision == 3:
        return start + timedelta(days=1)
    if precision == 2:
        return start.replace(year=start.year + start.month // 12, month=start.month % 12 + 1)
    return start.replace(year=start.year + 1)


def patient_nir(value: str, name: str = "patient.identifier") -> str:
    """`urn:oid:1.2.250.1.213.1.4.8|{NIR}` (INS-NIR; also the test and demo OIDs) → the NIR."""
    system, bar, nir = value.partition("|")
    if not bar or system not in codes.NIR_SYSTEMS or not NIR_VALUE.match(nir):
        raise _bad(f"« {name} » attend un INS : {codes.INS_NIR}|<NIR de 15 caractères>.", name)
    return nir


def _count(values: list[str]) -> int:
    value = values[-1]
    if not value.isdigit() or not 1 <= int(value) <= COUNT_MAX:
        raise _bad(f"« _count » doit être un entier de 1 à {COUNT_MAX}.", "_count")
    return int(value)


def _categories(values: list[str], base: str) -> frozenset[str] | None:
    """Each value narrows (AND); the codes inside one value widen (OR)."""
    chosen: frozenset[str] | None = None
    for value in values:
        found: set[str] = set()
        for token in _tokens([value], "category"):
            if token.system in (None, codes.mes_category_system(base)) and token.code in CATEGORIES:
                found.add(token.code)
            if token.system in (None, codes.TRE_A03):
                found |= codes.categories_of_class(token.code)
        chosen = frozenset(found) if chosen is None else chosen & found
    return chosen


def _statuses(values: list[str]) -> frozenset[str]:
    chosen: frozenset[str] | None = None
    for value in values:
        found = {t.code for t in _tokens([value], "status")
                 if t.system in (None, "http://hl7.org/fhir/document-reference-status")}
        if not found <= set(codes.FHIR_STATUSES):
            raise _bad("« status » : current, superseded ou entered-in-error.", "status")
        chosen = frozenset(found) if chosen is None else chosen & found
    return chosen or frozenset()


def _grouped(pairs: list[tuple[str, str]]) -> dict[str, list[str]]:
    """The values of each parameter, in order; unknown parameters and missing required ones refused."""
    grouped: dict[str, list[str]] = {}
    for name, value in pairs:
        if name not in SEARCH_PARAMS:  # the name is echoed to the client; logged only if it holds no digit
            raise _bad(f"Paramètre de recherche non pris en charge : « {name[:40]} ».",
                       name if PARAM_NAME.match(name) else "query")
        grouped.setdefault(name, []).append(value)
    for required in ("patient.identifier", "status"):
        if required not in grouped:
            raise _bad(f"Le paramètre « {required} » est obligatoire.", required)
    return grouped


def _one_patient(values: list[str]) -> str:
    nirs = {patient_nir(v) for v in values}
    if len(nirs) != 1:
        raise _bad("Une recherche porte sur un seul patient.", "patient.identifier")
    return nirs.pop()


def parse(pairs: list[tuple[str, str]], base: str) -> DocumentSearch:
    """The ITI-67 parameters (FHIR.md §2). `patient.identifier` and `status` are required."""
    grouped = _grouped(pairs)
    last = {name: values[-1] for name, values in grouped.items()}
    search = DocumentSearch(nir=_one_patient(grouped["patient.identifier"]), statuses=_statuses(grouped["status"]),
                            echo=[(n, v) for n, v in pairs if n != "_cursor"])
    search.count = _count(grouped["_count"]) if "_count" in last else COUNT_DEFAULT
    search.cursor = _cursor(last["_cursor"]) if "_cursor" in last else None
    search.categories = _categories(grouped["category"], base) if "category" in last else None
    search.types = _tokens(grouped.get("type", []), "type")
    search.labels = _tokens(grouped.get("security-label", []), "security-label")
    search.identifiers = _tokens(grouped.get("identifier", []), "identifier")
    search.dates = [_date(v, "date") for v in grouped.get("date", [])]
    search.creations = [_date(v, "creation") for v in grouped.get("creation", [])]
    search.periods = bool([_date(v, "period") for v in grouped.get("period", [])])
    return search


def _any(tokens: list[Token], codings: list[tuple[str, str]]) -> bool:
    return any(t.matches(s, c) for t in tokens for s, c in codings)


def _master(document: Document) -> tuple[str, str]:
    identifier = master_identifier(document.document_id)
    return identifier["system"], identifier["value"]


def matches(search: DocumentSearch, document: Document, base: str) -> bool:
    """The FHIR criteria on a document the policy already let through (AND of every criterion)."""
    status = codes.fhir_status(document)
    checks: list[Callable[[], bool]] = [
        lambda: status is not None and status in search.statuses,
        lambda: search.categories is None or document.category in search.categories,
        lambda: not search.types or _any(search.types, [codes.type_coding(document.category, base)]),
        lambda: not search.labels or _any(search.labels, codes.security_labels(document)),
        lambda: not search.identifiers or _any(search.identifiers, [_master(document)]),
        lambda: all(d.accepts(document.created_at) for d in (*search.dates, *search.creations)),
        lambda: not search.periods,
    ]
    return all(check() for check in checks)


# Paging: `_cursor` is the use case's own cursor, opaque to the client (the JSON route's `cursor`).
def _cursor(value: str) -> str:
    if not value or len(value) > 2048:
        raise _bad("« _cursor » invalide : reprenez le lien « next » de la page précédente.", "_cursor")
    return value


def page_url(base: str, search: DocumentSearch, inner_cursor: str | None) -> str:
    """An absolute link to this search (the criteria, then the cursor when there is one)."""
    params = [*search.echo, *((("_cursor", inner_cursor),) if inner_cursor else ())]
    return f"{base}/DocumentReference?{urlencode(params)}"
