"""Fixtures for the infrastructure tests: offline, fake credentials, region eu-west-3."""

from __future__ import annotations

import copy
import os
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
REGION = "eu-west-3"

try:  # installed with `pip install -e .` by the Makefile; fall back to the source tree
    import mes_local.provision  # noqa: F401
except ImportError:  # pragma: no cover - depends on how the venv was built
    sys.path.insert(0, str(ROOT / "infra"))

from mes_local.provision import load_template  # noqa: E402

FAKE_AWS_ENV = {
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_SECURITY_TOKEN": "testing",
}
# Variables that would send the tests to a real account or another endpoint.
UNSET_ENV = ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE")


@pytest.fixture(autouse=True, scope="module")
def _fake_aws_env() -> Any:
    """Module-scoped so that module-scoped fixtures (transform, mock_aws) see it too."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in FAKE_AWS_ENV.items():
            patch.setenv(name, value)
        for name in UNSET_ENV:
            patch.delenv(name, raising=False)
        patch.setenv("AWS_CONFIG_FILE", os.devnull)
        patch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
        yield


@pytest.fixture(scope="session")
def template_source() -> dict[str, Any]:
    return load_template()


@pytest.fixture
def template(template_source: dict[str, Any]) -> dict[str, Any]:
    """A fresh copy of template.yaml (long-form intrinsics) that a test may modify."""
    return copy.deepcopy(template_source)
