"""pytest fixtures for the fake. Register with `pytest_plugins = ["linode_fake.pytest_plugin"]`.

`linode_fake`: a fresh fake (in-memory state, speed 100) for each test. The
marker `@pytest.mark.linode_fake(**options)` passes options to `run_fake`,
e.g. `@pytest.mark.linode_fake(speed=1.0, instance_limit=3)`.
`linode_fake_session`: one fake shared by the whole session, state included.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from linode_fake.testing import FakeHandle, run_fake

DEFAULT_SPEED = 100.0


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "linode_fake(**options): options for the linode_fake fixture's run_fake call"
    )


@pytest.fixture
def linode_fake(request: pytest.FixtureRequest) -> Iterator[FakeHandle]:
    marker = request.node.get_closest_marker("linode_fake")
    options = dict(marker.kwargs) if marker is not None else {}
    options.setdefault("speed", DEFAULT_SPEED)
    with run_fake(**options) as fake:
        yield fake


@pytest.fixture(scope="session")
def linode_fake_session() -> Iterator[FakeHandle]:
    with run_fake(speed=DEFAULT_SPEED) as fake:
        yield fake
