"""Creating objects and acting on Linodes against the fake."""

from __future__ import annotations

import base64

import pytest

from linode_api import (
    BadRequestError,
    Firewall,
    Linode,
    LinodeClient,
    StackScript,
    Tag,
    Type,
    generate_root_password,
)
from linode_fake.testing import FakeHandle
from tests.client.conftest import ROOT_PASS, RequestRecorder

FIREWALL_RULES = {
    "inbound_policy": "DROP",
    "outbound_policy": "ACCEPT",
    "inbound": [
        {
            "action": "ACCEPT",
            "protocol": "TCP",
            "ports": "22, 80, 443",
            "addresses": {"ipv4": ["0.0.0.0/0"], "ipv6": ["::/0"]},
            "label": "ssh-and-web",
        }
    ],
    "outbound": [],
}


def running_linode(client: LinodeClient, fake: FakeHandle, **options: object) -> Linode:
    linode = client.create_linode(
        "g6-nanode-1", "us-east", "linode/debian12", root_pass=ROOT_PASS, **options
    )
    fake.clock.advance(600)
    assert linode.reload().status == "running"
    return linode


def test_create_with_image_needs_credentials(client: LinodeClient, sent: RequestRecorder) -> None:
    with pytest.raises(ValueError, match="root_pass or authorized_keys"):
        client.create_linode("g6-nanode-1", "us-east", "linode/debian12")
    with pytest.raises(ValueError, match="only when an image is given"):
        client.create_linode("g6-nanode-1", "us-east", root_pass=ROOT_PASS)
    with pytest.raises(ValueError, match="list of strings"):
        client.create_linode(
            "g6-nanode-1", "us-east", "linode/debian12", root_pass=ROOT_PASS, tags="reseller"
        )
    assert len(sent) == 0


def test_create_returns_linode_not_tuple(client: LinodeClient, sent: RequestRecorder) -> None:
    linode = client.create_linode(
        Type(client, "g6-nanode-1"),
        "us-east",
        "linode/debian12",
        root_pass=ROOT_PASS,
        label="shop-1",
        tags=["reseller", "customer-42"],
    )
    assert isinstance(linode, Linode)
    assert linode.label == "shop-1"
    assert linode.status == "provisioning"
    body = sent.sent[0].body
    assert body["type"] == "g6-nanode-1"
    assert body["root_pass"] == ROOT_PASS
    assert body["booted"] is True
    assert body["tags"] == ["reseller", "customer-42"]


def test_create_without_image_sends_no_credentials(
    client: LinodeClient, sent: RequestRecorder
) -> None:
    linode = client.create_linode("g6-nanode-1", "us-east", label="empty-1")
    assert sent.sent[0].body == {"type": "g6-nanode-1", "region": "us-east", "label": "empty-1"}
    assert linode.status == "offline"


def test_create_with_keys_only(client: LinodeClient, sent: RequestRecorder) -> None:
    key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHh0ZXN0a2V5Zm9ydGhlY2xpZW50dGVzdHM customer@laptop"
    linode = client.create_linode(
        "g6-nanode-1", "us-east", "linode/debian12", authorized_keys=[key]
    )
    body = sent.sent[0].body
    assert body["authorized_keys"] == [key]
    assert len(body["root_pass"]) == 32
    assert linode.id


def test_create_with_user_data_and_stackscript(client: LinodeClient, sent: RequestRecorder) -> None:
    script = client.create_stackscript(
        "portal-setup",
        '#!/bin/bash\n# <UDF name="greeting" label="Greeting" example="hi" />\necho "$GREETING"\n',
        ["linode/debian12"],
        description="Sets up the portal's software",
    )
    assert isinstance(script, StackScript)
    assert script.images == ["linode/debian12"]
    assert script.mine is True

    cloud_config = "#cloud-config\npackages: [nginx]\n"
    linode = client.create_linode(
        "g6-nanode-1",
        "us-east",
        "linode/debian12",
        root_pass=ROOT_PASS,
        stackscript=script,
        stackscript_data={"greeting": "hello"},
        user_data=cloud_config,
    )
    body = sent.sent[-1].body
    assert body["stackscript_id"] == script.id
    assert base64.b64decode(body["metadata"]["user_data"]).decode() == cloud_config
    assert linode.has_user_data is True
    assert StackScript(client, script.id).label == "portal-setup"


def test_weak_password_reports_field(client: LinodeClient) -> None:
    with pytest.raises(BadRequestError) as caught:
        client.create_linode("g6-nanode-1", "us-east", "linode/debian12", root_pass="password1")
    assert "root_pass" in caught.value.field_errors
    assert "POST /linode/instances" in str(caught.value)


def test_generated_password_passes_the_api(client: LinodeClient) -> None:
    linode = client.create_linode(
        "g6-nanode-1", "us-east", "linode/debian12", root_pass=generate_root_password()
    )
    assert linode.status == "provisioning"


