"""pytest fixtures for the fake. Register with `pytest_plugins = ["linode_fake.pytest_plugin"]`.

`linode_fake`: a fresh fake (in-memory state, speed 100) for each test.
`linode_fake_session`: one fake shared by the whole session.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from linode_fake.testing import FakeHandle, run_fake


@pytest.fixture
def linode_fake() -> Iterator[FakeHandle]:
    with run_fake(speed=100.0) as fake:
        yield fake


@pytest.fixture(scope="session")
def linode_fake_session() -> Iterator[FakeHandle]:
    with run_fake(speed=100.0) as fake:
        yield fake
