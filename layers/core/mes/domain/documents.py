"""Documents (BR-22 to BR-27): categories, statuses, who may see, mask and delete what.

A document is `pending` until the validation function has checked the real bytes (size, magic
bytes, malware verdict); then `available` or `rejected` (object removed; the uploader alone still
sees it, with the reason, until they delete it). A PS's own deletion makes
it `entered-in-error` (issue #4).

Replacement (BR-24, FHIR ITI-65 `relatesTo replaces`): the author of an `available` document
deposits a new one that `replaces` it. The deposit *claims* the old document (`replaced_by` = the new
id, in the same DynamoDB transaction as the new document): one replacement per document, a second
one is a conflict. The old document stays `available` (FHIR `current`) while the new one is
`pending`; it becomes `replaced` (FHIR `superseded`) only when the validation accepts the new one,
in the same transaction as that acceptance. A rejected (or withdrawn, or abandoned) replacement
releases the claim: the old document stays current and loses nothing. A replaced document keeps
its bytes; it leaves every default list (the holder's, the professionals'), is never shown to the
holder again, and is still found by professionals who ask for it (`status=superseded`, a read by
id), under the same access policy."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from .errors import DomainError, Forbidden, NotFound, StateConflict, Unprocessable, ValidationError

CATEGORIES = ("SYNTHESE", "ORD_SOIN", "RADIO_SC", "BIOLOGIE", "CPT_REND", "DEPISTAG", "CERT_MED", "AUTR_DOC",
              "DOC_ADM", "DIR_ANT", "CAR_VAC", "VDP", "REMB")  # BR-22
HOLDER_MAX_BYTES = 5_000_000  # BR-23
PRO_MAX_BYTES = 20_000_000  # [design] professionals' reports and imaging summaries can be larger
UPLOAD_URL_TTL = 300  # seconds: a short-lived presigned upload
DOWNLOAD_URL_TTL = 60
HIDDEN_NOTICE_AFTER = timedelta(days=14)  # BR-26
HIDDEN_RELEASE_AFTER = timedelta(days=30)  # BR-26: "one month" [design: 30 days]
# [design] issue 11: a `pending` document whose bytes never arrived (the page was closed during the
# upload) is settled as rejected `missing_object` when it is read this long after its announcement:
# the 5-minute ticket has long expired and a slow 5 MB upload has ended; its pending slot comes back.
ABANDONED_UPLOAD_AFTER = timedelta(minutes=30)
MAX_PENDING_UPLOADS = 10  # [design] quota: uploads announced but not yet validated, per espace
MAX_TOTAL_BYTES = 500_000_000  # [design] quota: declared bytes of pending + available documents

# Types accepted by magic bytes (BR-23), with the declared content types each matches.
CONTENT_TYPES = {
    "pdf": ("application/pdf",),
    "txt": ("text/plain",),
    "rtf": ("application/rtf", "text/rtf"),
    "jpeg": ("image/jpeg",),
    "png": ("image/png",),
    "tiff": ("image/tiff",),
}
ALLOWED_CONTENT_TYPES = tuple(ct for cts in CONTENT_TYPES.values() for ct in cts)


class DocStatus(StrEnum):
    PENDING = "pending"
    AVAILABLE = "available"
    REJECTED = "rejected"
    ENTERED_IN_ERROR = "entered-in-error"
    REPLACED = "replaced"  # superseded by a validated replacement (FHIR `superseded`): bytes kept


class AuthorType(StrEnum):
    PATIENT = "PATIENT"
    PRACTITIONER = "PRACTITIONER"
    ORGANISATION = "ORGANISATION"


class RejectReason(StrEnum):
    TOO_LARGE = "too_large"
    EMPTY = "empty"
    UNKNOWN_TYPE = "unknown_type"
    TYPE_MISMATCH = "type_mismatch"
    MALWARE = "malware"
    UNSCANNABLE = "unscannable"
    MISSING = "missing_object"


# What the uploader reads about a rejected document, in French: one place for every reason code.
_TYPE_NAMES = {
    "application/pdf": "un PDF", "text/plain": "un fichier texte (UTF-8)", "application/rtf": "un document RTF",
    "text/rtf": "un document RTF", "image/jpeg": "une image JPEG", "image/png": "une image PNG",
    "image/tiff": "une image TIFF",
}
REJECTION_TEXTS = {
    RejectReason.TOO_LARGE: "Le fichier dépasse {max_mb} Mo.",
    RejectReason.EMPTY: "Le fichier est vide.",
    RejectReason.UNKNOWN_TYPE: "Le fichier n'est pas {type_name} valide.",
    RejectReason.TYPE_MISMATCH: "Le fichier n'est pas {type_name} valide.",
    RejectReason.MALWARE: "Un logiciel malveillant a été détecté.",
    RejectReason.UNSCANNABLE: "Le fichier n'a pas pu être analysé par l'antivirus (par exemple un fichier "
                              "protégé par un mot de passe).",
    RejectReason.MISSING: "Le fichier n'a pas été reçu.",
}


def rejection_reason(document: Document) -> str | None:
    """The French reason shown to the uploader of a rejected document (None otherwise)."""
    if document.status != DocStatus.REJECTED:
        return None
    try:
        text = REJECTION_TEXTS[RejectReason(document.reject_reason or "")]
    except ValueError:
        return "Le fichier a été refusé."
    return text.format(max_mb=document.max_bytes // 1_000_000,
                       type_name=_TYPE_NAMES.get(document.content_type, "un fichier accepté"))


def uploaded_by_holder(document: Document) -> bool:
    """The holder's own upload (into their espace, or a child's they manage), as BR-24 counts it."""
    return document.author_type == AuthorType.PATIENT and document.author_id == document.espace_id


class QuotaExceeded(DomainError):
    code = "quota_exceeded"
    detail = "Limite atteinte : trop de documents en cours d'envoi ou espace de stockage plein."


def new_document_id(now: datetime | None = None) -> str:
    """Time-ordered and unpredictable: 12 hex digits of milliseconds + 20 random hex digits, so a
    Query on the espace lists newest first without a second index."""
    millis = int((now.timestamp() if now else time.time()) * 1000)
    return f"{millis:012x}{os.urandom(10).hex()}"


@dataclass
class Document:
    espace_id: str
    document_id: str
    title: str
    category: str
    filename: str
    content_type: str
    size: int
    author_type: AuthorType
    author_id: str  # espace id for the holder, RPPS for a PS, FINESS for an organisation
    created_at: datetime
    object_key: str
    status: DocStatus = DocStatus.PENDING
    masked: bool = False
    hidden_from_holder: bool = False
    hidden_until: datetime | None = None
    hidden_notice_sent: bool = False
    reject_reason: str | None = None
    detected_type: str | None = None
    real_size: int | None = None
    validated_at: datetime | None = None
    version: int = 0
    extra: dict[str, Any] = field(default_factory=dict)
    hidden_from_representatives: bool = False  # BR-17: asked by a minor to a PS; revealing is irreversible
    # Who deposited it, as the holder reads it (issue 11, WEB.md 7): a PS's name and profession code from its
    # token at deposit time (BR-28); None for the holder's own uploads and older deposits.
    author_name: str | None = None
    author_profession: str | None = None
    # The S3 VersionId of the bytes the validation checked (BR-23): every read of the object names it, so
    # a presigned upload reused within its 5 minutes never replaces a checked file. None on documents
    # validated before it was recorded (read as the latest version).
    object_version: str | None = None
    # FHIR ITI-65: "<author>|<masterIdentifier>" digest; created with the document, one per author (idempotency)
    deposit_key: str | None = None
    # Replacement (see the module's docstring): the document this one replaces, and, on the old one, the
    # replacement that claimed it (pending: the old one is still `available`; validated: `replaced`).
    replaces: str | None = None
    replaced_by: str | None = None

    @property
    def max_bytes(self) -> int:
        return HOLDER_MAX_BYTES if self.author_type == AuthorType.PATIENT else PRO_MAX_BYTES


def deposited_by(document: Document, rpps: str) -> bool:
    """The professional `rpps` deposited this document: they always see it (even pending or rejected,
    BR-23) and they alone withdraw, replace or relabel it (BR-24)."""
    return document.author_type != AuthorType.PATIENT and document.author_id == rpps


def download_filename(document: Document) -> str:
    """The name a download is saved under. A presigned GET carries it in its query string, which S3
    access logs and browser histories keep, so it is neutral: « document-<id>.<ext> », never the
    holder's file name or title (those may reveal health data and stay in the JSON answers only)."""
    extension = next((ext for ext, types in CONTENT_TYPES.items() if document.content_type in types), "bin")
    return f"document-{document.document_id}.{'jpg' if extension == 'jpeg' else extension}"


