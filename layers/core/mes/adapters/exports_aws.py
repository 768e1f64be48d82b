"""Exports (issue #5): the export records (DynamoDB), the archives (S3, SSE-KMS with the project key,
expired by the bucket's lifecycle rule), the build requests (SQS), and a streaming reader of the
documents' bytes."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from functools import cache
from typing import IO, Any

from botocore.exceptions import ClientError
from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import UpdateError
from pynamodb.models import Model

from mes.adapters.dynamo_kit import bind, from_iso, iso
from mes.adapters.s3_documents import ascii_filename
from mes.domain.exports import Export, ExportStatus


class ExportModel(Model):
    espace_id = UnicodeAttribute(hash_key=True)
    export_id = UnicodeAttribute(range_key=True)
    status = UnicodeAttribute()
    created_at = UnicodeAttribute()
    expires_at = UnicodeAttribute()
    object_key = UnicodeAttribute()
    ready_at = UnicodeAttribute(null=True)
    size = NumberAttribute(null=True)
    expires_at_epoch = NumberAttribute()
    for_representative = BooleanAttribute(null=True)


@cache
def export_model(table: str, region_name: str) -> type[ExportModel]:
    """`ExportModel` bound to the deployed table (one class per table name and region)."""
    return bind(ExportModel, table, region_name)


class DynamoExportRepository:
    def __init__(self, model: type[ExportModel]):
        self.Item = model

    def create(self, e: Export) -> None:
        self.Item(espace_id=e.espace_id, export_id=e.export_id, status=str(e.status), created_at=iso(e.created_at),
                  expires_at=iso(e.expires_at), object_key=e.object_key,
                  expires_at_epoch=int(e.expires_at.timestamp()),
                  for_representative=e.for_representative or None).save(condition=self.Item.export_id.does_not_exist())

    def get(self, espace_id: str, export_id: str) -> Export | None:
        try:
            m = self.Item.get(espace_id, export_id, consistent_read=True)
        except self.Item.DoesNotExist:
            return None
        return Export(espace_id=m.espace_id, export_id=m.export_id, status=ExportStatus(m.status),
                      created_at=from_iso(m.created_at), expires_at=from_iso(m.expires_at),  # type: ignore[arg-type]
                      object_key=m.object_key, ready_at=from_iso(m.ready_at),
                      size=int(m.size) if m.size is not None else None,
                      for_representative=bool(m.for_representative))

    def _set(self, espace_id: str, export_id: str, actions: list) -> None:
        try:
            self.Item(espace_id=espace_id, export_id=export_id).update(
                actions=actions, condition=self.Item.status == str(ExportStatus.PENDING))
        except UpdateError as exc:  # already ready/failed (a duplicate message), or deleted
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise

    def mark_ready(self, espace_id: str, export_id: str, now: Any, size: int) -> None:
        self._set(espace_id, export_id, [self.Item.status.set(str(ExportStatus.READY)),
                                         self.Item.ready_at.set(iso(now)), self.Item.size.set(size)])

    def mark_failed(self, espace_id: str, export_id: str) -> None:
        self._set(espace_id, export_id, [self.Item.status.set(str(ExportStatus.FAILED))])

    def delete(self, espace_id: str, export_id: str) -> None:
        self.Item(espace_id=espace_id, export_id=export_id).delete()


class S3ExportStore:
    def __init__(self, s3: Any, bucket: str, kms_key_arn: str):
        self.s3, self.bucket, self.kms_key_arn = s3, bucket, kms_key_arn

    def write(self, key: str, build: Callable[[IO[bytes]], None]) -> int:
        """Build into a temporary file (Lambda's /tmp, not memory), then one (multipart) upload."""
        with tempfile.TemporaryFile() as spool:
            build(spool)
            size = spool.tell()
            spool.seek(0)
            self.s3.upload_fileobj(spool, self.bucket, key, ExtraArgs={
                "ServerSideEncryption": "aws:kms", "SSEKMSKeyId": self.kms_key_arn, "ContentType": "application/zip"})
        return size

    def presign_download(self, key: str, filename: str, ttl: int) -> dict[str, Any]:
        url = self.s3.generate_presigned_url("get_object", ExpiresIn=ttl, Params={
            "Bucket": self.bucket, "Key": key, "ResponseContentType": "application/zip",
            "ResponseContentDisposition": f'attachment; filename="{ascii_filename(filename)}"'})
        return {"url": url, "expires_in": ttl}


class S3ObjectReader:
    """Streams an object's bytes (the export copies documents in chunks, never whole in memory)."""

    def __init__(self, s3: Any, bucket: str):
        self.s3, self.bucket = s3, bucket

    def open(self, key: str, version_id: str | None = None) -> IO[bytes]:
        """FileNotFoundError when the object is gone (deleted since it was listed). `version_id`: the
        document's validated version (BR-23), None for the latest."""
        params = {"Bucket": self.bucket, "Key": key, **({"VersionId": version_id} if version_id else {})}
        try:
            return self.s3.get_object(**params)["Body"]
        except ClientError as exc:
            if exc.response["Error"]["Code"] in ("NoSuchKey", "NoSuchVersion", "404", "NotFound"):
                raise FileNotFoundError(key) from exc
            raise


class SqsExportQueue:
    def __init__(self, sqs: Any, queue_url: str):
        self.sqs, self.queue_url = sqs, queue_url

    def send(self, espace_id: str, export_id: str) -> None:
        self.sqs.send_message(QueueUrl=self.queue_url,
                              MessageBody=json.dumps({"espace_id": espace_id, "export_id": export_id}))
