"""Test-wide guards shared by every suite."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from typing import Any

import pytest

# Fixtures `linode_fake` and `linode_fake_session`: the local fake Linode API.
pytest_plugins = ["linode_fake.pytest_plugin"]

_original_connect = socket.socket.connect
_original_connect_ex = socket.socket.connect_ex


def _is_allowed_address(address: Any) -> bool:
    """Allow loopback TCP/UDP targets and local (AF_UNIX) sockets only."""
    if isinstance(address, (str, bytes)):
        return True  # a Unix socket path
    host = address[0]
    if host in ("localhost",):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a host name other than localhost would need DNS


def _guarded_connect(self: socket.socket, address: Any) -> None:
    if not _is_allowed_address(address):
        raise ConnectionRefusedError(f"tests may only connect to loopback, not to {address!r}")
    return _original_connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: Any) -> int:
    if not _is_allowed_address(address):
        raise ConnectionRefusedError(f"tests may only connect to loopback, not to {address!r}")
    return _original_connect_ex(self, address)


@pytest.fixture(autouse=True, scope="session")
def _loopback_only() -> Iterator[None]:
    """Fail any test that tries to reach a host other than this machine."""
    socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign]
    yield
    socket.socket.connect = _original_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _original_connect_ex  # type: ignore[method-assign]
