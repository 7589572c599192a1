"""Request validation: 400 responses name the field; malformed JSON; 404 and 405."""

from __future__ import annotations

import pytest
import requests

from linode_fake.testing import FakeHandle
from tests.fake.helpers import (
    STRONG_PASSWORD,
    auth,
    create_linode,
    errors_by_field,
    get,
    post,
    put,
)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"type": None}, "type"),
        ({"region": None}, "region"),
        ({"type": "g6-imaginary-1"}, "type"),
        ({"region": "mars-north"}, "region"),
        ({"image": "linode/windows95"}, "image"),
        ({"type": "g7-premium-2", "region": "ca-central"}, "type"),
        ({"type": 5}, "type"),
        ({"label": "1starts-with-digit"}, "label"),
        ({"label": "ab"}, "label"),
        ({"label": "double--dash"}, "label"),
        ({"label": "ends-with-dash-"}, "label"),
        ({"label": "has space"}, "label"),
        ({"label": "x" * 65}, "label"),
        ({"root_pass": None}, "root_pass"),
        ({"root_pass": "Sh0rt!pw"}, "root_pass"),
        ({"root_pass": "password1234"}, "root_pass"),
        ({"booted": "yes"}, "booted"),
        ({"tags": "reseller"}, "tags"),
        ({"tags": ["ab"]}, "tags"),
        ({"firewall_id": 4242}, "firewall_id"),
        ({"root_pass": None, "authorized_keys": ["ssh-rsa not-a-key"]}, "authorized_keys"),
        ({"authorized_keys": ["just some text"]}, "authorized_keys"),
        ({"stackscript_id": 4242}, "stackscript_id"),
        ({"metadata": {"user_data": "not base64!"}}, "metadata.user_data"),
        ({"interfaces": [{"purpose": "satellite"}]}, "interfaces[0].purpose"),
    ],
)
def test_invalid_create_names_field(linode_fake: FakeHandle, fields: dict, field: str) -> None:
    response = create_linode(linode_fake, **fields)

    assert response.status_code == 400
    assert field in errors_by_field(response)
    assert linode_fake.instances() == []


def test_weak_password_reason_matches_api(linode_fake: FakeHandle) -> None:
    response = create_linode(linode_fake, root_pass="aaaaaaaaaaaaaaa")

    assert errors_by_field(response) == {
        "root_pass": ["Password does not meet strength requirement"]
    }
    assert "aaaaaaaaaaaaaaa" not in response.text


def test_several_errors_come_back_together(linode_fake: FakeHandle) -> None:
    response = create_linode(linode_fake, type="nope", region="nowhere", label="-")

    assert set(errors_by_field(response)) == {"type", "region", "label"}


def test_authorized_keys_replace_root_pass(linode_fake: FakeHandle) -> None:
    key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGx0ZXN0a2V5 test@example"

    response = create_linode(linode_fake, root_pass=None, authorized_keys=[key])

    assert response.status_code == 200


def test_user_data_needs_cloud_init_image(linode_fake: FakeHandle) -> None:
    user_data = "I2Nsb3VkLWNvbmZpZwo="  # "#cloud-config\n"

    accepted = create_linode(linode_fake, metadata={"user_data": user_data})
    rejected = create_linode(linode_fake, image="linode/arch", metadata={"user_data": user_data})

    assert accepted.status_code == 200
    assert accepted.json()["has_user_data"] is True
    assert rejected.status_code == 400
    assert "metadata.user_data" in errors_by_field(rejected)


def test_stackscript_deploy_checks_udfs(linode_fake: FakeHandle) -> None:
    script = '#!/bin/bash\n# <UDF name="app_name" label="Application" example="shop" />\n'
    stackscript = post(
        linode_fake,
        "/linode/stackscripts",
        {"label": "installer", "images": ["linode/debian12"], "script": script},
    ).json()
    assert stackscript["user_defined_fields"][0]["name"] == "app_name"

    missing = create_linode(linode_fake, stackscript_id=stackscript["id"])
    wrong_image = create_linode(
        linode_fake,
        stackscript_id=stackscript["id"],
        image="linode/ubuntu24.04",
        stackscript_data={"app_name": "shop"},
    )
    good = create_linode(
        linode_fake, stackscript_id=stackscript["id"], stackscript_data={"app_name": "shop"}
    )

    assert "stackscript_data.app_name" in errors_by_field(missing)
    assert "image" in errors_by_field(wrong_image)
    assert good.status_code == 200
    deployed = get(linode_fake, f"/linode/stackscripts/{stackscript['id']}").json()
    assert deployed["deployments_total"] == 1


