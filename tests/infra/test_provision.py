"""mes_local.provision.provision: template.yaml's stateful resources built in moto."""

from __future__ import annotations

import email
import email.policy
import json
import string
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote_plus

import boto3
import pytest
from moto import mock_aws

from mes_local.provision import load_template, provision

GLOBAL_ENV_NAMES = set(load_template()["Globals"]["Function"]["Environment"]["Variables"])


@pytest.fixture(scope="module")
def moto_session() -> Iterator[boto3.session.Session]:
    with mock_aws():
        yield boto3.session.Session()


@pytest.fixture(scope="module")
def stack(moto_session: boto3.session.Session) -> dict[str, Any]:
    return provision(moto_session)


@pytest.fixture(scope="module")
def env(stack: dict[str, Any]) -> dict[str, str]:
    return stack["env"]


def test_env_is_the_globals_resolved(stack: dict[str, Any], env: dict[str, str]) -> None:
    assert set(env) == GLOBAL_ENV_NAMES
    # PUBLIC_API_URL is empty on purpose: the FHIR facade's links then follow the request's host (FHIR.md §6)
    assert all(isinstance(v, str) and (v or k == "PUBLIC_API_URL") for k, v in env.items())
    refs = {k: v["ref"] for k, v in stack["resources"].items()}
    assert env == {
        "MES_STAGE": "local",
        "ESPACES_TABLE": "mes-local-espaces",
        "CREDENTIALS_TABLE": "mes-local-credentials",
        "EPHEMERAL_TABLE": "mes-local-ephemeral",
        "JOBS_TABLE": "mes-local-jobs",
        "IDEMPOTENCY_TABLE": "mes-local-idempotency",
        "DOCUMENTS_TABLE": "mes-local-documents",
        "ACCESS_TABLE": "mes-local-access",
        "ACCESS_LOG_TABLE": "mes-local-access-log",
        "PROFILES_TABLE": "mes-local-profiles",
        "MESSAGES_TABLE": "mes-local-messages",
        "PSC_ISSUER": "https://auth.esw.esante.gouv.fr/auth/realms/esante-wallet",
        "PSC_AUDIENCE": "mes",
        "PSC_JWKS": '{"keys": []}',
        "PUBLIC_API_URL": "",
        "DOCUMENT_SCAN_QUEUE_URL": refs["DocumentScanQueue"],
        "DOCUMENTS_BUCKET": "mes-local-documents-123456789012",
        "LETTERS_BUCKET": "mes-local-letters-123456789012",
        "POPULATION_BUCKET": "mes-local-population-123456789012",
        "DATA_KEY_ARN": stack["resources"]["DataKey"]["arn"],
        "TOKEN_KEY_ID": refs["TokenSigningKey"],
        "APP_SECRET_ARN": refs["AppSecret"],
        "SENDER_EMAIL": "no-reply@mes.example.org",
        "SES_TEMPLATE_PREFIX": "mes-local",
        "POWERTOOLS_SERVICE_NAME": "mes",
        "POWERTOOLS_METRICS_NAMESPACE": "mes",
        "POWERTOOLS_LOG_LEVEL": "INFO",
        # issue #5: reimbursement history (BR-21) and data exports
        "REIMBURSEMENTS_TABLE": "mes-local-reimbursements",
        "REIMBURSEMENTS_BUCKET": "mes-local-reimbursements-123456789012",
        "EXPORTS_TABLE": "mes-local-exports",
        "EXPORTS_BUCKET": "mes-local-exports-123456789012",
        "EXPORT_QUEUE_URL": refs["ExportQueue"],
    }
    assert env["POPULATION_BUCKET"] == refs["PopulationBucket"]
    assert env["DATA_KEY_ARN"].startswith("arn:aws:kms:eu-west-3:123456789012:key/")
    assert env["DOCUMENT_SCAN_QUEUE_URL"].endswith("/123456789012/mes-local-DocumentScanQueue")


