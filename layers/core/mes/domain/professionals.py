"""Health professionals (PS): who a Pro Santé Connect token says the caller is (BR-28).

The identity comes from the provider's signed token only (`mes.adapters.psc.PscVerifier`), never
from a request body or a header the caller writes. No AWS here."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TypeGuard

# Profession codes of the national nomenclature (TRE_G15 "Profession de santé"), the ones the
# access matrix talks about (DOMAIN.md BR-28/BR-29). A well-formed code that is not listed here is
# still a valid identity: what it may read is decided by the access matrix (no row = no access).
PROFESSIONS: dict[str, str] = {
    "10": "médecin",
    "21": "pharmacien",
    "40": "chirurgien-dentiste",
    "50": "sage-femme",
    "60": "infirmier",
    "70": "masseur-kinésithérapeute",
    "80": "pédicure-podologue",
    "28": "opticien-lunetier",
}
PHYSICIAN = "10"

RPPS_PATTERN = re.compile(r"^[0-9]{11}$")
PROFESSION_PATTERN = re.compile(r"^[0-9]{2}$")


def may_be_administrator(profession: str | None, basis: str | None) -> bool:
    """BR-32: the administrator is the former DMP "médecin traitant", a physician — not an occupational
    physician (BR-33). A professional the espace knows no profession of yet (no authorisation recorded:
    the profession only comes from its own token) is not refused."""
    return profession in (None, PHYSICIAN) and basis != "occupational_consent"


def is_rpps(value: object) -> bool:
    """An RPPS number: exactly 11 ASCII digits."""
    return isinstance(value, str) and RPPS_PATTERN.fullmatch(value) is not None


def is_profession_code(value: object) -> TypeGuard[str]:
    """A profession code: two ASCII digits ("10", "21"...)."""
    return isinstance(value, str) and PROFESSION_PATTERN.fullmatch(value) is not None


@dataclass(frozen=True)
class ProIdentity:
    """The authenticated PS.

    `rpps`: the 11-digit RPPS number; `profession`: the profession code (see `PROFESSIONS`);
    `structure`: where the PS works (FINESS site number or structure identifier), when the token
    says; `name`: display name, when the token says; `occupational`: an occupational physician
    (médecin du travail, BR-33) — **[design]** a flag the token carries in the exercise, not a
    profession code of its own. It only ever restricts: a token that sets it is treated as
    occupational whatever its profession."""

    rpps: str
    profession: str
    structure: str | None = None
    name: str | None = None
    occupational: bool = False

    def __post_init__(self) -> None:
        if not is_rpps(self.rpps):
            raise ValueError("rpps must be 11 digits")
        if not is_profession_code(self.profession):
            raise ValueError("profession must be a two-digit code")
        if not isinstance(self.occupational, bool):
            raise ValueError("occupational must be a bool")

    @property
    def profession_label(self) -> str | None:
        """The label ("médecin", "pharmacien"...), or None for a code outside `PROFESSIONS`."""
        return PROFESSIONS.get(self.profession)
