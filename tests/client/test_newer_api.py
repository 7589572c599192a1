"""Fields and status values from a newer API are kept (simulated with `responses`,
because the fake serves exactly the documented schema)."""

from __future__ import annotations

import pytest
import responses

from linode_api import Linode, LinodeClient, Record, Type

BASE = "http://127.0.0.1:9/v4"


@responses.activate
def test_unknown_fields_and_status_are_kept() -> None:
    client = LinodeClient("token-for-newer-api", BASE)
    responses.get(
        BASE + "/linode/instances/5",
        json={
            "id": 5,
            "label": "web5",
            "status": "edit_mode",
            "region": "us-east",
            "disk_encryption": "enabled",
            "interface_generation": {"version": 2, "legacy": False},
            "maintenance_policy": ["notify", "migrate"],
        },
    )
    linode = Linode(client, 5)

    assert linode.status == "edit_mode"
    assert linode.disk_encryption == "enabled"
    assert linode.interface_generation.version == 2
    assert linode.maintenance_policy == ["notify", "migrate"]
    assert linode.hypervisor is None  # documented but absent in this answer
    with pytest.raises(AttributeError, match="no attribute 'not_there'"):
        linode.not_there  # noqa: B018
    with pytest.raises(AttributeError, match="that can be assigned"):
        linode.disk_encryption = "disabled"
    assert len(responses.calls) == 1


@responses.activate
def test_list_of_objects_reads_as_records() -> None:
    client = LinodeClient("token-for-newer-api", BASE)
    responses.get(
        BASE + "/linode/types/g6-nanode-1",
        json={"id": "g6-nanode-1", "region_prices": [{"id": "br-gru", "monthly": 7.0}]},
    )
    nanode = Type(client, "g6-nanode-1")
    assert isinstance(nanode.region_prices[0], Record)
    assert nanode.region_prices[0].monthly == 7.0
    with pytest.raises(AttributeError, match="read-only"):
        nanode.region_prices[0].monthly = 1
