"""Injected faults: 5xx responses, latency, dropped connections, lost create responses,
and the /__fake__/ control endpoints."""

from __future__ import annotations

import time

import pytest
import requests

from linode_fake.requestlog import DROPPED
from linode_fake.testing import FakeHandle, run_fake
from tests.fake.helpers import create_linode, get


def test_error_rate_answers_5xx_with_envelope(linode_fake: FakeHandle) -> None:
    linode_fake.faults.error_rate = 1.0

    statuses = set()
    for _ in range(30):
        response = get(linode_fake, "/linode/instances")
        statuses.add(response.status_code)
        assert response.json()["errors"][0]["reason"]

    assert statuses <= {500, 502, 503}
    assert len(statuses) >= 2


def test_error_statuses_can_be_narrowed(linode_fake: FakeHandle) -> None:
    linode_fake.faults = {"error_rate": 1.0, "error_statuses": (503,)}

    assert get(linode_fake, "/profile").status_code == 503


def test_failed_create_stores_nothing(linode_fake: FakeHandle) -> None:
    linode_fake.faults.error_rate = 1.0

    assert create_linode(linode_fake).status_code in (500, 502, 503)

    assert linode_fake.instances() == []


def test_latency_delays_answers(linode_fake: FakeHandle) -> None:
    linode_fake.faults.latency = 0.3

    started = time.perf_counter()
    assert get(linode_fake, "/profile").status_code == 200

    assert time.perf_counter() - started >= 0.3


def test_drop_rate_drops_connections(linode_fake: FakeHandle) -> None:
    linode_fake.faults.drop_rate = 1.0

    with pytest.raises(requests.ConnectionError):
        get(linode_fake, "/profile")

    assert linode_fake.request_log[-1] == ("GET", "/v4/profile", DROPPED)


def test_lost_create_response_still_creates(linode_fake: FakeHandle) -> None:
    linode_fake.faults.lose_create_response = 1.0

    with pytest.raises(requests.ConnectionError):
        create_linode(linode_fake, label="lost-answer")

    linode_fake.faults.lose_create_response = 0.0
    assert [linode["label"] for linode in linode_fake.instances()] == ["lost-answer"]
    assert create_linode(linode_fake, label="lost-answer").status_code == 400


def test_lost_response_applies_only_to_creates(linode_fake: FakeHandle) -> None:
    linode_fake.faults.lose_create_response = 1.0

    assert get(linode_fake, "/linode/instances").status_code == 200


def test_faults_spare_non_api_paths(linode_fake: FakeHandle) -> None:
    linode_fake.faults.error_rate = 1.0

    response = requests.get(linode_fake.root_url + "/oauth/authorize", timeout=10)

    assert response.status_code < 500


def test_invalid_fault_settings_are_rejected(linode_fake: FakeHandle) -> None:
    with pytest.raises(ValueError, match="error_rate"):
        linode_fake.faults = {"error_rate": 2.0}
    with pytest.raises(ValueError, match="418"):
        linode_fake.faults = {"error_statuses": (418,)}


def test_control_endpoints_absent_by_default(linode_fake: FakeHandle) -> None:
    response = requests.get(linode_fake.root_url + "/__fake__/faults", timeout=10)

    assert response.status_code == 404


def test_control_endpoints_set_faults_and_clock() -> None:
    with run_fake(speed=1.0, enable_fault_endpoints=True) as fake:
        control = fake.root_url + "/__fake__"

        response = requests.put(control + "/faults", json={"error_rate": 1.0}, timeout=10)
        assert response.status_code == 200
        assert response.json()["error_rate"] == 1.0
        assert get(fake, "/profile").status_code in (500, 502, 503)

        requests.put(control + "/faults", json={"error_rate": 0}, timeout=10)
        assert get(fake, "/profile").status_code == 200

        bad = requests.put(control + "/faults", json={"drop_rate": 5}, timeout=10)
        assert bad.status_code == 400
        unknown = requests.put(control + "/faults", json={"explode": True}, timeout=10)
        assert unknown.status_code == 400

        linode_id = create_linode(fake).json()["id"]
        before = fake.clock.now()
        requests.post(control + "/clock/advance", json={"seconds": 120}, timeout=10)
        assert fake.clock.now() >= before + 120
        assert get(fake, f"/linode/instances/{linode_id}").json()["status"] == "running"

        speed = requests.put(control + "/speed", json={"speed": 50}, timeout=10)
        assert speed.json() == {"speed": 50.0}
        assert fake.speed == 50.0

        limits = requests.put(
            control + "/rate-limits",
            json={"linode_create": {"count": 1, "seconds": 60}},
            timeout=10,
        )
        assert limits.json()["linode_create"] == {"count": 1, "seconds": 60.0}
        assert create_linode(fake).status_code == 200
        assert create_linode(fake).status_code == 429

        requests.put(control + "/instance-limit", json={"instance_limit": 0}, timeout=10)
        assert fake.instance_limit == 0


def test_failed_create_ends_offline_with_failed_event(linode_fake: FakeHandle) -> None:
    linode_fake.faults.create_failure_rate = 1.0
    linode = create_linode(linode_fake).json()
    assert linode["status"] == "provisioning"

    linode_fake.clock.advance(10)

    assert get(linode_fake, f"/linode/instances/{linode['id']}").json()["status"] == "offline"
    xfilter = {"entity.id": linode["id"]}
    events = get(linode_fake, "/account/events", xfilter=xfilter).json()["data"]
    assert [event["action"] for event in events] == ["linode_create"]
    assert events[0]["status"] == "failed"
    assert events[0]["message"]