def test_only_stateful_types_are_created(stack: dict[str, Any]) -> None:
    types = {v["type"] for v in stack["resources"].values()}
    assert "AWS::Serverless::Function" not in types
    assert stack["skipped"]["DocumentsBucketPolicy"] == "AWS::S3::BucketPolicy"
    assert stack["skipped"]["ApiFunction"] == "AWS::Serverless::Function"
    # The malware scan is AWS-only: no GuardDuty plan nor its role locally.
    assert stack["skipped"]["MalwareProtectionPlan"] == "AWS::GuardDuty::MalwareProtectionPlan"
    assert stack["skipped"]["MalwareProtectionRole"] == "AWS::IAM::Role"
    assert stack["resources"]["DocumentScanQueuePolicy"]["type"] == "AWS::SQS::QueuePolicy"
    # The edge: log groups, the API Gateway account role and Deny-only bucket policies are not
    # provisioned; the access-log bucket's policy (an Allow for S3's logging service) is.
    assert stack["skipped"]["ApiAccessLogGroup"] == "AWS::Logs::LogGroup"
    assert stack["skipped"]["ApiFunctionLogGroup"] == "AWS::Logs::LogGroup"
    assert stack["skipped"]["ApiGatewayAccount"] == "AWS::ApiGateway::Account"
    assert stack["resources"]["AccessLogsBucketPolicy"]["type"] == "AWS::S3::BucketPolicy"
    assert stack["resources"]["ScheduleDeadLetterQueuesPolicy"]["type"] == "AWS::SQS::QueuePolicy"
    # The web page's edge is AWS-only (make run serves web/dist itself): CloudFront is skipped, and
    # so is the web bucket's policy, which admits only the distribution; the bucket itself is built.
    assert stack["skipped"]["WebDistribution"] == "AWS::CloudFront::Distribution"
    assert stack["skipped"]["WebOriginAccessControl"] == "AWS::CloudFront::OriginAccessControl"
    assert stack["skipped"]["WebSpaRewriteFunction"] == "AWS::CloudFront::Function"
    assert stack["skipped"]["WebApiPrefixFunction"] == "AWS::CloudFront::Function"
    assert stack["skipped"]["WebSecurityHeadersPolicy"] == "AWS::CloudFront::ResponseHeadersPolicy"
    assert stack["skipped"]["WebBucketPolicy"] == (
        "AWS::S3::BucketPolicy (needs WebDistribution, which is not provisioned locally)")
    assert stack["resources"]["WebBucket"]["ref"] == "mes-local-web-123456789012"
    # Only the web bucket's policy needs a skipped resource: everything else the template names is built.
    assert [k for k, v in stack["skipped"].items() if "needs" in v] == ["WebBucketPolicy"]


