"""PATCH DocumentReference/{id} (FHIR.md §2, §6; PDSm st_maj): an application/json-patch+json body of
one operation on `/status` (→ `entered-in-error`: the withdraw) or `/securityLabel/0` (`MASQUE_PS` ⇄
`N`); any other path → 405, any other value → 422, a malformed body → 400."""

from __future__ import annotations

from typing import Any

from mes.domain.errors import DomainError, Unprocessable, ValidationError

from . import codes

STATUS, LABEL = "/status", "/securityLabel/0"
LABELS = {(codes.TRE_A07, codes.MASKED): codes.MASKED, (codes.V3_CONFIDENTIALITY, codes.NORMAL): codes.NORMAL}


class PatchNotSupported(DomainError):
    code = "patch_not_supported"
    detail = "Seuls « /status » et « /securityLabel/0 » d'une DocumentReference peuvent être modifiés."


def parse(body: Any) -> tuple[str, str]:
    """(path, value): ("/status", "entered-in-error") or ("/securityLabel/0", "MASQUE_PS" | "N")."""
    if not isinstance(body, list) or len(body) != 1 or not isinstance(body[0], dict):
        raise ValidationError("Un JSON Patch d'une seule opération est attendu.", field="body")
    operation = body[0]
    if operation.get("op") not in ("replace", "add"):
        raise ValidationError("Opération « replace » attendue.", field="op")
    path = operation.get("path")
    if path == STATUS:
        if operation.get("value") != "entered-in-error":
            raise Unprocessable("Le statut ne peut devenir que « entered-in-error ».", field="value")
        return STATUS, "entered-in-error"
    if path == LABEL:
        return LABEL, _label(operation.get("value"))
    raise PatchNotSupported()


def _label(value: Any) -> str:
    codings = value.get("coding") if isinstance(value, dict) else None
    found = [LABELS.get((str(c.get("system")), str(c.get("code")))) for c in codings if isinstance(c, dict)] \
        if isinstance(codings, list) else []
    if len(found) != 1 or found[0] is None:
        raise Unprocessable("Étiquette attendue : MASQUE_PS (TRE_A07) ou N (v3-Confidentiality).", field="value")
    return found[0]
