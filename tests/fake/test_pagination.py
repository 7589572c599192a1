"""Paginated collections: the envelope, page sizes and walking every page."""

from __future__ import annotations

import pytest

from linode_fake.testing import FakeHandle
from tests.fake.helpers import errors_by_field, get


@pytest.fixture
def seeded(linode_fake: FakeHandle) -> FakeHandle:
    linode_fake.seed_instances(1201)
    return linode_fake


def test_walks_1201_instances_at_page_size_500(seeded: FakeHandle) -> None:
    seen: list[int] = []
    pages = []
    page = 1
    while True:
        body = get(seeded, "/linode/instances", page=page, page_size=500).json()
        pages.append(body)
        seen.extend(item["id"] for item in body["data"])
        if page >= body["pages"]:
            break
        page += 1

    assert [len(body["data"]) for body in pages] == [500, 500, 201]
    assert {body["pages"] for body in pages} == {3}
    assert {body["results"] for body in pages} == {1201}
    assert [body["page"] for body in pages] == [1, 2, 3]
    assert len(set(seen)) == 1201
    assert seen == sorted(seen)


def test_default_page_size_is_100(seeded: FakeHandle) -> None:
    body = get(seeded, "/linode/instances").json()

    assert len(body["data"]) == 100
    assert body["pages"] == 13
    assert body["page"] == 1


def test_page_past_the_end_is_empty(seeded: FakeHandle) -> None:
    body = get(seeded, "/linode/instances", page=4, page_size=500).json()

    assert body["data"] == []
    assert body["page"] == 4
    assert body["pages"] == 3


def test_empty_collection_has_one_page(linode_fake: FakeHandle) -> None:
    body = get(linode_fake, "/linode/instances").json()

    assert body == {"data": [], "page": 1, "pages": 1, "results": 0}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"page_size": 24}, "page_size"),
        ({"page_size": 501}, "page_size"),
        ({"page_size": "many"}, "page_size"),
        ({"page": 0}, "page"),
    ],
)
def test_invalid_page_arguments_are_400(
    linode_fake: FakeHandle, params: dict[str, object], field: str
) -> None:
    response = get(linode_fake, "/linode/instances", **params)

    assert response.status_code == 400
    assert field in errors_by_field(response)


def test_page_size_bounds_are_accepted(linode_fake: FakeHandle) -> None:
    assert get(linode_fake, "/linode/instances", page_size=25).status_code == 200
    assert get(linode_fake, "/linode/instances", page_size=500).status_code == 200