def validate_upload(title: str, category: str, filename: str, content_type: str, size: int,
                    max_bytes: int = HOLDER_MAX_BYTES) -> None:
    if not title.strip() or len(title) > 200:
        raise ValidationError("Le titre est obligatoire (200 caractères au plus).", field="title")
    if category not in CATEGORIES:
        raise ValidationError("Catégorie de document inconnue.", field="category")
    if not _valid_filename(filename):
        raise ValidationError("Nom de fichier invalide.", field="filename")
    if content_type not in ALLOWED_CONTENT_TYPES:
        raise ValidationError("Type de fichier non accepté (PDF, texte, RTF, JPEG, PNG ou TIFF).",
                              field="content_type")
    if size <= 0 or size > max_bytes:
        raise ValidationError(f"La taille doit être comprise entre 1 et {max_bytes} octets.", field="size")


def _valid_filename(filename: str) -> bool:
    """Not blank, 255 characters at most, no path separator."""
    return bool(filename.strip()) and len(filename) <= 255 and "/" not in filename and "\\" not in filename


def visible_to_holder(document: Document, as_representative: bool = False) -> bool:
    """BR-26: hidden-from-holder documents are not shown until released; everything else is,
    masked or not (BR-25); withdrawn ones are not listed, nor rejected ones but the holder's own
    uploads (BR-23: the holder learns why, until they delete it). BR-17: a legal representative
    acting on a minor's espace never sees the documents hidden from representatives."""
    if as_representative and document.hidden_from_representatives:
        return False
    if document.hidden_from_holder:
        return False
    return (document.status in (DocStatus.PENDING, DocStatus.AVAILABLE)
            or (document.status == DocStatus.REJECTED and uploaded_by_holder(document)))


