"""Lazy objects against the fake: loading, attributes, save, invalidate, delete, relations."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from linode_api import (
    Config,
    Disk,
    Image,
    IPAddress,
    Linode,
    LinodeClient,
    NotFoundError,
    Region,
    Type,
)
from tests.client.conftest import ROOT_PASS, RequestRecorder


def new_linode(client: LinodeClient, label: str = "web1", **options: object) -> Linode:
    return client.create_linode(
        "g6-nanode-1", "us-east", "linode/debian12", root_pass=ROOT_PASS, label=label, **options
    )


def test_lazy_object_sends_nothing_until_read(client: LinodeClient, sent: RequestRecorder) -> None:
    linode_id = new_linode(client).id
    sent.clear()

    linode = Linode(client, linode_id)
    assert len(sent) == 0
    assert linode.id == linode_id
    assert not linode.loaded
    assert len(sent) == 0

    assert linode.label == "web1"
    assert sent.calls() == [("GET", f"/linode/instances/{linode_id}")]

    assert linode.status in ("provisioning", "booting", "running")
    assert linode.tags == []
    assert len(sent) == 1


def test_created_object_needs_no_load(client: LinodeClient, sent: RequestRecorder) -> None:
    linode = new_linode(client, tags=["reseller"])
    sent.clear()

    assert linode.label == "web1"
    assert linode.tags == ["reseller"]
    assert linode.specs.memory == 1024
    assert len(sent) == 0


def test_attributes_are_typed(client: LinodeClient) -> None:
    linode = new_linode(client)
    assert isinstance(linode.created, datetime)
    assert linode.created.tzinfo is UTC
    assert isinstance(linode.region, Region)
    assert isinstance(linode.type, Type)
    assert isinstance(linode.image, Image)
    assert linode.region.id == "us-east"
    assert linode.alerts.cpu == 90
    assert linode.backups.schedule.day == "Scheduling"
    assert linode.backups.last_successful is None
    assert linode.specs["disk"] == 25600
    assert linode.specs.to_dict()["vcpus"] == 1
    assert isinstance(linode.ipv4, list)


def test_relations_are_lazy_and_load_once(client: LinodeClient, sent: RequestRecorder) -> None:
    linode = new_linode(client)
    sent.clear()

    region = linode.region
    type_ = linode.type
    assert len(sent) == 0
    assert linode.region is region

    assert region.label
    assert type_.memory == 1024
    assert type_.price.monthly == 5.0
    assert sent.calls() == [("GET", "/regions/us-east"), ("GET", "/linode/types/g6-nanode-1")]

    assert region.country
    assert type_.vcpus == 1
    assert len(sent) == 2


def test_type_region_prices(client: LinodeClient) -> None:
    nanode = Type(client, "g6-nanode-1")
    assert nanode.class_ == "nanode"
    assert nanode.price_in("us-east").monthly == 5.0
    assert nanode.price_in("br-gru").monthly == 7.0
    assert nanode.region_prices[0].hourly > 0
    assert nanode.addons.backups.price.monthly == 2.0


def test_save_sends_only_changed_fields(client: LinodeClient, sent: RequestRecorder) -> None:
    linode = new_linode(client)
    sent.clear()

    assert linode.save() is False
    assert len(sent) == 0

    linode.label = "web2"
    linode.alerts.cpu = 50
    assert linode.save() is True

    assert sent.calls() == [("PUT", f"/linode/instances/{linode.id}")]
    assert sent.sent[0].body == {"label": "web2", "alerts": {"cpu": 50}}
    assert linode.label == "web2"
    assert linode.alerts.cpu == 50
    assert linode.alerts.io == 10000

    fresh = Linode(client, linode.id)
    assert fresh.label == "web2"
    assert fresh.alerts.cpu == 50


def test_save_leaves_concurrent_edit_alone(client: LinodeClient) -> None:
    mine = new_linode(client)
    theirs = Linode(client, mine.id)
    theirs.tags = ["edited-elsewhere"]
    theirs.save()

    mine.label = "renamed"
    mine.save()

    assert Linode(client, mine.id).tags == ["edited-elsewhere"]
    assert Linode(client, mine.id).label == "renamed"


def test_in_place_list_change_is_saved(client: LinodeClient, sent: RequestRecorder) -> None:
    linode = new_linode(client, tags=["alpha"])
    sent.clear()

    linode.tags.append("beta")
    assert linode.pending_changes() == {"tags": ["alpha", "beta"]}
    linode.save()

    assert sent.sent[0].body == {"tags": ["alpha", "beta"]}
    assert Linode(client, linode.id).tags == ["alpha", "beta"]


def test_listed_object_in_place_edit_is_saved(client: LinodeClient, sent: RequestRecorder) -> None:
    # Objects built from a page keep the parsed JSON without copying it, so an
    # in-place edit must still leave the loaded data alone and be detected.
    created = new_linode(client, tags=["alpha"])
    listed = client.get_linodes(label=created.label)[0]
    sent.clear()

    tags = listed.tags
    tags.append("beta")
    listed.alerts.cpu = 50
    assert listed.tags == ["alpha", "beta"]
    assert listed.pending_changes() == {"tags": ["alpha", "beta"], "alerts": {"cpu": 50}}
    listed.save()

    assert sent.sent[0].body == {"tags": ["alpha", "beta"], "alerts": {"cpu": 50}}
    assert listed.pending_changes() == {}
    assert Linode(client, created.id).tags == ["alpha", "beta"]


def test_nested_copy_leaves_loaded_data_alone(client: LinodeClient) -> None:
    listed = client.get_linodes(label=new_linode(client).label)[0]

    specs = listed.specs.to_dict()
    specs["memory"] = 1
    ipv4 = listed.ipv4
    ipv4.append("192.0.2.1")

    assert listed.specs.memory == 1024
    assert "192.0.2.1" not in listed.ipv4
    assert listed.pending_changes() == {}


def test_data_argument_is_copied(client: LinodeClient, sent: RequestRecorder) -> None:
    data = {"id": 5, "label": "given", "tags": ["alpha"], "specs": {"memory": 1024}}
    linode = Linode(client, 5, data=data)

    data["tags"].append("changed-by-caller")
    data["specs"]["memory"] = 1

    assert linode.tags == ["alpha"]
    assert linode.specs.memory == 1024
    assert linode.pending_changes() == {}
    assert len(sent) == 0


def test_assigning_same_value_sends_nothing(client: LinodeClient, sent: RequestRecorder) -> None:
    linode = new_linode(client)
    sent.clear()
    linode.label = "web1"
    assert linode.save() is False
    assert len(sent) == 0


def test_nested_mutable_paths(client: LinodeClient, sent: RequestRecorder) -> None:
    linode = new_linode(client)
    sent.clear()
    linode.backups.schedule.day = "Monday"
    linode.save()
    assert sent.sent[0].body == {"backups": {"schedule": {"day": "Monday"}}}
    with pytest.raises(AttributeError, match="read-only"):
        linode.backups.enabled = True


def test_read_only_and_unknown_assignments_raise(
    client: LinodeClient, sent: RequestRecorder
) -> None:
    linode = Linode(client, new_linode(client).id)
    sent.clear()
    with pytest.raises(AttributeError, match="status is read-only"):
        linode.status = "running"  # type: ignore[misc]
    with pytest.raises(AttributeError, match="no attribute 'lable'"):
        linode.lable = "typo"
    with pytest.raises(AttributeError, match="read-only"):
        linode.specs.memory = 1  # type: ignore[union-attr]
    with pytest.raises(AttributeError):
        linode.id = 5  # type: ignore[misc]
    assert len(sent) == 1  # reading specs loaded the object; no assignment sent anything


def test_lazy_load_keeps_unsaved_change(client: LinodeClient, sent: RequestRecorder) -> None:
    linode_id = new_linode(client).id
    sent.clear()

    linode = Linode(client, linode_id)
    linode.label = "local-change"
    assert len(sent) == 0  # assigning sends nothing

    assert linode.status  # triggers the load
    assert len(sent) == 1
    assert linode.label == "local-change"
    linode.alerts.cpu = 55
    other = Linode(client, linode_id)
    other.alerts.io = 2000
    other.save()  # a concurrent edit of another nested field

    linode.reload()
    assert linode.label == "local-change"
    assert linode.alerts.cpu == 55
    assert linode.alerts.io == 2000
    assert linode.pending_changes() == {"label": "local-change", "alerts": {"cpu": 55}}


def test_invalidate_drops_data_and_changes(client: LinodeClient, sent: RequestRecorder) -> None:
    linode = new_linode(client)
    linode.label = "unsaved"
    sent.clear()

    linode.invalidate()
    assert len(sent) == 0
    assert linode.id is not None
    assert not linode.loaded

    assert linode.label == "web1"
    assert len(sent) == 1


def test_delete_then_not_found(client: LinodeClient, sent: RequestRecorder) -> None:
    linode = new_linode(client)
    linode.delete()
    assert ("DELETE", f"/linode/instances/{linode.id}") in sent.calls()

    with pytest.raises(NotFoundError) as caught:
        Linode(client, 999999).label  # noqa: B018
    assert caught.value.status == 404
    assert "GET /linode/instances/999999" in str(caught.value)


def test_missing_id_rejected(client: LinodeClient) -> None:
    with pytest.raises(ValueError, match="needs an id"):
        Linode(client, None)
    with pytest.raises(TypeError, match="linode_id"):
        Disk(client, 1)  # type: ignore[call-arg]


def test_derived_objects_and_collections(client: LinodeClient, sent: RequestRecorder) -> None:
    linode = new_linode(client)
    sent.clear()

    disks = linode.disks
    assert len(disks) >= 1
    assert all(isinstance(disk, Disk) for disk in disks)
    assert disks[0].linode_id == linode.id
    configs = linode.configs
    assert len(configs) >= 1
    assert isinstance(configs[0], Config)
    ips = linode.ips
    assert [ip.address for ip in ips.ipv4.public] == linode.ipv4[:1]
    assert isinstance(ips.ipv4.public[0], IPAddress)
    calls = sent.calls()
    assert calls == [
        ("GET", f"/linode/instances/{linode.id}/disks"),
        ("GET", f"/linode/instances/{linode.id}/configs"),
        ("GET", f"/linode/instances/{linode.id}/ips"),
    ]

    assert linode.disks is disks
    assert len(linode.disks) == len(disks)
    assert linode.ips is ips
    assert len(sent) == 3

    linode.invalidate()
    assert len(linode.disks) == len(disks)
    assert len(sent) == 4  # the Linode itself is not loaded; only the disk list is fetched again


def test_derived_object_loads_by_parent_id(client: LinodeClient, sent: RequestRecorder) -> None:
    linode = new_linode(client)
    disk_id = linode.disks[0].id
    sent.clear()

    disk = Disk(client, disk_id, linode.id)
    assert len(sent) == 0
    assert disk.size > 0
    assert sent.calls() == [("GET", f"/linode/instances/{linode.id}/disks/{disk_id}")]
    assert isinstance(disk.created, datetime)


def test_profile_and_account(client: LinodeClient, sent: RequestRecorder) -> None:
    profile = client.profile()
    account = client.account()
    assert len(sent) == 0
    assert profile.username
    assert account.email
    assert sent.calls() == [("GET", "/profile"), ("GET", "/account")]
    assert profile.id == profile.uid


def test_nested_values_read_like_dicts(client: LinodeClient) -> None:
    linode = new_linode(client)
    assert linode.specs.get("memory") == 1024
    assert linode.specs.get("no-such-key") is None
    assert "vcpus" in linode.specs
    assert sorted(linode.specs)[0] == "disk"
    assert linode.specs == linode.specs.to_dict()
    nanode = Type(client, "g6-nanode-1")
    assert nanode.region_prices[0].get("monthly") > 0
    assert nanode.region_prices[0].get("missing", 0) == 0
