"""The X-Filter header: every operator, sorting, and the filterable-field check."""

from __future__ import annotations

from typing import Any

import pytest

from linode_fake.testing import FakeHandle
from tests.fake.helpers import create_linode, errors_by_field, get


@pytest.fixture
def fleet(linode_fake: FakeHandle) -> FakeHandle:
    create_linode(linode_fake, label="alpha-web", tags=["reseller", "web"], region="us-east")
    create_linode(linode_fake, label="beta-db", tags=["reseller", "database"], region="eu-west")
    create_linode(linode_fake, label="gamma-web", tags=["other"], region="us-east")
    return linode_fake


def labels(fake: FakeHandle, xfilter: Any) -> list[str]:
    response = get(fake, "/linode/instances", xfilter=xfilter)
    assert response.status_code == 200, response.text
    return [item["label"] for item in response.json()["data"]]


def type_ids(fake: FakeHandle, xfilter: Any) -> list[str]:
    response = get(fake, "/linode/types", xfilter=xfilter)
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["data"]]


def test_equality_on_scalar_field(fleet: FakeHandle) -> None:
    assert labels(fleet, {"region": "eu-west"}) == ["beta-db"]


def test_equality_on_list_field_matches_an_element(fleet: FakeHandle) -> None:
    assert labels(fleet, {"tags": "reseller"}) == ["alpha-web", "beta-db"]


def test_several_keys_are_anded(fleet: FakeHandle) -> None:
    assert labels(fleet, {"tags": "reseller", "region": "us-east"}) == ["alpha-web"]


def test_and_operator(fleet: FakeHandle) -> None:
    xfilter = {"+and": [{"region": "us-east"}, {"tags": "web"}]}

    assert labels(fleet, xfilter) == ["alpha-web"]


def test_or_operator(fleet: FakeHandle) -> None:
    xfilter = {"+or": [{"label": "beta-db"}, {"label": "gamma-web"}]}

    assert labels(fleet, xfilter) == ["beta-db", "gamma-web"]


def test_nested_operators(fleet: FakeHandle) -> None:
    xfilter = {"+or": [{"+and": [{"region": "us-east"}, {"tags": "other"}]}, {"tags": "database"}]}

    assert labels(fleet, xfilter) == ["beta-db", "gamma-web"]


def test_contains_on_string_field(fleet: FakeHandle) -> None:
    assert labels(fleet, {"label": {"+contains": "web"}}) == ["alpha-web", "gamma-web"]


def test_contains_on_list_field(fleet: FakeHandle) -> None:
    assert labels(fleet, {"tags": {"+contains": "sell"}}) == ["alpha-web", "beta-db"]


def test_neq_operator(fleet: FakeHandle) -> None:
    assert labels(fleet, {"region": {"+neq": "us-east"}}) == ["beta-db"]


def test_neq_on_list_field_excludes_tagged(fleet: FakeHandle) -> None:
    assert labels(fleet, {"tags": {"+neq": "reseller"}}) == ["gamma-web"]


@pytest.mark.parametrize(
    ("operator", "expected"),
    [
        ("+gt", {"g6-standard-2"}),
        ("+gte", {"g6-standard-1", "g6-standard-2"}),
        ("+lt", {"g6-nanode-1"}),
        ("+lte", {"g6-nanode-1", "g6-standard-1"}),
    ],
)
def test_numeric_comparisons(linode_fake: FakeHandle, operator: str, expected: set[str]) -> None:
    ids = {"g6-nanode-1", "g6-standard-1", "g6-standard-2"}
    xfilter = {
        "+and": [
            {"+or": [{"label": "Nanode 1GB"}, {"label": "Linode 2GB"}, {"label": "Linode 4GB"}]},
            {"memory": {operator: 2048}},
        ]
    }

    result = set(type_ids(linode_fake, xfilter))

    assert result == expected
    assert result <= ids


def test_comparison_on_datetime_string(fleet: FakeHandle) -> None:
    response = get(fleet, "/account/events", xfilter={"created": {"+gte": "2000-01-01T00:00:00"}})

    assert response.status_code == 200
    assert response.json()["results"] == 3


def test_order_by_with_descending_order(fleet: FakeHandle) -> None:
    xfilter = {"+order_by": "label", "+order": "desc"}

    assert labels(fleet, xfilter) == ["gamma-web", "beta-db", "alpha-web"]


def test_order_by_defaults_to_ascending(fleet: FakeHandle) -> None:
    assert labels(fleet, {"+order_by": "region"})[0] == "beta-db"


def test_dotted_field_on_events(fleet: FakeHandle) -> None:
    linode = fleet.instances()[1]
    xfilter = {
        "entity.id": linode["id"],
        "entity.type": "linode",
        "action": "linode_create",
        "+order_by": "created",
        "+order": "asc",
    }

    data = get(fleet, "/account/events", xfilter=xfilter).json()["data"]

    assert len(data) == 1
    assert data[0]["entity"]["label"] == "beta-db"


def test_region_site_type_accepts_both_spellings(linode_fake: FakeHandle) -> None:
    for key in ("site_type", "site-type"):
        response = get(linode_fake, "/regions", xfilter={key: "core"})
        assert response.status_code == 200
        assert response.json()["results"] > 0


@pytest.mark.parametrize(
    ("xfilter", "reason"),
    [
        ({"status": "running"}, "Cannot filter on status"),
        ({"+or": [{"type": "g6-nanode-1"}]}, "Cannot filter on type"),
        ({"+order_by": "created"}, "Cannot filter on created"),
        ({"tags": ["a", "b"]}, "Tags filter must be a string or dict"),
        ("{not json", "X-Filter must be valid JSON"),
        ({"label": {"+between": 1}}, "Unknown filter operator '+between' on label"),
        ({"+order": "sideways"}, "+order must be 'asc' or 'desc', got 'sideways'"),
        ({"id": {"+gt": "x", "+lt": 3}}, "Filter on id must have exactly one operator"),
    ],
)
def test_bad_filter_is_400_naming_x_filter(fleet: FakeHandle, xfilter: Any, reason: str) -> None:
    response = get(fleet, "/linode/instances", xfilter=xfilter)

    assert response.status_code == 400
    assert errors_by_field(response) == {"X-Filter": [reason]}


def test_image_status_cannot_be_a_sort_key(linode_fake: FakeHandle) -> None:
    assert get(linode_fake, "/images", xfilter={"status": "available"}).status_code == 200

    response = get(linode_fake, "/images", xfilter={"+order_by": "status"})

    assert response.status_code == 400
    assert errors_by_field(response) == {"X-Filter": ["Cannot order by status"]}


def test_filter_applies_before_pagination(linode_fake: FakeHandle) -> None:
    linode_fake.seed_instances(60, tags=["bulk"], label_prefix="bulk")
    linode_fake.seed_instances(40, label_prefix="plain")

    body = get(linode_fake, "/linode/instances", xfilter={"tags": "bulk"}, page_size=25).json()

    assert body["results"] == 60
    assert body["pages"] == 3
    assert all(item["tags"] == ["bulk"] for item in body["data"])
