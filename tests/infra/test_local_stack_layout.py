"""The local stack split by role (issue 10): template.yaml read by cfn-lint's CloudFormation YAML
loader, one provisioner per service, the instrumentation in its own package, and every package
shipped by a fresh `make install`."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import pytest

from mes_local.provision import SUPPORTED_TYPES, TemplateError, load_template

ROOT = Path(__file__).resolve().parents[2]
PROVISION = ROOT / "infra/mes_local/provision"


def test_short_tags_become_their_long_forms(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(
        "AWSTemplateFormatVersion: 2010-09-09\n"
        "Conditions:\n  Prod: !Equals [!Ref Stage, prod]\n"
        "Resources:\n  Q:\n    Type: AWS::SQS::Queue\n    Condition: Prod\n"
        "    Properties:\n      QueueName: !Sub '${AWS::StackName}-q'\n"
        "      RedrivePolicy: {deadLetterTargetArn: !GetAtt D.Arn}\n"
        "      Tags: [{Key: k, Value: !If [Prod, !Ref AWS::NoValue, !Join ['-', [a, b]]]}]\n",
        encoding="utf-8")
    template = load_template(path)
    assert template["AWSTemplateFormatVersion"] == "2010-09-09"  # a string, not a date
    assert template["Conditions"]["Prod"] == {"Fn::Equals": [{"Ref": "Stage"}, "prod"]}
    props = template["Resources"]["Q"]["Properties"]
    assert props["QueueName"] == {"Fn::Sub": "${AWS::StackName}-q"}
    assert props["RedrivePolicy"] == {"deadLetterTargetArn": {"Fn::GetAtt": ["D", "Arn"]}}
    assert props["Tags"][0]["Value"] == {"Fn::If": ["Prod", {"Ref": "AWS::NoValue"},
                                                    {"Fn::Join": ["-", ["a", "b"]]}]}
    assert type(props["QueueName"]["Fn::Sub"]) is str and type(template) is dict  # plain values


def test_a_logical_id_written_twice_is_refused(tmp_path: Path) -> None:
    """A plain YAML loader keeps the last of two equal keys: the first resource would vanish."""
    path = tmp_path / "t.yaml"
    path.write_text("Resources:\n  Table:\n    Type: AWS::DynamoDB::Table\n"
                    "  Table:\n    Type: AWS::S3::Bucket\n", encoding="utf-8")
    with pytest.raises(TemplateError, match="Duplicate found 'Table'"):
        load_template(path)


def test_template_reader_is_cfn_lint_s() -> None:
    source = (PROVISION / "template.py").read_text(encoding="utf-8")
    assert "from cfnlint.decode import cfn_yaml" in source
    assert "add_multi_constructor" not in source and "SafeLoader" not in source


def test_one_provisioner_module_per_service() -> None:
    services = {kind.split("::")[1].lower() for kind in SUPPORTED_TYPES}
    assert services == {"dynamodb", "s3", "sqs", "sns", "kms", "ses", "secretsmanager"}
    for service in services:
        assert (PROVISION / f"{service}.py").exists(), service


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_instrumentation_lives_apart_from_the_stack() -> None:
    """awscount, botocache and motofix are the tests' and the bench's: mes_local keeps none of them,
    and they import nothing of the local stack."""
    for name in ("awscount", "botocache", "motofix"):
        assert not (ROOT / f"infra/mes_local/{name}.py").exists(), name
        assert (ROOT / f"infra/mes_instrument/{name}.py").exists(), name
    for path in (ROOT / "infra/mes_instrument").glob("*.py"):
        assert not any(n == "mes_local" or n.startswith("mes_local.") for n in _imports(path)), path.name
    for path in PROVISION.glob("*.py"):
        assert not any(n.startswith("mes_instrument") for n in _imports(path)), path.name


def test_a_fresh_install_ships_every_package() -> None:
    """`make install` installs the project from pyproject.toml: each package directory under a
    mapped root must be listed, or a non-editable install would leave it out."""
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    listed = set(setuptools["packages"])
    assert {"mes_local.provision", "mes_instrument"} <= listed
    for top, folder in setuptools["package-dir"].items():
        for init in sorted((ROOT / folder).rglob("__init__.py")):
            package = ".".join([top, *init.parent.relative_to(ROOT / folder).parts])
            assert package in listed, package
