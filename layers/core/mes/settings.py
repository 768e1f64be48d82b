"""Validated settings, read once from the environment (template.yaml Globals → Lambda env)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import lru_cache

from pydantic import BaseModel, ConfigDict


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    stage: str = "local"
    espaces_table: str
    credentials_table: str
    ephemeral_table: str
    jobs_table: str
    idempotency_table: str
    documents_table: str = ""
    access_table: str = ""
    access_log_table: str = ""
    profiles_table: str = ""
    document_scan_queue_url: str = ""
    malware_scanner: str = "eicar"
    documents_bucket: str
    letters_bucket: str
    population_bucket: str
    data_key_arn: str
    token_key_id: str
    app_secret_arn: str
    sender_email: str
    ses_template_prefix: str
    region: str = "eu-west-3"
    token_ttl_seconds: int = 900
    enrolment_token_ttl_seconds: int = 900
    wave_shards: int = 8
    due_shards: int = 8
    issuer: str = "mes"
    # Pro Santé Connect (BR-28): the provider's issuer, our client id, its pinned JWK set (JSON).
    # Empty: every PS token is refused.
    psc_issuer: str = ""
    psc_audience: str = ""
    psc_jwks: str = ""
    messages_table: str = ""  # secure messaging (BR-37)
    # Reimbursement history (BR-21) and data exports (issue #5).
    reimbursements_table: str = ""
    reimbursements_bucket: str = ""
    exports_table: str = ""
    exports_bucket: str = ""
    export_queue_url: str = ""

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        return cls(
            stage=env.get("MES_STAGE", "local"),
            espaces_table=env["ESPACES_TABLE"],
            credentials_table=env["CREDENTIALS_TABLE"],
            ephemeral_table=env["EPHEMERAL_TABLE"],
            jobs_table=env["JOBS_TABLE"],
            idempotency_table=env["IDEMPOTENCY_TABLE"],
            documents_table=env.get("DOCUMENTS_TABLE", ""),
            access_table=env.get("ACCESS_TABLE", ""),
            access_log_table=env.get("ACCESS_LOG_TABLE", ""),
            profiles_table=env.get("PROFILES_TABLE", ""),
            document_scan_queue_url=env.get("DOCUMENT_SCAN_QUEUE_URL", ""),
            # GuardDuty Malware Protection tags objects in AWS; locally, the EICAR scanner.
            malware_scanner=env.get("MALWARE_SCANNER") or ("eicar" if env.get("MES_STAGE", "local") == "local"
                                                           else "guardduty"),
            documents_bucket=env["DOCUMENTS_BUCKET"],
            letters_bucket=env["LETTERS_BUCKET"],
            population_bucket=env["POPULATION_BUCKET"],
            data_key_arn=env["DATA_KEY_ARN"],
            token_key_id=env["TOKEN_KEY_ID"],
            app_secret_arn=env["APP_SECRET_ARN"],
            sender_email=env["SENDER_EMAIL"],
            ses_template_prefix=env["SES_TEMPLATE_PREFIX"],
            region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "eu-west-3",
            psc_issuer=env.get("PSC_ISSUER", ""),
            psc_audience=env.get("PSC_AUDIENCE", ""),
            psc_jwks=env.get("PSC_JWKS", ""),
            messages_table=env.get("MESSAGES_TABLE", ""),
            reimbursements_table=env.get("REIMBURSEMENTS_TABLE", ""),
            reimbursements_bucket=env.get("REIMBURSEMENTS_BUCKET", ""),
            exports_table=env.get("EXPORTS_TABLE", ""),
            exports_bucket=env.get("EXPORTS_BUCKET", ""),
            export_queue_url=env.get("EXPORT_QUEUE_URL", ""),
        )

    def ses_template(self, name: str) -> str:
        return f"{self.ses_template_prefix}-{name}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings.from_env()
