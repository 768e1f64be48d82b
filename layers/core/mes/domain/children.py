"""Children and legal representatives (BR-16 to BR-18): who manages a child's espace, the attachment
to the guardian's login, the second legal representative, and the handover at 18.

A child's espace is managed by the guardian declared to the insurer (`guardian_id`, BR-04) and, once
invited, by a second legal representative (`representative_id`, an adult with an active espace). It
has no login of its own while it is managed. At 18 the access of both ends and the young adult gets
their own provisional code, so that they activate their espace themselves [design, BR-18].
Plain functions on the domain objects: no boto3, no clock (the caller passes `now`).
"""

from __future__ import annotations

from datetime import date, datetime

from . import espace as lifecycle
from .errors import Forbidden, NotFound, StateConflict
from .espace import Espace, Status

MAJORITY_AGE = 18
# Statuses in which the young adult is sent their own code at the handover: they activate with it
# (created → active), or change their mind after an opposition made by their guardian (BR-07).
HANDOVER_CODE_STATUSES = frozenset({Status.NOTIFIED, Status.CREATED, Status.OPPOSED})
HANDOVER_TEMPLATE = "majority-code"
HANDOVER_LETTER = (
    "${name}\n${address}\n\n"
    "Objet : votre profil Mon espace santé\n\n"
    "Madame, Monsieur,\n\n"
    "Vous avez 18 ans : votre profil Mon espace santé est désormais le vôtre. Vos représentants "
    "légaux n'y ont plus accès.\n"
    "Votre code provisoire personnel est : ${code}\n"
    "Il est valable jusqu'au ${expires}. Pour activer votre profil et choisir vos propres identifiants, "
    "rendez-vous sur monespacesante.fr avec votre numéro de sécurité sociale, votre date de naissance, "
    "le numéro de série de votre carte Vitale et ce code.\n"
    "Vous pourrez aussi fermer votre profil à tout moment.\n\n"
    "L'Assurance Maladie"
)


class RepresentativeNotFound(NotFound):
    detail = "Aucun profil Mon espace santé activé ne correspond à ce représentant légal."


def majority_date(birth: date) -> date:
    """The 18th birthday. Born on 29 February: 1 March of a non-leap year, the first day on which
    18 full years have passed [design]."""
    try:
        return birth.replace(year=birth.year + MAJORITY_AGE)
    except ValueError:
        return date(birth.year + MAJORITY_AGE, 3, 1)


def is_minor(birth: date, today: date) -> bool:
    return today < majority_date(birth)


def is_managed(espace: Espace) -> bool:
    return espace.guardian_id is not None or espace.representative_id is not None


def manages(espace: Espace, caller_id: str) -> bool:
    """BR-16: the guardian on file or the invited second representative."""
    return caller_id in (espace.guardian_id, espace.representative_id)


def is_representative_only(espace: Espace, caller_id: str) -> bool:
    return caller_id != espace.espace_id and manages(espace, caller_id)


def representatives(espace: Espace) -> list[tuple[str, str]]:
    """(espace id, role) of everyone who manages this espace."""
    out = []
    if espace.guardian_id:
        out.append((espace.guardian_id, "guardian"))
    if espace.representative_id:
        out.append((espace.representative_id, "representative"))
    return out


def attach(child: Espace, now: datetime) -> Espace:
    """BR-16: the guardian activates the child's espace with the child's code; it is managed from the
    guardian's login and has no credentials of its own. The code is spent."""
    if child.status not in lifecycle.ACTIVATABLE:
        raise StateConflict()
    child.status = Status.ACTIVE
    child.activated_at = now
    child.code_used_seq = child.code_seq
    return child


def require_guardian(child: Espace, caller_id: str) -> None:
    if child.guardian_id != caller_id:
        raise Forbidden("Seul le représentant légal déclaré à l'Assurance Maladie peut inviter un second "
                        "représentant légal.")


def add_representative(child: Espace, representative: Espace, inviter_id: str, today: date) -> bool:
    """BR-16: only the guardian on file invites; the invited person must be an adult with an ACTIVE
    espace; one second representative at most. Returns False when nothing changed (same person)."""
    require_guardian(child, inviter_id)
    if child.status != Status.ACTIVE:
        raise StateConflict("Le profil de l'enfant doit d'abord être activé.")
    if (representative.status != Status.ACTIVE or is_managed(representative)
            or is_minor(representative.birth_date, today)):
        raise RepresentativeNotFound()
    if representative.espace_id in (child.guardian_id, child.espace_id):
        raise StateConflict("Cette personne est déjà représentante légale de l'enfant.")
    if child.representative_id == representative.espace_id:
        return False
    if child.representative_id is not None:
        raise StateConflict("L'enfant a déjà deux représentants légaux. Retirez d'abord le second.")
    child.representative_id = representative.espace_id
    return True


def remove_representative(child: Espace, caller_id: str, representative_id: str) -> None:
    """The guardian withdraws the second representative, or the representative withdraws themself.
    The guardian on file is the insurer's data: not removable here."""
    if representative_id == child.guardian_id:
        raise StateConflict("Le représentant légal déclaré à l'Assurance Maladie ne peut pas être retiré ici.")
    if child.representative_id is None or child.representative_id != representative_id:
        raise NotFound()
    if caller_id not in (child.guardian_id, representative_id):
        raise NotFound()
    child.representative_id = None


def hand_over(espace: Espace, now: datetime) -> Espace:
    """BR-18 [design]: on the 18th birthday every representative's access ends. The young adult's
    espace keeps everything (documents, including those hidden from the representatives, BR-17) and
    waits for them in `created` (an espace the guardian had activated goes back to `created`: its
    content stays, professionals may still feed it, and only its new holder may activate it); they
    get their own provisional code at their own contact (the guardian's copy stops working).
    A pending espace just loses its guardian: the wave will write to the young adult."""
    if not is_managed(espace):
        raise StateConflict()
    if is_minor(espace.birth_date, now.date()):
        raise StateConflict()
    espace.guardian_id = None
    espace.guardian_contact = None
    espace.representative_id = None
    espace.handed_over_at = now
    if espace.status == Status.ACTIVE:
        espace.status = Status.CREATED
        espace.created_at = espace.created_at or now
        espace.login = None
    if espace.status in HANDOVER_CODE_STATUSES:
        lifecycle.renew_code(espace, now)
        espace.handover_notice_pending = True
    return espace
