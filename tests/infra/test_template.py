"""template.yaml: SAM transform + cfn-lint, and static security assertions."""

from __future__ import annotations

import copy
import fnmatch
import json
from typing import Any

import pytest
from cfnlint.api import ManualArgs, lint
from samtranslator.translator.managed_policy_translator import ManagedPolicyLoader
from samtranslator.translator.transform import transform

from mes_local.provision import load_template

REGION = "eu-west-3"

# cfn-lint warnings tolerated on the transformed template, by rule id, each with its reason.
# Keep it empty: an entry needs a comment saying why the warning is a false positive.
ALLOWED_WARNINGS: dict[str, str] = {}

GLOBAL_ENV_NAMES = {
    "MES_STAGE", "ESPACES_TABLE", "CREDENTIALS_TABLE", "EPHEMERAL_TABLE", "JOBS_TABLE",
    "IDEMPOTENCY_TABLE", "DOCUMENTS_TABLE", "DOCUMENT_SCAN_QUEUE_URL", "DOCUMENTS_BUCKET", "LETTERS_BUCKET", "POPULATION_BUCKET", "DATA_KEY_ARN",
    "TOKEN_KEY_ID", "APP_SECRET_ARN", "SENDER_EMAIL", "SES_TEMPLATE_PREFIX", "POWERTOOLS_SERVICE_NAME",
    "POWERTOOLS_METRICS_NAMESPACE", "POWERTOOLS_LOG_LEVEL", "ACCESS_TABLE", "ACCESS_LOG_TABLE",
    "PSC_ISSUER", "PSC_AUDIENCE", "PSC_JWKS", "PUBLIC_API_URL", "PROFILES_TABLE",
    "REIMBURSEMENTS_TABLE", "REIMBURSEMENTS_BUCKET", "EXPORTS_TABLE", "EXPORTS_BUCKET", "EXPORT_QUEUE_URL",
}
GLOBAL_ENV_NAMES |= {"MESSAGES_TABLE"}  # secure messaging (BR-37)
BUCKETS = {"DocumentsBucket": "documents", "LettersBucket": "letters", "PopulationBucket": "population",
           "ReimbursementsBucket": "reimbursements", "ExportsBucket": "exports"}
TABLES = {
    "EspacesTable": ("espaces", "expires_at_epoch"),
    "CredentialsTable": ("credentials", None),
    "EphemeralTable": ("ephemeral", "expires_at_epoch"),
    "JobsTable": ("jobs", "expires_at_epoch"),
    "IdempotencyTable": ("idempotency", "expiration"),
    "DocumentsTable": ("documents", None),
    "ProfilesTable": ("profiles", None),
    "ReimbursementsTable": ("reimbursements", "expires_at_epoch"),
    "ExportsTable": ("exports", "expires_at_epoch"),
}
TABLES["MessagesTable"] = ("messages", "expires_at_epoch")  # secure messaging (BR-37)
DATA_KEY_ARN = {"Fn::GetAtt": ["DataKey", "Arn"]}
DOCUMENTS_BUCKET_ARN = {"Fn::Sub": "arn:${AWS::Partition}:s3:::${DocumentsBucket}"}
DOCUMENT_OBJECTS_ARN = {"Fn::Sub": "arn:${AWS::Partition}:s3:::${DocumentsBucket}/documents/*"}
VALIDATION_OBJECT_ARN = {
    "Fn::Sub": "arn:${AWS::Partition}:s3:::${DocumentsBucket}/malware-protection-resource-validation-object"}
# SAM attaches this AWS managed policy to the role of every function with an SQS event (it cannot
# be turned off): sqs:ReceiveMessage/DeleteMessage/GetQueueAttributes on any queue.
SQS_EVENT_MANAGED_POLICY = "AWSLambdaSQSQueueExecutionRole"


class _NoManagedPolicies(ManagedPolicyLoader):
    """Offline: SAM only needs the map to expand managed policy *names*; we use none."""

    def __init__(self) -> None:  # no IAM client
        pass

    def load(self) -> dict[str, str]:
        return {}


def _with_s3_code_uris(template: dict[str, Any]) -> dict[str, Any]:
    template = copy.deepcopy(template)
    for resource in template["Resources"].values():
        properties = resource.get("Properties") or {}
        for key in ("CodeUri", "ContentUri"):
            if key in properties:
                properties[key] = "s3://bucket/key"
    return template


@pytest.fixture(scope="module")
def transformed() -> dict[str, Any]:
    return transform(_with_s3_code_uris(load_template()), {}, _NoManagedPolicies())


def _resources(template: dict[str, Any], type_: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == type_}


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


# -------------------------------------------------------------------------------------------------
# Transform and lint
# -------------------------------------------------------------------------------------------------
def test_sam_transform_and_cfn_lint_are_clean(transformed: dict[str, Any]) -> None:
    matches = lint(json.dumps(transformed), config=ManualArgs(regions=[REGION], include_experimental=True))
    errors = [m for m in matches if m.rule.id.startswith("E")]
    warnings = [m for m in matches if m.rule.id.startswith("W") and m.rule.id not in ALLOWED_WARNINGS]
    assert not errors, "\n".join(f"{m.rule.id} {m.message} {m.path}" for m in errors)
    assert not warnings, "\n".join(f"{m.rule.id} {m.message} {m.path}" for m in warnings)


def test_population_bucket_env_is_not_a_circular_ref(template: dict[str, Any]) -> None:
    """POPULATION_BUCKET is the bucket's explicit name (Sub), not a Ref: the bucket's notification
    (SAM S3 event) references PopulationImportFunction, so a Ref from the function's environment
    makes a cycle (cfn-lint E3004, caught by the lint test above)."""
    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    assert variables["POPULATION_BUCKET"] == template["Resources"]["PopulationBucket"]["Properties"]["BucketName"]


def test_load_template_understands_short_tags(template: dict[str, Any]) -> None:
    assert template["AWSTemplateFormatVersion"] == "2010-09-09"
    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    assert variables["ESPACES_TABLE"] == {"Ref": "EspacesTable"}
    assert variables["DATA_KEY_ARN"] == DATA_KEY_ARN
    assert variables["SES_TEMPLATE_PREFIX"] == {"Fn::Sub": "${AWS::StackName}"}


# -------------------------------------------------------------------------------------------------
# Globals and parameters
# -------------------------------------------------------------------------------------------------
def test_parameters(template: dict[str, Any]) -> None:
    parameters = template["Parameters"]
    assert parameters["Stage"]["Default"] == "dev"
    assert parameters["SenderEmail"]["Default"] == "no-reply@mes.example.org"
    assert parameters["WaveScheduleState"]["Default"] == "DISABLED"
    assert set(parameters["WaveScheduleState"]["AllowedValues"]) == {"ENABLED", "DISABLED"}