def exported_to_holder(document: Document, as_representative: bool = False) -> bool:
    """The holder's export (GDPR access): what the holder sees, plus the earlier versions of those
    documents — replaced ones keep their bytes (BR-24) — under the same hiding rules (BR-17, BR-26)."""
    if document.status == DocStatus.REPLACED:
        return not document.hidden_from_holder and not (as_representative and document.hidden_from_representatives)
    return visible_to_holder(document, as_representative)


def upload_abandoned(document: Document, now: datetime) -> bool:
    """Still `pending` well after its ticket expired (ABANDONED_UPLOAD_AFTER): its bytes may never come."""
    return document.status == DocStatus.PENDING and now - document.created_at > ABANDONED_UPLOAD_AFTER


def holder_may_delete(document: Document, espace_id: str) -> None:
    """BR-24: the holder deletes only what they uploaded themselves."""
    if document.author_type != AuthorType.PATIENT or document.author_id != espace_id:
        raise Forbidden("Vous ne pouvez supprimer que les documents que vous avez ajoutés vous-même ; "
                        "les autres peuvent être masqués.")


def set_masked(document: Document, masked: bool) -> Document:
    """BR-25/26: a document cannot be hidden from the holder and masked at once."""
    if masked and document.hidden_from_holder:
        raise StateConflict("Ce document ne peut pas être masqué tant qu'il n'est pas visible pour vous.")
    document.masked = masked
    return document


def holder_view(document: Document | None, as_representative: bool = False) -> Document:
    if document is None or not visible_to_holder(document, as_representative):
        raise NotFound()
    return document


def set_hidden_from_representatives(document: Document, hidden: bool) -> bool:
    """BR-17: only "visible again", and irreversibly: hiding after the deposit (the representatives
    may have seen it) or again after revealing is a conflict. Returns whether something changed."""
    if hidden == document.hidden_from_representatives:
        return False
    if hidden:
        raise StateConflict("Un document visible des représentants légaux ne peut plus leur être caché.")
    document.hidden_from_representatives = False
    return True


# --- replacement (BR-24: a PS replaces its own documents) -----------------------------------------
class NotReplaceable(DomainError):
    code = "not_replaceable"
    detail = "Seul un document disponible, qui n'a pas déjà été remplacé, peut être remplacé."


def has_content(document: Document) -> bool:
    """Bytes a reader may download: a validated document, current or replaced (its bytes are kept)."""
    return document.status in (DocStatus.AVAILABLE, DocStatus.REPLACED)


