"""Everything a holder reads that is not an e-mail template (those are SES templates in
template.yaml): SMS texts, letter text, French dates. No health data ever goes in them (BR-05, BR-27)."""

from __future__ import annotations

import re
import string
from datetime import date, datetime

MONTHS = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
          "novembre", "décembre"]


def french_date(value: date | datetime) -> str:
    d = value.date() if isinstance(value, datetime) else value
    day = "1er" if d.day == 1 else str(d.day)
    return f"{day} {MONTHS[d.month - 1]} {d.year}"


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
