"""Public catalog: regions, Linode types and images."""

from __future__ import annotations

from typing import Any

from flask import g

from linode_fake.api.blueprint import api
from linode_fake.context import fake
from linode_fake.errors import not_found
from linode_fake.filtering import FilterSpec, filter_items
from linode_fake.pagination import paginate
from linode_fake.routing import operation

# The spec names the region field `site-type`, but the API sends `site_type`;
# filters accept both spellings.
REGION_FILTER = FilterSpec(["country", "site_type"], aliases={"site-type": "site_type"})
TYPE_FILTER = FilterSpec(
    ["class", "disk", "gpus", "label", "memory", "network_out", "transfer", "vcpus"]
)
IMAGE_FILTER = FilterSpec(
    ["deprecated", "is_public", "label", "size", "status", "tags", "type", "vendor"],
    unsortable=["status"],
)


@operation(api, "/regions", "GET", scope=None, anonymous=True, limit="collections")
def list_regions() -> dict[str, Any]:
    items = fake().store.catalog_items("region")
    return paginate(filter_items(items, REGION_FILTER), paged=False)


@operation(api, "/regions/<region_id>", "GET", scope=None, anonymous=True)
def get_region(region_id: str) -> dict[str, Any]:
    region = fake().store.catalog_item("region", region_id)
    if region is None:
        raise not_found()
    return region


@operation(api, "/linode/types", "GET", scope=None, anonymous=True, limit="collections")
def list_types() -> dict[str, Any]:
    items = fake().store.catalog_items("type")
    return paginate(filter_items(items, TYPE_FILTER), paged=False)


@operation(api, "/linode/types/<type_id>", "GET", scope=None, anonymous=True)
def get_type(type_id: str) -> dict[str, Any]:
    linode_type = fake().store.catalog_item("type", type_id)
    if linode_type is None:
        raise not_found()
    return linode_type


def _visible_images() -> list[dict[str, Any]]:
    # Every stored image is public; anonymous callers would see only those anyway.
    images = fake().store.catalog_items("image")
    if g.caller.anonymous:
        return [image for image in images if image.get("is_public")]
    return images


@operation(api, "/images", "GET", scope="images:read_only", anonymous=True, limit="images_list")
def list_images() -> dict[str, Any]:
    return paginate(filter_items(_visible_images(), IMAGE_FILTER))


@operation(api, "/images/<path:image_id>", "GET", scope="images:read_only", anonymous=True)
def get_image(image_id: str) -> dict[str, Any]:
    for image in _visible_images():
        if image["id"] == image_id:
            return image
    raise not_found()
