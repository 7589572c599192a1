"""Instance create, read, update and delete, with status moving on the fake clock."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from linode_fake.testing import FakeHandle
from tests.fake.helpers import create_linode, delete, errors_by_field, get, put


def test_create_returns_provisioning_linode(linode_fake: FakeHandle) -> None:
    response = create_linode(linode_fake, label="web-1", tags=["reseller", "customer-7"])

    assert response.status_code == 200
    linode = response.json()
    assert linode["label"] == "web-1"
    assert linode["status"] == "provisioning"
    assert linode["tags"] == ["reseller", "customer-7"]
    assert linode["type"] == "g6-nanode-1"
    assert linode["region"] == "us-east"
    assert linode["image"] == "linode/debian12"
    assert len(linode["ipv4"]) == 1
    assert linode["ipv6"].endswith("/128")
    assert linode["specs"]["memory"] == 1024


def test_status_moves_to_running_over_time(linode_fake: FakeHandle) -> None:
    linode_fake.speed = 1.0
    linode_id = create_linode(linode_fake).json()["id"]

    def status() -> str:
        return get(linode_fake, f"/linode/instances/{linode_id}").json()["status"]

    assert status() == "provisioning"
    linode_fake.clock.advance(46)
    assert status() == "booting"
    linode_fake.clock.advance(21)
    assert status() == "running"


def test_unbooted_create_ends_offline(linode_fake: FakeHandle) -> None:
    linode_fake.speed = 1.0
    linode_id = create_linode(linode_fake, booted=False).json()["id"]

    linode_fake.clock.advance(46)

    assert get(linode_fake, f"/linode/instances/{linode_id}").json()["status"] == "offline"


def test_create_without_image_is_offline(linode_fake: FakeHandle) -> None:
    response = create_linode(linode_fake, image=None, root_pass=None)

    assert response.status_code == 200
    assert response.json()["status"] == "offline"
    assert response.json()["image"] is None


def test_get_unknown_instance_is_404(linode_fake: FakeHandle) -> None:
    response = get(linode_fake, "/linode/instances/12345")

    assert response.status_code == 404
    assert response.json() == {"errors": [{"reason": "Not found"}]}


def test_delete_removes_instance(linode_fake: FakeHandle) -> None:
    linode_fake.speed = 1.0
    linode_id = create_linode(linode_fake, label="doomed").json()["id"]

    assert delete(linode_fake, f"/linode/instances/{linode_id}").json() == {}
    assert get(linode_fake, f"/linode/instances/{linode_id}").json()["status"] == "deleting"
    linode_fake.clock.advance(6)

    assert get(linode_fake, f"/linode/instances/{linode_id}").status_code == 404
    assert create_linode(linode_fake, label="doomed").status_code == 200


def test_update_changes_label_and_tags(linode_fake: FakeHandle) -> None:
    linode_id = create_linode(linode_fake, label="before").json()["id"]

    response = put(
        linode_fake, f"/linode/instances/{linode_id}", {"label": "after", "tags": ["x-1"]}
    )

    assert response.status_code == 200
    assert response.json()["label"] == "after"
    assert response.json()["tags"] == ["x-1"]
    assert linode_fake.instances()[0]["label"] == "after"
    xfilter = {"entity.id": linode_id, "action": "linode_update"}
    events = get(linode_fake, "/account/events", xfilter=xfilter).json()["data"]
    assert [event["status"] for event in events] == ["notification"]
    assert events[0]["entity"]["label"] == "after"


def test_duplicate_label_is_rejected(linode_fake: FakeHandle) -> None:
    assert create_linode(linode_fake, label="taken").status_code == 200

    response = create_linode(linode_fake, label="taken")

    assert response.status_code == 400
    assert "label" in errors_by_field(response)
    assert len(linode_fake.instances()) == 1


def test_rename_onto_taken_label_is_rejected(linode_fake: FakeHandle) -> None:
    create_linode(linode_fake, label="first")
    second = create_linode(linode_fake, label="second").json()["id"]

    response = put(linode_fake, f"/linode/instances/{second}", {"label": "first"})

    assert response.status_code == 400
    assert errors_by_field(response)["label"] == ["Label must be unique among your Linodes"]


def test_generated_labels_are_unique(linode_fake: FakeHandle) -> None:
    first = create_linode(linode_fake).json()["label"]
    second = create_linode(linode_fake).json()["label"]

    assert first != second
    assert first.startswith("linode")


def test_concurrent_creates_keep_labels_unique(linode_fake: FakeHandle) -> None:
    with ThreadPoolExecutor(max_workers=8) as pool:
        responses = list(pool.map(lambda _: create_linode(linode_fake, label="race"), range(8)))

    statuses = sorted(response.status_code for response in responses)
    assert statuses == [200] + [400] * 7
    assert [linode["label"] for linode in linode_fake.instances()] == ["race"]


def test_concurrent_creates_get_distinct_ids(linode_fake: FakeHandle) -> None:
    with ThreadPoolExecutor(max_workers=8) as pool:
        responses = list(pool.map(lambda _: create_linode(linode_fake), range(12)))

    ids = {response.json()["id"] for response in responses}
    assert all(response.status_code == 200 for response in responses)
    assert len(ids) == 12
    assert len({linode["ipv4"][0] for linode in linode_fake.instances()}) == 12
