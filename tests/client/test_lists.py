"""Paginated lists and filters against the fake, counting the requests sent."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from linode_api import Filter, Linode, LinodeClient, Region
from linode_fake.testing import FakeHandle, run_fake
from tests.client.conftest import ROOT_PASS, RequestRecorder, make_client

BULK_COUNT = 1201


@pytest.fixture(scope="module")
def bulk_fake() -> Iterator[FakeHandle]:
    """A fake holding 1,201 Linodes: bulk0000 .. bulk1200, every tenth tagged "tenth"."""
    with run_fake(
        speed=100.0, instance_limit=BULK_COUNT + 10, rate_limits={"linode_create": (100000, 1.0)}
    ) as fake:
        client = LinodeClient(fake.token, fake.api_url)
        previous = logging.getLogger("linode_fake").level
        logging.getLogger("linode_fake").setLevel(logging.WARNING)
        try:
            for number in range(BULK_COUNT):
                tags = ["tenth"] if number % 10 == 0 else []
                region = "us-east" if number % 2 == 0 else "eu-west"
                client.create_linode(
                    "g6-nanode-1", region, label=f"bulk{number:04d}", tags=tags, booted=False
                )
        finally:
            logging.getLogger("linode_fake").setLevel(previous)
        yield fake


@pytest.fixture
def bulk(bulk_fake: FakeHandle) -> tuple[LinodeClient, RequestRecorder]:
    return make_client(bulk_fake)


def pages_requested(sent: RequestRecorder) -> list[str]:
    return [item.query["page"][0] for item in sent.sent]


def test_1201_linodes_cost_3_requests(bulk: tuple[LinodeClient, RequestRecorder]) -> None:
    client, sent = bulk
    linodes = client.get_linodes()
    assert len(sent) == 0  # nothing is sent until the list is used

    labels = [linode.label for linode in linodes]

    assert len(labels) == BULK_COUNT
    assert len(set(labels)) == BULK_COUNT
    assert len(sent) == 3
    assert pages_requested(sent) == ["1", "2", "3"]
    assert all(item.query["page_size"] == ["500"] for item in sent.sent)

    assert len(linodes) == BULK_COUNT
    assert [linode.label for linode in linodes] == labels
    assert linodes[1200].label == labels[1200]
    assert len(sent) == 3


def test_indexing_fetches_only_needed_pages(bulk: tuple[LinodeClient, RequestRecorder]) -> None:
    client, sent = bulk
    linodes = client.get_linodes()

    last = linodes[-1]
    assert pages_requested(sent) == ["1", "3"]
    assert linodes[1200] is last
    middle = linodes[700]
    assert pages_requested(sent) == ["1", "3", "2"]
    assert linodes[-501] is middle

    assert isinstance(last, Linode)
    assert last.loaded
    assert last.status == "offline"
    assert len(sent) == 3  # list items carry their data
    with pytest.raises(IndexError, match="out of range"):
        linodes[BULK_COUNT]
    with pytest.raises(IndexError):
        linodes[-BULK_COUNT - 1]


def test_slices_behave_like_a_list(bulk: tuple[LinodeClient, RequestRecorder]) -> None:
    client, sent = bulk
    linodes = client.get_linodes()
    everything = list(linodes)

    assert linodes[495:505] == everything[495:505]
    assert linodes[1195:5000] == everything[1195:5000]
    assert len(linodes[1195:5000]) == 6
    assert linodes[5000:6000] == []
    assert linodes[::400] == everything[::400]
    assert linodes[-3:] == everything[-3:]
    assert linodes[10:0:-3] == everything[10:0:-3]
    assert len(sent) == 3


def test_smaller_page_size(bulk_fake: FakeHandle) -> None:
    client, sent = make_client(bulk_fake, page_size=100)
    assert len(list(client.get_linodes())) == BULK_COUNT
    assert len(sent) == 13
    assert all(item.query["page_size"] == ["100"] for item in sent.sent)


def test_filtered_list_sends_x_filter(bulk: tuple[LinodeClient, RequestRecorder]) -> None:
    client, sent = bulk
    tagged = client.get_linodes(tags="tenth", order_by="label", order="desc")

    labels = [linode.label for linode in tagged]

    assert len(labels) == 121
    assert labels[0] == "bulk1200"
    assert labels == sorted(labels, reverse=True)
    assert json.loads(sent.sent[0].headers["X-Filter"]) == {
        "tags": "tenth",
        "+order_by": "label",
        "+order": "desc",
    }


def test_region_object_becomes_its_id(bulk: tuple[LinodeClient, RequestRecorder]) -> None:
    client, sent = bulk
    newark = Region(client, "us-east")
    in_newark = client.get_linodes(region=newark, tags="tenth")
    assert len(in_newark) == 121  # every tenth number is even, so in us-east
    assert len(client.get_linodes(region=Region(client, "eu-west"), tags="tenth")) == 0
    assert all(linode.region == newark for linode in in_newark)
    assert json.loads(sent.sent[0].headers["X-Filter"]) == {"region": "us-east", "tags": "tenth"}


def test_many_conditions_and_or(bulk: tuple[LinodeClient, RequestRecorder]) -> None:
    client, _ = bulk
    expected = [f"bulk{number:04d}" for number in (3, 14, 15, 92, 653)]
    by_label = client.get_linodes(Filter(label__in=expected))
    assert sorted(linode.label for linode in by_label) == expected

    contains = client.get_linodes(
        Filter(label__contains="bulk00") & (Filter(tags="tenth") | Filter(label="bulk0001"))
    )
    assert sorted(linode.label for linode in contains) == [
        "bulk0000", "bulk0001", "bulk0010", "bulk0020", "bulk0030", "bulk0040",
        "bulk0050", "bulk0060", "bulk0070", "bulk0080", "bulk0090",
    ]  # fmt: skip


def test_id_in_and_empty_results(bulk: tuple[LinodeClient, RequestRecorder]) -> None:
    client, sent = bulk
    first_three = client.get_linodes()[0:3]
    ids = [linode.id for linode in first_three]
    sent.clear()

    assert [linode.id for linode in client.get_linodes(id__in=ids)] == ids
    assert json.loads(sent.sent[0].headers["X-Filter"]) == {"+or": [{"id": i} for i in ids]}

    sent.clear()
    nothing = client.get_linodes(id__in=[])
    assert len(nothing) == 0
    assert list(nothing) == []
    assert not nothing
    assert nothing[0:5] == []
    assert nothing.first() is None
    assert len(sent) == 0  # an empty id list cannot match, so nothing is sent

    none_found = client.get_linodes(label="no-such-linode")
    assert len(none_found) == 0
    assert list(none_found) == []
    with pytest.raises(IndexError):
        none_found[0]
    assert len(sent) == 1


def test_catalog_lists_and_filters(client: LinodeClient, sent: RequestRecorder) -> None:
    regions = client.get_regions(country="us")
    assert len(regions) > 0
    assert all(region.country == "us" for region in regions)

    big = client.get_types(class_="standard", vcpus__gte=4)
    assert len(big) > 0
    assert all(t.class_ == "standard" and t.vcpus >= 4 for t in big)
    assert json.loads(sent.sent[-1].headers["X-Filter"]) == {
        "class": "standard",
        "vcpus": {"+gte": 4},
    }

    debian = client.get_images(vendor="Debian", is_public=True)
    assert len(debian) > 0
    assert all(image.vendor == "Debian" for image in debian)


def test_events_filtered_by_entity(client: LinodeClient) -> None:
    first = client.create_linode("g6-nanode-1", "us-east", "linode/debian12", root_pass=ROOT_PASS)
    second = client.create_linode("g6-nanode-1", "us-east", "linode/debian12", root_pass=ROOT_PASS)

    events = client.get_events(entity__id=first.id, entity__type="linode")

    assert len(events) >= 1
    assert all(event.entity.id == first.id for event in events)
    assert second.id not in [event.entity.id for event in events]
    assert events[0].created.tzinfo is UTC

    hour_ago = datetime.now(UTC) - timedelta(hours=1)
    recent = client.get_events(created__gt=hour_ago, action="linode_create", order_by="-created")
    assert {event.entity.id for event in recent} >= {first.id, second.id}


def test_bad_filter_reports_api_reason(client: LinodeClient) -> None:
    from linode_api import BadRequestError

    with pytest.raises(BadRequestError) as caught:
        len(client.get_linodes(hypervisor="kvm"))
    assert "GET /linode/instances" in str(caught.value)
    assert caught.value.field_errors.get("X-Filter")
