"""The PynamoDB models of the espaces, credentials, ephemeral and jobs tables, at module level so
type checkers see their attributes; `core_models` binds them to the deployed table names."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from pynamodb.attributes import BooleanAttribute, ListAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model

from mes.adapters.dynamo_kit import bind


class ByNir(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_nir"
        projection = AllProjection()
    nir_hmac = UnicodeAttribute(hash_key=True)
    birth_date = UnicodeAttribute(range_key=True)


class ByWave(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_wave"
        projection = AllProjection()
    wave_pk = UnicodeAttribute(hash_key=True)
    wave_sk = UnicodeAttribute(range_key=True)


class ByDue(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_due"
        projection = KeysOnlyProjection()
    due_pk = UnicodeAttribute(hash_key=True)
    due_at = UnicodeAttribute(range_key=True)


class ByGuardian(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_guardian"
        projection = KeysOnlyProjection()
    guardian_id = UnicodeAttribute(hash_key=True)
    espace_id = UnicodeAttribute(range_key=True)


class ByRepresentative(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_representative"
        projection = KeysOnlyProjection()
    representative_id = UnicodeAttribute(hash_key=True)
    espace_id = UnicodeAttribute(range_key=True)


class ByMajority(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_majority"
        projection = KeysOnlyProjection()
    majority_pk = UnicodeAttribute(hash_key=True)
    majority_at = UnicodeAttribute(range_key=True)


class EspaceModel(Model):
    espace_id = UnicodeAttribute(hash_key=True)
    nir_hmac = UnicodeAttribute()
    birth_date = UnicodeAttribute()
    vitale_hmac = UnicodeAttribute()
    first_name = UnicodeAttribute(default="")
    last_name = UnicodeAttribute(default="")
    department = UnicodeAttribute()
    status = UnicodeAttribute()
    email = UnicodeAttribute(null=True)
    mobile = UnicodeAttribute(null=True)
    address = UnicodeAttribute(null=True)
    guardian_id = UnicodeAttribute(null=True)
    guardian_name = UnicodeAttribute(null=True)
    guardian_email = UnicodeAttribute(null=True)
    guardian_mobile = UnicodeAttribute(null=True)
    guardian_address = UnicodeAttribute(null=True)
    code_seq = NumberAttribute(default=0)
    code_used_seq = NumberAttribute(default=0)
    code_attempts = NumberAttribute(default=0)
    code_sent_at = UnicodeAttribute(null=True)
    code_expires_at = UnicodeAttribute(null=True)
    notified_at = UnicodeAttribute(null=True)
    opposition_deadline = UnicodeAttribute(null=True)
    opposed_at = UnicodeAttribute(null=True)
    receipt_id = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute(null=True)
    activated_at = UnicodeAttribute(null=True)
    imported_at = UnicodeAttribute(null=True)
    login = UnicodeAttribute(null=True)
    otp_channel = UnicodeAttribute(default="email")
    settings_json = UnicodeAttribute(null=True)
    version = NumberAttribute(default=0)
    wave_pk = UnicodeAttribute(null=True)
    wave_sk = UnicodeAttribute(null=True)
    due_pk = UnicodeAttribute(null=True)
    due_at = UnicodeAttribute(null=True)
    # closure, suspension, retention (BR-14, BR-15)
    session_epoch = NumberAttribute(default=0)
    closed_at = UnicodeAttribute(null=True)
    archived_until = UnicodeAttribute(null=True)
    deletion_due = UnicodeAttribute(null=True)
    suspended_at = UnicodeAttribute(null=True)
    suspension_due = UnicodeAttribute(null=True)
    suspended_from = UnicodeAttribute(null=True)
    reopened_at = UnicodeAttribute(null=True)
    purged_at = UnicodeAttribute(null=True)
    purge_started_at = UnicodeAttribute(null=True)
    by_nir = ByNir()
    by_wave = ByWave()
    by_due = ByDue()
    by_guardian = ByGuardian()
    # BR-16/BR-18 (mes.domain.children)
    representative_id = UnicodeAttribute(null=True)
    handover_notice_pending = BooleanAttribute(null=True)
    handed_over_at = UnicodeAttribute(null=True)
    majority_pk = UnicodeAttribute(null=True)
    majority_at = UnicodeAttribute(null=True)
    by_representative = ByRepresentative()
    by_majority = ByMajority()


class CredentialModel(Model):
    login = UnicodeAttribute(hash_key=True)
    espace_id = UnicodeAttribute()
    password_hash = UnicodeAttribute()


class EphemeralModel(Model):
    pk = UnicodeAttribute(hash_key=True)
    kind = UnicodeAttribute(null=True)
    espace_id = UnicodeAttribute(null=True)
    expires_at = UnicodeAttribute(null=True)
    expires_at_epoch = NumberAttribute(null=True)
    payload = UnicodeAttribute(null=True)
    attempts = NumberAttribute(default=0)
    used = BooleanAttribute(default=False)
    hits = NumberAttribute(default=0)
    sent_at_epoch = NumberAttribute(null=True)  # challenge#: the last send of its code (resend wait)
    min_epoch = NumberAttribute(null=True)  # sessions#{espace_id}: tokens of an older epoch are revoked
    epoch = NumberAttribute(null=True)  # websession#{hash}: the espace's session epoch at login
    last_active_epoch = NumberAttribute(null=True)  # websession#{hash}: the last login or refresh


class JobModel(Model):
    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    espace_ids = ListAttribute(of=UnicodeAttribute, default=list)
    claimed_at = UnicodeAttribute(null=True)
    expires_at_epoch = NumberAttribute(null=True)


@dataclass(frozen=True)
class CoreModels:
    """The four models bound to one deployment's tables (one set per container)."""

    espace: type[EspaceModel]
    credential: type[CredentialModel]
    ephemeral: type[EphemeralModel]
    job: type[JobModel]


@cache
def core_models(espaces: str, credentials: str, ephemeral: str, jobs: str, region: str) -> CoreModels:
    return CoreModels(espace=bind(EspaceModel, espaces, region), credential=bind(CredentialModel, credentials, region),
                      ephemeral=bind(EphemeralModel, ephemeral, region), job=bind(JobModel, jobs, region))
