"""Responses the fake does not produce, simulated with `responses`.

The fake serves the documented schema only, so fields and status values of a
newer API, and GET /tags/{label} (which it does not serve), are simulated here.
"""

from __future__ import annotations

import pytest
import responses

from linode_api import Linode, LinodeClient, Record, Tag, Type

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
    assert linode.hypervisor is None  # documented but absent from this response
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


@responses.activate
def test_tag_objects_lists_tagged_linodes() -> None:
    client = LinodeClient("token-for-tags", BASE)
    responses.get(
        BASE + "/tags/reseller",
        json={
            "data": [
                {"type": "linode", "data": {"id": 7, "label": "shop-7", "status": "running"}},
                {"type": "domain", "data": {"id": 9, "domain": "example.org"}},
            ],
            "page": 1,
            "pages": 1,
            "results": 2,
        },
    )
    tag = Tag(client, "reseller")
    assert tag.label == "reseller"
    assert len(responses.calls) == 0  # a tag's only field is its label

    objects = list(tag.objects)

    assert isinstance(objects[0], Linode)
    assert objects[0].label == "shop-7"
    assert isinstance(objects[1], Record)
    assert objects[1].data.domain == "example.org"
    assert len(responses.calls) == 1
    assert list(tag.objects) == objects
    assert len(responses.calls) == 1


@responses.activate
def test_delete_accepts_204_and_200() -> None:
    client = LinodeClient("token-for-delete", BASE)
    responses.delete(BASE + "/linode/instances/5", status=204)
    responses.delete(BASE + "/linode/instances/6", json={})

    Linode(client, 5).delete()
    Linode(client, 6).delete()

    assert [call.request.method for call in responses.calls] == ["DELETE", "DELETE"]
