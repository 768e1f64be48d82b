"""Domain errors: a stable `code` and a French `detail` a holder can read.

The HTTP status of each code is decided in one table at the edge (functions/api/chalicelib/errors.py).
"""

from __future__ import annotations


class DomainError(Exception):
    code = "error"
    detail = "Une erreur est survenue."

    def __init__(self, detail: str | None = None, *, field: str | None = None, retry_after: int | None = None):
        super().__init__(detail or self.detail)
        if detail:
            self.detail = detail
        self.field = field
        self.retry_after = retry_after


class ValidationError(DomainError):
    code = "validation_error"
    detail = "La requête est invalide."


class Unprocessable(DomainError):
    """Well-formed, but against a business rule (the FHIR facade's 422: FHIR.md §1, §6)."""

    code = "unprocessable"
    detail = "La requête ne respecte pas une règle métier."


class InvalidCredentials(DomainError):
    code = "invalid_credentials"
    detail = "Les informations saisies ne permettent pas de vous identifier."


class CodeExpired(DomainError):
    code = "code_expired"
    detail = "Ce code provisoire a expiré. Demandez un nouveau code."


class CodeUsed(DomainError):
    code = "code_used"
    detail = "Ce code provisoire a déjà été utilisé. Demandez un nouveau code si besoin."


class CodeLocked(DomainError):
    code = "code_locked"
    detail = "Trop d'essais infructueux : ce code est bloqué. Demandez un nouveau code."


class DeadlinePassed(DomainError):
    code = "deadline_passed"
    detail = "Le délai d'opposition est dépassé : votre profil Mon espace santé est déjà créé. Vous pouvez le clôturer à tout moment."


class StateConflict(DomainError):
    code = "state_conflict"
    detail = "Cette opération n'est pas possible dans l'état actuel de votre profil."


class NotOpposed(DomainError):
    """BR-07: the opposition receipt of an espace that is not (or no longer) opposed."""

    code = "not_opposed"
    detail = ("Aucune opposition n'est enregistrée pour ce profil Mon espace santé : "
              "il n'y a pas de justificatif d'opposition à télécharger.")


class LoginTaken(DomainError):
    code = "login_taken"
    detail = "Cet identifiant est déjà utilisé. Choisissez-en un autre."


class RateLimited(DomainError):
    code = "rate_limited"
    detail = "Trop de tentatives. Réessayez plus tard."


class OtpInvalid(DomainError):
    code = "invalid_otp"
    detail = "Le code à usage unique est incorrect ou a expiré."


class OtpLocked(DomainError):
    """BR-11/BR-12: the one-time code of a challenge after its 5 tries (429 with Retry-After)."""

    code = "code_locked"
    detail = "Trop d'essais infructueux : ce code à usage unique est bloqué. Recommencez pour en recevoir un nouveau."


class Unauthorized(DomainError):
    code = "unauthorized"
    detail = "Authentification requise."


class SessionExpired(DomainError):
    """WEB.md "Session": no session cookie, an unknown or rotated one, 30 minutes without activity,
    or an espace closed, suspended or no longer on the session's epoch (BR-14, BR-15)."""

    code = "session_expired"
    detail = "Votre session a expiré. Reconnectez-vous avec votre identifiant et votre mot de passe."


class Forbidden(DomainError):
    code = "forbidden"
    detail = "Vous n'avez pas le droit d'effectuer cette opération."


class NotFound(DomainError):
    code = "not_found"
    detail = "Ressource introuvable."


class ConcurrentUpdate(DomainError):
    """A conditional write lost a race; the caller may retry or report a conflict."""

    code = "state_conflict"
    detail = "Une autre opération est en cours sur ce profil. Réessayez."
