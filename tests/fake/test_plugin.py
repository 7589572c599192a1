"""The pytest plugin's fixtures and marker."""

from __future__ import annotations

import pytest

from linode_fake.testing import FakeHandle
from tests.fake.helpers import create_linode, get


def test_fixture_defaults_to_speed_100(linode_fake: FakeHandle) -> None:
    assert linode_fake.speed == 100.0
    assert linode_fake.api_url == linode_fake.root_url + "/v4"
    assert get(linode_fake, "/profile").status_code == 200


@pytest.mark.linode_fake(speed=2.0, instance_limit=1)
def test_marker_passes_options(linode_fake: FakeHandle) -> None:
    assert linode_fake.speed == 2.0
    assert create_linode(linode_fake).status_code == 200
    assert create_linode(linode_fake).status_code == 400


def test_session_fixture_serves(linode_fake_session: FakeHandle) -> None:
    assert get(linode_fake_session, "/regions").status_code == 200
