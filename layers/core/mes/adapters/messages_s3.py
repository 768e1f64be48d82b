"""Saving a message attachment into the holder's documents (BR-39): a server-side S3 copy, the bytes
never pass through the function. The copy is encrypted with SSE-KMS and the project key, like every
document object, and lands under `documents/` where the validation function checks it again."""

from __future__ import annotations

from typing import Any


class S3AttachmentCopier:
    def __init__(self, s3: Any, bucket: str, kms_key_arn: str):
        self.s3 = s3
        self.bucket = bucket
        self.kms_key_arn = kms_key_arn

    def copy(self, source_key: str, target_key: str, source_version: str | None = None) -> None:
        """Idempotent: copying again overwrites the target with the same bytes. Tags are not copied
        (`TaggingDirective=REPLACE`, none given): the copy gets its own malware verdict. The source is
        the original's validated version (BR-23), the latest when None."""
        source = {"Bucket": self.bucket, "Key": source_key, **({"VersionId": source_version} if source_version else {})}
        self.s3.copy_object(Bucket=self.bucket, Key=target_key, CopySource=source,
                            MetadataDirective="COPY", TaggingDirective="REPLACE", ServerSideEncryption="aws:kms",
                            SSEKMSKeyId=self.kms_key_arn)
