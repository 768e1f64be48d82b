"""Identity rules: NIR (BR-01), Vitale serial and birth date (BR-03), holder identifiers (BR-10)."""

from __future__ import annotations

import re
from datetime import date

from stdnum.exceptions import ValidationError as StdnumError
from stdnum.fr import nir as stdnum_nir

from .errors import ValidationError


def normalise_nir(value: str) -> str:
    """Return the 15-character NIR or raise ValidationError (BR-01).

    python-stdnum checks length, digits, 2A/2B and the key; it does not check the sex digit
    (1 or 2; 3, 4, 7, 8 are temporary numbers, not INS) nor the month (01-12, or 20-42 / 50-99
    for people whose birth month is unknown, as INSEE allocates them).
    """
    if not isinstance(value, str):
        raise ValidationError("Le NIR doit être une chaîne de 15 caractères.", field="nir")
    try:
        compact = stdnum_nir.validate(value)
    except StdnumError as exc:
        raise ValidationError("Le NIR est invalide (15 caractères, clé de contrôle).", field="nir") from exc
    if compact[0] not in "12":
        raise ValidationError("Le NIR est invalide : le premier chiffre doit être 1 ou 2.", field="nir")
    month = int(compact[3:5])
    if not (1 <= month <= 12 or 20 <= month <= 42 or 50 <= month <= 99):
        raise ValidationError("Le NIR est invalide : le mois de naissance est impossible.", field="nir")
    return compact


_VITALE_DIGITS = re.compile(r"^[0-9]{8,13}$")


def normalise_vitale_serial(value: str) -> str:
    """BR-03: card with photo, the last 11 digits of its serial; card without photo, 8 to 13 digits.

    Spaces are dropped; longer serials printed on photo cards are reduced to their last 11 digits so
    that both ways of typing the same card match.
    """
    if not isinstance(value, str):
        raise ValidationError("Le numéro de série de la carte Vitale est invalide.", field="vitale_serial")
    digits = re.sub(r"\s", "", value)
    if not digits.isdigit() or not 8 <= len(digits) <= 22:
        raise ValidationError("Le numéro de série de la carte Vitale est invalide.", field="vitale_serial")
    if len(digits) > 13:
        digits = digits[-11:]
    if not _VITALE_DIGITS.match(digits):
        raise ValidationError("Le numéro de série de la carte Vitale est invalide.", field="vitale_serial")
    return digits


def parse_birth_date(value: str, today: date | None = None) -> date:
    try:
        parsed = date.fromisoformat(value)
    except (TypeError, ValueError) as exc:
        raise ValidationError("La date de naissance doit être au format AAAA-MM-JJ.", field="birth_date") from exc
    if parsed.year < 1890 or (today is not None and parsed > today):
        raise ValidationError("La date de naissance est impossible.", field="birth_date")
    return parsed


_LOGIN = re.compile(r"^[a-z0-9_.-]{8,100}$")
_IBAN = re.compile(r"^[a-z]{2}[0-9]{2}[a-z0-9]{10,30}$")


def validate_login(value: str) -> str:
    """BR-10: 8-100 characters [a-z0-9_.-]; not an e-mail, a NIR or an IBAN."""
    if not isinstance(value, str) or not _LOGIN.match(value):
        raise ValidationError(
            "L'identifiant doit faire 8 à 100 caractères parmi a-z, 0-9, « _ », « . » et « - ».", field="login"
        )
    if re.fullmatch(r"[0-9]{13}([0-9]{2})?", value) or _IBAN.match(value) or _is_nir(value):
        raise ValidationError("L'identifiant ne peut pas être un NIR ni un IBAN.", field="login")
    return value


def _is_nir(value: str) -> bool:
    """Any spelling python-stdnum would accept as a NIR (dots, dashes, 2a/2b in lower case)."""
    try:
        normalise_nir(re.sub(r"[._-]", "", value).upper())
    except ValidationError:
        return False
    return True


# BR-13: we follow the ANSSI/CNIL recommendation adopted by MES: at least 12 characters, no
# composition rule, but not a login look-alike and not a single repeated character.
PASSWORD_MIN_LENGTH = 12
PASSWORD_MAX_LENGTH = 128


def validate_password(password: str, login: str | None = None) -> str:
    if not isinstance(password, str) or not PASSWORD_MIN_LENGTH <= len(password) <= PASSWORD_MAX_LENGTH:
        raise ValidationError(
            f"Le mot de passe doit contenir entre {PASSWORD_MIN_LENGTH} et {PASSWORD_MAX_LENGTH} caractères.",
            field="password",
        )
    if len(set(password)) < 4 or (login and login.lower() in password.lower()):
        raise ValidationError("Ce mot de passe est trop simple ou contient votre identifiant.", field="password")
    return password


_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")


def validate_email(value: str, field: str = "email") -> str:
    if not isinstance(value, str) or len(value) > 254 or not _EMAIL.match(value):
        raise ValidationError("L'adresse e-mail est invalide.", field=field)
    return value.strip().lower()


def normalise_mobile(value: str, field: str = "mobile") -> str:
    """French mobile numbers (06/07) or any E.164 number, returned in E.164 (SNS requires it)."""
    if not isinstance(value, str):
        raise ValidationError("Le numéro de mobile est invalide.", field=field)
    compact = re.sub(r"[\s.-]", "", value)
    if re.fullmatch(r"0[67][0-9]{8}", compact):
        return "+33" + compact[1:]
    if re.fullmatch(r"\+[1-9][0-9]{7,14}", compact):
        return compact
    raise ValidationError("Le numéro de mobile est invalide.", field=field)


def age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))
