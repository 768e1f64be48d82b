"""boto3 adapters: SES e-mails, SNS SMS, S3 print files, KMS-signed tokens, Secrets Manager.

Each takes an injectable client; infrastructure errors surface as they are (the API maps any
non-domain error to a 500 without leaking internals)."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from functools import cached_property
from typing import Any, TypeGuard

import jwt
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.hazmat.primitives.serialization import load_der_public_key

from mes.domain.errors import Unauthorized
from mes.domain.texts import SMS_TEMPLATES, render

LETTER_COLUMNS = ["batch_id", "recipient", "address", "template", "code", "deadline", "text"]


class SesSnsNotifier:
    """E-mails through SES v1 templates (SendBulkTemplatedEmail for the wave), SMS through SNS."""

    def __init__(self, ses: Any, sns: Any, sender: str):
        self.ses = ses
        self.sns = sns
        self.sender = sender

    def send_bulk_templated(self, template: str, destinations: Sequence[tuple[str, dict[str, str]]]) -> None:
        if not destinations:
            return
        response = self.ses.send_bulk_templated_email(
            Source=self.sender, Template=template, DefaultTemplateData="{}",
            Destinations=[{"Destination": {"ToAddresses": [to]}, "ReplacementTemplateData": json.dumps(data)}
                          for to, data in destinations],
        )
        failed = [s for s in response.get("Status", []) if s.get("Status") not in (None, "Success")]
        if failed:
            raise RuntimeError(f"SES refused {len(failed)} destination(s)")

    def send_templated(self, template: str, to: str, data: dict[str, str]) -> None:
        self.ses.send_templated_email(Source=self.sender, Destination={"ToAddresses": [to]}, Template=template,
                                      TemplateData=json.dumps(data))

    def send_sms(self, template: str, to: str, data: dict[str, str]) -> None:
        self.sns.publish(PhoneNumber=to, Message=render(SMS_TEMPLATES[template], data),
                         MessageAttributes={"AWS.SNS.SMS.SMSType": {"DataType": "String",
                                                                     "StringValue": "Transactional"}})


class S3LetterPrinter:
    """One CSV print file per batch for the mailing house, SSE-KMS with the project key."""

    def __init__(self, s3: Any, bucket: str, kms_key_arn: str, prefix: str = "letters"):
        self.s3 = s3
        self.bucket = bucket
        self.kms_key_arn = kms_key_arn
        self.prefix = prefix

    def write_batch(self, batch_id: str, letters: Iterable[dict[str, str]]) -> str:
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=LETTER_COLUMNS, extrasaction="ignore")
        writer.writeheader()
        for letter in letters:
            writer.writerow({**letter, "batch_id": batch_id})
        key = f"{self.prefix}/{batch_id}.csv"
        self.s3.put_object(Bucket=self.bucket, Key=key, Body=buffer.getvalue().encode("utf-8"),
                           ContentType="text/csv; charset=utf-8", ServerSideEncryption="aws:kms",
                           SSEKMSKeyId=self.kms_key_arn)
        return key


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class KmsTokenService:
    """ES256 JWTs signed by an asymmetric KMS key (the private key never leaves KMS); verified with
    the public key fetched once per container. The algorithm is pinned, `exp` required."""

    ALGORITHM = "ES256"

    def __init__(self, kms: Any, key_id: str, issuer: str = "mes"):
        self.kms = kms
        self.key_id = key_id
        self.issuer = issuer

    @cached_property
    def _public_key(self) -> Any:
        return load_der_public_key(self.kms.get_public_key(KeyId=self.key_id)["PublicKey"])

    @cached_property
    def kid(self) -> str:
        return hashlib.sha256(self.key_id.encode()).hexdigest()[:16]

    def sign(self, claims: Mapping[str, object]) -> str:
        header = {"alg": self.ALGORITHM, "typ": "JWT", "kid": self.kid}
        payload = {"iss": self.issuer, **claims}
        signing_input = f"{_b64(json.dumps(header, separators=(',', ':')).encode())}." \
                        f"{_b64(json.dumps(payload, separators=(',', ':')).encode())}"
        # RAW: KMS hashes the (small, < 4 KB) signing input itself with SHA-256.
        der = self.kms.sign(KeyId=self.key_id, Message=signing_input.encode(), MessageType="RAW",
                            SigningAlgorithm="ECDSA_SHA_256")["Signature"]
        r, s = decode_dss_signature(der)
        return f"{signing_input}.{_b64(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"

    def verify(self, token: str, audience: str, now: datetime) -> dict[str, Any]:
        return verify_jwt(token, self._public_key, audience, self.issuer, self.kid, now)


CLOCK_SKEW_SECONDS = 60  # the same tolerance as Pro Santé Connect tokens (mes.adapters.psc)
# Longer tokens are refused before any decoding (bounded work per request). Ours are < 1 kB; a Pro
# Santé Connect token with several activities stays well under it; API Gateway refuses request
# headers above 10 kB anyway, so this only matters where the API runs without it.
MAX_TOKEN_LENGTH = 8192


def _is_time(value: object) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def verify_jwt(token: str, public_key: Any, audience: str, issuer: str, kid: str | None,
               now: datetime) -> dict[str, Any]:
    """Times are checked against the injected clock (jobs and tests run at the event's time), not
    the wall clock: `exp` required and after `now`; `iat` required and at most a minute of clock
    skew ahead of `now`; `nbf`, when present, likewise. A token "issued" in the future is refused:
    we never sign one, so it is forged or signed with a broken clock."""
    if not isinstance(token, str) or len(token) > MAX_TOKEN_LENGTH:
        raise Unauthorized()
    claims = _decode_es256(token, public_key, audience, issuer, kid)
    if not _times_ok(claims, int(now.timestamp())):
        raise Unauthorized()
    return claims


def _decode_es256(token: str, public_key: Any, audience: str, issuer: str,
                  kid: str | None) -> dict[str, Any]:
    """Signature (ES256 only, our `kid` when given), `aud`, `iss` and the required claims; the
    times are left to `_times_ok`."""
    try:
        header = jwt.get_unverified_header(token)
        if header.get("alg") != "ES256" or (kid is not None and header.get("kid") != kid):
            raise Unauthorized()
        claims: dict[str, Any] = jwt.decode(
            token, public_key, algorithms=["ES256"], audience=audience, issuer=issuer,
            options={"require": ["exp", "iat", "sub", "aud", "iss", "jti"],
                     "verify_exp": False, "verify_iat": False, "verify_nbf": False})
    except jwt.PyJWTError as exc:
        raise Unauthorized() from exc
    return claims


def _times_ok(claims: Mapping[str, Any], at: int) -> bool:
    """`exp` an integer after `at`; `iat` and `nbf` (optional) times not beyond the clock skew."""
    exp, iat, nbf = claims.get("exp"), claims.get("iat"), claims.get("nbf", at)
    if not isinstance(exp, int) or isinstance(exp, bool) or not _is_time(iat) or not _is_time(nbf):
        return False
    return exp > at and iat <= at + CLOCK_SKEW_SECONDS and nbf <= at + CLOCK_SKEW_SECONDS


def read_master_secret(secrets_client: Any, secret_arn: str) -> str:
    return json.loads(secrets_client.get_secret_value(SecretId=secret_arn)["SecretString"])["master"]