def test_update_rejects_bad_fields_and_changes_nothing(linode_fake: FakeHandle) -> None:
    linode_id = create_linode(linode_fake, label="stable").json()["id"]

    response = put(
        linode_fake, f"/linode/instances/{linode_id}", {"label": "new-name", "alerts": {"cpu": -1}}
    )

    assert response.status_code == 400
    assert "alerts.cpu" in errors_by_field(response)
    assert linode_fake.instances()[0]["label"] == "stable"


def test_update_ignores_read_only_fields(linode_fake: FakeHandle) -> None:
    linode = create_linode(linode_fake).json()

    response = put(linode_fake, f"/linode/instances/{linode['id']}", {"status": "running", "id": 1})

    assert response.status_code == 200
    assert response.json()["id"] == linode["id"]
    assert response.json()["status"] == "provisioning"


@pytest.mark.parametrize("body", ["{not json", "[1, 2]", '"text"'])
def test_malformed_json_is_400(linode_fake: FakeHandle, body: str) -> None:
    headers = {**auth(linode_fake.token), "Content-Type": "application/json"}

    response = requests.post(
        linode_fake.api_url + "/linode/instances", data=body, headers=headers, timeout=10
    )

    assert response.status_code == 400
    assert response.json()["errors"][0]["reason"]


def test_missing_body_is_400(linode_fake: FakeHandle) -> None:
    response = requests.post(
        linode_fake.api_url + "/linode/instances", headers=auth(linode_fake.token), timeout=10
    )

    assert response.status_code == 400


def test_wrong_method_is_405(linode_fake: FakeHandle) -> None:
    response = requests.patch(
        linode_fake.api_url + "/linode/instances", headers=auth(linode_fake.token), timeout=10
    )

    assert response.status_code == 405
    assert response.json() == {"errors": [{"reason": "Method Not Allowed"}]}
    assert "GET" in response.headers["Allow"]


@pytest.mark.parametrize(
    "path",
    [
        "/no/such/collection",
        "/regions/mars-north",
        "/linode/types/g6-huge-99",
        "/images/linode/windows95",
        "/account/events/77",
        "/linode/stackscripts/77",
        "/networking/firewalls/77",
    ],
)
def test_unknown_ids_are_404(linode_fake: FakeHandle, path: str) -> None:
    response = get(linode_fake, path)

    assert response.status_code == 404
    assert response.json() == {"errors": [{"reason": "Not found"}]}


def test_firewall_rules_are_validated(linode_fake: FakeHandle) -> None:
    rules = {
        "inbound_policy": "DROP",
        "outbound_policy": "SIDEWAYS",
        "inbound": [
            {
                "action": "ACCEPT",
                "protocol": "TCP",
                "ports": "80-22",
                "addresses": {"ipv4": ["0.0.0.0/0"]},
            },
            {
                "action": "ACCEPT",
                "protocol": "ICMP",
                "ports": "1",
                "addresses": {"ipv4": ["0.0.0.0/0"]},
            },
            {"action": "DROP", "protocol": "UDP", "addresses": {"ipv6": ["10.0.0.0/8"]}},
        ],
    }

    response = post(linode_fake, "/networking/firewalls", {"label": "fw-main", "rules": rules})

    assert response.status_code == 400
    assert set(errors_by_field(response)) == {
        "rules.outbound_policy",
        "rules.inbound[0].ports",
        "rules.inbound[1].ports",
        "rules.inbound[2].addresses.ipv6",
    }


def test_firewall_at_create_and_devices(linode_fake: FakeHandle) -> None:
    rules = {"inbound_policy": "DROP", "outbound_policy": "ACCEPT", "inbound": [], "outbound": []}
    firewall = post(linode_fake, "/networking/firewalls", {"label": "fw-main", "rules": rules})
    assert firewall.status_code == 200
    firewall_id = firewall.json()["id"]

    linode_id = create_linode(linode_fake, firewall_id=firewall_id).json()["id"]
    devices = get(linode_fake, f"/networking/firewalls/{firewall_id}/devices").json()["data"]
    again = post(
        linode_fake,
        f"/networking/firewalls/{firewall_id}/devices",
        {"id": linode_id, "type": "linode"},
    )

    assert [device["entity"]["id"] for device in devices] == [linode_id]
    assert again.status_code == 400
    assert create_linode(linode_fake, root_pass=STRONG_PASSWORD).status_code == 200
