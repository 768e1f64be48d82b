"""Reimbursement history (BR-21): imported from the insurer, read-only for the holder, last two years.

One line of the insurer's file = one reimbursement. Amounts are kept in euro cents (integers: no
float rounding); the holder reads them as decimal strings ("25.00")."""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from .errors import ValidationError

# The columns of the insurer's file (CSV header, or the keys of each JSON Lines object).
# first_name and professional_name may be empty; the others are required.
COLUMNS = ["line_id", "nir", "birth_date", "first_name", "care_date", "act_label", "professional_name",
           "amount_paid", "amount_reimbursed"]
REQUIRED = ["line_id", "nir", "birth_date", "care_date", "act_label", "amount_paid", "amount_reimbursed"]
HISTORY_YEARS = 2  # BR-21
_AMOUNT = re.compile(r"^\d{1,7}(?:[.,]\d{1,2})?$")
_LINE_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
MAX_LABEL = 200


@dataclass
class Reimbursement:
    espace_id: str
    reimbursement_id: str
    care_date: date
    act_label: str
    professional_name: str | None
    amount_paid: int  # cents
    amount_reimbursed: int  # cents
    imported_at: datetime

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.reimbursement_id, "care_date": self.care_date.isoformat(), "act_label": self.act_label,
                "professional_name": self.professional_name, "amount_paid": euros(self.amount_paid),
                "amount_reimbursed": euros(self.amount_reimbursed), "currency": "EUR"}


def euros(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def parse_amount(value: str, field: str) -> int:
    text = (value or "").strip()
    if not _AMOUNT.match(text):
        raise ValidationError("Montant invalide (euros, au plus deux décimales, ex. 25.00).", field=field)
    whole, _, decimals = text.replace(",", ".").partition(".")
    return int(whole) * 100 + int((decimals + "00")[:2])


def parse_care_date(value: str, today: date) -> date:
    try:
        parsed = date.fromisoformat((value or "").strip())
    except ValueError as exc:
        raise ValidationError("La date des soins doit être au format AAAA-MM-JJ.", field="care_date") from exc
    if parsed > today:
        raise ValidationError("La date des soins est dans le futur.", field="care_date")
    return parsed


def validate_line_id(value: str) -> str:
    text = (value or "").strip()
    if not _LINE_ID.match(text):
        raise ValidationError("Identifiant de ligne invalide (1 à 64 caractères A-Z, 0-9, _ . : -).",
                              field="line_id")
    return text


def validate_label(value: str, field: str, required: bool) -> str | None:
    text = " ".join((value or "").split())
    if not text:
        if required:
            raise ValidationError("Champ obligatoire vide.", field=field)
        return None
    if len(text) > MAX_LABEL:
        raise ValidationError(f"Texte trop long (au plus {MAX_LABEL} caractères).", field=field)
    return text


def history_start(today: date) -> date:
    """The first day of the two-year history (BR-21): the same day two years earlier (29 Feb → 28 Feb)."""
    try:
        return today.replace(year=today.year - HISTORY_YEARS)
    except ValueError:
        return today.replace(year=today.year - HISTORY_YEARS, day=28)


def reimbursement_id(key: bytes, line_id: str) -> str:
    """Deterministic (a re-import or a duplicate S3 event writes the same item), opaque (the insurer's
    line id is not shown as such) [design]."""
    return hmac.new(key, f"reimbursement:{line_id}".encode(), hashlib.sha256).hexdigest()[:32]