def test_tables_with_their_indexes(moto_session: boto3.session.Session, env: dict[str, str]) -> None:
    ddb = moto_session.client("dynamodb")
    table = ddb.describe_table(TableName=env["ESPACES_TABLE"])["Table"]
    assert table["KeySchema"] == [{"AttributeName": "espace_id", "KeyType": "HASH"}]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    indexes = {
        i["IndexName"]: ([(k["AttributeName"], k["KeyType"]) for k in i["KeySchema"]], i["Projection"]["ProjectionType"])
        for i in table["GlobalSecondaryIndexes"]
    }
    assert indexes == {
        "by_nir": ([("nir_hmac", "HASH"), ("birth_date", "RANGE")], "ALL"),
        "by_wave": ([("wave_pk", "HASH"), ("wave_sk", "RANGE")], "ALL"),
        "by_due": ([("due_pk", "HASH"), ("due_at", "RANGE")], "KEYS_ONLY"),
        "by_guardian": ([("guardian_id", "HASH"), ("espace_id", "RANGE")], "KEYS_ONLY"),
        "by_representative": ([("representative_id", "HASH"), ("espace_id", "RANGE")], "KEYS_ONLY"),  # BR-16
        "by_majority": ([("majority_pk", "HASH"), ("majority_at", "RANGE")], "KEYS_ONLY"),  # BR-18
    }
    credentials = ddb.describe_table(TableName=env["CREDENTIALS_TABLE"])["Table"]
    assert [(i["IndexName"], i["Projection"]["ProjectionType"]) for i in credentials["GlobalSecondaryIndexes"]] == [
        ("by_espace", "KEYS_ONLY")]
    jobs = ddb.describe_table(TableName=env["JOBS_TABLE"])["Table"]
    assert [k["AttributeName"] for k in jobs["KeySchema"]] == ["pk", "sk"]
    documents = ddb.describe_table(TableName=env["DOCUMENTS_TABLE"])["Table"]
    assert [(k["AttributeName"], k["KeyType"]) for k in documents["KeySchema"]] == [
        ("espace_id", "HASH"), ("document_id", "RANGE")]
    assert {
        i["IndexName"]: ([(k["AttributeName"], k["KeyType"]) for k in i["KeySchema"]], i["Projection"]["ProjectionType"])
        for i in documents["GlobalSecondaryIndexes"]
    } == {
        "by_category": ([("espace_category", "HASH"), ("document_id", "RANGE")], "ALL"),
        "by_hidden": ([("hidden_pk", "HASH"), ("hidden_due", "RANGE")], "KEYS_ONLY"),
        "by_document": ([("doc_ref", "HASH")], "KEYS_ONLY"),  # the FHIR reads by id (issue 12)
    }
    assert ddb.describe_continuous_backups(TableName=env["DOCUMENTS_TABLE"])["ContinuousBackupsDescription"][
        "PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED"

    ttl = {name: ddb.describe_time_to_live(TableName=env[name])["TimeToLiveDescription"]
           for name in ("ESPACES_TABLE", "EPHEMERAL_TABLE", "JOBS_TABLE", "IDEMPOTENCY_TABLE")}
    assert {k: (v["TimeToLiveStatus"], v["AttributeName"]) for k, v in ttl.items()} == {
        "ESPACES_TABLE": ("ENABLED", "expires_at_epoch"),
        "EPHEMERAL_TABLE": ("ENABLED", "expires_at_epoch"),
        "JOBS_TABLE": ("ENABLED", "expires_at_epoch"),
        "IDEMPOTENCY_TABLE": ("ENABLED", "expiration"),
    }


def test_sparse_index_only_holds_items_with_its_keys(moto_session: boto3.session.Session, env: dict[str, str]) -> None:
    ddb = moto_session.client("dynamodb")
    table = env["ESPACES_TABLE"]
    ddb.put_item(TableName=table, Item={"espace_id": {"S": "sparse-1"}, "wave_pk": {"S": "w#0"},
                                        "wave_sk": {"S": "0001"}})
    ddb.put_item(TableName=table, Item={"espace_id": {"S": "sparse-2"}})
    items = ddb.query(TableName=table, IndexName="by_wave", KeyConditionExpression="wave_pk = :p",
                      ExpressionAttributeValues={":p": {"S": "w#0"}})["Items"]
    assert [i["espace_id"]["S"] for i in items] == ["sparse-1"]


def test_buckets_default_to_the_data_key(moto_session: boto3.session.Session, env: dict[str, str]) -> None:
    s3 = moto_session.client("s3")
    for name in ("DOCUMENTS_BUCKET", "LETTERS_BUCKET", "POPULATION_BUCKET"):
        bucket = env[name]
        assert s3.get_bucket_location(Bucket=bucket)["LocationConstraint"] == "eu-west-3"
        (rule,) = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
        assert rule["ApplyServerSideEncryptionByDefault"] == {"SSEAlgorithm": "aws:kms",
                                                              "KMSMasterKeyID": env["DATA_KEY_ARN"]}
        assert rule["BucketKeyEnabled"] is True
        block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
        assert block == {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
                         "RestrictPublicBuckets": True}
        s3.put_object(Bucket=bucket, Key="probe.txt", Body=b"x")
        head = s3.head_object(Bucket=bucket, Key="probe.txt")
        assert head["ServerSideEncryption"] == "aws:kms"
        assert head["SSEKMSKeyId"] == env["DATA_KEY_ARN"]
    assert s3.get_bucket_versioning(Bucket=env["DOCUMENTS_BUCKET"])["Status"] == "Enabled"
    (rule,) = s3.get_bucket_lifecycle_configuration(Bucket=env["LETTERS_BUCKET"])["Rules"]
    assert rule["Expiration"] == {"Days": 90}
    # Bucket policies are not applied locally (moto ignores their conditions): see LOCAL-AWS.md.
    with pytest.raises(s3.exceptions.ClientError):
        s3.get_bucket_policy(Bucket=env["DOCUMENTS_BUCKET"])


def test_kms_keys(moto_session: boto3.session.Session, env: dict[str, str]) -> None:
    kms = moto_session.client("kms")
    signing = kms.describe_key(KeyId=env["TOKEN_KEY_ID"])["KeyMetadata"]
    assert (signing["KeySpec"], signing["KeyUsage"]) == ("ECC_NIST_P256", "SIGN_VERIFY")
    signature = kms.sign(KeyId=env["TOKEN_KEY_ID"], Message=b"header.payload", MessageType="RAW",
                         SigningAlgorithm="ECDSA_SHA_256")["Signature"]
    assert kms.verify(KeyId=env["TOKEN_KEY_ID"], Message=b"header.payload", MessageType="RAW",
                      Signature=signature, SigningAlgorithm="ECDSA_SHA_256")["SignatureValid"]
    public = kms.get_public_key(KeyId=env["TOKEN_KEY_ID"])
    assert public["PublicKey"] and public["KeyUsage"] == "SIGN_VERIFY"

    data = kms.describe_key(KeyId=env["DATA_KEY_ARN"])["KeyMetadata"]
    assert (data["KeySpec"], data["KeyUsage"]) == ("SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT")
    assert kms.get_key_rotation_status(KeyId=env["DATA_KEY_ARN"])["KeyRotationEnabled"] is True
    assert kms.describe_key(KeyId="alias/mes-local-data")["KeyMetadata"]["Arn"] == env["DATA_KEY_ARN"]


def test_secret_has_a_64_char_master(moto_session: boto3.session.Session, env: dict[str, str]) -> None:
    sm = moto_session.client("secretsmanager")
    value = json.loads(sm.get_secret_value(SecretId=env["APP_SECRET_ARN"])["SecretString"])
    assert set(value) == {"master"}
    assert len(value["master"]) == 64
    assert set(value["master"]) <= set(string.ascii_letters + string.digits)
    assert sm.describe_secret(SecretId=env["APP_SECRET_ARN"])["KmsKeyId"] in (
        env["DATA_KEY_ARN"], env["DATA_KEY_ARN"].rsplit("/", 1)[-1])


def test_ses_identity_topic_and_queues(moto_session: boto3.session.Session, stack: dict[str, Any], env: dict[str, str]) -> None:
    ses = moto_session.client("ses")
    assert env["SENDER_EMAIL"] in ses.list_identities()["Identities"]
    names = {t["Name"] for t in ses.list_templates()["TemplatesMetadata"]}
    assert names == {f"mes-local-{n}" for n in ("wave-code", "renewal-code", "otp", "opposition-receipt",
                                                "new-document", "hidden-document-notice", "access-notice",
                                                "new-message", "majority-code",
                                                # closure, suspension (BR-14, BR-15)
                                                "closure-confirmation", "data-deleted", "suspension-notice",
                                                "suspension-lifted", "suspension-closure")}

    sns = moto_session.client("sns")
    topic = stack["resources"]["OpsTopic"]["arn"]
    assert topic in [t["TopicArn"] for t in sns.list_topics()["Topics"]]

    sqs = moto_session.client("sqs")
    for queue_id in ("WaveDLQ", "AutoCreateDLQ", "PopulationImportDLQ", "HiddenReleaseDLQ", "DocumentScanDLQ",
                     "RetentionDLQ", "SuspensionFollowupDLQ", "OperatorDLQ",
                     "ReimbursementImportDLQ", "ExportDLQ"):
        url = stack["resources"][queue_id]["ref"]
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        assert attributes["MessageRetentionPeriod"] == "1209600"
        assert attributes["KmsMasterKeyId"] == stack["resources"]["DataKey"]["ref"]  # the project key
        assert attributes["QueueArn"] == stack["resources"][queue_id]["arn"]


RENDER_DATA = {
    "wave-code": {"first_name": "Camille", "last_name": "Martin", "code": "K7P-4QX-92M",
                  "deadline": "15 mars 2027", "for_child": ""},
    "renewal-code": {"code": "ZX8-1PQ-77A", "expires": "1er mai 2027"},
    "otp": {"otp": "493 201"},
    "opposition-receipt": {"receipt_id": "OPP-2027-000123", "at": "2 mars 2027 à 14:05"},
    "new-document": {"first_name": "Camille"},
    "hidden-document-notice": {"first_name": "Camille", "release_date": "3 avril 2027"},
    "new-message": {"first_name": "Camille"},
    "closure-confirmation": {"first_name": "Camille", "archived_until": "2 mars 2037", "deletion_due": ""},
    "data-deleted": {"first_name": "Camille"},
    "suspension-notice": {"first_name": "Camille", "closure_date": "13 avril 2027"},
    "suspension-lifted": {"first_name": "Camille"},
    "suspension-closure": {"first_name": "Camille", "archived_until": "13 avril 2037"},
}


def _render(session: boto3.session.Session, template: str, data: dict[str, Any]) -> dict[str, str]:
    """SES TestRenderTemplate -> {"subject", "text/plain", "text/html"} (the MIME parts decoded)."""
    raw = session.client("ses").test_render_template(TemplateName=template, TemplateData=json.dumps(data))
    message = email.message_from_string(raw["RenderedTemplate"], policy=email.policy.default)
    parts = {"subject": str(message["Subject"])}
    for part in message.walk():
        if not part.is_multipart():
            parts[part.get_content_type()] = part.get_content()
    return parts


@pytest.mark.parametrize("name", sorted(RENDER_DATA))
def test_render_template(moto_session: boto3.session.Session, env: dict[str, str], name: str) -> None:
    data = RENDER_DATA[name]
    rendered = _render(moto_session, f"{env['SES_TEMPLATE_PREFIX']}-{name}", data)
    assert set(rendered) == {"subject", "text/plain", "text/html"}
    assert rendered["subject"].startswith("Mon espace santé : ")
    for part in ("text/plain", "text/html"):
        assert "Mon espace santé" in rendered[part]
        assert "Ce message est envoyé automatiquement" in rendered[part]
        for value in data.values():
            if isinstance(value, str):
                assert value in rendered[part], f"{name} {part} lacks {value!r}"
        assert "{{" not in rendered[part]
    assert rendered["text/html"].lstrip().startswith("<!DOCTYPE html>")


def test_render_wave_code_in_french(moto_session: boto3.session.Session, env: dict[str, str]) -> None:
    template = f"{env['SES_TEMPLATE_PREFIX']}-wave-code"
    adult = _render(moto_session, template, RENDER_DATA["wave-code"])["text/plain"]
    for phrase in ("Camille Martin, votre espace", "6 semaines", "vous y opposer jusqu'au 15 mars 2027",
                   "carte Vitale", "date de naissance", "numéro de sécurité sociale", "fermé à tout moment",
                   "K7P-4QX-92M"):
        assert phrase in adult
    assert "votre enfant" not in adult
    assert "sur monespacesante.fr" in adult
    # for_child is tested for truthiness: a boolean or the text the wave service passes.
    for for_child in (True, " (pour votre enfant Camille)"):
        child = _render(moto_session, template, {**RENDER_DATA["wave-code"], "for_child": for_child})
        assert "pour votre enfant Camille Martin" in child["text/plain"]
        assert "(NIR) de votre enfant" in child["text/plain"]
        assert "pour votre enfant Camille Martin" in child["text/html"]


def test_otp_says_ten_minutes_and_never_share(moto_session: boto3.session.Session, env: dict[str, str]) -> None:
    rendered = moto_session.client("ses").get_template(TemplateName=f"{env['SES_TEMPLATE_PREFIX']}-otp")["Template"]
    assert "10 minutes" in rendered["TextPart"]
    assert "Ne le communiquez jamais" in rendered["TextPart"]


def test_templated_email_can_be_sent(moto_session: boto3.session.Session, env: dict[str, str]) -> None:
    ses = moto_session.client("ses")
    ses.verify_email_identity(EmailAddress="camille@example.org")  # moto mimics the SES sandbox
    message_id = ses.send_templated_email(
        Source=env["SENDER_EMAIL"], Destination={"ToAddresses": ["camille@example.org"]},
        Template=f"{env['SES_TEMPLATE_PREFIX']}-otp", TemplateData=json.dumps({"otp": "123456"}))["MessageId"]
    assert message_id


def test_document_notices_say_no_more_than_needed(moto_session: boto3.session.Session, env: dict[str, str]) -> None:
    new = _render(moto_session, f"{env['SES_TEMPLATE_PREFIX']}-new-document", RENDER_DATA["new-document"])
    assert "Un nouveau document a été ajouté à votre profil Mon espace santé" in new["text/plain"]
    hidden = _render(moto_session, f"{env['SES_TEMPLATE_PREFIX']}-hidden-document-notice",
                     RENDER_DATA["hidden-document-notice"])
    assert "après une consultation" in hidden["text/plain"]
    assert "au plus tard le 3 avril 2027" in hidden["text/plain"]
    for rendered in (new, hidden):
        for part in ("text/plain", "text/html"):
            assert "http" not in rendered[part].replace("<!DOCTYPE html>", "")  # no link to phish with


# -------------------------------------------------------------------------------------------------
# Documents: scan queue, redrive, queue policy, CORS, S3 -> SQS
# -------------------------------------------------------------------------------------------------
def _queue_attributes(session: boto3.session.Session, url: str) -> dict[str, str]:
    return session.client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]


