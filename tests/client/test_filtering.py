"""Building X-Filter values from keywords, Filter objects and sorting options."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from linode_api import Filter, and_, or_
from linode_api.filtering import MATCH_NOTHING, build_x_filter


def test_keywords_become_one_and_dict() -> None:
    assert build_x_filter(keywords={"region": "us-east", "tags": "reseller"}) == {
        "region": "us-east",
        "tags": "reseller",
    }


def test_lookups_map_to_operators() -> None:
    when = datetime(2024, 5, 1, 12, 30, 5, tzinfo=UTC)
    tree = build_x_filter(
        keywords={
            "label__contains": "web",
            "label__neq": "old",
            "created__gt": when,
            "vcpus__gte": 2,
            "memory__lt": 4096,
            "disk__lte": 81920,
        }
    )
    assert tree == {
        "+and": [
            {"label": {"+contains": "web"}},
            {"label": {"+neq": "old"}},
            {"created": {"+gt": "2024-05-01T12:30:05"}},
            {"vcpus": {"+gte": 2}},
            {"memory": {"+lt": 4096}},
            {"disk": {"+lte": 81920}},
        ]
    }


def test_distinct_fields_merge_same_field_uses_and() -> None:
    assert build_x_filter(keywords={"label__contains": "web", "region": "us-east"}) == {
        "label": {"+contains": "web"},
        "region": "us-east",
    }
    assert build_x_filter(
        keywords={"created__gt": "2024-01-01T00:00:00", "created__lt": "2024-02-01T00:00:00"}
    ) == {
        "+and": [
            {"created": {"+gt": "2024-01-01T00:00:00"}},
            {"created": {"+lt": "2024-02-01T00:00:00"}},
        ]
    }


def test_in_becomes_or_and_empty_in_matches_nothing() -> None:
    assert build_x_filter(keywords={"id__in": [1, 2, 3]}) == {
        "+or": [{"id": 1}, {"id": 2}, {"id": 3}]
    }
    assert build_x_filter(keywords={"id__in": [7]}) == {"id": 7}
    assert build_x_filter(keywords={"id__in": []}) is MATCH_NOTHING
    assert build_x_filter(keywords={"id__in": [], "label": "x"}) is MATCH_NOTHING


def test_nested_fields_use_dots() -> None:
    assert build_x_filter(keywords={"entity__id": 123, "entity__type": "linode"}) == {
        "entity.id": 123,
        "entity.type": "linode",
    }


def test_aware_datetimes_are_converted_to_utc() -> None:
    plus_two = timezone(timedelta(hours=2))
    tree = build_x_filter(keywords={"created__gte": datetime(2024, 1, 1, 2, 0, tzinfo=plus_two)})
    assert tree == {"created": {"+gte": "2024-01-01T00:00:00"}}


def test_naive_datetime_rejected() -> None:
    with pytest.raises(ValueError, match="no time zone"):
        build_x_filter(keywords={"created__gt": datetime(2024, 1, 1)})


def test_list_value_without_in_is_rejected() -> None:
    with pytest.raises(ValueError, match="tags__in"):
        build_x_filter(keywords={"tags": ["a", "b"]})


def test_in_needs_a_list() -> None:
    with pytest.raises(ValueError, match="list of values"):
        build_x_filter(keywords={"id__in": 5})


def test_filter_objects_combine_to_any_depth() -> None:
    standard_or_highmem = Filter(class_="standard") | Filter(class_="highmem")
    twelve_to_twenty = Filter(vcpus__gte=12) & Filter(vcpus__lte=20)
    tree = (standard_or_highmem | twelve_to_twenty).render({"class_": "class"})
    assert tree == {
        "+or": [
            {"+or": [{"class": "standard"}, {"class": "highmem"}]},
            {"+and": [{"vcpus": {"+gte": 12}}, {"vcpus": {"+lte": 20}}]},
        ]
    }


def test_many_conditions_in_and_or() -> None:
    conditions = [Filter(label=f"web{i}") for i in range(5)]
    assert or_(*conditions).render() == {"+or": [{"label": f"web{i}"} for i in range(5)]}
    assert and_(Filter(region="us-east"), Filter(tags="a"), Filter(tags="b")).render() == {
        "+and": [{"region": "us-east"}, {"tags": "a"}, {"tags": "b"}]
    }


def test_or_drops_branches_that_match_nothing() -> None:
    assert (Filter(id__in=[]) | Filter(label="x")).render() == {"label": "x"}
    assert (Filter(id__in=[]) | Filter(id__in=[])).render() is MATCH_NOTHING


def test_order_by_stays_outside_conditions() -> None:
    tree = build_x_filter([Filter(label="a") | Filter(label="b")], order_by="created", order="desc")
    assert tree == {
        "+or": [{"label": "a"}, {"label": "b"}],
        "+order_by": "created",
        "+order": "desc",
    }
    assert build_x_filter(order_by="-created") == {"+order_by": "created", "+order": "desc"}
    assert build_x_filter(order_by="label") == {"+order_by": "label", "+order": "asc"}


def test_bad_order_options_rejected() -> None:
    with pytest.raises(ValueError, match="'asc' or 'desc'"):
        build_x_filter(order_by="created", order="down")
    with pytest.raises(ValueError, match="needs order_by"):
        build_x_filter(order="desc")


def test_aliases_translate_python_names() -> None:
    tree = build_x_filter(keywords={"site_type": "core"}, aliases={"site_type": "site-type"})
    assert tree == {"site-type": "core"}


def test_raw_filter_passes_through() -> None:
    raw = {"+or": [{"vcpus": {"+gte": 12}}, {"class": "gpu"}]}
    assert build_x_filter([Filter.raw(raw)]) == raw


def test_no_filter_is_none() -> None:
    assert build_x_filter() is None


def test_unsupported_value_type_rejected() -> None:
    with pytest.raises(ValueError, match="unsupported value type"):
        build_x_filter(keywords={"label": object()})
