"""Power and maintenance actions: status paths, events and the busy rule."""

from __future__ import annotations

import pytest
import requests

from linode_fake.testing import FakeHandle, run_fake
from tests.fake.helpers import (
    STRONG_PASSWORD,
    auth,
    create_linode,
    delete,
    errors_by_field,
    get,
    post,
)

BOOT_TIME = 67  # provisioning plus boot, in seconds at speed 1, with a margin


@pytest.fixture
def fake() -> FakeHandle:
    with run_fake(speed=1.0) as handle:
        yield handle


def status(fake: FakeHandle, linode_id: int) -> str:
    return get(fake, f"/linode/instances/{linode_id}").json()["status"]


def running_linode(fake: FakeHandle) -> int:
    linode_id = create_linode(fake).json()["id"]
    fake.clock.advance(BOOT_TIME)
    assert status(fake, linode_id) == "running"
    return linode_id


def events_for(fake: FakeHandle, linode_id: int, action: str) -> list[dict]:
    xfilter = {"entity.id": linode_id, "action": action}
    return get(fake, "/account/events", xfilter=xfilter).json()["data"]


def test_shutdown_then_boot(fake: FakeHandle) -> None:
    linode_id = running_linode(fake)

    assert post(fake, f"/linode/instances/{linode_id}/shutdown").json() == {}
    assert status(fake, linode_id) == "shutting_down"
    fake.clock.advance(16)
    assert status(fake, linode_id) == "offline"

    assert post(fake, f"/linode/instances/{linode_id}/boot").json() == {}
    assert status(fake, linode_id) == "booting"
    fake.clock.advance(21)
    assert status(fake, linode_id) == "running"

    assert len(events_for(fake, linode_id, "linode_shutdown")) == 1
    assert len(events_for(fake, linode_id, "linode_boot")) == 2


def test_reboot_returns_to_running(fake: FakeHandle) -> None:
    linode_id = running_linode(fake)

    post(fake, f"/linode/instances/{linode_id}/reboot")

    assert status(fake, linode_id) == "rebooting"
    fake.clock.advance(26)
    assert status(fake, linode_id) == "running"
    assert events_for(fake, linode_id, "linode_reboot")[0]["status"] == "finished"


def test_event_progresses_over_time(fake: FakeHandle) -> None:
    linode_id = create_linode(fake).json()["id"]
    event = events_for(fake, linode_id, "linode_create")[0]
    assert event["status"] == "started"
    assert event["percent_complete"] < 10

    fake.clock.advance(22.5)
    halfway = get(fake, f"/account/events/{event['id']}").json()
    assert halfway["status"] == "started"
    assert 40 <= halfway["percent_complete"] <= 60

    fake.clock.advance(30)
    done = get(fake, f"/account/events/{event['id']}").json()
    assert done["status"] == "finished"
    assert done["percent_complete"] == 100
    assert done["duration"] == pytest.approx(45, abs=1)


def test_boot_event_appears_when_provisioning_ends(fake: FakeHandle) -> None:
    linode_id = create_linode(fake).json()["id"]
    assert events_for(fake, linode_id, "linode_boot") == []

    fake.clock.advance(46)

    assert events_for(fake, linode_id, "linode_boot")[0]["status"] == "started"


@pytest.mark.parametrize(
    ("action", "body"),
    [
        ("boot", None),
        ("reboot", None),
        ("shutdown", None),
        ("resize", {"type": "g6-standard-1"}),
        ("rebuild", {"image": "linode/debian12", "root_pass": STRONG_PASSWORD}),
        ("password", {"root_pass": STRONG_PASSWORD}),
    ],
)
def test_action_while_provisioning_is_busy(fake: FakeHandle, action: str, body: dict) -> None:
    linode_id = create_linode(fake).json()["id"]

    response = post(fake, f"/linode/instances/{linode_id}/{action}", body)

    assert response.status_code == 400
    assert errors_by_field(response) == {None: ["Linode busy."]}


def test_action_while_shutting_down_is_busy(fake: FakeHandle) -> None:
    linode_id = running_linode(fake)
    post(fake, f"/linode/instances/{linode_id}/shutdown")

    response = post(fake, f"/linode/instances/{linode_id}/boot")

    assert response.status_code == 400
    assert response.json()["errors"][0]["reason"] == "Linode busy."


def test_password_reset_on_running_linode_is_400(fake: FakeHandle) -> None:
    linode_id = running_linode(fake)

    response = post(fake, f"/linode/instances/{linode_id}/password", {"root_pass": STRONG_PASSWORD})

    assert response.status_code == 400
    assert "shut down" in response.json()["errors"][0]["reason"]


def test_password_reset_on_offline_linode(fake: FakeHandle) -> None:
    linode_id = running_linode(fake)
    post(fake, f"/linode/instances/{linode_id}/shutdown")
    fake.clock.advance(16)

    response = post(fake, f"/linode/instances/{linode_id}/password", {"root_pass": STRONG_PASSWORD})

    assert response.status_code == 200
    assert status(fake, linode_id) == "offline"
    assert len(events_for(fake, linode_id, "password_reset")) == 1


def test_weak_password_reset_is_rejected(fake: FakeHandle) -> None:
    linode_id = running_linode(fake)
    post(fake, f"/linode/instances/{linode_id}/shutdown")
    fake.clock.advance(16)

    response = post(fake, f"/linode/instances/{linode_id}/password", {"root_pass": "password123"})

    assert response.status_code == 400
    assert errors_by_field(response) == {
        "root_pass": ["Password does not meet strength requirement"]
    }


