"""PATCH DocumentReference/{id} (FHIR.md §2, §6; PDSm st_maj): an application/json-patch+json body of
one operation on `/status` (→ `entered-in-error`: the withdraw) or `/securityLabel/0` (`MASQUE_PS` ⇄
`N`, `INVISIBLE_PATIENT` → `N`, `INVISIBLE_REPRESENTANTS_LEGAUX` → `N`: professionals.relabel_deposit);
any other path → 405, any other value → 422, a malformed body → 400. The document is named by its id
or, conditionally, by `?identifier=` (`identifier` below); `If-Match: W/"n"` by `if_match`."""

from __future__ import annotations

import re
from typing import Any

from mes.domain.errors import DomainError, NotFound, Unprocessable, ValidationError

from . import codes

STATUS, LABEL = "/status", "/securityLabel/0"
LABELS = {(codes.TRE_A07, codes.MASKED): codes.MASKED, (codes.V3_CONFIDENTIALITY, codes.NORMAL): codes.NORMAL,
          (codes.TRE_A07, codes.HIDDEN_FROM_REPRESENTATIVES): codes.HIDDEN_FROM_REPRESENTATIVES}


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
        raise Unprocessable("Étiquette attendue : MASQUE_PS ou INVISIBLE_REPRESENTANTS_LEGAUX (TRE_A07), "
                            "ou N (v3-Confidentiality).", field="value")
    return found[0]


# --- the document a PATCH names: DocumentReference/{id} or DocumentReference?identifier= ----------------
UUID = re.compile(r"^urn:uuid:([0-9a-f]{8})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{12})$")
IF_MATCH = re.compile(r'^(?:W/)?"([0-9]{1,9})"$')


def identifier(params: list[tuple[str, str]]) -> tuple[str | None, str]:
    """`identifier=[urn:ietf:rfc:3986|]value`, alone (FHIR conditional patch): (the mes document id the
    value writes as a urn:uuid — what mes emits as masterIdentifier — or None, the value as sent — the
    masterIdentifier the author sent on ITI-65). Another system names nothing mes keeps: 404."""
    if len(params) != 1 or params[0][0] != "identifier" or not params[0][1]:
        raise ValidationError("Un seul paramètre est pris en charge : « identifier » (masterIdentifier).",
                              field="identifier")
    system, bar, value = params[0][1].rpartition("|") if "|" in params[0][1] else ("", "", params[0][1])
    if (bar and system != codes.RFC3986) or not value or len(value) > 256:
        raise NotFound()
    match = UUID.match(value)
    return ("".join(match.groups()) if match else None), value


def if_match(header: str | None) -> int | None:
    """`If-Match: W/"n"` (or `"n"`): the version the client read (FHIR version-aware update); `*` or none:
    any version; 400 if malformed."""
    if header is None or header.strip() == "*":
        return None
    match = IF_MATCH.match(header.strip())
    if match is None:
        raise ValidationError('En-tête If-Match attendu sous la forme W/"<version>".', field="If-Match")
    return int(match.group(1))