def _receive_all(session: boto3.session.Session, url: str) -> list[dict[str, Any]]:
    """Every visible message (deleted as read), bodies parsed."""
    sqs = session.client("sqs")
    bodies = []
    while True:
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        if not messages:
            return bodies
        for message in messages:
            bodies.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


def test_scan_queue_redrive_and_policy(moto_session: boto3.session.Session, stack: dict[str, Any],
                                       env: dict[str, str]) -> None:
    attributes = _queue_attributes(moto_session, env["DOCUMENT_SCAN_QUEUE_URL"])
    assert attributes["VisibilityTimeout"] == "180"
    assert attributes["KmsMasterKeyId"] == stack["resources"]["DataKey"]["ref"]
    assert json.loads(attributes["RedrivePolicy"]) == {
        "deadLetterTargetArn": stack["resources"]["DocumentScanDLQ"]["arn"], "maxReceiveCount": 5}
    (statement,) = json.loads(attributes["Policy"])["Statement"]
    assert statement["Principal"] == {"Service": "s3.amazonaws.com"}
    assert statement["Resource"] == stack["resources"]["DocumentScanQueue"]["arn"]
    assert statement["Condition"] == {
        "ArnEquals": {"aws:SourceArn": f"arn:aws:s3:::{env['DOCUMENTS_BUCKET']}"},
        "StringEquals": {"aws:SourceAccount": "123456789012"},
    }


