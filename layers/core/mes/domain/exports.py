"""Export of all the holder's data (issue #5, the GDPR right of access and portability).

An export is requested (`pending`), built asynchronously into one zip (`ready`), downloadable
through a short-lived presigned GET until it expires; `failed` when every attempt failed."""

from __future__ import annotations

import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from .errors import RateLimited

EXPORT_RETENTION = timedelta(days=7)  # [design] the bucket's lifecycle rule expires the zip too
DOWNLOAD_URL_TTL = 300  # seconds, like document downloads (BR-23)
MAX_EXPORTS_PER_DAY = 5  # [design] building an archive reads every document: bounded per espace
RATE_WINDOW_SECONDS = 86400  # the fixed counting window: epoch seconds // 86400, i.e. one UTC day
MAX_ATTEMPTS = 5  # the queue's maxReceiveCount: the last failed attempt marks the export failed


class ExportStatus(StrEnum):
    PENDING = "pending"
    READY = "ready"
    FAILED = "failed"


@dataclass
class Export:
    espace_id: str
    export_id: str
    status: ExportStatus
    created_at: datetime
    expires_at: datetime
    object_key: str
    ready_at: datetime | None = None
    size: int | None = None
    # BR-17: asked by a legal representative, the archive holds only what they see (not the documents
    # a minor asked to hide from them, nor the log entries about those).
    for_representative: bool = False

    def expired(self, now: datetime) -> bool:
        return now >= self.expires_at


def new_export(espace_id: str, now: datetime, for_representative: bool = False) -> Export:
    export_id = secrets.token_hex(16)
    return Export(espace_id=espace_id, export_id=export_id, status=ExportStatus.PENDING, created_at=now,
                  expires_at=now + EXPORT_RETENTION, object_key=object_key(espace_id, export_id),
                  for_representative=for_representative)


def object_key(espace_id: str, export_id: str) -> str:
    """The same export always lands on the same object (a duplicate message overwrites, never adds)."""
    return f"exports/{espace_id}/{export_id}.zip"


def seconds_until_window_ends(now: datetime) -> int:
    """Seconds from `now` to the end of the counting window that holds it (the next 00:00 UTC), at
    least 1: the same arithmetic as the store's fixed windows (`EphemeralStore.hit`)."""
    return max(1, RATE_WINDOW_SECONDS - int(now.timestamp()) % RATE_WINDOW_SECONDS)


def _wait_in_french(seconds: int) -> str:
    if seconds >= 3600:
        hours = -(-seconds // 3600)  # rounded up: never promise earlier than the window ends
        return f"{hours} heure{'s' if hours > 1 else ''}"
    minutes = -(-seconds // 60)
    return f"{minutes} minute{'s' if minutes > 1 else ''}"


def check_rate(count_today: int, now: datetime) -> None:
    """At most MAX_EXPORTS_PER_DAY requests per espace and UTC day; beyond, Retry-After is the number
    of seconds until that day's window ends (not "tomorrow" in France: the window is UTC)."""
    if count_today > MAX_EXPORTS_PER_DAY:
        wait = seconds_until_window_ends(now)
        raise RateLimited("Trop de demandes d'export pour aujourd'hui. Vous pourrez réessayer dans "
                          f"{_wait_in_french(wait)} au plus.", retry_after=wait)


def download_filename(now: datetime) -> str:
    return f"mon-espace-sante-{now.strftime('%Y%m%d')}.zip"


def archive_name(filename: str) -> str:
    """A safe file name inside the archive (no directory, no control character)."""
    plain = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Za-z0-9._ -]", "_", plain).strip(" .")[:120] or "document"