def check_replaceable(old: Document, rpps: str) -> None:
    """The author's own (same RPPS; the caller found it in the same espace) `available` document that no
    other replacement has claimed. A non-author is the caller's 403/404 (it decides with the policy)."""
    if not deposited_by(old, rpps):
        raise Forbidden("Seul l'auteur d'un document peut le remplacer.")
    if old.status != DocStatus.AVAILABLE:
        raise NotReplaceable()
    if old.replaced_by is not None:
        raise NotReplaceable("Un remplacement de ce document est déjà en cours de vérification.")


def check_replacement_labels(old: Document, hidden_from_holder: bool, hidden_from_representatives: bool) -> None:
    """A replacement cannot hide from the holder (BR-26) or from the representatives (BR-17) what the
    document it replaces already showed them: hiding applies to a new document only."""
    if hidden_from_holder and not old.hidden_from_holder:
        raise Unprocessable("Le document remplacé est visible du patient : son remplacement ne peut pas lui être "
                            "invisible.", field="hidden_from_holder")
    if hidden_from_representatives and not old.hidden_from_representatives:
        raise Unprocessable("Le document remplacé est visible des représentants légaux : son remplacement ne peut "
                            "pas leur être caché.", field="hidden_from_representatives")


def claim(old: Document, new: Document) -> Document:
    """The deposit of `new` claims `old` (saved with it, conditional on `old`'s version)."""
    old.replaced_by = new.document_id
    new.replaces = old.document_id
    return old


def supersede(old: Document, new: Document) -> bool:
    """`new` was just accepted: `old`, still available and claimed by it, becomes `replaced`."""
    if old.status != DocStatus.AVAILABLE or old.replaced_by != new.document_id:
        return False
    old.status = DocStatus.REPLACED
    return True


def release(old: Document, new_id: str) -> bool:
    """The replacement `new_id` was rejected or withdrawn: `old` may be replaced again."""
    if old.replaced_by != new_id or old.status != DocStatus.AVAILABLE:
        return False
    old.replaced_by = None
    return True


def accept(document: Document, detected: str, real_size: int, now: datetime,
           object_version: str | None = None) -> Document:
    if document.status != DocStatus.PENDING:
        raise StateConflict()
    document.status = DocStatus.AVAILABLE
    document.detected_type = detected
    document.real_size = real_size
    document.validated_at = now
    document.object_version = object_version
    return document


def reject(document: Document, reason: RejectReason, now: datetime, real_size: int | None = None) -> Document:
    if document.status != DocStatus.PENDING:
        raise StateConflict()
    document.status = DocStatus.REJECTED
    document.reject_reason = str(reason)
    document.real_size = real_size
    document.validated_at = now
    return document


# --- magic bytes (BR-23) ------------------------------------------------------------------------
def sniff(head: bytes) -> str | None:
    """The type from the first bytes of the content, never from the name or the declared type."""
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return "tiff"
    if head.startswith(b"{\\rtf"):
        return "rtf"
    if _looks_like_text(head):
        return "txt"
    return None


HEAD_SNIFF_BYTES = 4096


def _looks_like_text(head: bytes) -> bool:
    """UTF-8 text without control characters, and not markup a browser would run."""
    if not head:
        return False
    sample = head[:HEAD_SNIFF_BYTES]
    try:
        text = sample.decode("utf-8")
    except UnicodeDecodeError as exc:
        # Only a character cut by the end of a truncated read is excused.
        truncated = len(head) >= HEAD_SNIFF_BYTES and exc.reason == "unexpected end of data"
        if not truncated or exc.start < len(sample) - 3:
            return False
        text = sample[:exc.start].decode("utf-8")
    if any(ord(c) < 32 and c not in "\t\r\n\f" for c in text):
        return False
    lowered = text.lstrip().lower()
    return not lowered.startswith(("<!doctype", "<html", "<script", "<svg", "<?xml", "<body", "<head"))


def check_content(document: Document, head: bytes, real_size: int) -> tuple[str | None, RejectReason | None]:
    """Returns (detected type, reason to reject or None)."""
    if real_size <= 0:
        return None, RejectReason.EMPTY
    if real_size > document.max_bytes:
        return None, RejectReason.TOO_LARGE
    detected = sniff(head)
    if detected is None:
        return None, RejectReason.UNKNOWN_TYPE
    if document.content_type not in CONTENT_TYPES[detected]:
        return detected, RejectReason.TYPE_MISMATCH
    return detected, None


EICAR = (b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*")
