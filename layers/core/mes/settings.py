"""Validated settings, read once from the environment (template.yaml Globals → Lambda env).

One model per function family, each field bound to its environment variable (the alias):
- `CoreSettings`: what every function reads through the composition root (the tables and buckets of
  the holder's data, the project key, the secret, the sender);
- `ApiSettings`: + what only the API and its authorizers read (the token signing key, Pro Santé
  Connect, the token lifetimes);
- `JobSettings`: + what only the scheduled and event functions read (the idempotency table, the
  letters bucket);
- `Settings`: every family at once, + what only the local stack reads (the buckets it uploads to,
  the queue it drains itself): one process that runs every function (the CLI, the tests, the bench).

A required variable has no default: a function whose environment misses one stops when its
container is built, before any AWS call, with `SettingsError` naming the variables.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import cache
from typing import Any, TypeVar, overload

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

F = TypeVar("F", bound="CoreSettings")


class SettingsError(RuntimeError):
    """The environment does not hold what a function family needs (a deployment error)."""


class CoreSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)

    stage: str = Field("local", alias="MES_STAGE")
    region: str = Field("eu-west-3", alias="AWS_REGION")
    espaces_table: str = Field(alias="ESPACES_TABLE", min_length=1)
    credentials_table: str = Field(alias="CREDENTIALS_TABLE", min_length=1)
    ephemeral_table: str = Field(alias="EPHEMERAL_TABLE", min_length=1)
    jobs_table: str = Field(alias="JOBS_TABLE", min_length=1)
    documents_table: str = Field(alias="DOCUMENTS_TABLE", min_length=1)
    access_table: str = Field(alias="ACCESS_TABLE", min_length=1)
    access_log_table: str = Field(alias="ACCESS_LOG_TABLE", min_length=1)
    profiles_table: str = Field(alias="PROFILES_TABLE", min_length=1)
    messages_table: str = Field(alias="MESSAGES_TABLE", min_length=1)  # secure messaging (BR-37)
    reimbursements_table: str = Field(alias="REIMBURSEMENTS_TABLE", min_length=1)  # BR-21
    exports_table: str = Field(alias="EXPORTS_TABLE", min_length=1)  # data exports (issue #5)
    exports_bucket: str = Field(alias="EXPORTS_BUCKET", min_length=1)
    export_queue_url: str = Field(alias="EXPORT_QUEUE_URL", min_length=1)  # the API sends, the function reads
    documents_bucket: str = Field(alias="DOCUMENTS_BUCKET", min_length=1)
    data_key_arn: str = Field(alias="DATA_KEY_ARN", min_length=1)
    app_secret_arn: str = Field(alias="APP_SECRET_ARN", min_length=1)
    sender_email: str = Field(alias="SENDER_EMAIL", min_length=1)
    ses_template_prefix: str = Field(alias="SES_TEMPLATE_PREFIX", min_length=1)
    # GuardDuty Malware Protection tags objects in AWS; locally, the EICAR scanner.
    malware_scanner: str = Field("eicar", alias="MALWARE_SCANNER")
    token_ttl_seconds: int = 900  # the session epoch a closure revokes (BR-14) is read by the jobs too

    @model_validator(mode="before")
    @classmethod
    def _derived(cls, data: Any) -> Any:
        if not isinstance(data, Mapping):
            return data
        data = dict(data)
        if not data.get("AWS_REGION"):
            data["AWS_REGION"] = data.get("AWS_DEFAULT_REGION") or "eu-west-3"
        if not data.get("MALWARE_SCANNER") and "malware_scanner" not in data:
            data["MALWARE_SCANNER"] = "eicar" if data.get("MES_STAGE", "local") == "local" else "guardduty"
        return data

    @classmethod
    def from_env(cls: type[F], env: Mapping[str, str] | None = None) -> F:
        """This family's settings from `env` (default: the process environment); `SettingsError`
        naming every missing or empty variable otherwise."""
        env = os.environ if env is None else env
        try:
            return cls.model_validate(dict(env))
        except ValidationError as exc:
            names = sorted({str(error["loc"][0]) for error in exc.errors() if error["loc"]})
            raise SettingsError(f"{cls.__name__}: missing or invalid environment variables: {', '.join(names)} "
                                f"(template.yaml, Globals → Function → Environment)") from None

    def ses_template(self, name: str) -> str:
        return f"{self.ses_template_prefix}-{name}"


class ApiSettings(CoreSettings):
    token_key_id: str = Field(alias="TOKEN_KEY_ID", min_length=1)
    issuer: str = "mes"
    enrolment_token_ttl_seconds: int = 900
    # Pro Santé Connect (BR-28): the provider's issuer, our client id, its pinned JWK set (JSON).
    # Empty: every PS token is refused (a deliberate setting, e.g. a stage without PSC).
    psc_issuer: str = Field("", alias="PSC_ISSUER")
    psc_audience: str = Field("", alias="PSC_AUDIENCE")
    psc_jwks: str = Field("", alias="PSC_JWKS")
    # The web session cookie's Path (WEB.md "Session"): the page calls the API under /api/ on its own
    # origin (CloudFront and the local web server forward /api/*), so the browser sees /api/auth.
    session_cookie_path: str = Field("/api/auth", alias="SESSION_COOKIE_PATH", pattern=r"^/[A-Za-z0-9/_.-]*$")
    # The FHIR facade's public base `{api}` (FHIR.md §6): its links (`next`, `fullUrl`, attachment
    # URLs) are absolute on `{api}/fhir/R4`. Unset or empty: the request's own scheme and host (locally).
    public_api_url: str | None = Field(None, alias="PUBLIC_API_URL", pattern=r"^(https?://[A-Za-z0-9.:-]+(/[A-Za-z0-9/_.-]*)?)?$")


class JobSettings(CoreSettings):
    idempotency_table: str = Field(alias="IDEMPOTENCY_TABLE", min_length=1)  # scheduled functions (Powertools)
    letters_bucket: str = Field(alias="LETTERS_BUCKET", min_length=1)  # the wave's print files (BR-05)


class Settings(ApiSettings, JobSettings):
    """Every family in one process (the local stack, the CLI, the tests, the bench)."""

    # Read by the local stack only: in AWS the functions get these from their S3 or SQS events.
    population_bucket: str = Field(alias="POPULATION_BUCKET", min_length=1)
    reimbursements_bucket: str = Field(alias="REIMBURSEMENTS_BUCKET", min_length=1)
    document_scan_queue_url: str = Field(alias="DOCUMENT_SCAN_QUEUE_URL", min_length=1)


def require(settings: CoreSettings, family: type[F]) -> F:
    """`settings` as `family`, or `SettingsError` when a function reaches past its family."""
    if not isinstance(settings, family):
        raise SettingsError(f"{family.__name__} needed, but this function was configured with "
                            f"{type(settings).__name__}")
    return settings


@cache
def _read(family: type[CoreSettings]) -> CoreSettings:
    return family.from_env()


@overload
def get_settings() -> Settings: ...
@overload
def get_settings(family: type[F]) -> F: ...
def get_settings(family: type[CoreSettings] = Settings) -> CoreSettings:
    """One family's settings, read once per process (`clear_settings()` reads them again)."""
    return _read(family)


def clear_settings() -> None:
    _read.cache_clear()