def test_documents_bucket_cors_and_notification(moto_session: boto3.session.Session, stack: dict[str, Any],
                                                env: dict[str, str]) -> None:
    s3 = moto_session.client("s3")
    assert s3.get_bucket_cors(Bucket=env["DOCUMENTS_BUCKET"])["CORSRules"] == [{
        "ID": "BrowserUploadsAndDownloads", "AllowedMethods": ["GET", "POST"],
        # the WebOrigin parameter's default: the web page served by `make run`, never "*"
        "AllowedOrigins": ["http://127.0.0.1:8080"], "MaxAgeSeconds": 3000}]
    configuration = s3.get_bucket_notification_configuration(Bucket=env["DOCUMENTS_BUCKET"])
    (queue,) = configuration["QueueConfigurations"]
    assert queue["QueueArn"] == stack["resources"]["DocumentScanQueue"]["arn"]
    assert queue["Events"] == ["s3:ObjectCreated:*"]
    assert queue["Filter"] == {"Key": {"FilterRules": [{"Name": "prefix", "Value": "documents/"}]}}
    for other in ("LETTERS_BUCKET", "POPULATION_BUCKET", "REIMBURSEMENTS_BUCKET", "EXPORTS_BUCKET"):
        assert "QueueConfigurations" not in s3.get_bucket_notification_configuration(Bucket=env[other])


