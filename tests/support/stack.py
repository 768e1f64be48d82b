"""A fresh moto account with every resource of template.yaml and the container wired to it: the
`aws` fixture of tests/conftest.py and the bench's standalone security stacks both build it here."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


@contextmanager
def moto_container(clock: Any, psc: Any) -> Iterator[Any]:
    """PSC_* pin the `psc` stand-in's public key (template parameters, as the local stack does). The
    environment is restored afterwards."""
    import boto3
    from moto import mock_aws

    from mes.bootstrap import Container, set_container
    from mes.settings import Settings
    from mes_local.outbox import stamp_send_times
    from mes_local.provision import provision

    stamp_send_times()
    saved = dict(os.environ)
    try:
        with mock_aws():
            stack = provision(boto3.session.Session(region_name="eu-west-3"), parameters=psc.parameters())
            os.environ.update(stack["env"])
            container = Container(Settings.from_env(), clock=clock)
            set_container(container)
            try:
                yield container
            finally:
                set_container(None)
    finally:
        os.environ.clear()
        os.environ.update(saved)
