"""The X-Filter shortcuts: set lookups for `+or` of equalities and instance lists by id or label.

Each shortcut must give exactly the result of testing every condition on
every stored item, so these tests compare the two.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from linode_fake import instances as store_instances
from linode_fake.filtering import FilterSpec
from linode_fake.testing import FakeHandle
from tests.fake.helpers import get

SPEC = FilterSpec(["id", "label", "tags", "flag", "score"], aliases={"name": "label"})

ITEMS: list[dict[str, Any]] = [
    {"id": 1, "label": "one", "tags": ["a", "b"], "flag": True, "score": 1.0},
    {"id": 2, "label": "two", "tags": [True, 1], "flag": False, "score": 2},
    {"id": 3, "label": "three", "tags": [], "flag": None, "score": None},
    {"id": 4, "label": "four", "tags": [{"nested": 1}, "c"], "flag": 1, "score": {"x": 1}},
    {"id": 5, "label": "five", "tags": ["a"]},  # no flag, no score
    {"id": True, "label": "bool-id", "tags": None, "flag": [1], "score": [2.0]},
]


def reference(children: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Apply each child alone, through the single-condition path, and keep the union in order."""
    matched = {
        position
        for child in children
        for position, item in enumerate(ITEMS)
        if SPEC.apply([item], json.dumps(child))
    }
    return [item for position, item in enumerate(ITEMS) if position in matched]


@pytest.mark.parametrize(
    "children",
    [
        [{"id": 1}, {"id": 3}, {"id": 99}],
        [{"id": 1}],
        [{"id": 1.0}, {"id": 2}],
        [{"label": "two"}, {"label": "five"}, {"label": "nobody"}],
        [{"name": "two"}, {"name": "three"}],
        [{"tags": "a"}, {"tags": "c"}],
        [{"tags": 1}],
        [{"flag": 1}, {"flag": 0}],
        [{"flag": None}],
        [{"score": 1}, {"score": 2.0}],
        [{"score": 2.0}],
    ],
)
def test_or_of_equalities_matches_each_child(children: list[dict[str, Any]]) -> None:
    result = SPEC.apply(ITEMS, json.dumps({"+or": children}))

    assert result == reference(children)


def test_or_of_equalities_checks_every_field() -> None:
    with pytest.raises(Exception, match="Cannot filter on secret"):
        SPEC.apply(ITEMS, json.dumps({"+or": [{"id": 1}, {"secret": 2}]}))


@pytest.mark.parametrize(
    ("xfilter", "expected"),
    [
        (None, None),
        ({}, None),
        ({"id": 5}, {5}),
        ({"id": True}, None),
        ({"id": "5"}, None),
        ({"id": {"+gt": 5}}, None),
        ({"+or": [{"id": 1}, {"id": 2}]}, {1, 2}),
        ({"+or": [{"id": 1}, {"label": "x"}]}, None),
        ({"+or": [{"id": 1}, {"id": 2, "label": "x"}]}, {1, 2}),
        ({"+and": [{"+or": [{"id": 1}, {"id": 2}]}, {"id": 2}]}, {2}),
        ({"id": 1, "+or": [{"id": 2}, {"id": 3}]}, set()),
        ({"+and": [{"label": "x"}, {"tags": "y"}]}, None),
        ({"+or": [{"+and": [{"id": 7}, {"tags": "y"}]}, {"id": 8}]}, {7, 8}),
        ({"+or": []}, None),
        ("not an object", None),
    ],
)
def test_candidates_narrow_only_what_must_hold(xfilter: Any, expected: set[int] | None) -> None:
    header = None if xfilter is None else json.dumps(xfilter)
    is_integer = lambda value: isinstance(value, int) and not isinstance(value, bool)  # noqa: E731

    candidates = SPEC.candidates(header, "id", is_integer)

    assert candidates == (None if expected is None else frozenset(expected))


@pytest.fixture
def stored(linode_fake: FakeHandle) -> list[int]:
    return linode_fake.seed_instances(300, label_prefix="stored", tags=["fleet"])


@pytest.fixture
def renders(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count the instances the fake renders for its responses."""
    rendered: list[int] = []
    original = store_instances.render

    def counting(record: dict[str, Any]) -> dict[str, Any]:
        rendered.append(record["api"]["id"])
        return original(record)

    monkeypatch.setattr(store_instances, "render", counting)
    return rendered


def listed_ids(fake: FakeHandle, xfilter: Any, **params: Any) -> list[int]:
    response = get(fake, "/linode/instances", xfilter=xfilter, **params)
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["data"]]


def test_id_list_renders_only_requested(
    linode_fake: FakeHandle, stored: list[int], renders: list[int]
) -> None:
    wanted = stored[::7] + [10**9]  # every seventh, and an id nobody has
    xfilter = {"+or": [{"id": linode_id} for linode_id in wanted]}

    ids = listed_ids(linode_fake, xfilter)

    assert ids == stored[::7]
    assert sorted(renders) == stored[::7]


def test_label_filter_renders_one(
    linode_fake: FakeHandle, stored: list[int], renders: list[int]
) -> None:
    assert listed_ids(linode_fake, {"label": "stored-42"}) == [stored[42]]
    assert renders == [stored[42]]


@pytest.mark.parametrize(
    "xfilter",
    [
        {"+or": [{"id": 0}, {"id": 2}, {"id": 5}], "tags": "fleet"},
        {"+or": [{"id": 0}, {"id": 2}], "label": "stored-2"},
        {"+and": [{"+or": [{"id": 1}, {"id": 3}]}, {"label": {"+contains": "stored-3"}}]},
        {"+or": [{"id": 4}, {"label": "stored-9"}]},
        {"id": 6, "+or": [{"id": 7}, {"id": 8}]},
        {"+or": [{"id": 5}, {"id": 1}], "+order_by": "label", "+order": "desc"},
    ],
)
def test_id_and_label_lookups_match_full_scan(
    linode_fake: FakeHandle, stored: list[int], xfilter: dict[str, Any]
) -> None:
    # Positions in the test cases become the seeded ids, so the cases read short.
    def to_ids(node: Any) -> Any:
        if isinstance(node, dict):
            return {
                key: stored[value] if key == "id" and isinstance(value, int) else to_ids(value)
                for key, value in node.items()
            }
        if isinstance(node, list):
            return [to_ids(child) for child in node]
        return node

    real = to_ids(xfilter)
    conditions = {key: value for key, value in real.items() if key not in ("+order_by", "+order")}
    order = {key: value for key, value in real.items() if key in ("+order_by", "+order")}
    # An extra `+or` child that matches nothing (no Linode has the tag) turns
    # both shortcuts off: the `+or` no longer lists one field only, and the
    # filter no longer pins the id or label down.
    nothing = {"tags": "no-such-tag"}

    def without_shortcuts(node: Any) -> Any:
        if isinstance(node, dict):
            return {
                key: [*without_shortcuts(value), nothing]
                if key == "+or"
                else without_shortcuts(value)
                for key, value in node.items()
            }
        if isinstance(node, list):
            return [without_shortcuts(child) for child in node]
        return node

    full_scan = {"+or": [without_shortcuts(conditions), nothing], **order}

    assert listed_ids(linode_fake, real) == listed_ids(linode_fake, full_scan)
    assert listed_ids(linode_fake, real, page_size=25) == listed_ids(
        linode_fake, full_scan, page_size=25
    )
