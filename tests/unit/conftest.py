"""Unit tests: fakes, a frozen clock (the `clock` fixture of tests/conftest.py), no network."""

from __future__ import annotations

import socket

import pytest

from tests.fakes import FakeSystem


class NetworkDisabled(RuntimeError):
    pass


@pytest.fixture(autouse=True)
def _no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise NetworkDisabled("unit tests do not touch the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


@pytest.fixture
def system() -> FakeSystem:
    return FakeSystem()
