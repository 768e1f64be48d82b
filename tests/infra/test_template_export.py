"""template.yaml for issue #5's reimbursement history (BR-21) and data exports: buckets, queue,
functions, and who may do what."""

from __future__ import annotations

from typing import Any

import pytest
from samtranslator.translator.transform import transform

from mes.domain.exports import EXPORT_RETENTION, MAX_ATTEMPTS
from tests.infra.test_template import _grants, _NoManagedPolicies, _with_s3_code_uris

EXPORT_OBJECTS = {"Fn::Sub": "arn:${AWS::Partition}:s3:::${ExportsBucket}/exports/*"}


@pytest.fixture(scope="module")
def transformed(template_source: dict[str, Any]) -> dict[str, Any]:
    return transform(_with_s3_code_uris(template_source), {}, _NoManagedPolicies())


def test_buckets_expire_their_objects(template: dict[str, Any]) -> None:
    resources = template["Resources"]
    rules = {r["Id"]: r for r in resources["ExportsBucket"]["Properties"]["LifecycleConfiguration"]["Rules"]}
    assert rules["ExpireExports"]["ExpirationInDays"] == EXPORT_RETENTION.days == 7
    assert rules["AbortIncompleteUploads"]["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 1}
    (rule,) = resources["ReimbursementsBucket"]["Properties"]["LifecycleConfiguration"]["Rules"]
    assert rule["ExpirationInDays"] == 90
    assert "VersioningConfiguration" not in resources["ExportsBucket"]["Properties"]


def test_export_queue_redrives_after_the_attempts_the_function_counts(template: dict[str, Any]) -> None:
    resources = template["Resources"]
    queue = resources["ExportQueue"]["Properties"]
    assert queue["RedrivePolicy"] == {"deadLetterTargetArn": {"Fn::GetAtt": ["ExportDLQ", "Arn"]},
                                      "maxReceiveCount": MAX_ATTEMPTS}
    function = resources["ExportFunction"]["Properties"]
    assert queue["VisibilityTimeout"] >= 3 * function["Timeout"]
    assert function["EphemeralStorage"] == {"Size": 2048}
    (event,) = function["Events"].values()
    assert event == {"Type": "SQS", "Properties": {"Queue": {"Fn::GetAtt": ["ExportQueue", "Arn"]}, "BatchSize": 1,
                                                   "ScalingConfig": {"MaximumConcurrency": 2},
                                                   "FunctionResponseTypes": ["ReportBatchItemFailures"]}}


def test_reimbursement_files_trigger_the_import(template: dict[str, Any]) -> None:
    events = template["Resources"]["ReimbursementImportFunction"]["Properties"]["Events"]
    assert {e["Properties"]["Filter"]["S3Key"]["Rules"][0]["Value"] for e in events.values()} == {".csv", ".jsonl"}
    for event in events.values():
        assert event["Type"] == "S3" and event["Properties"]["Bucket"] == {"Ref": "ReimbursementsBucket"}
    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    assert variables["REIMBURSEMENTS_BUCKET"] == template["Resources"]["ReimbursementsBucket"]["Properties"][
        "BucketName"]  # by name: a Ref would be circular through the bucket's notification


def test_holders_only_read_reimbursements_and_request_exports(transformed: dict[str, Any]) -> None:
    api = _grants(transformed, "ApiFunctionRole")
    table = {"Fn::GetAtt": ["ReimbursementsTable", "Arn"]}
    assert [a for a, resources in api.items() if table in resources] == ["dynamodb:Query"]  # BR-21: no write
    exports_table = {"Fn::GetAtt": ["ExportsTable", "Arn"]}
    assert sorted(a for a, resources in api.items() if exports_table in resources) == [
        "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"]
    assert api["sqs:SendMessage"] == [{"Fn::GetAtt": ["ExportQueue", "Arn"]}]


def test_import_function_least_privilege(transformed: dict[str, Any]) -> None:
    grants = _grants(transformed, "ReimbursementImportFunctionRole")
    assert grants["dynamodb:Query"] == [{"Fn::Sub": "${EspacesTable.Arn}/index/by_nir"}]
    assert grants["dynamodb:BatchGetItem"] == grants["dynamodb:BatchWriteItem"] == [
        {"Fn::GetAtt": ["ReimbursementsTable", "Arn"]}]
    assert not {"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "s3:PutObject"} & set(grants)


def test_export_function_reads_the_sections_and_writes_only_archives(transformed: dict[str, Any]) -> None:
    grants = _grants(transformed, "ExportFunctionRole")
    assert grants["s3:PutObject"] == grants["s3:AbortMultipartUpload"] == [EXPORT_OBJECTS]
    assert grants["s3:GetObject"] == [{"Fn::Sub": "arn:${AWS::Partition}:s3:::${DocumentsBucket}/documents/*"}]
    assert grants["dynamodb:UpdateItem"] == [{"Fn::GetAtt": ["ExportsTable", "Arn"]}]
    assert not any(a.startswith("s3:Delete") or a in ("dynamodb:PutItem", "dynamodb:DeleteItem") for a in grants)
    # only the export function writes archives
    for role in ("ApiFunctionRole", "DocumentScanFunctionRole", "ReimbursementImportFunctionRole"):
        assert EXPORT_OBJECTS not in _grants(transformed, role).get("s3:PutObject", [])
