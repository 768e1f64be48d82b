"""Everything a holder reads that is not an e-mail template (those are SES templates in
template.yaml): SMS texts, letter text, French dates. No health data ever goes in them (BR-05, BR-27)."""

from __future__ import annotations

import re
import string
from datetime import UTC, date, datetime, timedelta

MONTHS = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
          "novembre", "décembre"]


def french_date(value: date | datetime) -> str:
    d = value.date() if isinstance(value, datetime) else value
    day = "1er" if d.day == 1 else str(d.day)
    return f"{day} {MONTHS[d.month - 1]} {d.year}"


def _last_sunday(year: int, month: int) -> datetime:
    """01:00 UTC on the last Sunday of `month` (March and October: the EU summer-time changes)."""
    last = datetime(year, month, 31, 1, tzinfo=UTC)
    return last - timedelta(days=(last.weekday() + 1) % 7)


def paris_time(value: datetime) -> datetime:
    """An aware instant in Europe/Paris local time (CET, CEST from the last Sunday of March to the
    last Sunday of October, 01:00 UTC): the rule in code, so no tz database is needed in Lambda."""
    utc = value.astimezone(UTC)
    summer = _last_sunday(utc.year, 3) <= utc < _last_sunday(utc.year, 10)
    return (utc + timedelta(hours=2 if summer else 1)).replace(tzinfo=None)


def french_datetime(value: datetime) -> str:
    """"14 mai 2026 à 15 h 42 (heure de Paris)": the date as `french_date`, the time in Paris."""
    local = paris_time(value)
    return f"{french_date(local)} à {local.hour} h {local.minute:02d} (heure de Paris)"


SMS_TEMPLATES: dict[str, str] = {
    "otp": "Mon espace santé : votre code à usage unique est ${otp}. Il expire dans 10 minutes. Ne le communiquez à personne.",
    "renewal-code": "Mon espace santé : votre nouveau code provisoire est ${code}, valable jusqu'au ${expires}. L'ancien code ne fonctionne plus.",
    # BR-39: no content, no name: only the fact that a message arrived.
    "new-message": "Mon espace santé : un professionnel de santé vous a envoyé un message dans votre messagerie sécurisée. Connectez-vous pour le lire.",
}

LETTER_TEMPLATES: dict[str, str] = {
    "wave-code": (
        "${name}\n${address}\n\n"
        "Objet : votre profil Mon espace santé\n\n"
        "Madame, Monsieur,\n\n"
        "Mon espace santé est le service public qui permet à chacun de stocker et de partager ses "
        "documents et données de santé en toute sécurité${for_child}.\n"
        "Votre code provisoire personnel est : ${code}\n"
        "Il est valable six semaines. Pour activer votre profil, ou pour vous opposer à sa création "
        "avant le ${deadline}, rendez-vous sur monespacesante.fr avec votre numéro de sécurité sociale, "
        "votre date de naissance, le numéro de série de votre carte Vitale et ce code.\n"
        "Sans opposition de votre part avant cette date, votre profil sera créé automatiquement. "
        "Vous pourrez le fermer à tout moment.\n\n"
        "L'Assurance Maladie"
    ),
}


OPPOSITION_RECEIPT_TITLE = "Justificatif d'opposition à la création de Mon espace santé"


def opposition_receipt_text(*, receipt_id: str, opposed_at: datetime, first_name: str,
                            last_name: str) -> tuple[str, list[tuple[bool, str]]]:
    """BR-07 (proof of the opposition), BR-08 (never created automatically), BR-09 and BR-10 (changing
    one's mind: a new code, then activation): the title and the paragraphs (heading?, text) of the PDF.
    The holder's name only: nothing of the NIR."""
    return OPPOSITION_RECEIPT_TITLE, [
        (False, f"Numéro du justificatif : {receipt_id}"),
        (False, f"Opposition enregistrée le {french_datetime(opposed_at)}"),
        (False, f"Titulaire : {first_name} {last_name}"),
        (True, "Ce que signifie votre opposition"),
        (False, "Vous vous êtes opposé(e) à la création de votre profil Mon espace santé pendant le délai "
                "d'opposition. Votre opposition est enregistrée : votre profil ne sera pas créé "
                "automatiquement, ni à la fin de ce délai, ni plus tard."),
        (True, "Si vous changez d'avis"),
        (False, "Vous pouvez revenir sur votre décision à tout moment en activant vous-même votre profil. "
                "Le code provisoire utilisé pour vous opposer ne fonctionne plus : demandez un nouveau code "
                "sur monespacesante.fr avec votre numéro de sécurité sociale, votre date de naissance et le "
                "numéro de série de votre carte Vitale. Il vous est envoyé par e-mail ou par SMS, aux "
                "coordonnées connues de l'Assurance Maladie ; si aucune coordonnée n'est enregistrée, "
                "contactez votre caisse d'assurance maladie au 3422."),
        (False, "Avec ce nouveau code, activez votre profil : confirmez votre adresse e-mail, choisissez un "
                "identifiant et un mot de passe, et acceptez les conditions générales d'utilisation."),
        (True, "Conservez ce justificatif"),
        (False, "Il prouve votre démarche. Il ne contient pas votre numéro de sécurité sociale."),
        (False, "L'Assurance Maladie — Mon espace santé"),
    ]


def render(template_text: str, data: dict[str, str]) -> str:
    return string.Template(template_text).substitute(data)


def parse_sms(text: str) -> tuple[str, dict[str, str]] | None:
    """Recover (template, fields) from an SMS text: the local outbox shows the fields it carried."""
    for name, template_text in SMS_TEMPLATES.items():
        pattern = re.escape(template_text)
        for field in re.findall(r"\$\{(\w+)\}", template_text):
            pattern = pattern.replace(re.escape("${" + field + "}"), f"(?P<{field}>.+?)", 1)
        match = re.fullmatch(pattern, text)
        if match:
            return name, match.groupdict()
    return None
