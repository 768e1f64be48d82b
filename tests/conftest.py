"""Shared fixtures: fake AWS credentials, moto built from template.yaml, a frozen clock, the
Chalice test client, and a session-wide capture of every log line, scanned for leaks at the end."""

from __future__ import annotations

import logging
import os
from datetime import UTC, datetime

import pytest

os.environ.update({
    "AWS_DEFAULT_REGION": "eu-west-3", "AWS_REGION": "eu-west-3", "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing", "POWERTOOLS_SERVICE_NAME": "mes",
    "POWERTOOLS_METRICS_NAMESPACE": "mes", "POWERTOOLS_LOG_LEVEL": "DEBUG",
})
os.environ.pop("AWS_ENDPOINT_URL", None)

from mes_instrument import botocache, motofix  # noqa: E402
from tests.support import leaks  # noqa: E402

motofix.apply()
botocache.apply()
# Count requests on every client ever created (PynamoDB caches its connections across tests).
from mes_instrument import awscount  # noqa: E402

awscount.install()

_capture = leaks.CaptureHandler()


@pytest.fixture(autouse=True, scope="session")
def _capture_every_log_line():
    """After Powertools has set up its logger (it does not propagate), add the capture to it and
    to the root logger (boto, moto, chalice)."""
    from mes.observability import logger as powertools_logger

    for target in (logging.getLogger(powertools_logger.name), logging.getLogger()):
        target.addHandler(_capture)
    logging.getLogger(powertools_logger.name).setLevel(logging.DEBUG)
    yield


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    found = leaks.find_leaks(leaks.LINES, leaks.SENSITIVE)
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter:
        reporter.write_line(f"log scan: {len(leaks.LINES)} log lines checked, "
                            f"{len(leaks.SENSITIVE)} sensitive values, {len(found)} leaks")
    if found:
        for value, line in found[:20]:
            if reporter:
                reporter.write_line(f"LEAK {value}: {line}")
        session.exitstatus = 1


from tests.support.clock import FrozenClock  # noqa: E402


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))


@pytest.fixture(scope="session")
def psc():
    """The local Pro Santé Connect stand-in (`mes_local.psc.LocalPsc`, one RSA key per session):
    `psc.issue(rpps, profession, ...)` gives a PS token that the `aws` container accepts."""
    from mes_local.psc import LocalPsc
    return LocalPsc(issuer="http://127.0.0.1:8000/psc-local", audience="mes")


@pytest.fixture
def aws(clock: FrozenClock, psc):
    """A fresh moto account with every resource of template.yaml, and the container wired to it
    (`tests/support/stack.py`)."""
    from tests.support.stack import moto_container

    with moto_container(clock, psc) as container:
        yield container


@pytest.fixture
def api(aws):
    from chalice.test import Client

    from mes_local.functions import api_app
    with Client(api_app().app) as client:
        yield client