def test_upload_under_documents_reaches_the_scan_queue(moto_session: boto3.session.Session,
                                                       env: dict[str, str]) -> None:
    """The queue policy does not get in the way of S3 -> SQS in moto; only documents/ is announced."""
    s3 = moto_session.client("s3")
    url = env["DOCUMENT_SCAN_QUEUE_URL"]
    _receive_all(moto_session, url)  # the s3:TestEvent sent when the notification was configured
    key = "documents/esp-0001/doc 0001.pdf"
    s3.put_object(Bucket=env["DOCUMENTS_BUCKET"], Key=key, Body=b"%PDF-1.7\n",
                  ServerSideEncryption="aws:kms", SSEKMSKeyId=env["DATA_KEY_ARN"])
    s3.put_object(Bucket=env["DOCUMENTS_BUCKET"], Key="elsewhere/not-a-document", Body=b"x")
    bodies = _receive_all(moto_session, url)
    (body,) = bodies
    (record,) = body["Records"]
    assert record["eventSource"] == "aws:s3"
    assert record["eventName"].startswith("ObjectCreated:")
    assert record["s3"]["bucket"]["name"] == env["DOCUMENTS_BUCKET"]
    # Keys arrive URL-encoded (a space becomes "+"): decode with unquote_plus.
    assert unquote_plus(record["s3"]["object"]["key"]) == key


