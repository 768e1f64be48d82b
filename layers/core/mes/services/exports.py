"""Export of all the holder's data (issue #5): one zip with a JSON file per section and the files of
the available documents.

The route writes a `pending` export record and sends a message; the export function builds the zip
(streamed: document bytes go from S3 through a temporary file to S3, never all in memory) and marks
the export `ready`; the holder downloads it through a short-lived presigned GET (an attachment).

The archive's content comes from *providers*: objects with `export_espace(espace_id)` returning a
JSON-serialisable section, and optionally `export_files(espace_id)` yielding (path in the archive,
opener). Their list is `EXPORT_PROVIDERS` in `mes/bootstrap.py` (one line per section)."""

from __future__ import annotations

import contextlib
import json
import shutil
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any, Protocol

from mes.domain import exports as rules
from mes.domain.errors import NotFound
from mes.domain.exports import Export, ExportStatus
from mes.observability import logger
from mes.ports import EphemeralStore, EspaceRepository, ExportQueue, ExportRepository, ExportStore

from .espaces import resolve_acting, resolve_id

FORMAT_VERSION = 1
COPY_CHUNK = 1024 * 1024


class ExportProvider(Protocol):
    def export_espace(self, espace_id: str) -> object:
        """JSON-serialisable data of this section."""


FileOpener = Callable[[], IO[bytes]]


@dataclass
class ExportDeps:
    espaces: EspaceRepository
    exports: ExportRepository
    store: ExportStore
    queue: ExportQueue
    ephemeral: EphemeralStore
    providers: Sequence[tuple[str, ExportProvider]]


# --- holder -------------------------------------------------------------------------------------
def request_export(deps: ExportDeps, claims: dict, espace_id: str, now: datetime) -> Export:
    """Record first, then the message; if the message cannot be sent, the record is marked failed
    (the holder sees it, and asks again) rather than left pending forever."""
    acting = resolve_acting(deps.espaces, claims, espace_id)
    target = acting.espace_id
    rules.check_rate(deps.ephemeral.hit(f"export#{target}", rules.RATE_WINDOW_SECONDS, now), now)
    export = rules.new_export(target, now, for_representative=acting.as_representative)
    deps.exports.create(export)
    try:
        deps.queue.send(target, export.export_id)
    except Exception:
        deps.exports.mark_failed(target, export.export_id)
        raise
    return export


def export_status(deps: ExportDeps, claims: dict, espace_id: str, export_id: str,
                  now: datetime) -> tuple[Export, dict | None]:
    """Another espace's export id, an unknown or an expired one: 404."""
    target = resolve_id(deps.espaces, claims, espace_id)
    export = deps.exports.get(target, export_id)
    if export is None or export.expired(now):
        raise NotFound()
    download = None
    if export.status == ExportStatus.READY:
        download = deps.store.presign_download(export.object_key, rules.download_filename(export.created_at),
                                               rules.DOWNLOAD_URL_TTL)
    return export, download


# --- the export function ------------------------------------------------------------------------
def build_export(deps: ExportDeps, espace_id: str, export_id: str, now: datetime) -> str:
    """Idempotent: a ready (or unknown/expired) export is not rebuilt; otherwise the zip is written
    to the export's fixed key, so a duplicate message at worst rewrites the same object."""
    export = deps.exports.get(espace_id, export_id)
    if export is None or export.expired(now):
        return "missing"
    if export.status != ExportStatus.PENDING:
        return "skipped"
    sections, files = collect(deps.providers, espace_id, export.for_representative)
    manifest = {"format": FORMAT_VERSION, "export_id": export_id, "espace_id": espace_id,
                "generated_at": now.strftime("%Y-%m-%dT%H:%M:%SZ"), "sections": [f"{name}.json" for name in sections]}
    size = deps.store.write(export.object_key, lambda out: write_archive(out, manifest, sections, files))
    deps.exports.mark_ready(espace_id, export_id, now, size)
    logger.info("export ready", extra={"export_id": export_id, "sections": len(sections), "files": len(files),
                                       "size": size})
    return "built"


def mark_failed(deps: ExportDeps, espace_id: str, export_id: str) -> None:
    deps.exports.mark_failed(espace_id, export_id)


def collect(providers: Iterable[tuple[str, ExportProvider]], espace_id: str,
            for_representative: bool = False) -> tuple[dict[str, Any], list[tuple[str, FileOpener]]]:
    """A provider whose content depends on who reads (documents and the access log, BR-17) takes
    `as_representative`; the others do not."""
    sections: dict[str, Any] = {}
    files: list[tuple[str, FileOpener]] = []
    for name, provider in providers:
        viewer = {"as_representative": True} if for_representative and getattr(
            provider, "representative_aware", False) else {}
        sections[name] = provider.export_espace(espace_id, **viewer)
        export_files = getattr(provider, "export_files", None)
        if export_files is not None:
            files.extend(export_files(espace_id, **viewer))
    return sections, files


def write_archive(out: IO[bytes], manifest: dict, sections: dict[str, Any],
                  files: Iterable[tuple[str, FileOpener]]) -> None:
    """One `<section>.json` per provider, each file copied in 1 MiB chunks, then manifest.json (which
    lists the files written, and those gone meanwhile, e.g. a document deleted during the build)."""
    written: list[str] = []
    missing: list[str] = []
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in sections.items():
            archive.writestr(f"{name}.json", json.dumps(data, ensure_ascii=False, indent=2, default=str))
        for path, opener in files:
            try:
                source = opener()
            except FileNotFoundError:
                missing.append(path)
                continue
            with contextlib.closing(source), archive.open(path, "w", force_zip64=True) as target:
                shutil.copyfileobj(source, target, COPY_CHUNK)
            written.append(path)
        archive.writestr("manifest.json", json.dumps({**manifest, "files": written, "missing_files": missing},
                                                     ensure_ascii=False, indent=2))