def test_power_actions(client: LinodeClient, fake: FakeHandle, sent: RequestRecorder) -> None:
    linode = running_linode(client, fake)
    sent.clear()

    linode.shutdown()
    assert sent.calls() == [("POST", f"/linode/instances/{linode.id}/shutdown")]
    assert linode.status == "shutting_down"  # the action marked the data stale
    fake.clock.advance(600)
    assert linode.reload().status == "offline"

    linode.boot()
    assert linode.status == "booting"
    fake.clock.advance(600)
    assert linode.reload().status == "running"

    config = linode.configs[0]
    linode.reboot(config)
    assert sent.sent[-1].body == {"config_id": config.id}
    assert linode.status == "rebooting"


def test_reset_root_password_needs_offline(client: LinodeClient, fake: FakeHandle) -> None:
    linode = running_linode(client, fake)
    with pytest.raises(BadRequestError):
        linode.reset_root_password(generate_root_password())
    linode.shutdown()
    fake.clock.advance(600)
    linode.reset_root_password(generate_root_password())
    with pytest.raises(ValueError, match="non-empty"):
        linode.reset_root_password("")


def test_rebuild_and_resize(client: LinodeClient, fake: FakeHandle, sent: RequestRecorder) -> None:
    linode = running_linode(client, fake)
    disks_before = [disk.id for disk in linode.disks]

    with pytest.raises(ValueError, match="root_pass or authorized_keys"):
        linode.rebuild("linode/ubuntu24.04")
    linode.rebuild("linode/ubuntu24.04", root_pass=generate_root_password())
    assert linode.image.id == "linode/ubuntu24.04"
    assert linode.status == "rebuilding"
    assert [disk.id for disk in linode.disks] != disks_before  # related lists were dropped

    fake.clock.advance(600)
    linode.reload()
    linode.resize("g6-standard-1")
    assert sent.sent[-1].body == {"type": "g6-standard-1", "allow_auto_disk_resize": True}
    fake.clock.advance(3600)
    assert linode.reload().type.id == "g6-standard-1"
    with pytest.raises(ValueError, match="'cold' or 'warm'"):
        linode.resize("g6-standard-2", migration_type="hot")


def test_transfer_and_stats(client: LinodeClient, fake: FakeHandle) -> None:
    linode = running_linode(client, fake)
    transfer = linode.transfer()
    assert transfer.used >= 0
    assert transfer.quota >= 0
    stats = linode.stats()
    assert isinstance(stats.cpu, list)


def test_firewall_create_and_attach(client: LinodeClient, fake: FakeHandle) -> None:
    linode = running_linode(client, fake)
    firewall = client.create_firewall("portal-default", FIREWALL_RULES, tags=["portal"])
    assert isinstance(firewall, Firewall)
    assert firewall.status == "enabled"
    assert firewall.rules.inbound_policy == "DROP"

    device = firewall.add_device(linode)
    assert device.entity.id == linode.id
    assert [d.entity.id for d in firewall.devices] == [linode.id]
    assert [f.label for f in client.get_firewalls(label="portal-default")] == ["portal-default"]

    second = client.create_linode(
        "g6-nanode-1", "us-east", "linode/debian12", root_pass=ROOT_PASS, firewall=firewall
    )
    firewall.invalidate()
    assert sorted(d.entity.id for d in firewall.devices) == sorted([linode.id, second.id])


def test_tags_list(client: LinodeClient) -> None:
    client.create_linode(
        "g6-nanode-1", "us-east", "linode/debian12", root_pass=ROOT_PASS, tags=["reseller"]
    )
    tags = client.get_tags()
    assert [tag.label for tag in tags] == ["reseller"]
    assert tags[0] == Tag(client, "reseller")
    assert tags[0].label == "reseller"


def test_firewall_and_stackscript_save(client: LinodeClient, sent: RequestRecorder) -> None:
    firewall = client.create_firewall("fw-before", FIREWALL_RULES)
    script = client.create_stackscript("ss-before", "#!/bin/bash\n", ["linode/debian12"])
    sent.clear()

    firewall.label = "fw-after"
    firewall.save()
    script.description = "Installs nothing"
    script.save()

    assert sent.calls() == [
        ("PUT", f"/networking/firewalls/{firewall.id}"),
        ("PUT", f"/linode/stackscripts/{script.id}"),
    ]
    assert sent.sent[0].body == {"label": "fw-after"}
    assert sent.sent[1].body == {"description": "Installs nothing"}
    assert Firewall(client, firewall.id).label == "fw-after"
    assert StackScript(client, script.id).description == "Installs nothing"
    with pytest.raises(AttributeError, match="read-only"):
        script.deployments_total = 5  # type: ignore[misc]


def test_event_mark_seen(client: LinodeClient) -> None:
    client.create_linode("g6-nanode-1", "us-east", "linode/debian12", root_pass=ROOT_PASS)
    event = client.get_events()[0]
    assert event.seen is False
    event.mark_seen()
    assert event.reload().seen is True