def test_provision_twice_gives_the_same_env(moto_session: boto3.session.Session, stack: dict[str, Any]) -> None:
    kms = moto_session.client("kms")
    keys_before = len(kms.list_keys()["Keys"])
    secret_before = moto_session.client("secretsmanager").get_secret_value(SecretId=stack["env"]["APP_SECRET_ARN"])
    sqs = moto_session.client("sqs")
    _receive_all(moto_session, stack["env"]["DOCUMENT_SCAN_QUEUE_URL"])
    again = provision(moto_session)
    assert again["env"] == stack["env"]
    # An unchanged bucket notification is not rewritten (each write sends S3's s3:TestEvent).
    assert sqs.receive_message(QueueUrl=stack["env"]["DOCUMENT_SCAN_QUEUE_URL"]).get("Messages", []) == []
    assert json.loads(_queue_attributes(moto_session, stack["env"]["DOCUMENT_SCAN_QUEUE_URL"])["RedrivePolicy"])[
        "maxReceiveCount"] == 5
    assert {k: v["ref"] for k, v in again["resources"].items()} == {k: v["ref"] for k, v in stack["resources"].items()}
    assert len(kms.list_keys()["Keys"]) == keys_before
    secret_after = moto_session.client("secretsmanager").get_secret_value(SecretId=stack["env"]["APP_SECRET_ARN"])
    assert secret_after["SecretString"] == secret_before["SecretString"]


def test_another_stack_name_and_parameters(moto_session: boto3.session.Session, stack: dict[str, Any]) -> None:
    other = provision(moto_session, stack_name="mes-qa", parameters={"Stage": "qa", "SenderEmail": "qa@mes.example.org"})
    assert other["env"]["MES_STAGE"] == "qa"
    assert other["env"]["ESPACES_TABLE"] == "mes-qa-espaces"
    assert other["env"]["SES_TEMPLATE_PREFIX"] == "mes-qa"
    assert other["env"]["SENDER_EMAIL"] == "qa@mes.example.org"
    assert other["env"]["DATA_KEY_ARN"] != stack["env"]["DATA_KEY_ARN"]
    with pytest.raises(ValueError, match="WaveScheduleState"):
        provision(moto_session, stack_name="mes-bad", parameters={"WaveScheduleState": "MAYBE"})


def test_messages_table_keys_and_indexes(moto_session: boto3.session.Session, env: dict[str, str]) -> None:
    """Secure messaging (BR-37): one partition per espace, a strongly consistent local index for the
    holder's list by activity, a global index for a professional's own conversations."""
    ddb = moto_session.client("dynamodb")
    table = ddb.describe_table(TableName=env["MESSAGES_TABLE"])["Table"]
    assert [(k["AttributeName"], k["KeyType"]) for k in table["KeySchema"]] == [("espace_id", "HASH"), ("sk", "RANGE")]
    assert [(i["IndexName"], [(k["AttributeName"], k["KeyType"]) for k in i["KeySchema"]])
            for i in table["LocalSecondaryIndexes"]] == [("by_activity", [("espace_id", "HASH"), ("activity", "RANGE")])]
    assert [(i["IndexName"], [(k["AttributeName"], k["KeyType"]) for k in i["KeySchema"]])
            for i in table["GlobalSecondaryIndexes"]] == [("by_rpps", [("ps_rpps", "HASH"), ("conversation_id", "RANGE")])]
    assert table["SSEDescription"]["SSEType"] == "KMS"


