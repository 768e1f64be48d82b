"""Documents in DynamoDB: one item per document under its espace (newest first by id), a quota
item per espace updated in the same transaction as the document, a sparse index for the release of
documents hidden from the holder (BR-26)."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from datetime import datetime
from functools import cache
from typing import Any

from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import PutError, TransactWriteError
from pynamodb.expressions.update import Action
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model

from mes.adapters.dynamo_kit import (
    OrderedTransactWrite,
    bind,
    decode_cursor,
    encode_cursor,
    failed_indexes,
    from_iso,
    iso,
    one_page,
    shard_of,
    transaction,
)
from mes.domain.documents import (
    MAX_PENDING_UPLOADS,
    MAX_TOTAL_BYTES,
    AuthorType,
    DocStatus,
    Document,
    QuotaExceeded,
)
from mes.domain.errors import ConcurrentUpdate
from mes.ports import Page

QUOTA_SK = "~quota"  # sorts after every document id (hex), excluded by the key condition
DEPOSIT_SK = "~deposit#"  # + deposit key: which document an ITI-65 masterIdentifier created (idempotency)
HIDDEN_SHARDS = 4


class ByCategory(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_category"
        projection = AllProjection()
    espace_category = UnicodeAttribute(hash_key=True)
    document_id = UnicodeAttribute(range_key=True)


class ByHidden(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_hidden"
        projection = KeysOnlyProjection()
    hidden_pk = UnicodeAttribute(hash_key=True)
    hidden_due = UnicodeAttribute(range_key=True)


class ByDocument(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_document"
        projection = KeysOnlyProjection()
    doc_ref = UnicodeAttribute(hash_key=True)


class DocumentModel(Model):
    espace_id = UnicodeAttribute(hash_key=True)
    document_id = UnicodeAttribute(range_key=True)
    title = UnicodeAttribute(null=True)
    category = UnicodeAttribute(null=True)
    espace_category = UnicodeAttribute(null=True)
    filename = UnicodeAttribute(null=True)
    content_type = UnicodeAttribute(null=True)
    size = NumberAttribute(default=0)
    author_type = UnicodeAttribute(null=True)
    author_id = UnicodeAttribute(null=True)
    author_name = UnicodeAttribute(null=True)
    author_profession = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute(null=True)
    object_key = UnicodeAttribute(null=True)
    status = UnicodeAttribute(null=True)
    masked = BooleanAttribute(default=False)
    hidden_from_holder = BooleanAttribute(default=False)
    hidden_until = UnicodeAttribute(null=True)
    hidden_notice_sent = BooleanAttribute(default=False)
    hidden_from_representatives = BooleanAttribute(null=True)  # BR-17
    hidden_pk = UnicodeAttribute(null=True)
    hidden_due = UnicodeAttribute(null=True)
    doc_ref = UnicodeAttribute(null=True)  # = document_id on documents (not on quota items): by_document
    reject_reason = UnicodeAttribute(null=True)
    detected_type = UnicodeAttribute(null=True)
    real_size = NumberAttribute(null=True)
    validated_at = UnicodeAttribute(null=True)
    object_version = UnicodeAttribute(null=True)  # the S3 VersionId the validation checked (BR-23)
    replaces = UnicodeAttribute(null=True)  # the document this one replaces (BR-24, FHIR relatesTo)
    replaced_by = UnicodeAttribute(null=True)  # the replacement that claimed it (pending or validated)
    version = NumberAttribute(default=0)
    # quota item only
    pending_uploads = NumberAttribute(null=True)
    total_bytes = NumberAttribute(null=True)
    by_category = ByCategory()
    by_hidden = ByHidden()
    by_document = ByDocument()


@cache
def document_model(table: str, region_name: str) -> type[DocumentModel]:
    """`DocumentModel` bound to the deployed table (one class per table name and region)."""
    return bind(DocumentModel, table, region_name)




class DynamoDocumentRepository:
    def __init__(self, model: type[DocumentModel]):
        self.Doc = model
        self._region = model.Meta.region

    # -- mapping ----------------------------------------------------------------------------
    def _to_model(self, d: Document, version: int) -> DocumentModel:
        hidden_due = None
        if d.hidden_from_holder and d.hidden_until is not None:
            from mes.domain.documents import HIDDEN_NOTICE_AFTER, HIDDEN_RELEASE_AFTER
            notice = d.hidden_until - HIDDEN_RELEASE_AFTER + HIDDEN_NOTICE_AFTER
            hidden_due = iso(d.hidden_until if d.hidden_notice_sent else notice)
        return self.Doc(
            espace_id=d.espace_id, document_id=d.document_id, title=d.title, category=d.category,
            espace_category=f"{d.espace_id}#{d.category}", doc_ref=d.document_id, filename=d.filename, content_type=d.content_type,
            size=d.size, author_type=str(d.author_type), author_id=d.author_id, created_at=iso(d.created_at),
            author_name=d.author_name, author_profession=d.author_profession,
            object_key=d.object_key, status=str(d.status), masked=d.masked, hidden_from_holder=d.hidden_from_holder,
            hidden_until=iso(d.hidden_until) if d.hidden_until else None, hidden_notice_sent=d.hidden_notice_sent,
            hidden_pk=f"hidden#{shard_of(d.document_id, HIDDEN_SHARDS)}" if hidden_due else None, hidden_due=hidden_due,
            reject_reason=d.reject_reason, detected_type=d.detected_type, real_size=d.real_size,
            validated_at=iso(d.validated_at) if d.validated_at else None, object_version=d.object_version,
            replaces=d.replaces, replaced_by=d.replaced_by, version=version,
            hidden_from_representatives=True if d.hidden_from_representatives else None)

    @staticmethod
    def _to_domain(m: DocumentModel) -> Document:
        return Document(
            espace_id=m.espace_id, document_id=m.document_id, title=m.title or "", category=m.category or "",
            filename=m.filename or "", content_type=m.content_type or "", size=int(m.size or 0),
            author_type=AuthorType(m.author_type), author_id=m.author_id or "",
            author_name=m.author_name, author_profession=m.author_profession,
            created_at=from_iso(m.created_at), object_key=m.object_key or "",  # type: ignore[arg-type]
            status=DocStatus(m.status), masked=bool(m.masked), hidden_from_holder=bool(m.hidden_from_holder),
            hidden_until=from_iso(m.hidden_until), hidden_notice_sent=bool(m.hidden_notice_sent),
            reject_reason=m.reject_reason, detected_type=m.detected_type,
            real_size=int(m.real_size) if m.real_size is not None else None, validated_at=from_iso(m.validated_at),
            version=int(m.version or 0), hidden_from_representatives=bool(m.hidden_from_representatives),
            object_version=m.object_version, replaces=m.replaces, replaced_by=m.replaced_by)

    def _deposit_marker(self, d: Document) -> DocumentModel:
        """`doc_ref` = the marker's own key on the sparse by_document index: a PATCH `?identifier=` (the
        author's masterIdentifier, no patient) finds the espace in one Query (`deposit_of`)."""
        key = DEPOSIT_SK + (d.deposit_key or "")
        return self.Doc(espace_id=d.espace_id, document_id=key, title=d.document_id, doc_ref=key)

    def find_deposit(self, espace_id: str, deposit_key: str) -> str | None:
        try:
            return str(self.Doc.get(espace_id, DEPOSIT_SK + deposit_key, consistent_read=True).title)
        except self.Doc.DoesNotExist:
            return None

    def _quota(self, espace_id: str) -> DocumentModel:
        return self.Doc(espace_id=espace_id, document_id=QUOTA_SK)

    # -- writes -----------------------------------------------------------------------------
    def create(self, d: Document, also: Document | None = None) -> None:
        """Metadata first (`pending`) and the espace's quota, in one transaction [design quotas]; `also`:
        the document a replacement claims, saved in the same transaction on the version read."""
        q = self.Doc
        pending = d.status == DocStatus.PENDING
        bytes_ok = q.total_bytes.does_not_exist() | (q.total_bytes <= MAX_TOTAL_BYTES - d.size)
        pending_ok = q.pending_uploads.does_not_exist() | (q.pending_uploads < MAX_PENDING_UPLOADS)
        actions: list[Action] = [q.total_bytes.add(d.size)]
        if pending:
            actions.append(q.pending_uploads.add(1))
        try:
            with transaction(self._region) as tx:
                tx.save(self._to_model(d, 1), condition=q.document_id.does_not_exist())
                tx.update(self._quota(d.espace_id), actions=actions,
                          condition=(pending_ok & bytes_ok) if pending else bytes_ok)
                if d.deposit_key:
                    tx.save(self._deposit_marker(d), condition=q.document_id.does_not_exist())
                if also is not None:
                    self._save_on_version(tx, also)
        except TransactWriteError as exc:
            failed = failed_indexes(exc, tx)
            if 1 in failed:
                raise QuotaExceeded() from exc
            raise ConcurrentUpdate() from exc
        d.version = 1
        if also is not None:
            also.version += 1

    def remove(self, d: Document, *, was_pending: bool) -> None:
        """Delete the metadata and give back the quota (signing failed, or the holder deleted it); a
        rejected document gave its bytes back at rejection."""
        q = self.Doc
        actions: list[Action] = [] if d.status == DocStatus.REJECTED else [q.total_bytes.add(-d.size)]
        if was_pending:
            actions.append(q.pending_uploads.add(-1))
        if not actions and not d.deposit_key:
            self.Doc(espace_id=d.espace_id, document_id=d.document_id).delete()
            return
        with transaction(self._region) as tx:
            tx.delete(self.Doc(espace_id=d.espace_id, document_id=d.document_id))
            if actions:
                tx.update(self._quota(d.espace_id), actions=actions)
            if d.deposit_key:
                tx.delete(self.Doc(espace_id=d.espace_id, document_id=DEPOSIT_SK + d.deposit_key))

    def save(self, d: Document, *, validated: bool = False, also: Document | None = None) -> None:
        """Conditional on the version read. `validated`: the pending upload leaves the quota's pending
        count (and a rejected one gives its bytes back), in the same transaction. `also`: another
        document of the espace saved in the same transaction, on its own version (a replacement's
        validation supersedes or releases the document it replaces)."""
        try:
            if not validated and also is None:
                self._to_model(d, d.version + 1).save(condition=self.Doc.version == d.version)
            else:
                with transaction(self._region) as tx:
                    self._save_on_version(tx, d)
                    if validated:
                        tx.update(self._quota(d.espace_id), actions=self._validated_actions(d))
                    if also is not None:
                        self._save_on_version(tx, also)
        except (PutError, TransactWriteError) as exc:
            raise ConcurrentUpdate() from exc
        d.version += 1
        if also is not None:
            also.version += 1

    def _save_on_version(self, tx: OrderedTransactWrite, d: Document) -> None:
        """`d` at its next version, conditional on the version read (the caller adds 1 once committed)."""
        tx.save(self._to_model(d, d.version + 1), condition=self.Doc.version == d.version)

    def _validated_actions(self, d: Document) -> list[Action]:
        q = self.Doc
        quota_actions: list[Action] = [q.pending_uploads.add(-1)]
        if d.status == DocStatus.REJECTED:
            quota_actions.append(q.total_bytes.add(-d.size))
        return quota_actions

    # -- reads ------------------------------------------------------------------------------
    def get(self, espace_id: str, document_id: str) -> Document | None:
        if document_id.startswith("~"):  # the quota and deposit-marker items are no documents
            return None
        try:
            return self._to_domain(self.Doc.get(espace_id, document_id, consistent_read=True))
        except self.Doc.DoesNotExist:
            return None

    def list(self, espace_id: str, *, category: str | None, limit: int, cursor: str | None,
             holder_only: bool, as_representative: bool = False) -> Page:
        """One Query per page, newest first; the holder's filter drops hidden/rejected items server-side
        (and, for a legal representative, the documents hidden from representatives, BR-17); the
        holder's own rejected uploads stay (BR-23: the holder sees why)."""
        q = self.Doc
        flt = None
        if holder_only:
            own_rejected = (q.status == "rejected") & (q.author_type == "PATIENT") & (q.author_id == espace_id)
            flt = (q.hidden_from_holder == False) & (q.status.is_in("pending", "available") | own_rejected)  # noqa: E712
            if as_representative:
                flt = flt & q.hidden_from_representatives.does_not_exist()
        start = decode_cursor(cursor)
        if category:
            result = q.by_category.query(f"{espace_id}#{category}", limit=limit, scan_index_forward=False,
                                         filter_condition=flt, last_evaluated_key=start, page_size=limit)
        else:
            result = q.query(espace_id, q.document_id < "g", limit=limit, scan_index_forward=False,
                             filter_condition=flt, last_evaluated_key=start, page_size=limit)
        models, last_key = one_page(result)
        return Page(items=[self._to_domain(m) for m in models], next_key=encode_cursor(last_key))

    def espace_of(self, document_id: str) -> str | None:
        """The espace holding a document, from its id alone (one Query on the sparse by_document index)."""
        for item in self.Doc.by_document.query(document_id, limit=1):
            return str(item.espace_id)
        return None

    def deposit_of(self, deposit_key: str) -> tuple[str, str] | None:
        """(espace, document) an author's deposit key was created with, from the key alone: one Query on
        by_document (the marker's `doc_ref`; keys only), then the marker's GetItem (the document id)."""
        espace_id = self.espace_of(DEPOSIT_SK + deposit_key)
        document_id = self.find_deposit(espace_id, deposit_key) if espace_id else None
        return (espace_id, document_id) if espace_id and document_id else None

    def quota(self, espace_id: str) -> tuple[int, int]:
        try:
            item = self.Doc.get(espace_id, QUOTA_SK, consistent_read=True)
        except self.Doc.DoesNotExist:
            return 0, 0
        return int(item.pending_uploads or 0), int(item.total_bytes or 0)

    def hidden_due(self, shard: int, now: datetime, limit: int, start: Any | None) -> Page:
        result = self.Doc.by_hidden.query(f"hidden#{shard}", self.Doc.hidden_due <= iso(now), limit=limit,
                                          last_evaluated_key=start)
        return Page(items=[(m.espace_id, m.document_id) for m in result], next_key=result.last_evaluated_key)

    def get_many(self, keys: Sequence[tuple[str, str]]) -> builtins.list[Document]:
        return [self._to_domain(m) for m in self.Doc.batch_get(list(keys), consistent_read=True)]

