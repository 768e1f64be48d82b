"""Document bytes in S3: presigned uploads that require SSE-KMS with the project key, the declared
content type and a size range; presigned downloads as attachments; header reads for validation;
deletion of every version. The API never proxies a document's bytes."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from botocore.exceptions import ClientError

from mes.ports import DocumentStore, ObjectHead

HEAD_BYTES = 4096


def ascii_filename(name: str) -> str:
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Za-z0-9._ -]", "_", plain)[:120] or "document"


def versioned(params: dict[str, Any], version_id: str | None) -> dict[str, Any]:
    """The request's parameters naming one version of the object, or the latest when None."""
    return {**params, "VersionId": version_id} if version_id else params


class S3DocumentStore:
    def __init__(self, s3: Any, bucket: str, kms_key_arn: str):
        self.s3 = s3
        self.bucket = bucket
        self.kms_key_arn = kms_key_arn

    def presign_upload(self, key: str, content_type: str, max_bytes: int, ttl: int) -> dict[str, Any]:
        fields = {"Content-Type": content_type, "x-amz-server-side-encryption": "aws:kms",
                  "x-amz-server-side-encryption-aws-kms-key-id": self.kms_key_arn}
        conditions: list[Any] = [{"Content-Type": content_type}, ["content-length-range", 1, max_bytes],
                                 {"x-amz-server-side-encryption": "aws:kms"},
                                 {"x-amz-server-side-encryption-aws-kms-key-id": self.kms_key_arn}]
        post = self.s3.generate_presigned_post(Bucket=self.bucket, Key=key, Fields=fields, Conditions=conditions,
                                               ExpiresIn=ttl)
        return {"method": "POST", "url": post["url"], "fields": post["fields"], "expires_in": ttl}

    def presign_download(self, key: str, filename: str, content_type: str, ttl: int,
                         version_id: str | None = None) -> dict[str, Any]:
        params = {"Bucket": self.bucket, "Key": key, "ResponseContentType": content_type,
                  "ResponseContentDisposition": f'attachment; filename="{ascii_filename(filename)}"'}
        url = self.s3.generate_presigned_url("get_object", ExpiresIn=ttl, Params=versioned(params, version_id))
        return {"url": url, "expires_in": ttl}

    def head(self, key: str) -> ObjectHead | None:
        """Real size and encryption of the object, or None if it is gone."""
        try:
            response = self.s3.head_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if exc.response["Error"]["Code"] in ("404", "NoSuchKey", "NotFound"):
                return None
            raise
        version = response.get("VersionId")
        return {"size": int(response["ContentLength"]), "sse": response.get("ServerSideEncryption"),
                "kms_key": response.get("SSEKMSKeyId"), "version_id": None if version in (None, "null") else version}

    def read_head(self, key: str, length: int = HEAD_BYTES, version_id: str | None = None) -> bytes:
        """Only the first bytes: the validation function never reads a whole document."""
        params = {"Bucket": self.bucket, "Key": key, "Range": f"bytes=0-{length - 1}"}
        response = self.s3.get_object(**versioned(params, version_id))
        return response["Body"].read(length)

    def tags(self, key: str, version_id: str | None = None) -> dict[str, str]:
        response = self.s3.get_object_tagging(**versioned({"Bucket": self.bucket, "Key": key}, version_id))
        return {t["Key"]: t["Value"] for t in response.get("TagSet", [])}

    def delete_other_versions(self, key: str, keep: str) -> int:
        """BR-23: bytes written with a reused upload ticket after the validation are never served."""
        versions = self.s3.list_object_versions(Bucket=self.bucket, Prefix=key)
        objects = [{"Key": v["Key"], "VersionId": v["VersionId"]}
                   for v in versions.get("Versions", []) + versions.get("DeleteMarkers", [])
                   if v["Key"] == key and v["VersionId"] != keep]
        if objects:
            self.s3.delete_objects(Bucket=self.bucket, Delete={"Objects": objects, "Quiet": True})
        return len(objects)

    def put(self, key: str, content_type: str, data: bytes) -> None:
        """The same object a presigned upload writes: SSE-KMS with the project key, its declared type."""
        self.s3.put_object(Bucket=self.bucket, Key=key, Body=data, ContentType=content_type,
                           ServerSideEncryption="aws:kms", SSEKMSKeyId=self.kms_key_arn)

    def delete(self, key: str) -> None:
        """Every version (the bucket is versioned): the bytes are gone, not hidden."""
        versions = self.s3.list_object_versions(Bucket=self.bucket, Prefix=key)
        objects = [{"Key": v["Key"], "VersionId": v["VersionId"]}
                   for v in versions.get("Versions", []) + versions.get("DeleteMarkers", []) if v["Key"] == key]
        if objects:
            self.s3.delete_objects(Bucket=self.bucket, Delete={"Objects": objects, "Quiet": True})
        else:
            self.s3.delete_object(Bucket=self.bucket, Key=key)


class EicarScanner:
    """The local malware-scan port: recognises the standard EICAR test string in the object's first
    bytes (where the EICAR test file puts it)."""

    def verdict(self, store: DocumentStore, key: str, head: bytes, version_id: str | None = None) -> str:
        from mes.domain.documents import EICAR
        return "infected" if EICAR in head else "clean"


class GuardDutyScanner:
    """In AWS: GuardDuty Malware Protection for S3 tags each new object with its verdict.

    NO_THREATS_FOUND → clean; THREATS_FOUND → infected (deleted); UNSUPPORTED → unscannable
    (rejected: a document nobody could scan is not served); no tag yet, ACCESS_DENIED or FAILED →
    pending: the message comes back, and after 5 receives lands in the DLQ, whose alarm calls the
    operator (a fault on our side must not delete a holder's document)."""

    TAG = "GuardDutyMalwareScanStatus"
    VERDICTS = {"NO_THREATS_FOUND": "clean", "THREATS_FOUND": "infected", "UNSUPPORTED": "unscannable"}

    def verdict(self, store: DocumentStore, key: str, head: bytes, version_id: str | None = None) -> str:
        """The tag of the version checked (GuardDuty tags each version it scans)."""
        return self.VERDICTS.get(store.tags(key, version_id).get(self.TAG, ""), "pending")
