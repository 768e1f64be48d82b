"""The composition root: the one place that builds real adapters from the settings.

Clients and keys are created lazily and kept for the container's life (cold start stays light:
nothing here imports boto3 until a handler needs AWS)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from functools import cached_property
from typing import TYPE_CHECKING

from mes.domain.keys import Keys
from mes.settings import (
    ApiSettings,
    CoreSettings,
    JobSettings,
    Settings,
    clear_settings,
    get_settings,
    require,
)

if TYPE_CHECKING:  # annotations only: adapters and services are imported lazily, when first needed
    from boto3.session import Session
    from botocore.client import BaseClient

    from mes.adapters.dynamo import DynamoEspaceRepository
    from mes.adapters.espace_models import CoreModels
    from mes.ports import (
        AccessRepository,
        CredentialRepository,
        DocumentRepository,
        DocumentStore,
        EphemeralStore,
        EspaceRepository,
        ExportRepository,
        HolderDataStore,
        LetterPrinter,
        LifecycleRepository,
        MalwareScanner,
        MessageRepository,
        Notifier,
        PasswordHasher,
        ProfileRepository,
        ProTokenVerifier,
        ReimbursementRepository,
        TokenService,
    )
    from mes.services.children import MajorityDeps
    from mes.services.closure import ClosureDeps
    from mes.services.documents import DocumentDeps
    from mes.services.enrolment import AccountDeps
    from mes.services.export_sections import AccessLogSection, DocumentsSection, EspaceSection
    from mes.services.exports import ExportDeps
    from mes.services.messaging import MessagingDeps
    from mes.services.professionals import ProDeps
    from mes.services.profile import ProfileDeps
    from mes.services.wave import WaveDeps

# The sections of the holder's data export (issue #5), in archive order: (section name → file
# `<name>.json` in the zip, Container attribute whose object has `export_espace(espace_id)` returning
# JSON-serialisable data, and optionally `export_files(espace_id)` yielding (path, opener)).
# Adding a section is one line here.
EXPORT_PROVIDERS: list[tuple[str, str]] = [
    ("espace", "espace_export"),
    ("documents", "documents_export"),
    ("access_log", "access_log_export"),
    ("reimbursements", "reimbursements"),
    ("profile", "profiles"),
    ("messages", "messages"),
]


def utcnow() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


class Container:
    def __init__(self, settings: CoreSettings | None = None, clock: Callable[[], datetime] = utcnow):
        self.settings = settings or get_settings()
        self.clock = clock
        self._clients: dict[str, BaseClient] = {}

    @property
    def api_settings(self) -> ApiSettings:
        """The API family's settings (`SettingsError` if this function is not configured for it)."""
        return require(self.settings, ApiSettings)

    @property
    def job_settings(self) -> JobSettings:
        """The scheduled and event functions' settings (`SettingsError` otherwise)."""
        return require(self.settings, JobSettings)

    @cached_property
    def _session(self) -> Session:
        import boto3
        return boto3.session.Session(region_name=self.settings.region)

    def client(self, name: str) -> BaseClient:
        """One boto3 session per container: botocore loads each service model once."""
        if name not in self._clients:
            self._clients[name] = self._session.client(name, region_name=self.settings.region)
        return self._clients[name]

    @cached_property
    def keys(self) -> Keys:
        from mes.adapters.aws import read_master_secret
        return Keys.derive(read_master_secret(self.client("secretsmanager"), self.settings.app_secret_arn))

    @cached_property
    def _models(self) -> CoreModels:
        from mes.adapters.espace_models import core_models
        s = self.settings
        return core_models(s.espaces_table, s.credentials_table, s.ephemeral_table, s.jobs_table, s.region)

    @cached_property
    def espaces(self) -> EspaceRepository:
        return self._dynamo_espaces

    @cached_property
    def _dynamo_espaces(self) -> DynamoEspaceRepository:
        """The DynamoDB repository itself: the credentials' transaction writes its items."""
        from mes.adapters.dynamo import DynamoEspaceRepository
        return DynamoEspaceRepository(self._models)

    @cached_property
    def credentials(self) -> CredentialRepository:
        from mes.adapters.dynamo import DynamoCredentialRepository
        return DynamoCredentialRepository(self._models, self._dynamo_espaces)

    @cached_property
    def ephemeral(self) -> EphemeralStore:
        from mes.adapters.dynamo import DynamoEphemeralStore
        return DynamoEphemeralStore(self._models)

    @cached_property
    def notifier(self) -> Notifier:
        from mes.adapters.aws import SesSnsNotifier
        return SesSnsNotifier(self.client("ses"), self.client("sns"), self.settings.sender_email)

    @cached_property
    def printer(self) -> LetterPrinter:
        from mes.adapters.aws import S3LetterPrinter
        return S3LetterPrinter(self.client("s3"), self.job_settings.letters_bucket, self.settings.data_key_arn)

    @cached_property
    def tokens(self) -> TokenService:
        from mes.adapters.aws import KmsTokenService
        return KmsTokenService(self.client("kms"), self.api_settings.token_key_id, self.api_settings.issuer)

    @cached_property
    def psc(self) -> ProTokenVerifier:
        """Pro Santé Connect token verifier (pinned JWKS from the settings; keys parsed once)."""
        from mes.adapters.psc import PscVerifier
        s = self.api_settings
        return PscVerifier(s.psc_issuer, s.psc_audience, s.psc_jwks)

    @cached_property
    def hasher(self) -> PasswordHasher:
        from mes.domain.passwords import Argon2Hasher
        return Argon2Hasher()

    @cached_property
    def documents(self) -> DocumentRepository:
        from mes.adapters.documents_dynamo import DynamoDocumentRepository, document_model
        return DynamoDocumentRepository(document_model(self.settings.documents_table, self.settings.region))

    @cached_property
    def document_store(self) -> DocumentStore:
        from mes.adapters.s3_documents import S3DocumentStore
        return S3DocumentStore(self.client("s3"), self.settings.documents_bucket, self.settings.data_key_arn)

    @cached_property
    def scanner(self) -> MalwareScanner:
        from mes.adapters.s3_documents import EicarScanner, GuardDutyScanner
        return GuardDutyScanner() if self.settings.malware_scanner == "guardduty" else EicarScanner()

    def document_deps(self) -> DocumentDeps:
        from mes.services.documents import DocumentDeps
        return DocumentDeps(espaces=self.espaces, documents=self.documents, store=self.document_store,
                            scanner=self.scanner, notifier=self.notifier, template_name=self.settings.ses_template)

    @cached_property
    def access(self) -> AccessRepository:
        from mes.adapters.access_dynamo import DynamoAccessRepository, access_models
        s = self.settings
        return DynamoAccessRepository(access_models(s.access_table, s.access_log_table, s.region))

    def pro_deps(self) -> ProDeps:
        from mes.services.professionals import ProDeps
        return ProDeps(espaces=self.espaces, documents=self.documents, access=self.access, store=self.document_store,
                       notifier=self.notifier, keys=self.keys, template_name=self.settings.ses_template)

    @cached_property
    def profiles(self) -> ProfileRepository:
        from mes.adapters.profile_dynamo import DynamoProfileRepository, profile_model
        return DynamoProfileRepository(profile_model(self.settings.profiles_table, self.settings.region))

    def profile_deps(self) -> ProfileDeps:
        from mes.services.profile import ProfileDeps
        return ProfileDeps(espaces=self.espaces, profiles=self.profiles)

    def account_deps(self) -> AccountDeps:
        from mes.services.enrolment import AccountDeps
        return AccountDeps(repo=self.espaces, credentials=self.credentials, ephemeral=self.ephemeral,
                           notifier=self.notifier, tokens=self.tokens, hasher=self.hasher, keys=self.keys,
                           template_name=self.settings.ses_template, token_ttl=self.settings.token_ttl_seconds,
                           enrolment_ttl=self.api_settings.enrolment_token_ttl_seconds)

    def wave_deps(self) -> WaveDeps:
        from mes.adapters.dynamo import WAVE_SHARDS
        from mes.services.wave import WaveDeps
        return WaveDeps(repo=self.espaces, notifier=self.notifier, printer=self.printer, keys=self.keys,
                        template_name=self.settings.ses_template, shards=WAVE_SHARDS)

    @cached_property
    def messages(self) -> MessageRepository:
        from mes.adapters.messages_dynamo import DynamoMessageRepository, MessageCipher, message_model
        return DynamoMessageRepository(message_model(self.settings.messages_table, self.settings.region),
                                       MessageCipher(self.keys.messages))

    def messaging_deps(self) -> MessagingDeps:
        from mes.adapters.messages_s3 import S3AttachmentCopier
        from mes.services.messaging import MessagingDeps
        copier = S3AttachmentCopier(self.client("s3"), self.settings.documents_bucket, self.settings.data_key_arn)
        return MessagingDeps(pro=self.pro_deps(), messages=self.messages, copier=copier)

    def majority_deps(self) -> MajorityDeps:
        from mes.adapters.dynamo import MAJORITY_SHARDS
        from mes.services.children import MajorityDeps
        return MajorityDeps(repo=self.espaces, notifier=self.notifier, printer=self.printer, keys=self.keys,
                            template_name=self.settings.ses_template, shards=MAJORITY_SHARDS)
    # -- closure, suspension, retention (BR-14, BR-15) ----------------------------------------------
    @cached_property
    def lifecycle(self) -> LifecycleRepository:
        from mes.adapters.closure_dynamo import DynamoLifecycleRepository
        return DynamoLifecycleRepository(self._models, self.espaces)

    def holder_data_stores(self) -> list[HolderDataStore]:
        """Every table and bucket holding a holder's data, purged by the retention job. A new table
        plugs in with one line here (an object with `purge_espace(espace_id) -> int`)."""
        from mes.adapters.access_dynamo import access_models
        from mes.adapters.closure_dynamo import DocumentsPurge, PartitionPurge, SessionsPurge
        from mes.adapters.documents_dynamo import document_model
        from mes.adapters.exports_aws import export_model
        from mes.adapters.messages_dynamo import message_model
        from mes.adapters.profile_dynamo import profile_model
        from mes.adapters.reimbursements_dynamo import reimbursement_model
        s = self.settings
        access_tables = access_models(s.access_table, s.access_log_table, s.region)
        access, access_log = access_tables.item, access_tables.log
        return [
            DocumentsPurge(document_model(s.documents_table, s.region), self.client("s3"), s.documents_bucket),
            PartitionPurge(access),
            PartitionPurge(access_log, batch=False),  # BR-35: DeleteItem only, never a write
            SessionsPurge(self._models.ephemeral),
            PartitionPurge(profile_model(s.profiles_table, s.region)),
            PartitionPurge(message_model(s.messages_table, s.region)),  # keys only: no decryption
            PartitionPurge(reimbursement_model(s.reimbursements_table, s.region)),
            PartitionPurge(export_model(s.exports_table, s.region)),  # the archives expire after 7 days
        ]

    def closure_deps(self, *, api: bool = False, with_stores: bool = False) -> ClosureDeps:
        """`api`: the closure route (password check: HMAC keys from the secret); the jobs and the
        operator function need neither the secret nor the stores but the retention job's."""
        from mes.adapters.dynamo import DUE_SHARDS
        from mes.services.closure import ClosureDeps
        return ClosureDeps(espaces=self.espaces, lifecycle=self.lifecycle, credentials=self.credentials,
                           ephemeral=self.ephemeral, hasher=self.hasher, keys=self.keys if api else None,
                           notifier=self.notifier,
                           template_name=self.settings.ses_template, token_ttl=self.settings.token_ttl_seconds,
                           stores=self.holder_data_stores() if with_stores else [], shards=DUE_SHARDS)

    # -- reimbursement history (BR-21) and data exports (issue #5) ---------------------------
    @cached_property
    def reimbursements(self) -> ReimbursementRepository:
        from mes.adapters.reimbursements_dynamo import DynamoReimbursementRepository, reimbursement_model
        return DynamoReimbursementRepository(reimbursement_model(self.settings.reimbursements_table,
                                                                 self.settings.region))

    @cached_property
    def exports(self) -> ExportRepository:
        from mes.adapters.exports_aws import DynamoExportRepository, export_model
        return DynamoExportRepository(export_model(self.settings.exports_table, self.settings.region))

    @cached_property
    def espace_export(self) -> EspaceSection:
        from mes.services.export_sections import EspaceSection
        return EspaceSection(self.espaces)

    @cached_property
    def documents_export(self) -> DocumentsSection:
        from mes.adapters.exports_aws import S3ObjectReader
        from mes.services.export_sections import DocumentsSection
        return DocumentsSection(self.documents, S3ObjectReader(self.client("s3"), self.settings.documents_bucket))

    @cached_property
    def access_log_export(self) -> AccessLogSection:
        from mes.services.export_sections import AccessLogSection
        return AccessLogSection(self.access, self.documents)

    def export_deps(self) -> ExportDeps:
        from mes.adapters.exports_aws import S3ExportStore, SqsExportQueue
        from mes.services.exports import ExportDeps
        s = self.settings
        return ExportDeps(espaces=self.espaces, exports=self.exports, ephemeral=self.ephemeral,
                          store=S3ExportStore(self.client("s3"), s.exports_bucket, s.data_key_arn),
                          queue=SqsExportQueue(self.client("sqs"), s.export_queue_url),
                          providers=[(name, getattr(self, attribute)) for name, attribute in EXPORT_PROVIDERS])


_container: Container | None = None


def get_container(family: type[CoreSettings] = Settings) -> Container:
    """The process's container, configured for `family` (its settings are validated when it is
    built: a missing variable stops the function before any AWS call). A process that runs several
    families (the local stack) converges on the whole `Settings`; a Lambda function has one."""
    global _container
    if _container is None:
        _container = Container(get_settings(family))
    elif not isinstance(_container.settings, family):
        _container = Container(get_settings(Settings), clock=_container.clock)
    return _container


def set_container(container: Container | None) -> None:
    """Tests and the local stack install their own container (or reset with None)."""
    global _container
    _container = container
    clear_settings()
