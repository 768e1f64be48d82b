"""The ports (typing.Protocol) match what the adapters and the fakes really accept.

Nothing type-checks the code, so a Protocol can drift from its implementations unnoticed (the
`previous_login` argument of `CredentialRepository.activate` did). This compares signatures."""

from __future__ import annotations

import inspect

import pytest

from mes import ports
from mes.adapters.access_dynamo import DynamoAccessRepository
from mes.adapters.aws import KmsTokenService, S3LetterPrinter, SesSnsNotifier
from mes.adapters.closure_dynamo import (
    DocumentsPurge,
    DynamoLifecycleRepository,
    PartitionPurge,
    SessionsPurge,
)
from mes.adapters.documents_dynamo import DynamoDocumentRepository
from mes.adapters.dynamo import DynamoCredentialRepository, DynamoEphemeralStore, DynamoEspaceRepository
from mes.adapters.exports_aws import DynamoExportRepository, S3ExportStore, S3ObjectReader, SqsExportQueue
from mes.adapters.messages_dynamo import DynamoMessageRepository
from mes.adapters.messages_s3 import S3AttachmentCopier
from mes.adapters.profile_dynamo import DynamoProfileRepository
from mes.adapters.psc import PscVerifier
from mes.adapters.reimbursements_dynamo import DynamoReimbursementRepository
from mes.adapters.s3_documents import EicarScanner, GuardDutyScanner, S3DocumentStore
from mes.domain.passwords import Argon2Hasher
from tests import fakes, fakes_export

IMPLEMENTATIONS = {
    ports.EspaceRepository: [DynamoEspaceRepository, fakes.FakeEspaceRepository],
    ports.CredentialRepository: [DynamoCredentialRepository, fakes.FakeCredentialRepository],
    ports.EphemeralStore: [DynamoEphemeralStore, fakes.FakeEphemeralStore],
    ports.Notifier: [SesSnsNotifier, fakes.RecordingNotifier],
    ports.LetterPrinter: [S3LetterPrinter, fakes.RecordingPrinter],
    ports.TokenService: [KmsTokenService, fakes.LocalTokenService],
    ports.PasswordHasher: [Argon2Hasher, fakes.FakeHasher],
    ports.ProfileRepository: [DynamoProfileRepository, fakes.FakeProfileRepository],
    # issue 10: every port a use case takes (the *Deps classes) has its Protocol
    ports.DocumentRepository: [DynamoDocumentRepository],
    ports.DocumentStore: [S3DocumentStore],
    ports.MalwareScanner: [EicarScanner, GuardDutyScanner],
    ports.AccessRepository: [DynamoAccessRepository],
    ports.ProTokenVerifier: [PscVerifier],
    ports.LifecycleRepository: [DynamoLifecycleRepository, fakes.FakeLifecycleRepository],
    ports.HolderDataStore: [DocumentsPurge, PartitionPurge, SessionsPurge, DynamoMessageRepository,
                            DynamoProfileRepository, DynamoReimbursementRepository, fakes.FakeHolderStore],
    ports.MessageRepository: [DynamoMessageRepository],
    ports.AttachmentCopier: [S3AttachmentCopier],
    ports.ReimbursementRepository: [DynamoReimbursementRepository, fakes_export.FakeReimbursementRepository],
    ports.ExportRepository: [DynamoExportRepository, fakes_export.FakeExportRepository],
    ports.ExportStore: [S3ExportStore, fakes_export.FakeExportStore],
    ports.ExportQueue: [SqsExportQueue, fakes_export.FakeExportQueue],
    ports.ObjectReader: [S3ObjectReader, fakes_export.FakeObjectReader],
}


def _protocol_methods(protocol: type) -> list[str]:
    return [name for name, value in vars(protocol).items() if inspect.isfunction(value) and not name.startswith("_")]


def _params(function) -> list[tuple[str, object, bool]]:
    """(name, kind, has a default) of every parameter but self."""
    return [(p.name, p.kind, p.default is not inspect.Parameter.empty)
            for p in list(inspect.signature(function).parameters.values())[1:]]


def signature_mismatches(protocol: type, implementation: type) -> list[str]:
    problems = []
    for name in _protocol_methods(protocol):
        method = getattr(implementation, name, None)
        if method is None:
            problems.append(f"{implementation.__name__}.{name} is missing")
            continue
        expected, actual = _params(getattr(protocol, name)), _params(method)
        positional = [p for p in expected if p[1] == inspect.Parameter.POSITIONAL_ONLY]
        for index in range(len(positional)):  # any name, as long as it is taken by position
            if index >= len(actual) or actual[index][1] not in (inspect.Parameter.POSITIONAL_ONLY,
                                                               inspect.Parameter.POSITIONAL_OR_KEYWORD):
                problems.append(f"{implementation.__name__}.{name}: positional parameter {index} differs")
        expected, actual = expected[len(positional):], actual[len(positional):]
        actual_by_name = {p[0]: p for p in actual}
        for param in expected:
            if param[0] not in actual_by_name or actual_by_name[param[0]][1] != param[1]:
                problems.append(f"{implementation.__name__}.{name}: parameter {param[0]!r} differs")
            elif param[2] and not actual_by_name[param[0]][2]:
                problems.append(f"{implementation.__name__}.{name}: {param[0]!r} must be optional")
        for extra in actual_by_name.keys() - {p[0] for p in expected}:
            if not actual_by_name[extra][2]:
                problems.append(f"{protocol.__name__}.{name} lacks the required parameter {extra!r}")
            else:
                problems.append(f"{protocol.__name__}.{name} lacks {extra!r} that "
                                f"{implementation.__name__} accepts")
    return problems


@pytest.mark.parametrize("protocol", list(IMPLEMENTATIONS), ids=lambda p: p.__name__)
def test_adapters_and_fakes_match_their_port(protocol):
    for implementation in IMPLEMENTATIONS[protocol]:
        assert signature_mismatches(protocol, implementation) == []


def test_credential_activate_takes_the_previous_login():
    """BR-14: reopening re-binds or replaces the closed espace's login; services/enrolment.py passes it."""
    params = inspect.signature(ports.CredentialRepository.activate).parameters
    assert "previous_login" in params and params["previous_login"].default is None


def test_the_checker_sees_a_missing_parameter():
    class Port:
        def activate(self, espace, credential) -> None: ...

    class Adapter:
        def activate(self, espace, credential, previous_login=None) -> None: ...

    assert signature_mismatches(Port, Adapter) == ["Port.activate lacks 'previous_login' that Adapter accepts"]
