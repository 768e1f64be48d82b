"""Measurements (BR-19): a time series per type, each value with its unit, appended, never
overwritten. A measurement is identified by (type, measured_at to the second): posting the same
one again (a retry) changes nothing and answers the stored one; another value at the same instant
is a conflict. Stdlib + pydantic only."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from .errors import StateConflict, ValidationError


@dataclass(frozen=True)
class Kind:
    unit: str
    label: str  # French, for error messages
    low: float
    high: float
    decimals: int


# Physiological ranges, wide enough for every real patient (newborns, extreme obesity, shock,
# fever), narrow enough to catch a unit or typing mistake (a weight in grams, a height in metres).
KINDS: dict[str, Kind] = {
    "weight": Kind("kg", "Le poids", 0.3, 500, 2),
    "height": Kind("cm", "La taille", 20, 260, 1),
    "glycemia": Kind("g/L", "La glycémie", 0.1, 10, 2),  # g/L, the unit of French laboratories
    "temperature": Kind("°C", "La température", 30, 45, 1),
    "heart_rate": Kind("bpm", "La fréquence cardiaque", 20, 250, 0),
    "oxygen_saturation": Kind("%", "La saturation en oxygène", 50, 100, 0),
    # HbA1c (glycated haemoglobin) in % of total haemoglobin (NGSP/DCCT: the unit of French
    # laboratory reports and the only one of the PCH-01 value set JDV-J163). Laboratory analysers
    # report about 4 to 18 % (their measuring ranges); haemolysis or a recent transfusion reads
    # lower, untreated diabetes seldom above 15 %. 2 to 20 % keeps real patients and catches the
    # usual slips: a fraction (0.061 for 6.1 %) and, for all but the lowest, an IFCC value in
    # mmol/mol (4 % is 20 mmol/mol, 6.1 % is 43).
    "hba1c": Kind("%", "L'hémoglobine glyquée (HbA1c)", 2, 20, 1),
}
BLOOD_PRESSURE = "blood_pressure"
SYSTOLIC = Kind("mmHg", "La pression systolique", 50, 300, 0)
DIASTOLIC = Kind("mmHg", "La pression diastolique", 20, 200, 0)
TYPES: tuple[str, ...] = (*KINDS, BLOOD_PRESSURE)
UNITS: dict[str, str] = {**{t: k.unit for t, k in KINDS.items()}, BLOOD_PRESSURE: "mmHg"}
CLOCK_SKEW = timedelta(minutes=5)  # a device clock slightly ahead is not "the future"
OLDEST = datetime(1900, 1, 1, tzinfo=UTC)
MAX_NOTE = 500


@dataclass(frozen=True)
class Measurement:
    espace_id: str
    type: str
    measured_at: datetime
    unit: str
    recorded_at: datetime
    value: float | None = None
    systolic: int | None = None
    diastolic: int | None = None
    note: str | None = None

    @property
    def measurement_id(self) -> str:
        return f"{self.type}-{self.measured_at.strftime('%Y%m%dT%H%M%SZ')}"

    def same_reading(self, other: Measurement) -> bool:
        return (self.type, self.measured_at, self.value, self.systolic, self.diastolic, self.note) == (
            other.type, other.measured_at, other.value, other.systolic, other.diastolic, other.note)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.measurement_id, "type": self.type, "measured_at": iso(self.measured_at),
                               "unit": self.unit, "recorded_at": iso(self.recorded_at)}
        for name in ("value", "systolic", "diastolic", "note"):
            if getattr(self, name) is not None:
                out[name] = getattr(self, name)
        return out


def iso(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def check_type(value: str | None, field: str = "type") -> str:
    if value not in TYPES:
        raise ValidationError(f"Type de mesure inconnu (valeurs possibles : {', '.join(TYPES)}).", field=field)
    return value


def parse_instant(value: Any, field: str, *, end_of_day: bool = False) -> datetime:
    """ISO 8601 with a time zone (`2026-03-01T09:00:00Z`), or a date (`2026-03-01`: the day's
    first second, or its last one for the end of a period). Kept to the second, in UTC."""
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(f"« {field} » doit être une date ou une heure ISO 8601.", field=field)
    text = value.strip()
    try:
        if len(text) == 10:
            day = datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=UTC)
            return day + timedelta(days=1, seconds=-1) if end_of_day else day
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValidationError(f"« {field} » doit être une date ou une heure ISO 8601.", field=field) from None
    if parsed.tzinfo is None:
        raise ValidationError(f"« {field} » doit préciser le fuseau horaire (par exemple « Z »).", field=field)
    return parsed.astimezone(UTC).replace(microsecond=0)


def _number(value: Any, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValidationError(f"« {field} » doit être un nombre.", field=field)
    return float(value)


def _in_range(value: float, kind: Kind, field: str) -> float:
    if not kind.low <= value <= kind.high:
        low, high = (f"{x:g}".replace(".", ",") for x in (kind.low, kind.high))
        raise ValidationError(f"{kind.label} est hors des valeurs physiologiques ({low} à {high} {kind.unit}).",
                              field=field)
    return round(value, kind.decimals)


def new_measurement(espace_id: str, data: dict[str, Any], now: datetime) -> Measurement:
    """Validate one measurement from the request (type, measured_at, value or systolic/diastolic,
    optional unit that must be the type's, optional note)."""
    kind_name = check_type(data.get("type"))
    measured_at = _measured_at(data.get("measured_at"), now)
    unit = _unit(kind_name, data.get("unit"))
    note = _note(data.get("note"))
    if kind_name == BLOOD_PRESSURE:
        systolic, diastolic = _blood_pressure(data)
        return Measurement(espace_id, kind_name, measured_at, unit, now, systolic=systolic, diastolic=diastolic,
                           note=note)
    return Measurement(espace_id, kind_name, measured_at, unit, now, value=_single_value(kind_name, data),
                       note=note)


def _measured_at(value: Any, now: datetime) -> datetime:
    measured_at = parse_instant(value, "measured_at")
    if measured_at > now + CLOCK_SKEW:
        raise ValidationError("La date de la mesure ne peut pas être dans le futur.", field="measured_at")
    if measured_at < OLDEST:
        raise ValidationError("La date de la mesure doit être postérieure à 1900.", field="measured_at")
    return measured_at


def _unit(kind_name: str, posted: Any) -> str:
    """The type's unit; a posted unit, when given, must be that one."""
    unit = UNITS[kind_name]
    if posted is not None and posted != unit:
        raise ValidationError(f"Unité attendue pour ce type de mesure : « {unit} ».", field="unit")
    return unit


def _note(note: Any) -> str | None:
    if note is None:
        return None
    if not isinstance(note, str) or len(note.strip()) > MAX_NOTE:
        raise ValidationError(f"« note » : texte de {MAX_NOTE} caractères au plus.", field="note")
    return note.strip() or None


def _blood_pressure(data: dict[str, Any]) -> tuple[int, int]:
    """(systolic, diastolic), both required, in range, diastolic below systolic; no `value`."""
    if data.get("value") is not None:
        raise ValidationError("Pression artérielle : indiquer « systolic » et « diastolic », pas « value ».",
                              field="value")
    for name in ("systolic", "diastolic"):
        if data.get(name) is None:
            raise ValidationError(f"Champ obligatoire manquant : « {name} ».", field=name)
    systolic = int(_in_range(_number(data["systolic"], "systolic"), SYSTOLIC, "systolic"))
    diastolic = int(_in_range(_number(data["diastolic"], "diastolic"), DIASTOLIC, "diastolic"))
    if diastolic >= systolic:
        raise ValidationError("La pression diastolique doit être inférieure à la pression systolique.",
                              field="diastolic")
    return systolic, diastolic


def _single_value(kind_name: str, data: dict[str, Any]) -> float:
    """The `value` of a one-figure type (an int when the type has no decimals); no systolic/diastolic."""
    for name in ("systolic", "diastolic"):
        if data.get(name) is not None:
            raise ValidationError(f"« {name} » ne s'applique qu'à la pression artérielle.", field=name)
    if data.get("value") is None:
        raise ValidationError("Champ obligatoire manquant : « value ».", field="value")
    kind = KINDS[kind_name]
    value = _in_range(_number(data["value"], "value"), kind, "value")
    return int(value) if kind.decimals == 0 else value


def replay(existing: Measurement, posted: Measurement) -> Measurement:
    """A second post at the same (type, instant): the same reading is a retry (answer the stored
    one), another reading is refused (a measurement is never overwritten)."""
    if existing.same_reading(posted):
        return existing
    raise StateConflict("Une autre mesure de ce type est déjà enregistrée à cette date et heure : "
                        "une mesure n'est jamais remplacée.")


def period(start: str | None, end: str | None) -> tuple[datetime | None, datetime | None]:
    lo = parse_instant(start, "from") if start else None
    hi = parse_instant(end, "to", end_of_day=True) if end else None
    if lo is not None and hi is not None and hi < lo:
        raise ValidationError("La fin de la période précède son début.", field="to")
    return lo, hi