def test_function_globals(template: dict[str, Any]) -> None:
    function = template["Globals"]["Function"]
    assert function["Runtime"] == "python3.11"
    assert function["Architectures"] == ["arm64"]
    assert (function["Timeout"], function["MemorySize"], function["Tracing"]) == (30, 512, "Active")
    assert function["Layers"] == [{"Ref": "CoreLayer"}]
    assert set(function["Environment"]["Variables"]) == GLOBAL_ENV_NAMES


# -------------------------------------------------------------------------------------------------
# Encryption, buckets, keys
# -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("bucket_id", sorted(BUCKETS))
def test_bucket_encryption_and_access(template: dict[str, Any], bucket_id: str) -> None:
    properties = template["Resources"][bucket_id]["Properties"]
    assert properties["BucketName"] == {"Fn::Sub": f"${{AWS::StackName}}-{BUCKETS[bucket_id]}-${{AWS::AccountId}}"}
    (rule,) = properties["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"] == {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": DATA_KEY_ARN}
    assert rule["BucketKeyEnabled"] is True
    assert properties["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True, "BlockPublicPolicy": True, "IgnorePublicAcls": True, "RestrictPublicBuckets": True,
    }
    assert properties["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}


def test_documents_are_versioned_and_letters_expire(template: dict[str, Any]) -> None:
    resources = template["Resources"]
    assert resources["DocumentsBucket"]["Properties"]["VersioningConfiguration"] == {"Status": "Enabled"}
    rules = resources["LettersBucket"]["Properties"]["LifecycleConfiguration"]["Rules"]
    assert [(r["Status"], r["ExpirationInDays"]) for r in rules] == [("Enabled", 90)]


@pytest.mark.parametrize("bucket_id", sorted(BUCKETS))
def test_bucket_policy_denies_plain_http_and_non_kms_uploads(template: dict[str, Any], bucket_id: str) -> None:
    policies = [p for p in _resources(template, "AWS::S3::BucketPolicy").values()
                if p["Properties"]["Bucket"] == {"Ref": bucket_id}]
    assert len(policies) == 1, f"{bucket_id} needs exactly one bucket policy"
    assert f"{bucket_id}Policy" in template["Resources"]
    statements = {s["Sid"]: s for s in policies[0]["Properties"]["PolicyDocument"]["Statement"]}
    objects = {"Fn::Sub": f"arn:${{AWS::Partition}}:s3:::${{{bucket_id}}}/*"}

    tls = statements["DenyInsecureTransport"]
    assert (tls["Effect"], tls["Principal"], tls["Action"]) == ("Deny", "*", "s3:*")
    assert tls["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert objects in _as_list(tls["Resource"])
    assert {"Fn::Sub": f"arn:${{AWS::Partition}}:s3:::${{{bucket_id}}}"} in _as_list(tls["Resource"])

    non_kms = statements["DenyNonKmsUploads"]
    assert (non_kms["Effect"], non_kms["Principal"], non_kms["Action"]) == ("Deny", "*", "s3:PutObject")
    assert non_kms["Condition"] == {"StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}}
    wrong_key = statements["DenyWrongKmsKey"]
    for deny in (non_kms, wrong_key):
        if bucket_id == "DocumentsBucket":
            # Every object but GuardDuty's validation object (see test_malware_protection_plan).
            assert "Resource" not in deny
            assert _as_list(deny["NotResource"]) == [VALIDATION_OBJECT_ARN]
        else:
            assert "NotResource" not in deny
            assert _as_list(deny["Resource"]) == [objects]

    assert (wrong_key["Effect"], wrong_key["Action"]) == ("Deny", "s3:PutObject")
    assert wrong_key["Condition"] == {
        "StringNotEquals": {"s3:x-amz-server-side-encryption-aws-kms-key-id": DATA_KEY_ARN}
    }


def test_kms_keys(template: dict[str, Any]) -> None:
    resources = template["Resources"]
    data = resources["DataKey"]["Properties"]
    assert data["EnableKeyRotation"] is True
    assert data.get("KeySpec", "SYMMETRIC_DEFAULT") == "SYMMETRIC_DEFAULT"
    root = {"AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}}
    for key_id in ("DataKey", "TokenSigningKey"):
        statements = resources[key_id]["Properties"]["KeyPolicy"]["Statement"]
        assert any(s["Principal"] == root and s["Action"] == "kms:*" and s["Effect"] == "Allow" for s in statements)
        assert resources[key_id]["DeletionPolicy"] == "Retain"
    signing = resources["TokenSigningKey"]["Properties"]
    assert (signing["KeySpec"], signing["KeyUsage"]) == ("ECC_NIST_P256", "SIGN_VERIFY")
    assert "EnableKeyRotation" not in signing  # asymmetric keys cannot rotate: see docs/deploy.md
    assert resources["DataKeyAlias"]["Properties"] == {
        "AliasName": {"Fn::Sub": "alias/${AWS::StackName}-data"}, "TargetKeyId": {"Ref": "DataKey"}}


def test_app_secret(template: dict[str, Any]) -> None:
    properties = template["Resources"]["AppSecret"]["Properties"]
    assert properties["KmsKeyId"] == {"Ref": "DataKey"}
    assert properties["GenerateSecretString"] == {
        "SecretStringTemplate": "{}", "GenerateStringKey": "master", "PasswordLength": 64, "ExcludePunctuation": True,
    }


# -------------------------------------------------------------------------------------------------
# Tables
# -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("table_id", sorted(TABLES))
def test_tables(template: dict[str, Any], table_id: str) -> None:
    suffix, ttl_attribute = TABLES[table_id]
    properties = template["Resources"][table_id]["Properties"]
    assert properties["TableName"] == {"Fn::Sub": f"${{AWS::StackName}}-{suffix}"}
    assert properties["BillingMode"] == "PAY_PER_REQUEST"
    assert properties["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert properties["SSESpecification"] == {"SSEEnabled": True, "SSEType": "KMS", "KMSMasterKeyId": {"Ref": "DataKey"}}
    if ttl_attribute:
        assert properties["TimeToLiveSpecification"] == {"AttributeName": ttl_attribute, "Enabled": True}
    else:
        assert "TimeToLiveSpecification" not in properties
    declared = {a["AttributeName"] for a in properties["AttributeDefinitions"]}
    used = {k["AttributeName"] for k in properties["KeySchema"]}
    for index in properties.get("GlobalSecondaryIndexes", []) + properties.get("LocalSecondaryIndexes", []):
        used |= {k["AttributeName"] for k in index["KeySchema"]}
    assert declared == used  # DynamoDB refuses unused attribute definitions


def _indexes(template: dict[str, Any], table_id: str) -> dict[str, tuple[list[tuple[str, str]], str]]:
    properties = template["Resources"][table_id]["Properties"]
    return {
        index["IndexName"]: ([(k["AttributeName"], k["KeyType"]) for k in index["KeySchema"]],
                             index["Projection"]["ProjectionType"])
        for index in properties.get("GlobalSecondaryIndexes", [])
    }


def test_key_schemas_and_sparse_indexes(template: dict[str, Any]) -> None:
    keys = {t: [(k["AttributeName"], k["KeyType"]) for k in template["Resources"][t]["Properties"]["KeySchema"]]
            for t in TABLES}
    assert keys == {
        "EspacesTable": [("espace_id", "HASH")],
        "CredentialsTable": [("login", "HASH")],
        "EphemeralTable": [("pk", "HASH")],
        "JobsTable": [("pk", "HASH"), ("sk", "RANGE")],
        "IdempotencyTable": [("id", "HASH")],
        "DocumentsTable": [("espace_id", "HASH"), ("document_id", "RANGE")],
        "ProfilesTable": [("espace_id", "HASH"), ("sk", "RANGE")],
        "MessagesTable": [("espace_id", "HASH"), ("sk", "RANGE")],
        "ReimbursementsTable": [("espace_id", "HASH"), ("sk", "RANGE")],
        "ExportsTable": [("espace_id", "HASH"), ("export_id", "RANGE")],
    }
    assert _indexes(template, "EspacesTable") == {
        "by_nir": ([("nir_hmac", "HASH"), ("birth_date", "RANGE")], "ALL"),
        "by_wave": ([("wave_pk", "HASH"), ("wave_sk", "RANGE")], "ALL"),
        "by_due": ([("due_pk", "HASH"), ("due_at", "RANGE")], "KEYS_ONLY"),
        "by_guardian": ([("guardian_id", "HASH"), ("espace_id", "RANGE")], "KEYS_ONLY"),
        "by_representative": ([("representative_id", "HASH"), ("espace_id", "RANGE")], "KEYS_ONLY"),  # BR-16
        "by_majority": ([("majority_pk", "HASH"), ("majority_at", "RANGE")], "KEYS_ONLY"),  # BR-18
    }
    assert _indexes(template, "CredentialsTable") == {"by_espace": ([("espace_id", "HASH")], "KEYS_ONLY")}
    assert _indexes(template, "DocumentsTable") == {
        "by_category": ([("espace_category", "HASH"), ("document_id", "RANGE")], "ALL"),
        "by_hidden": ([("hidden_pk", "HASH"), ("hidden_due", "RANGE")], "KEYS_ONLY"),
        "by_document": ([("doc_ref", "HASH")], "KEYS_ONLY"),  # the FHIR reads by id (issue 12)
    }
    # Sparse: the index keys are never part of the table key, so items without them stay out.
    for attribute in ("wave_pk", "wave_sk", "due_pk", "due_at"):
        assert attribute not in dict(keys["EspacesTable"])
    for attribute in ("hidden_pk", "hidden_due", "doc_ref"):
        assert attribute not in dict(keys["DocumentsTable"])
    for attribute in ("representative_id", "majority_pk", "majority_at"):
        assert attribute not in dict(keys["EspacesTable"])
    resources = template["Resources"]
    assert resources["DocumentsTable"]["DeletionPolicy"] == resources["DocumentsTable"]["UpdateReplacePolicy"] == "Retain"


# -------------------------------------------------------------------------------------------------
# Functions, API, operations
# -------------------------------------------------------------------------------------------------
def _functions(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return _resources(template, "AWS::Serverless::Function")


def _authorizer_functions(template: dict[str, Any]) -> set[str]:
    authorizers = template["Resources"]["MesApi"]["Properties"]["Auth"]["Authorizers"]
    return {a["FunctionArn"]["Fn::GetAtt"][0] for a in authorizers.values()}


def _alarmed_queues(template: dict[str, Any]) -> set[str]:
    return {a["Properties"]["Dimensions"][0]["Value"]["Fn::GetAtt"][0]
            for a in _resources(template, "AWS::CloudWatch::Alarm").values()
            if a["Properties"]["AlarmActions"] == [{"Ref": "OpsTopic"}]}


def test_every_function_has_a_dlq_or_serves_the_api(template: dict[str, Any]) -> None:
    """Asynchronous functions have a Lambda DLQ; SQS-fed functions a redrive to a DLQ; both alarmed."""
    authorizers = _authorizer_functions(template)
    assert authorizers == {"HolderAuthorizerFunction", "EnrolmentAuthorizerFunction", "ProAuthorizerFunction"}
    alarmed_queues = _alarmed_queues(template)
    for function_id, function in _functions(template).items():
        properties = function["Properties"]
        events = properties.get("Events") or {}
        if function_id in authorizers or (events and all(e["Type"] == "Api" for e in events.values())):
            continue
        if events and all(e["Type"] == "SQS" for e in events.values()):
            # A Lambda DLQ does not apply to an event source mapping: the source queue's redrive does.
            assert "DeadLetterQueue" not in properties
            for event in events.values():
                source_id = event["Properties"]["Queue"]["Fn::GetAtt"][0]
                redrive = template["Resources"][source_id]["Properties"]["RedrivePolicy"]
                dlq_id = redrive["deadLetterTargetArn"]["Fn::GetAtt"][0]
                assert template["Resources"][dlq_id]["Properties"] == {
                    "KmsMasterKeyId": {"Ref": "DataKey"}, "MessageRetentionPeriod": 1209600}
                assert dlq_id in alarmed_queues, f"{dlq_id} has no alarm to OpsTopic"
            continue
        dlq = properties.get("DeadLetterQueue")
        assert dlq and dlq["Type"] == "SQS", f"{function_id} has no dead-letter queue"
        queue_id = dlq["TargetArn"]["Fn::GetAtt"][0]
        queue = template["Resources"][queue_id]["Properties"]
        assert queue == {"KmsMasterKeyId": {"Ref": "DataKey"}, "MessageRetentionPeriod": 1209600}
        assert queue_id in alarmed_queues, f"{queue_id} has no alarm to OpsTopic"


def test_dlq_alarms(template: dict[str, Any]) -> None:
    alarms = _resources(template, "AWS::CloudWatch::Alarm")
    assert set(alarms) == {"WaveDLQAlarm", "AutoCreateDLQAlarm", "PopulationImportDLQAlarm", "HiddenReleaseDLQAlarm",
                           "DocumentScanDLQAlarm", "MajorityHandoverDLQAlarm", "RetentionDLQAlarm", "SuspensionFollowupDLQAlarm", "OperatorDLQAlarm",
                           "ReimbursementImportDLQAlarm", "ExportDLQAlarm"}
    queues = _resources(template, "AWS::SQS::Queue")
    assert {q for q in queues if q.endswith("DLQ")} == _alarmed_queues(template)
    for alarm in alarms.values():
        properties = alarm["Properties"]
        assert (properties["Namespace"], properties["MetricName"]) == ("AWS/SQS", "ApproximateNumberOfMessagesVisible")
        assert (properties["ComparisonOperator"], properties["Threshold"]) == ("GreaterThanThreshold", 0)


def test_every_function_has_a_log_group(template: dict[str, Any]) -> None:
    groups = {g["Properties"]["LogGroupName"]["Fn::Sub"]: g["Properties"]["RetentionInDays"]
              for g in _resources(template, "AWS::Logs::LogGroup").values()
              if g["Properties"]["LogGroupName"]["Fn::Sub"].startswith("/aws/lambda/")}
    assert groups == {f"/aws/lambda/${{{f}}}": 90 for f in _functions(template)}


def test_api_routes_state_their_authorizer(template: dict[str, Any]) -> None:
    api = template["Resources"]["MesApi"]["Properties"]
    assert api["StageName"] == {"Ref": "Stage"} and api["TracingEnabled"] is True
    for name in ("HolderAuth", "EnrolmentAuth", "ProAuth"):
        identity = api["Auth"]["Authorizers"][name]["Identity"]
        assert identity == {"Header": "Authorization", "ReauthorizeEvery": 0}
    routes = {}
    for function_id, function in _functions(template).items():
        for event_id, event in (function["Properties"].get("Events") or {}).items():
            if event["Type"] != "Api":
                continue
            properties = event["Properties"]
            assert function_id == "ApiFunction"
            assert properties["RestApiId"] == {"Ref": "MesApi"}
            assert "Authorizer" in (properties.get("Auth") or {}), f"{event_id} must state its authorizer"
            routes[(properties["Method"].upper(), properties["Path"])] = properties["Auth"]["Authorizer"]
    # The initial routes; more are added over time (test_routes_openapi.py checks that the template
    # and the Chalice app agree on all of them), so this is a subset check.
    assert routes.items() >= {
        ("POST", "/enrolment/sessions"): "NONE",
        ("POST", "/enrolment/opposition"): "EnrolmentAuth",
        ("POST", "/enrolment/activation"): "EnrolmentAuth",
        ("POST", "/enrolment/activation/confirm"): "EnrolmentAuth",
        ("POST", "/enrolment/codes"): "NONE",
        ("POST", "/auth/login"): "NONE",
        ("POST", "/auth/otp"): "NONE",
        ("POST", "/auth/logout"): "HolderAuth",
        ("GET", "/espaces/{espace_id}"): "HolderAuth",
        # issue #3: documents and holder settings
        ("POST", "/espaces/{espace_id}/documents"): "HolderAuth",
        ("GET", "/espaces/{espace_id}/documents"): "HolderAuth",
        ("GET", "/espaces/{espace_id}/documents/{document_id}"): "HolderAuth",
        ("PATCH", "/espaces/{espace_id}/documents/{document_id}"): "HolderAuth",
        ("DELETE", "/espaces/{espace_id}/documents/{document_id}"): "HolderAuth",
        ("GET", "/espaces/{espace_id}/settings"): "HolderAuth",
        ("PATCH", "/espaces/{espace_id}/settings"): "HolderAuth",
    }.items()
    assert set(routes.values()) <= {"NONE", "HolderAuth", "EnrolmentAuth", "ProAuth"}


def test_handlers_and_schedules(template: dict[str, Any]) -> None:
    functions = _functions(template)
    handlers = {f: (p["Properties"]["CodeUri"], p["Properties"]["Handler"]) for f, p in functions.items()}
    assert handlers == {
        "ApiFunction": ("functions/api", "app.app"),
        "HolderAuthorizerFunction": ("functions/api", "app.holder_authorizer"),
        "EnrolmentAuthorizerFunction": ("functions/api", "app.enrolment_authorizer"),
        "ProAuthorizerFunction": ("functions/api", "app.pro_authorizer"),
        "WaveFunction": ("functions/wave", "handler.handler"),
        "AutoCreateFunction": ("functions/auto_create", "handler.handler"),
        "PopulationImportFunction": ("functions/population_import", "handler.handler"),
        "DocumentScanFunction": ("functions/document_scan", "handler.handler"),
        "HiddenReleaseFunction": ("functions/hidden_release", "handler.handler"),
        "MajorityHandoverFunction": ("functions/majority_handover", "handler.handler"),
        "RetentionFunction": ("functions/retention", "handler.handler"),
        "SuspensionFollowupFunction": ("functions/suspension_followup", "handler.handler"),
        "OperatorFunction": ("functions/operator", "handler.handler"),
        "ReimbursementImportFunction": ("functions/reimbursement_import", "handler.handler"),
        "ExportFunction": ("functions/export", "handler.handler"),
    }
    wave = functions["WaveFunction"]["Properties"]
    assert (wave["Timeout"], wave["ReservedConcurrentExecutions"]) == (900, 1)
    (schedule,) = wave["Events"].values()
    assert schedule["Properties"]["Schedule"] == "cron(0/15 7-19 ? * MON-FRI *)"
    assert schedule["Properties"]["State"] == {"Ref": "WaveScheduleState"}
    auto = functions["AutoCreateFunction"]["Properties"]
    assert (auto["Timeout"], auto["ReservedConcurrentExecutions"]) == (900, 1)
    (schedule,) = auto["Events"].values()
    assert (schedule["Properties"]["Schedule"], schedule["Properties"]["State"]) == ("cron(0 2 * * ? *)", "ENABLED")
    (drop,) = functions["PopulationImportFunction"]["Properties"]["Events"].values()
    assert drop["Type"] == "S3" and drop["Properties"]["Bucket"] == {"Ref": "PopulationBucket"}
    assert drop["Properties"]["Filter"]["S3Key"]["Rules"] == [{"Name": "suffix", "Value": ".csv"}]
    release = functions["HiddenReleaseFunction"]["Properties"]
    assert (release["Timeout"], release["ReservedConcurrentExecutions"]) == (900, 1)
    assert release["DeadLetterQueue"] == {"Type": "SQS", "TargetArn": {"Fn::GetAtt": ["HiddenReleaseDLQ", "Arn"]}}
    (schedule,) = release["Events"].values()
    assert schedule["Type"] == "Schedule"
    assert (schedule["Properties"]["Schedule"], schedule["Properties"]["State"]) == ("cron(30 2 * * ? *)", "ENABLED")
    scan = functions["DocumentScanFunction"]["Properties"]
    assert (scan["Timeout"], scan["MemorySize"]) == (60, 512)
    majority = functions["MajorityHandoverFunction"]["Properties"]  # BR-18
    assert (majority["Timeout"], majority["ReservedConcurrentExecutions"]) == (900, 1)
    assert majority["DeadLetterQueue"] == {"Type": "SQS", "TargetArn": {"Fn::GetAtt": ["MajorityHandoverDLQ", "Arn"]}}
    (schedule,) = majority["Events"].values()
    assert schedule["Type"] == "Schedule"
    assert (schedule["Properties"]["Schedule"], schedule["Properties"]["State"]) == ("cron(45 0 * * ? *)", "ENABLED")
    for function_id, cron in (("RetentionFunction", "cron(0 3 * * ? *)"),
                              ("SuspensionFollowupFunction", "cron(30 3 * * ? *)")):  # BR-14, BR-15: daily
        job = functions[function_id]["Properties"]
        assert (job["Timeout"], job["ReservedConcurrentExecutions"]) == (900, 1)
        (schedule,) = job["Events"].values()
        assert (schedule["Properties"]["Schedule"], schedule["Properties"]["State"]) == (cron, "ENABLED")
    assert "Events" not in functions["OperatorFunction"]["Properties"]  # direct invocation only


# -------------------------------------------------------------------------------------------------
# IAM (on the transformed template: what CloudFormation will really create)
# -------------------------------------------------------------------------------------------------
def _allow_statements(transformed: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    found = []
    for role_id, role in _resources(transformed, "AWS::IAM::Role").items():
        for policy in role["Properties"].get("Policies") or []:
            for statement in _as_list(policy["PolicyDocument"]["Statement"]):
                if statement["Effect"] == "Allow":
                    found.append((role_id, statement))
    return found


def test_no_wildcard_action_and_no_scan(transformed: dict[str, Any]) -> None:
    statements = _allow_statements(transformed)
    assert statements
    for role_id, statement in statements:
        actions = _as_list(statement["Action"])
        assert "*" not in actions, f"{role_id} grants Action *"
        for action in actions:
            assert not action.endswith(":*"), f"{role_id} grants every action of a service: {action}"
            assert not fnmatch.fnmatch("dynamodb:scan", action.lower()), f"{role_id} grants dynamodb:Scan"


def test_star_resources_only_for_sms(transformed: dict[str, Any]) -> None:
    for role_id, statement in _allow_statements(transformed):
        if "*" in _as_list(statement["Resource"]):
            assert _as_list(statement["Action"]) == ["sns:Publish"], f"{role_id}: {statement}"
            assert role_id == "ApiFunctionRole"


def test_managed_policies_are_only_the_sam_defaults(template: dict[str, Any], transformed: dict[str, Any]) -> None:
    sqs_fed = {f"{f}Role" for f, p in _functions(template).items()
               if any(e["Type"] == "SQS" for e in (p["Properties"].get("Events") or {}).values())}
    assert sqs_fed == {"DocumentScanFunctionRole", "ExportFunctionRole"}
    for role_id, role in _resources(transformed, "AWS::IAM::Role").items():
        allowed = {"AWSLambdaBasicExecutionRole", "AWSXrayWriteOnlyAccess"}
        if role_id in sqs_fed:
            allowed.add(SQS_EVENT_MANAGED_POLICY)
        for arn in role["Properties"].get("ManagedPolicyArns") or []:
            name = arn["Fn::Sub"].rsplit("/", 1)[-1] if isinstance(arn, dict) else arn.rsplit("/", 1)[-1]
            assert name in allowed, f"{role_id} has managed policy {arn}"


# -------------------------------------------------------------------------------------------------
# SES templates
# -------------------------------------------------------------------------------------------------
SES_TEMPLATES = {
    "WaveCodeTemplate": ("wave-code", {"first_name", "last_name", "code", "deadline", "for_child"}),
    "RenewalCodeTemplate": ("renewal-code", {"code", "expires"}),
    "OtpTemplate": ("otp", {"otp"}),
    "OppositionReceiptTemplate": ("opposition-receipt", {"receipt_id", "at"}),
    "NewDocumentTemplate": ("new-document", {"first_name"}),
    "HiddenDocumentNoticeTemplate": ("hidden-document-notice", {"first_name", "release_date"}),
    "NewMessageTemplate": ("new-message", {"first_name"}),  # BR-39: no content
}


@pytest.mark.parametrize("template_id", sorted(SES_TEMPLATES))
def test_ses_templates(template: dict[str, Any], template_id: str) -> None:
    import re

    name, fields = SES_TEMPLATES[template_id]
    ses = template["Resources"][template_id]["Properties"]["Template"]
    assert ses["TemplateName"] == {"Fn::Sub": f"${{AWS::StackName}}-{name}"}
    for part in ("SubjectPart", "TextPart", "HtmlPart"):
        assert ses[part].strip()
    for part in ("TextPart", "HtmlPart"):
        used = set(re.findall(r"\{\{\s*(?:#if\s+)?([a-z_]+)\s*\}\}", ses[part])) - {"else"}
        assert used == fields, f"{template_id}.{part} uses {used}"
    assert template["Resources"]["SenderIdentity"]["Properties"] == {"EmailIdentity": {"Ref": "SenderEmail"}}


# -------------------------------------------------------------------------------------------------
# Documents (issue #3): upload notification, scan queue, malware protection, who may do what
# -------------------------------------------------------------------------------------------------
DOCUMENTS_TABLE_ARN = {"Fn::GetAtt": ["DocumentsTable", "Arn"]}


def _grants(transformed: dict[str, Any], role_id: str) -> dict[str, list[Any]]:
    """action -> the resources a role's Allow statements grant it on (conditions left aside).

    The ``DeadLetterQueueKey`` statements (DataKey through SQS only, for the encrypted DLQs) are
    left aside too: tests/infra/test_template_edge.py asserts them."""
    grants: dict[str, list[Any]] = {}
    for found_role, statement in _allow_statements(transformed):
        if found_role != role_id or statement.get("Sid") == "DeadLetterQueueKey":
            continue
        for action in _as_list(statement["Action"]):
            grants.setdefault(action, []).extend(_as_list(statement["Resource"]))
    return grants


def _grants_action(pattern: str, action: str) -> bool:
    """Whether an IAM action pattern (maybe with wildcards) covers ``action``."""
    return fnmatch.fnmatchcase(action.lower(), pattern.lower())


def test_documents_bucket_notifies_the_scan_queue(template: dict[str, Any]) -> None:
    bucket = template["Resources"]["DocumentsBucket"]
    notifications = bucket["Properties"]["NotificationConfiguration"]
    assert notifications["QueueConfigurations"] == [{
        "Event": "s3:ObjectCreated:*",
        "Filter": {"S3Key": {"Rules": [{"Name": "prefix", "Value": "documents/"}]}},
        "Queue": {"Fn::GetAtt": ["DocumentScanQueue", "Arn"]},
    }]
    assert set(notifications) == {"QueueConfigurations", "EventBridgeConfiguration"}
    # GuardDuty turns EventBridge on for the bucket itself; a stack update must not turn it off.
    assert notifications["EventBridgeConfiguration"] == {"EventBridgeEnabled": True}
    # S3 checks it may send to the queue when the notification is written: the policy comes first.
    assert _as_list(bucket["DependsOn"]) == ["DocumentScanQueuePolicy"]


def test_documents_bucket_cors_allows_direct_browser_transfers(template: dict[str, Any]) -> None:
    (rule,) = template["Resources"]["DocumentsBucket"]["Properties"]["CorsConfiguration"]["CorsRules"]
    # A presigned POST (multipart form: the signature and SSE fields are form fields) and a
    # presigned GET need these two methods and no header beyond the CORS-safelisted ones.
    assert rule["AllowedMethods"] == ["GET", "POST"]
    assert "AllowedHeaders" not in rule and "ExposedHeaders" not in rule
    # Only the holders' web page may use the bucket from a browser (never "*").
    assert (rule["AllowedOrigins"], rule["MaxAge"]) == ([{"Ref": "WebOrigin"}], 3000)
    for other in ("LettersBucket", "PopulationBucket"):
        assert "CorsConfiguration" not in template["Resources"][other]["Properties"]


def test_scan_queue_policy_admits_only_the_documents_bucket(template: dict[str, Any]) -> None:
    resources = template["Resources"]
    policy = resources["DocumentScanQueuePolicy"]
    assert policy["Type"] == "AWS::SQS::QueuePolicy"
    assert policy["Properties"]["Queues"] == [{"Ref": "DocumentScanQueue"}]
    (statement,) = policy["Properties"]["PolicyDocument"]["Statement"]
    assert (statement["Effect"], statement["Principal"], statement["Action"]) == (
        "Allow", {"Service": "s3.amazonaws.com"}, "sqs:SendMessage")
    assert statement["Resource"] == {"Fn::GetAtt": ["DocumentScanQueue", "Arn"]}
    # By the bucket's explicit name (a Ref would be circular: the bucket DependsOn this policy).
    bucket_name = resources["DocumentsBucket"]["Properties"]["BucketName"]["Fn::Sub"]
    assert statement["Condition"] == {
        "ArnEquals": {"aws:SourceArn": {"Fn::Sub": f"arn:${{AWS::Partition}}:s3:::{bucket_name}"}},
        "StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}},
    }


def test_scan_queue_redrives_to_an_alarmed_dlq(template: dict[str, Any]) -> None:
    resources = template["Resources"]
    queue = resources["DocumentScanQueue"]["Properties"]
    # S3 cannot send to a queue under the AWS managed aws/sqs key; DataKey's policy lets it.
    assert queue["KmsMasterKeyId"] == {"Ref": "DataKey"} and "SqsManagedSseEnabled" not in queue
    assert queue["RedrivePolicy"] == {"deadLetterTargetArn": {"Fn::GetAtt": ["DocumentScanDLQ", "Arn"]},
                                      "maxReceiveCount": 5}
    timeout = resources["DocumentScanFunction"]["Properties"]["Timeout"]
    assert queue["VisibilityTimeout"] == 180 and queue["VisibilityTimeout"] >= 3 * timeout
    assert resources["DocumentScanDLQ"]["Properties"] == {"KmsMasterKeyId": {"Ref": "DataKey"},
                                                          "MessageRetentionPeriod": 1209600}
    assert "DocumentScanDLQ" in _alarmed_queues(template)


def test_scan_function_reports_partial_batch_failures(template: dict[str, Any], transformed: dict[str, Any]) -> None:
    (event,) = template["Resources"]["DocumentScanFunction"]["Properties"]["Events"].values()
    assert event == {"Type": "SQS", "Properties": {
        "Queue": {"Fn::GetAtt": ["DocumentScanQueue", "Arn"]}, "BatchSize": 10,
        "ScalingConfig": {"MaximumConcurrency": 5}, "FunctionResponseTypes": ["ReportBatchItemFailures"]}}
    (mapping,) = [m["Properties"] for m in _resources(transformed, "AWS::Lambda::EventSourceMapping").values()
                  if m["Properties"]["FunctionName"] == {"Ref": "DocumentScanFunction"}]
    assert mapping["EventSourceArn"] == {"Fn::GetAtt": ["DocumentScanQueue", "Arn"]}
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]


def test_only_the_scan_function_and_the_api_delete_document_objects(transformed: dict[str, Any]) -> None:
    deleters: dict[str, set[str]] = {}
    for role_id, statement in _allow_statements(transformed):
        for pattern in _as_list(statement["Action"]):
            for action in ("s3:DeleteObject", "s3:DeleteObjectVersion"):
                if _grants_action(pattern, action):
                    deleters.setdefault(role_id, set()).add(action)
                    assert _as_list(statement["Resource"]) == [DOCUMENT_OBJECTS_ARN], (role_id, statement)
    both = {"s3:DeleteObject", "s3:DeleteObjectVersion"}
    assert deleters == {"ApiFunctionRole": both, "DocumentScanFunctionRole": both, "RetentionFunctionRole": both}
    # Deleting every version means listing them first.
    for role_id in deleters:
        assert _grants(transformed, role_id)["s3:ListBucketVersions"] == [DOCUMENTS_BUCKET_ARN]
    # Bucket policies only deny, but the access-log bucket's, which lets S3's logging service write,
    # and the web bucket's, which lets CloudFront read the app (test_template_web.py).
    for policy_id, policy in _resources(transformed, "AWS::S3::BucketPolicy").items():
        statements = policy["Properties"]["PolicyDocument"]["Statement"]
        allows = [s for s in statements if s["Effect"] == "Allow"]
        if policy_id == "AccessLogsBucketPolicy":
            assert [(s["Principal"], s["Action"]) for s in allows] == [
                ({"Service": "logging.s3.amazonaws.com"}, "s3:PutObject")]
        elif policy_id == "WebBucketPolicy":
            assert [(s["Principal"], s["Action"]) for s in allows] == [
                ({"Service": "cloudfront.amazonaws.com"}, "s3:GetObject")]
        else:
            assert not allows, policy_id


def test_who_may_touch_document_objects(transformed: dict[str, Any]) -> None:
    """Object actions on the documents bucket: documents/* only, except GuardDuty's validation object."""
    writers = set()
    for role_id, statement in _allow_statements(transformed):
        resources = _as_list(statement["Resource"])
        on_documents_bucket = [r for r in resources if "${DocumentsBucket}/" in json.dumps(r)]
        if not on_documents_bucket:
            continue
        assert on_documents_bucket in ([DOCUMENT_OBJECTS_ARN], [VALIDATION_OBJECT_ARN]), (role_id, statement)
        if any(_grants_action(a, "s3:PutObject") for a in _as_list(statement["Action"])):
            writers.add((role_id, json.dumps(on_documents_bucket)))
    assert writers == {("ApiFunctionRole", json.dumps([DOCUMENT_OBJECTS_ARN])),
                       ("MalwareProtectionRole", json.dumps([VALIDATION_OBJECT_ARN]))}


def test_presign_role_can_sign_sse_kms_uploads_and_downloads(transformed: dict[str, Any]) -> None:
    """Presigned URLs are authorised by the signer's role: the API role itself must be allowed to put
    and get the objects and to use DataKey (GenerateDataKey for an SSE-KMS upload, Decrypt to read)."""
    grants = _grants(transformed, "ApiFunctionRole")
    assert grants["s3:PutObject"] == [DOCUMENT_OBJECTS_ARN]
    # and the download of data exports (issue #5), signed by the API too
    assert grants["s3:GetObject"] == [DOCUMENT_OBJECTS_ARN,
                                      {"Fn::Sub": "arn:${AWS::Partition}:s3:::${ExportsBucket}/exports/*"}]
    for action in ("kms:GenerateDataKey", "kms:Decrypt"):
        assert grants[action] == [DATA_KEY_ARN]
    for action in ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem",
                   "dynamodb:Query", "dynamodb:ConditionCheckItem"):
        assert DOCUMENTS_TABLE_ARN in grants[action]
        assert {"Fn::Sub": "${DocumentsTable.Arn}/index/*"} in grants[action]
    # The DeleteItem the API needs is on the documents and the access grants (unblock, administrator
    # change) only: not on the espaces, the credentials, nor the append-only access log (BR-35).
    # BR-14: reopening with a new login deletes the old one (conditional on its espace).
    assert grants["dynamodb:DeleteItem"] == [DOCUMENTS_TABLE_ARN, {"Fn::Sub": "${DocumentsTable.Arn}/index/*"},
                                             {"Fn::GetAtt": ["AccessTable", "Arn"]},
                                             {"Fn::GetAtt": ["CredentialsTable", "Arn"]},
                                             {"Fn::GetAtt": ["EphemeralTable", "Arn"]}]
    # WEB.md "Session": a refresh rotates the web session item, logout deletes it; nothing else there.
    [web_sessions] = [s for role, s in _allow_statements(transformed)
                      if role == "ApiFunctionRole" and s.get("Sid") == "EndWebSessions"]
    assert web_sessions["Condition"] == {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["websession#*"]}}
    # BatchGetItem: the token check (one request), a representative's log filter (BR-17), a professional's
    # profile sections (BR-20).
    batch_get = grants["dynamodb:BatchGetItem"]
    assert {"Fn::GetAtt": ["EphemeralTable", "Arn"]} in batch_get and DOCUMENTS_TABLE_ARN in batch_get
    assert {"Fn::GetAtt": ["ProfilesTable", "Arn"]} in batch_get
    assert {"Fn::GetAtt": ["EspacesTable", "Arn"]} not in batch_get


def test_scan_and_release_functions_least_privilege(transformed: dict[str, Any]) -> None:
    scan = _grants(transformed, "DocumentScanFunctionRole")
    for action in ("s3:GetObject", "s3:GetObjectTagging", "s3:DeleteObject", "s3:DeleteObjectVersion"):
        assert scan[action] == [DOCUMENT_OBJECTS_ARN]
    assert scan["kms:Decrypt"] == [DATA_KEY_ARN]
    assert "kms:GenerateDataKey" not in scan and "s3:PutObject" not in scan
    for action in ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem",
                   "dynamodb:ConditionCheckItem"):
        assert DOCUMENTS_TABLE_ARN in scan[action]
    assert scan["dynamodb:GetItem"] == [DOCUMENTS_TABLE_ARN, {"Fn::GetAtt": ["EspacesTable", "Arn"]}]
    assert "dynamodb:Query" not in scan
    assert scan["secretsmanager:GetSecretValue"] == [{"Ref": "AppSecret"}]
    assert len(scan["ses:SendTemplatedEmail"]) == 2

    release = _grants(transformed, "HiddenReleaseFunctionRole")
    assert release["dynamodb:Query"] == [{"Fn::Sub": "${DocumentsTable.Arn}/index/by_hidden"}]
    assert release["dynamodb:GetItem"] == [DOCUMENTS_TABLE_ARN, {"Fn::GetAtt": ["EspacesTable", "Arn"]},
                                           {"Fn::GetAtt": ["IdempotencyTable", "Arn"]}]
    for action in ("dynamodb:PutItem", "dynamodb:UpdateItem"):
        assert release[action] == [DOCUMENTS_TABLE_ARN, {"Fn::GetAtt": ["IdempotencyTable", "Arn"]}]
    assert release["dynamodb:ConditionCheckItem"] == [DOCUMENTS_TABLE_ARN]
    assert release["dynamodb:DeleteItem"] == [{"Fn::GetAtt": ["IdempotencyTable", "Arn"]}]
    assert not any(a.startswith("s3:") for a in release)
    assert release["kms:Decrypt"] == [DATA_KEY_ARN]  # AppSecret is encrypted with DataKey


def test_malware_protection_plan(template: dict[str, Any]) -> None:
    resources = template["Resources"]
    plan = resources["MalwareProtectionPlan"]
    assert plan["Type"] == "AWS::GuardDuty::MalwareProtectionPlan"
    assert plan["Properties"] == {
        "Role": {"Fn::GetAtt": ["MalwareProtectionRole", "Arn"]},
        "ProtectedResource": {"S3Bucket": {"BucketName": {"Ref": "DocumentsBucket"},
                                           "ObjectPrefixes": ["documents/"]}},
        "Actions": {"Tagging": {"Status": "ENABLED"}},
    }
    role = resources["MalwareProtectionRole"]["Properties"]
    assert role["AssumeRolePolicyDocument"]["Statement"] == [{
        "Effect": "Allow", "Principal": {"Service": "malware-protection-plan.guardduty.amazonaws.com"},
        "Action": "sts:AssumeRole"}]
    (policy,) = role["Policies"]
    statements = {s["Sid"]: s for s in policy["PolicyDocument"]["Statement"]}
    grants = {(s["Sid"], a) for s in statements.values() for a in _as_list(s["Action"])}
    assert {a for _, a in grants} == {
        "events:PutRule", "events:DeleteRule", "events:PutTargets", "events:RemoveTargets",
        "events:DescribeRule", "events:ListTargetsByRule",
        "s3:PutObjectTagging", "s3:GetObjectTagging", "s3:PutObjectVersionTagging", "s3:GetObjectVersionTagging",
        "s3:PutBucketNotification", "s3:GetBucketNotification", "s3:PutObject", "s3:ListBucket",
        "s3:GetObject", "s3:GetObjectVersion", "kms:GenerateDataKey", "kms:Decrypt",
    }
    managed_rule = {"Fn::Sub": "arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:rule/"
                               "DO-NOT-DELETE-AmazonGuardDutyMalwareProtectionS3*"}
    assert statements["AllowManagedRuleToSendS3EventsToGuardDuty"]["Resource"] == managed_rule
    assert statements["AllowManagedRuleToSendS3EventsToGuardDuty"]["Condition"] == {
        "StringLike": {"events:ManagedBy": "malware-protection-plan.guardduty.amazonaws.com"}}
    assert statements["AllowGuardDutyToMonitorEventBridgeManagedRule"]["Resource"] == managed_rule
    for sid in ("AllowPostScanTag", "AllowMalwareScan"):
        assert statements[sid]["Resource"] == DOCUMENT_OBJECTS_ARN
    for sid in ("AllowEnableS3EventBridgeEvents", "AllowCheckBucketOwnership"):
        assert statements[sid]["Resource"] == DOCUMENTS_BUCKET_ARN
    assert (statements["AllowPutValidationObject"]["Action"], statements["AllowPutValidationObject"]["Resource"]) == (
        "s3:PutObject", VALIDATION_OBJECT_ARN)
    kms = statements["AllowDecryptForMalwareScan"]
    assert kms["Resource"] == DATA_KEY_ARN
    assert kms["Condition"] == {"StringLike": {"kms:ViaService": {"Fn::Sub": "s3.${AWS::Region}.amazonaws.com"}}}


def test_new_resources_have_outputs_and_env(template: dict[str, Any]) -> None:
    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    assert variables["DOCUMENTS_TABLE"] == {"Ref": "DocumentsTable"}
    assert variables["DOCUMENT_SCAN_QUEUE_URL"] == {"Ref": "DocumentScanQueue"}
    outputs = template["Outputs"]
    assert outputs["DocumentsTableName"]["Value"] == {"Ref": "DocumentsTable"}
    assert outputs["DocumentScanQueueUrl"]["Value"] == {"Ref": "DocumentScanQueue"}


def test_no_role_can_update_or_delete_the_access_log(template: dict[str, Any]) -> None:
    """BR-35: the access log is append-only: PutItem (conditional, one record per request) and Query.
    The one exception is the retention purge (BR-14): Query and DeleteItem, never a write."""
    import json as _json
    seen = False
    for function_id, function in _functions(template).items():
        for policy in function["Properties"].get("Policies") or []:
            for statement in (policy.get("Statement") or []) if isinstance(policy, dict) else []:
                if "AccessLogTable" not in _json.dumps(statement.get("Resource")):
                    continue
                seen = True
                actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
                if function_id == "RetentionFunction":
                    assert set(actions) == {"dynamodb:Query", "dynamodb:DeleteItem"}, actions
                    continue
                assert set(actions) <= {"dynamodb:PutItem", "dynamodb:Query"}, actions
    assert seen


def test_profiles_table_and_the_api_grants_on_it(template: dict[str, Any], transformed: dict[str, Any]) -> None:
    """BR-19/20: sections and measurements under the espace; a sparse local index by time; the API
    puts, gets, queries and batch-gets (a professional's sections) but never deletes nor scans."""
    resources = template["Resources"]
    profiles = resources["ProfilesTable"]
    assert profiles["DeletionPolicy"] == profiles["UpdateReplacePolicy"] == "Retain"
    (lsi,) = profiles["Properties"]["LocalSecondaryIndexes"]
    assert lsi["IndexName"] == "by_time" and lsi["Projection"] == {"ProjectionType": "ALL"}
    assert [(k["AttributeName"], k["KeyType"]) for k in lsi["KeySchema"]] == [("espace_id", "HASH"),
                                                                              ("time_sk", "RANGE")]
    assert "GlobalSecondaryIndexes" not in profiles["Properties"]
    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    assert variables["PROFILES_TABLE"] == {"Ref": "ProfilesTable"}
    assert template["Outputs"]["ProfilesTableName"]["Value"] == {"Ref": "ProfilesTable"}
    grants = _grants(transformed, "ApiFunctionRole")
    table, index = {"Fn::GetAtt": ["ProfilesTable", "Arn"]}, {"Fn::Sub": "${ProfilesTable.Arn}/index/*"}
    for action in ("dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:PutItem", "dynamodb:Query"):
        assert table in grants[action] and index in grants[action]
    on_profiles = {a for a, r in grants.items() if table in r}
    assert on_profiles == {"dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:PutItem", "dynamodb:Query"}


# -------------------------------------------------------------------------------------------------
# Secure messaging (issue #5, BR-37 to BR-39)
# -------------------------------------------------------------------------------------------------
MESSAGES_TABLE_ARN = {"Fn::GetAtt": ["MessagesTable", "Arn"]}


def test_messages_table_indexes_env_and_output(template: dict[str, Any]) -> None:
    properties = template["Resources"]["MessagesTable"]["Properties"]
    assert [(i["IndexName"], [(k["AttributeName"], k["KeyType"]) for k in i["KeySchema"]],
             i["Projection"]["ProjectionType"]) for i in properties["LocalSecondaryIndexes"]] == [
        ("by_activity", [("espace_id", "HASH"), ("activity", "RANGE")], "ALL")]
    assert _indexes(template, "MessagesTable") == {
        "by_rpps": ([("ps_rpps", "HASH"), ("conversation_id", "RANGE")], "ALL")}
    resources = template["Resources"]
    assert resources["MessagesTable"]["DeletionPolicy"] == resources["MessagesTable"]["UpdateReplacePolicy"] == "Retain"
    assert template["Globals"]["Function"]["Environment"]["Variables"]["MESSAGES_TABLE"] == {"Ref": "MessagesTable"}
    assert template["Outputs"]["MessagesTableName"]["Value"] == {"Ref": "MessagesTable"}


def test_api_may_read_and_write_messages_but_not_delete_them(transformed: dict[str, Any]) -> None:
    grants = _grants(transformed, "ApiFunctionRole")
    for action in ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:Query"):
        assert MESSAGES_TABLE_ARN in grants[action]
        assert {"Fn::Sub": "${MessagesTable.Arn}/index/*"} in grants[action]
    for action in ("dynamodb:DeleteItem", "dynamodb:BatchWriteItem"):
        assert MESSAGES_TABLE_ARN not in grants.get(action, [])


def test_closure_functions_least_privilege(transformed: dict[str, Any]) -> None:
    """BR-14/15: the jobs read only the due-date index (never a Scan), write only what they must."""
    by_due = {"Fn::Sub": "${EspacesTable.Arn}/index/by_due"}
    espaces = {"Fn::GetAtt": ["EspacesTable", "Arn"]}
    retention = _grants(transformed, "RetentionFunctionRole")
    assert by_due in retention["dynamodb:Query"]
    assert retention["dynamodb:UpdateItem"] == [espaces, {"Fn::GetAtt": ["IdempotencyTable", "Arn"]}]
    assert retention["dynamodb:BatchWriteItem"] == [DOCUMENTS_TABLE_ARN] + [
        {"Fn::GetAtt": [table, "Arn"]} for table in ("AccessTable", "ProfilesTable", "MessagesTable",
                                                     "ReimbursementsTable", "ExportsTable")]
    assert {"Fn::GetAtt": ["AccessLogTable", "Arn"]} not in retention["dynamodb:BatchWriteItem"]
    assert "dynamodb:PutItem" not in retention or espaces not in retention["dynamodb:PutItem"]
    assert "dynamodb:GetItem" not in retention or espaces not in retention["dynamodb:GetItem"]
    assert retention["s3:ListBucketVersions"] == [DOCUMENTS_BUCKET_ARN]
    assert not any(a.startswith(("kms:", "secretsmanager:")) for a in retention)
    followup = _grants(transformed, "SuspensionFollowupFunctionRole")
    assert followup["dynamodb:Query"] == [by_due]
    assert followup["dynamodb:UpdateItem"] == [espaces, {"Fn::GetAtt": ["IdempotencyTable", "Arn"]}]
    assert not any(a.startswith("s3:") for a in followup)
    operator = _grants(transformed, "OperatorFunctionRole")
    assert operator["dynamodb:PutItem"] == [espaces, {"Fn::GetAtt": ["EphemeralTable", "Arn"]}]
    assert "dynamodb:DeleteItem" not in operator and "dynamodb:Query" not in operator
