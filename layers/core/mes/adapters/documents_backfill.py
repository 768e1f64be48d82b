"""The one-off `doc_ref` backfill (issue 12): documents written before the sparse `by_document`
index existed carry no `doc_ref` until their next save, so a FHIR read by id
(`DocumentReference/{id}`, `Binary/{id}`) cannot find their espace; ITI-65 deposit markers written
before `PATCH ?identifier=` carry none either, so their author's own masterIdentifier cannot name
the document. An operator runs it once after deploying (`mes backfill-doc-refs`, docs/deploy.md).

A parallel Scan (segments) is acceptable here, and only here: this is a migration run once over
the whole table, not a request path (every request path reads by key or index, never by Scan).

- **Documents and deposit markers**: the Scan's filter keeps items without `doc_ref` whose sort key
  is a document id or a deposit marker (`~deposit#…`); both get `doc_ref` = their own sort key, as
  the current code writes them. The quota item (`~quota`) is never returned, so never written.
- **Idempotent**: each write is a conditional `SET doc_ref = :id` where the item exists and has
  no `doc_ref` yet; a document saved (which sets `doc_ref`) or deleted meanwhile fails the
  condition and is counted as skipped. `version` is left alone: a concurrent save of that
  document, conditional on the version it read, still succeeds (and writes the same `doc_ref`).
- **Resumable**: re-run it. Items already done are filtered out by the Scan (read again, not
  written again); an interrupted run loses nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, fields
from typing import Any

from botocore.exceptions import ClientError

FILTER = "attribute_not_exists(doc_ref) AND (NOT begins_with(document_id, :other) OR begins_with(document_id, :marker))"
CONDITION = "attribute_exists(espace_id) AND attribute_not_exists(doc_ref)"
NON_DOCUMENT_PREFIX = "~"  # items that are not documents (mes.adapters.documents_dynamo): the quota, the markers
MARKER_PREFIX = "~deposit#"  # DEPOSIT_SK: a deposit marker, on the index by its own key
MAX_SEGMENTS = 64


@dataclass
class BackfillReport:
    """Counts only (never an id): what the operator reads, `name: value`."""

    scanned: int = 0  # items the Scan read (ScannedCount), every kind
    missing: int = 0  # documents and deposit markers without doc_ref the filter returned
    updated: int = 0  # doc_ref set by this run
    skipped: int = 0  # the condition failed: saved (doc_ref set) or deleted meanwhile
    requests: int = 0  # Scan pages + UpdateItem calls

    def add(self, other: BackfillReport) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))


def backfill_doc_refs(client: Any, table: str, segments: int = 4, page_size: int | None = None,
                      on_page: Callable[[BackfillReport], None] | None = None) -> BackfillReport:
    """Set `doc_ref` = `document_id` on every document and deposit-marker item of `table` that has none: `segments`
    Scan segments in parallel threads (a boto3 client is thread-safe), one conditional UpdateItem
    per document found. `on_page` gets each page's counts (progress, from the worker threads)."""
    if not 1 <= segments <= MAX_SEGMENTS:
        raise ValueError(f"segments: 1 to {MAX_SEGMENTS}")
    total = BackfillReport()
    with ThreadPoolExecutor(max_workers=segments) as pool:
        for report in pool.map(lambda s: _segment(client, table, s, segments, page_size, on_page), range(segments)):
            total.add(report)
    return total


def _segment(client: Any, table: str, segment: int, segments: int, page_size: int | None,
             on_page: Callable[[BackfillReport], None] | None) -> BackfillReport:
    report = BackfillReport()
    params: dict[str, Any] = {
        "TableName": table, "Segment": segment, "TotalSegments": segments, "FilterExpression": FILTER,
        "ProjectionExpression": "espace_id, document_id",
        "ExpressionAttributeValues": {":other": {"S": NON_DOCUMENT_PREFIX}, ":marker": {"S": MARKER_PREFIX}}}
    if page_size:
        params["Limit"] = page_size
    while True:
        page = client.scan(**params)
        counts = BackfillReport(scanned=page.get("ScannedCount", 0), missing=len(page.get("Items", [])), requests=1)
        for item in page.get("Items", []):
            counts.add(_set_doc_ref(client, table, item))
        report.add(counts)
        if on_page is not None:
            on_page(counts)
        if "LastEvaluatedKey" not in page:
            return report
        params["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _set_doc_ref(client: Any, table: str, item: dict[str, Any]) -> BackfillReport:
    key = {"espace_id": item["espace_id"], "document_id": item["document_id"]}
    sort_key = item["document_id"]["S"]
    if sort_key.startswith(NON_DOCUMENT_PREFIX) and not sort_key.startswith(MARKER_PREFIX):  # the filter left it out
        return BackfillReport()
    try:
        client.update_item(TableName=table, Key=key, UpdateExpression="SET doc_ref = :id",
                           ConditionExpression=CONDITION,
                           ExpressionAttributeValues={":id": {"S": item["document_id"]["S"]}})
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
            raise
        return BackfillReport(skipped=1, requests=1)
    return BackfillReport(updated=1, requests=1)