def test_closure_confirmation_says_archive_or_deletion(moto_session: boto3.session.Session, env: dict[str, str]) -> None:
    """BR-14: the deletion date when one was requested, otherwise the end of the 10-year archive."""
    template = f"{env['SES_TEMPLATE_PREFIX']}-closure-confirmation"
    deletion = _render(moto_session, template, {**RENDER_DATA["closure-confirmation"],
                                                "deletion_due": "1er avril 2027"})["text/plain"]
    assert "supprimées définitivement le 1er avril 2027" in deletion and "archivées jusqu'au" not in deletion
    archive = _render(moto_session, template, RENDER_DATA["closure-confirmation"])["text/plain"]
    assert "archivées jusqu'au 2 mars 2037" in archive and "supprimées définitivement" not in archive
    for name in ("closure-confirmation", "data-deleted", "suspension-notice", "suspension-lifted", "suspension-closure"):
        rendered = _render(moto_session, f"{env['SES_TEMPLATE_PREFIX']}-{name}", RENDER_DATA[name])
        for part in ("text/plain", "text/html"):
            assert "http" not in rendered[part].replace("<!DOCTYPE html>", "")


# -------------------------------------------------------------------------------------------------
# The edge: S3 server access logs, the schedules' dead-letter queues
# -------------------------------------------------------------------------------------------------
def test_every_bucket_logs_to_the_access_log_bucket(moto_session: boto3.session.Session,
                                                    stack: dict[str, Any]) -> None:
    s3 = moto_session.client("s3")
    log_bucket = stack["resources"]["AccessLogsBucket"]["ref"]
    assert log_bucket == "mes-local-access-logs-123456789012"
    buckets = {k: v["ref"] for k, v in stack["resources"].items() if v["type"] == "AWS::S3::Bucket"}
    assert set(buckets) == {"AccessLogsBucket", "DocumentsBucket", "LettersBucket", "PopulationBucket",
                            "ReimbursementsBucket", "ExportsBucket", "WebBucket"}
    prefixes = set()
    for logical_id, name in buckets.items():
        logging_enabled = s3.get_bucket_logging(Bucket=name).get("LoggingEnabled")
        if logical_id == "AccessLogsBucket":
            assert logging_enabled is None
            continue
        assert logging_enabled["TargetBucket"] == log_bucket, logical_id
        prefixes.add(logging_enabled["TargetPrefix"])
    assert len(prefixes) == 6  # one prefix per bucket
    # S3 delivers access logs only to SSE-S3 buckets; only the Allow of the policy is applied locally.
    (rule,) = s3.get_bucket_encryption(Bucket=log_bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    (statement,) = json.loads(s3.get_bucket_policy(Bucket=log_bucket)["Policy"])["Statement"]
    assert (statement["Effect"], statement["Principal"], statement["Action"]) == (
        "Allow", {"Service": "logging.s3.amazonaws.com"}, "s3:PutObject")
    assert statement["Condition"]["ArnLike"] == {"aws:SourceArn": "arn:aws:s3:::mes-local-*"}
    # The other buckets' Deny-only policies stay out of moto (it ignores their conditions).
    with pytest.raises(s3.exceptions.ClientError):
        s3.get_bucket_policy(Bucket=stack["env"]["DOCUMENTS_BUCKET"])


def test_schedule_dead_letter_queues_admit_eventbridge(moto_session: boto3.session.Session,
                                                      stack: dict[str, Any]) -> None:
    for queue_id in ("WaveDLQ", "AutoCreateDLQ", "HiddenReleaseDLQ", "MajorityHandoverDLQ", "RetentionDLQ",
                     "SuspensionFollowupDLQ"):
        attributes = _queue_attributes(moto_session, stack["resources"][queue_id]["ref"])
        (statement,) = json.loads(attributes["Policy"])["Statement"]
        assert statement["Principal"] == {"Service": "events.amazonaws.com"}
        assert statement["Action"] == "sqs:SendMessage"
        assert stack["resources"][queue_id]["arn"] in statement["Resource"]
        assert statement["Condition"]["ArnLike"] == {
            "aws:SourceArn": "arn:aws:events:eu-west-3:123456789012:rule/mes-local-*"}
