"""Public catalog objects: regions, Linode types and images."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from linode_api.objects.base import ApiObject, Field, MutableField, Nested, Record


class Region(ApiObject):
    """A data center region, such as "us-east"."""

    api_path = "/regions/{id}"

    label = Field[str]()
    country = Field[str]()
    capabilities = Field[list[str]]()
    status = Field[str]()
    # The live API sends `site_type`; the 4.189.0 spec's `site-type` is a spec error.
    site_type = Field[str]()
    resolvers = Field[Nested]()
    placement_group_limits = Field[Nested]()


class Type(ApiObject):
    """A Linode plan type, such as "g6-standard-2", with its specs and prices.

    `price_in(region)` applies the region-specific price when one exists.
    """

    api_path = "/linode/types/{id}"

    label = Field[str]()
    class_ = Field[str]("class")
    disk = Field[int]()
    memory = Field[int]()
    vcpus = Field[int]()
    gpus = Field[int]()
    network_out = Field[int]()
    transfer = Field[int]()
    price = Field[Nested]()
    region_prices = Field[list[Record]]()
    addons = Field[Nested]()
    successor = Field[str | None]()

    def price_in(self, region: Region | str) -> Record:
        """Return the {hourly, monthly} price in `region`: its own entry, else the default."""
        region_id = region.id if isinstance(region, Region) else region
        for entry in self.region_prices or []:
            if entry.id == region_id:
                return entry
        return Record(self.price.to_dict())


class Image(ApiObject):
    """A disk image, public ("linode/debian12") or private ("private/12345")."""

    api_path = "/images/{id}"
    event_entity_type = "image"

    label = MutableField[str]()
    description = MutableField[str | None]()
    tags = MutableField[list[str]]()
    created = Field[datetime](timestamp=True)
    updated = Field[datetime](timestamp=True)
    created_by = Field[str]()
    deprecated = Field[bool]()
    is_public = Field[bool]()
    size = Field[int]()
    total_size = Field[int]()
    status = Field[str]()
    type = Field[str]()
    vendor = Field[str | None]()
    eol = Field[datetime | None](timestamp=True)
    expiry = Field[datetime | None](timestamp=True)
    capabilities = Field[list[str]]()
    regions = Field[list[Record]]()


def region_from_id(client: Any, value: Any) -> Region:
    return Region(client, value)


def type_from_id(client: Any, value: Any) -> Type:
    return Type(client, value)


def image_from_id(client: Any, value: Any) -> Image:
    return Image(client, value)
