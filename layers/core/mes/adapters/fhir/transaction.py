"""ITI-65 (FHIR.md §2, §4, §6): a transaction Bundle — List SubmissionSet + DocumentReference 1..* +
Binary with inline `data` — read into what the professionals' deposit needs, and its
transaction-response. Everything is checked here before the use case writes anything: structure
(400), the contained author against the token (403), required elements, category, labels (422).

Replacement (FHIR.md §2, D`/pagecontent/transaction_td2.1.md`): a DocumentReference with
`relatesTo [{code: "replaces", target: {reference: "DocumentReference/{old}"}}]` replaces the author's
own document {old} (the use case decides: 403/404/409). The optional `UpdateDocumentRefs` entry that
sets the old one to `superseded` — `PUT DocumentReference/{old}` with `{id, status: "superseded"}` (the
ANS's example) or `PATCH DocumentReference/{old}` with a Binary JSON Patch
`[{"op": "replace", "path": "/status", "value": "superseded"}]` — is accepted only when it names a
`relatesTo` target of the same Bundle and asks for nothing but `superseded` (else 422); it is answered
`200 OK` and changes nothing by itself: the old document becomes superseded when the replacement is
validated (mes.domain.documents)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from mes.domain.documents import CATEGORIES
from mes.domain.errors import Forbidden, Unprocessable, ValidationError

from . import codes
from .search import patient_nir

JsonDict = dict[str, Any]
MAX_ENTRIES = 100
PATIENT_QUERY = "Patient?identifier="


@dataclass(frozen=True)
class DepositEntry:
    """One DocumentReference and the bytes of its Binary."""

    index: int  # of the DocumentReference in Bundle.entry
    binary_index: int
    title: str
    category: str
    content_type: str
    content: bytes
    master_identifier: str
    hidden_from_holder: bool
    masked: bool
    hidden_from_representatives: bool = False  # BR-17: TRE_A07 INVISIBLE_REPRESENTANTS_LEGAUX
    replaces: str | None = None  # relatesTo replaces: the id of the document it replaces


@dataclass(frozen=True)
class Transaction:
    nir: str
    deposits: list[DepositEntry]
    kinds: list[str]  # resourceType of every entry, in order
    list_index: int | None
    updates: dict[int, str] = field(default_factory=dict)  # UpdateDocumentRefs: entry index → replaced id


def _list(value: Any) -> list[Any]:
    """A FHIR array as sent, or nothing (a client's wrong shape is never a crash)."""
    return value if isinstance(value, list) else []


def _dict(value: Any) -> JsonDict:
    return value if isinstance(value, dict) else {}


def _bad(detail: str, field: str) -> ValidationError:
    return ValidationError(detail, field=field)


def _missing(what: str, field: str) -> Unprocessable:
    return Unprocessable(f"Élément obligatoire absent ou invalide : {what}.", field=field)


def parse(body: Any, base: str, rpps: str) -> Transaction:
    """The ITI-65 Bundle, checked whole (nothing is written before this returns)."""
    entries = _entries(body)
    kinds = [e["resource"]["resourceType"] for e in entries]
    updates = _updates(entries)
    binaries = _binaries(entries, kinds, updates)
    lists = [i for i, k in enumerate(kinds) if k == "List"]
    nirs = {_subject_nir(entries[i]["resource"], f"Bundle.entry[{i}].resource.subject") for i in lists}
    deposits = _deposits(entries, kinds, updates, binaries, base, rpps)
    nirs |= {nir for nir, _ in deposits}
    _check_whole([d for _, d in deposits], nirs, binaries, lists)
    _check_updates(entries, updates, [d for _, d in deposits])
    return Transaction(nirs.pop(), [d for _, d in deposits], kinds, next(iter(lists), None), updates)


def _binaries(entries: list[JsonDict], kinds: list[str], updates: dict[int, str]) -> dict[str, int]:
    """fullUrl → index of every Binary entry posted (what attachment.url points at)."""
    return {e["fullUrl"]: i for i, e in enumerate(entries)
            if kinds[i] == "Binary" and i not in updates and isinstance(e.get("fullUrl"), str)}


# --- replacement: relatesTo and the optional UpdateDocumentRefs entry --------------------------------
UPDATE_METHODS = {"PUT": "DocumentReference", "PATCH": "Binary"}  # method → the entry's resource
REFERENCE = "DocumentReference/"
SUPERSEDE_PATCH = [{"op": "replace", "path": "/status", "value": "superseded"}]


def _deposits(entries: list[JsonDict], kinds: list[str], updates: dict[int, str], binaries: dict[str, int],
              base: str, rpps: str) -> list[tuple[str, DepositEntry]]:
    """Every posted DocumentReference (not an UpdateDocumentRefs entry), read with its Binary."""
    posted = [i for i, kind in enumerate(kinds) if kind == "DocumentReference" and i not in updates]
    return [_document(entries[i]["resource"], i, entries, binaries, base, rpps) for i in posted]


def _updates(entries: list[JsonDict]) -> dict[int, str]:
    """The UpdateDocumentRefs entries: their index → the id of the document they update."""
    targets = {i: _update_target(e) for i, e in enumerate(entries)}
    return {i: target for i, target in targets.items() if target is not None}


def _reference_id(url: Any) -> str | None:
    """`DocumentReference/{id}` → the id (None for anything else: a search, another type)."""
    if not isinstance(url, str) or not url.startswith(REFERENCE):
        return None
    target = url[len(REFERENCE):]
    return target if target and "/" not in target and "?" not in target else None


def _update_target(entry: JsonDict) -> str | None:
    """`PUT|PATCH DocumentReference/{id}` (UpdateDocumentRefs): the id; None for any other entry."""
    request = _dict(entry.get("request"))
    return _reference_id(request.get("url")) if request.get("method") in UPDATE_METHODS else None


def _replaces(resource: JsonDict, at: str, base: str) -> str | None:
    """relatesTo: nothing, or one `replaces` of `DocumentReference/{id}` (relative or on this base)."""
    relates = _list(resource.get("relatesTo"))
    if not relates:
        return None
    item = _dict(relates[0])
    if len(relates) != 1 or item.get("code") != codes.RELATES_REPLACES:
        raise Unprocessable("Seul le remplacement d'un document est pris en charge : un relatesTo de code "
                            "« replaces ».", field=f"{at}.relatesTo")
    reference = _dict(item.get("target")).get("reference")
    target = _reference_id(reference.removeprefix(base + "/")) if isinstance(reference, str) else None
    if target is None:
        raise _missing("relatesTo[0].target.reference (DocumentReference/<id>)", f"{at}.relatesTo")
    return target


def _check_updates(entries: list[JsonDict], updates: dict[int, str], deposits: list[DepositEntry]) -> None:
    """Each UpdateDocumentRefs entry asks `superseded` (nothing else) of a document a DocumentReference of
    this Bundle replaces; two deposits never replace the same document."""
    replaced = [d.replaces for d in deposits if d.replaces]
    if len(replaced) != len(set(replaced)):
        raise Unprocessable("Deux documents d'une transaction ne peuvent pas remplacer le même document.",
                            field="Bundle.entry")
    for i, target in updates.items():
        at = f"Bundle.entry[{i}]"
        if target not in replaced:
            raise Unprocessable("Cette mise à jour ne correspond au relatesTo d'aucune DocumentReference de la "
                                "transaction.", field=f"{at}.request.url")
        if not _asks_superseded(_dict(entries[i].get("request")).get("method"), entries[i]["resource"], target):
            raise Unprocessable("La mise à jour d'un document remplacé ne peut que le passer au statut "
                                "« superseded ».", field=f"{at}.resource")


def _asks_superseded(method: Any, resource: JsonDict, target: str) -> bool:
    """PUT: `{resourceType, id, status: superseded}` (other elements are not applied); PATCH: a Binary
    `application/json-patch+json` holding exactly the `/status` → `superseded` operation."""
    if method == "PUT":
        return resource.get("status") == "superseded" and resource.get("id", target) == target
    if resource.get("contentType") != "application/json-patch+json" or not isinstance(resource.get("data"), str):
        return False
    try:
        return bool(json.loads(base64.b64decode(resource["data"], validate=True)) == SUPERSEDE_PATCH)
    except (binascii.Error, ValueError):
        return False


def _check_whole(deposits: list[DepositEntry], nirs: set[str], binaries: dict[str, int], lists: list[int]) -> None:
    if not deposits:
        raise _missing("au moins une DocumentReference", "Bundle.entry")
    if len(nirs) != 1:
        raise Unprocessable("Tous les éléments d'une soumission concernent le même patient.", field="subject")
    used = {d.binary_index for d in deposits}
    if used != set(binaries.values()) or len(used) != len(deposits):
        raise Unprocessable("Chaque Binary est le contenu d'une et une seule DocumentReference.", field="Bundle.entry")
    if len(lists) > 1:
        raise Unprocessable("Une seule List SubmissionSet par transaction.", field="Bundle.entry")


def _entries(body: Any) -> list[JsonDict]:
    if not isinstance(body, dict) or body.get("resourceType") != "Bundle" or body.get("type") != "transaction":
        raise _bad("Un Bundle de type « transaction » est attendu.", "Bundle.type")
    entries = body.get("entry")
    if not isinstance(entries, list) or not 1 <= len(entries) <= MAX_ENTRIES:
        raise _bad(f"Bundle.entry : de 1 à {MAX_ENTRIES} entrées.", "Bundle.entry")
    for i, entry in enumerate(entries):
        _check_entry(i, _dict(entry))
    return entries


def _check_entry(i: int, entry: JsonDict) -> None:
    kind = _dict(entry.get("resource")).get("resourceType")
    request = _dict(entry.get("request"))
    if kind not in ("List", "DocumentReference", "Binary"):
        raise _bad("Une transaction ITI-65 ne contient que List, DocumentReference et Binary.",
                   f"Bundle.entry[{i}].resource")
    if _update_target(entry) is not None:
        if UPDATE_METHODS[request["method"]] != kind:
            raise _bad(f"Bundle.entry[{i}] : « PUT DocumentReference/<id> » porte une DocumentReference, "
                       "« PATCH DocumentReference/<id> » un Binary (JSON Patch).", f"Bundle.entry[{i}].resource")
        return
    if request.get("method") != "POST" or request.get("url") != kind:
        raise _bad(f"Bundle.entry[{i}].request : « POST {kind} » attendu.", f"Bundle.entry[{i}].request")


def _subject_nir(resource: JsonDict, field: str) -> str:
    reference = _dict(resource.get("subject")).get("reference")
    if not isinstance(reference, str) or not reference.startswith(PATIENT_QUERY):
        raise _missing(f"subject ({PATIENT_QUERY}{codes.INS_NIR}|<NIR>)", field)
    return patient_nir(reference[len(PATIENT_QUERY):], field)


def _document(resource: JsonDict, i: int, entries: list[JsonDict], binaries: dict[Any, int], base: str,
              rpps: str) -> tuple[str, DepositEntry]:
    at = f"Bundle.entry[{i}].resource"
    nir = _subject_nir(resource, f"{at}.subject")
    _check_author(resource, at, rpps)
    replaces = _replaces(resource, at, base)
    master = _dict(resource.get("masterIdentifier")).get("value")
    if not isinstance(master, str) or not master.strip() or len(master) > 256:
        raise _missing("masterIdentifier.value", f"{at}.masterIdentifier")
    attachment = _attachment(resource, at)
    url = attachment.get("url")
    binary_index = binaries.get(url) if isinstance(url, str) else None
    if binary_index is None:
        raise _missing("content[0].attachment.url (le fullUrl d'un Binary de la transaction)", f"{at}.content")
    content_type, content = _binary(entries[binary_index]["resource"], binary_index)
    if content_type != attachment.get("contentType"):
        raise Unprocessable("Le contentType de la DocumentReference et celui du Binary diffèrent.", field=f"{at}.content")
    hidden, masked = _labels(resource, at)
    return nir, DepositEntry(i, binary_index, attachment["title"], category_of(resource, base, at), content_type,
                             content, master, hidden, masked, _hidden_from_representatives(resource), replaces)


def _check_author(resource: JsonDict, at: str, rpps: str) -> None:
    """FHIR.md §6: the contained Practitioner author is the token's professional (idNatPs "8" + RPPS)."""
    author = _contained_author(resource)
    if author is None or author.get("resourceType") != "Practitioner":
        raise _missing("author (un Practitioner contenu)", f"{at}.author")
    ids = {i.get("value") for i in _list(author.get("identifier")) if isinstance(i, dict) and i.get("system") == codes.ID_NAT_PS}
    if ids != {"8" + rpps}:
        raise Forbidden("L'auteur déclaré n'est pas le professionnel authentifié.")


def _contained_author(resource: JsonDict) -> JsonDict | None:
    authors = _list(resource.get("author"))
    reference = _dict(authors[0]).get("reference") if authors else None
    if not isinstance(reference, str) or not reference.startswith("#"):
        return None
    return next((c for c in _list(resource.get("contained")) if isinstance(c, dict) and c.get("id") == reference[1:]), None)


def _attachment(resource: JsonDict, at: str) -> JsonDict:
    content = _list(resource.get("content"))
    attachment = _dict(content[0]).get("attachment") if len(content) == 1 else None
    if not isinstance(attachment, dict):
        raise _missing("content[0].attachment", f"{at}.content")
    title = attachment.get("title")
    if not isinstance(title, str) or not title.strip():
        raise _missing("content[0].attachment.title", f"{at}.content")
    if not isinstance(attachment.get("contentType"), str):
        raise _missing("content[0].attachment.contentType", f"{at}.content")
    return attachment


def _binary(resource: JsonDict, i: int) -> tuple[str, bytes]:
    data, content_type = resource.get("data"), resource.get("contentType")
    if not isinstance(data, str) or not isinstance(content_type, str):
        raise _missing("Binary.contentType et Binary.data", f"Bundle.entry[{i}].resource")
    try:
        return content_type, base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise _bad("Binary.data n'est pas du base64 valide.", f"Bundle.entry[{i}].resource.data") from None


def _labels(resource: JsonDict, at: str) -> tuple[bool, bool]:
    """(hidden from the holder, masked): TRE_A07 INVISIBLE_PATIENT / MASQUE_PS, or v3 N; both → 422."""
    found = {(str(c.get("system")), str(c.get("code"))) for label in _list(resource.get("securityLabel"))
             for c in _list(_dict(label).get("coding")) if isinstance(c, dict)}
    if found - codes.DEPOSIT_LABELS:
        raise Unprocessable("Étiquette de confidentialité non prise en charge (N, MASQUE_PS, INVISIBLE_PATIENT ou "
                            "INVISIBLE_REPRESENTANTS_LEGAUX).", field=f"{at}.securityLabel")
    hidden, masked = (codes.TRE_A07, codes.HIDDEN_FROM_HOLDER) in found, (codes.TRE_A07, codes.MASKED) in found
    if hidden and masked:
        raise Unprocessable("Un document invisible au patient ne peut pas être aussi masqué aux professionnels.",
                            field=f"{at}.securityLabel")
    return hidden, masked


def _hidden_from_representatives(resource: JsonDict) -> bool:
    """BR-17: TRE_A07 INVISIBLE_REPRESENTANTS_LEGAUX — the minor asked that the document stay invisible
    to their legal representatives. It goes with any other label (it hides from the holder's side, as
    INVISIBLE_PATIENT does for a while, and MASQUE_PS from other professionals); whether the patient
    is a minor with representatives is the deposit's rule (professionals.deposit_inline → 422)."""
    return any((c.get("system"), c.get("code")) == (codes.TRE_A07, codes.HIDDEN_FROM_REPRESENTATIVES)
               for label in _list(resource.get("securityLabel")) for c in _list(_dict(label).get("coding"))
               if isinstance(c, dict))


def _codings(value: Any) -> list[tuple[Any, Any]]:
    concepts = value if isinstance(value, list) else [value]
    return [(c.get("system"), c.get("code")) for concept in concepts
            for c in _list(_dict(concept).get("coding")) if isinstance(c, dict) and isinstance(c.get("code"), str)]


def category_of(resource: JsonDict, base: str, at: str = "DocumentReference") -> str:
    """FHIR.md §6: a `mes-category` coding wins; else the TRE_A03 class narrowed by the type, through
    the one table of codes.py (CATEGORY_CLASSES, CATEGORY_TYPES); not exactly one category → 422."""
    mes_system = codes.mes_category_system(base)
    categories = _codings(resource.get("category"))
    chosen = {code for system, code in categories if system == mes_system and code in CATEGORIES}
    if len(chosen) == 1:
        return chosen.pop()
    candidates = _from_class_and_type(categories, _codings(resource.get("type")), base, at)
    if len(candidates) != 1:
        raise Unprocessable("La catégorie du document ne peut pas être déduite de son type et de sa classe : "
                            f"ajoutez un codage {mes_system}.", field=f"{at}.category")
    return candidates.pop()


def _from_class_and_type(categories: list[tuple[Any, Any]], types: list[tuple[Any, Any]], base: str,
                         at: str) -> set[str]:
    candidates = set(CATEGORIES)
    classes = [str(code) for system, code in categories if system == codes.TRE_A03]
    for code in classes:
        candidates &= codes.categories_of_class(code)
    by_type: set[str] = set()
    for system, code in types:
        by_type |= codes.categories_of_type(system, str(code), base)
    if not classes and not by_type:
        raise _missing("type et category", f"{at}.category")
    return candidates & by_type if by_type else candidates


def response(tx: Transaction, base: str, results: list[tuple[str, bool]]) -> JsonDict:
    """The transaction-response: one entry per request entry, in order (M ITI-65): `201 Created` and
    an absolute location; `200 OK` at the existing resources for a deposit already made (FHIR.md §6).
    DocumentReference and Binary share the document's id; the SubmissionSet's id is derived from them."""
    by_index: dict[int, tuple[str, str]] = {}
    for deposit, (document_id, created) in zip(tx.deposits, results, strict=True):
        status = "201 Created" if created else "200 OK"
        by_index[deposit.index] = (f"{base}/DocumentReference/{document_id}", status)
        by_index[deposit.binary_index] = (f"{base}/Binary/{document_id}", status)
    for i, target in tx.updates.items():  # UpdateDocumentRefs: accepted; superseded at the validation
        by_index[i] = (f"{base}/DocumentReference/{target}", "200 OK")
    if tx.list_index is not None:
        digest = hashlib.sha256("|".join(d for d, _ in results).encode()).hexdigest()[:32]
        any_created = any(created for _, created in results)
        by_index[tx.list_index] = (f"{base}/List/{digest}", "201 Created" if any_created else "200 OK")
    return {"resourceType": "Bundle", "type": "transaction-response",
            "entry": [{"response": {"status": by_index[i][1], "location": by_index[i][0]}} for i in range(len(tx.kinds))]}