def test_rebuild_returns_linode_and_boots(fake: FakeHandle) -> None:
    linode_id = running_linode(fake)

    response = post(
        fake,
        f"/linode/instances/{linode_id}/rebuild",
        {"image": "linode/ubuntu24.04", "root_pass": STRONG_PASSWORD},
    )

    assert response.status_code == 200
    assert response.json()["status"] == "rebuilding"
    assert response.json()["image"] == "linode/ubuntu24.04"
    fake.clock.advance(60 + 21)
    assert status(fake, linode_id) == "running"
    disks = get(fake, f"/linode/instances/{linode_id}/disks").json()["data"]
    assert disks[0]["label"].startswith("Ubuntu")


def test_rebuild_needs_image_and_password(fake: FakeHandle) -> None:
    linode_id = running_linode(fake)

    response = post(fake, f"/linode/instances/{linode_id}/rebuild", {})

    assert response.status_code == 400
    assert set(errors_by_field(response)) == {"image", "root_pass"}


def test_resize_changes_type_and_event_finishes_before_boot(fake: FakeHandle) -> None:
    linode_id = running_linode(fake)

    assert post(fake, f"/linode/instances/{linode_id}/resize", {"type": "g6-standard-2"}).ok
    assert status(fake, linode_id) == "migrating"
    fake.clock.advance(121)

    assert events_for(fake, linode_id, "linode_resize")[0]["status"] == "finished"
    assert status(fake, linode_id) == "booting"
    fake.clock.advance(21)
    linode = get(fake, f"/linode/instances/{linode_id}").json()
    assert linode["status"] == "running"
    assert linode["type"] == "g6-standard-2"
    assert linode["specs"]["memory"] == 4096


def test_resize_to_unknown_type_is_400(fake: FakeHandle) -> None:
    linode_id = running_linode(fake)

    response = post(fake, f"/linode/instances/{linode_id}/resize", {"type": "g6-huge-99"})

    assert response.status_code == 400
    assert "type" in errors_by_field(response)


def test_action_on_unknown_linode_is_404(fake: FakeHandle) -> None:
    assert post(fake, "/linode/instances/5/boot").status_code == 404


def test_mark_event_seen_marks_earlier_events(fake: FakeHandle) -> None:
    linode_id = running_linode(fake)
    events = get(fake, "/account/events").json()["data"]
    newest = events[0]
    assert newest["entity"]["id"] == linode_id

    assert post(fake, f"/account/events/{newest['id']}/seen").json() == {}

    assert all(event["seen"] for event in get(fake, "/account/events").json()["data"])


def test_instance_details(fake: FakeHandle) -> None:
    linode_id = running_linode(fake)
    base = f"/linode/instances/{linode_id}"

    ips = get(fake, base + "/ips").json()
    linode = get(fake, base).json()
    assert ips["ipv4"]["public"][0]["address"] == linode["ipv4"][0]
    assert ips["ipv6"]["slaac"]["address"] + "/128" == linode["ipv6"]

    disks = get(fake, base + "/disks").json()["data"]
    assert [disk["filesystem"] for disk in disks] == ["ext4", "swap"]
    assert get(fake, f"{base}/disks/{disks[1]['id']}").json()["size"] == 512
    configs = get(fake, base + "/configs").json()["data"]
    assert configs[0]["devices"]["sda"]["disk_id"] == disks[0]["id"]
    assert get(fake, f"{base}/configs/{configs[0]['id']}").status_code == 200
    assert get(fake, f"{base}/disks/1").status_code == 404


def test_transfer_and_stats_grow_with_uptime(fake: FakeHandle) -> None:
    linode_id = running_linode(fake)
    base = f"/linode/instances/{linode_id}"

    assert get(fake, base + "/stats").status_code == 400  # too new for stats
    first = get(fake, base + "/transfer").json()["used"]
    fake.clock.advance(3600)

    assert get(fake, base + "/transfer").json()["used"] > first
    stats = get(fake, base + "/stats").json()
    assert len(stats["cpu"]) >= 12
    assert stats["cpu"][0][0] % 300_000 == 0


def test_v4beta_matches_v4(fake: FakeHandle) -> None:
    linode_id = create_linode(fake).json()["id"]
    url = f"{fake.root_url}/v4beta/linode/instances/{linode_id}"

    response = requests.get(url, headers=auth(fake.token), timeout=10)

    assert response.status_code == 200
    assert response.json() == get(fake, f"/linode/instances/{linode_id}").json()


def test_delete_during_provisioning_cancels_boot(fake: FakeHandle) -> None:
    linode_id = create_linode(fake).json()["id"]

    assert delete(fake, f"/linode/instances/{linode_id}").status_code == 200
    fake.clock.advance(BOOT_TIME)

    assert get(fake, f"/linode/instances/{linode_id}").status_code == 404
    assert events_for(fake, linode_id, "linode_boot") == []
    assert len(events_for(fake, linode_id, "linode_delete")) == 1


def test_stats_are_zero_while_offline(fake: FakeHandle) -> None:
    linode_id = running_linode(fake)
    fake.clock.advance(3600)
    post(fake, f"/linode/instances/{linode_id}/shutdown")
    fake.clock.advance(3600)

    cpu = get(fake, f"/linode/instances/{linode_id}/stats").json()["cpu"]

    assert any(value > 0 for _, value in cpu[:10])
    assert all(value == 0 for _, value in cpu[-10:])
