"""Check the fake's catalog against the Linode OpenAPI spec 4.189.0."""

from __future__ import annotations

import functools
import gzip
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import FormatChecker
from openapi_schema_validator import OAS30Validator, oas30_format_checker

from linode_fake.catalog_data import IMAGES, REGIONS, TYPES

SPEC_PATH = Path(__file__).with_name("spec_data") / "linode-openapi-4.189.0.yaml.gz"
DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$")

# The API writes `date-time` values in UTC without a zone suffix, as the spec's
# own examples show ("2021-08-14T22:44:02"); RFC 3339 would demand the suffix.
FORMAT_CHECKER = FormatChecker()
FORMAT_CHECKER.checkers = dict(oas30_format_checker.checkers)


@FORMAT_CHECKER.checks("date-time", raises=ValueError)
def is_api_datetime(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if not DATETIME.match(value):
        return False
    datetime.fromisoformat(value)
    return True


@functools.cache
def load_spec() -> dict[str, Any]:
    """Load the gzipped spec once per test session."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    text = gzip.decompress(SPEC_PATH.read_bytes())
    spec: dict[str, Any] = yaml.load(text, Loader=loader)  # noqa: S506 - a safe loader
    assert spec["info"]["version"] == "4.189.0"
    return spec


def response_schema(path: str) -> dict[str, Any]:
    operation = load_spec()["paths"][path]["get"]
    return operation["responses"]["200"]["content"]["application/json"]["schema"]


def list_item_schema(path: str) -> dict[str, Any]:
    return response_schema(path)["properties"]["data"]["items"]


def validation_errors(schema: dict[str, Any], item: dict[str, Any]) -> list[str]:
    validator = OAS30Validator(schema, format_checker=FORMAT_CHECKER)
    return [
        f"{'.'.join(map(str, error.absolute_path)) or '<item>'}: {error.message}"
        for error in validator.iter_errors(item)
    ]


def as_spec_region(region: dict[str, Any]) -> dict[str, Any]:
    """Rename `site_type` to the spec's `site-type`, the one key where the live API differs."""
    renamed = dict(region)
    renamed["site-type"] = renamed.pop("site_type")
    return renamed


def by_id(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {item["id"]: item for item in items}


@pytest.mark.parametrize("linode_type", TYPES, ids=lambda item: item["id"])
def test_type_matches_spec(linode_type: dict[str, Any]) -> None:
    listed = list_item_schema("/{apiVersion}/linode/types")
    single = response_schema("/{apiVersion}/linode/types/{typeId}")
    assert validation_errors(listed, linode_type) == []
    assert validation_errors(single, linode_type) == []


@pytest.mark.parametrize("region", REGIONS, ids=lambda item: item["id"])
def test_region_matches_spec(region: dict[str, Any]) -> None:
    listed = list_item_schema("/{apiVersion}/regions")
    single = response_schema("/{apiVersion}/regions/{regionId}")
    assert validation_errors(listed, as_spec_region(region)) == []
    assert validation_errors(single, as_spec_region(region)) == []


@pytest.mark.parametrize("image", IMAGES, ids=lambda item: item["id"])
def test_image_matches_spec(image: dict[str, Any]) -> None:
    listed = list_item_schema("/{apiVersion}/images")
    single = response_schema("/{apiVersion}/images/{imageId}")
    assert validation_errors(listed, image) == []
    assert validation_errors(single, image) == []


def test_spec_validation_rejects_a_bad_type() -> None:
    broken = dict(TYPES[0], memory="1024", surprise=True)
    errors = validation_errors(list_item_schema("/{apiVersion}/linode/types"), broken)
    assert any(error.startswith("memory:") for error in errors)
    assert any("surprise" in error for error in errors)


@pytest.mark.parametrize("created", ["2024-06-12", "2024-06-12T00:00:00Z", "2024-02-30T00:00:00"])
def test_spec_validation_rejects_bad_datetime(created: str) -> None:
    broken = dict(IMAGES[0], created=created)
    errors = validation_errors(list_item_schema("/{apiVersion}/images"), broken)
    assert [error for error in errors if error.startswith("created:")]


def test_every_item_has_every_spec_field() -> None:
    checks = [
        ("/{apiVersion}/linode/types", TYPES, lambda item: item),
        ("/{apiVersion}/regions", REGIONS, as_spec_region),
        ("/{apiVersion}/images", IMAGES, lambda item: item),
    ]
    for path, items, to_spec in checks:
        fields = set(list_item_schema(path)["properties"])
        for item in items:
            assert set(to_spec(item)) == fields, (path, item["id"])


def test_ids_are_unique() -> None:
    for items in (TYPES, REGIONS, IMAGES):
        ids = [item["id"] for item in items]
        assert len(ids) == len(set(ids))


def test_known_types_exist() -> None:
    types = by_id(TYPES)
    for type_id in ("g6-nanode-1", "g6-standard-1", "g6-standard-2", "g6-dedicated-2"):
        assert type_id in types
    assert "g7-highmem-1" in types


def test_nanode_and_standard_prices() -> None:
    types = by_id(TYPES)
    nanode = types["g6-nanode-1"]
    assert nanode["price"] == {"hourly": 0.0075, "monthly": 5.0}
    assert nanode["memory"] == 1024
    assert nanode["class"] == "nanode"
    standard = types["g6-standard-2"]
    assert standard["price"] == {"hourly": 0.036, "monthly": 24.0}
    assert standard["vcpus"] == 2
    assert standard["addons"]["backups"]["price"] == {"hourly": 0.008, "monthly": 5.0}
    assert {"id": "id-cgk", "hourly": 0.0432, "monthly": 28.8} in standard["region_prices"]
    assert {"id": "br-gru", "hourly": 0.0504, "monthly": 33.6} in standard["region_prices"]


def test_region_prices_name_known_regions() -> None:
    region_ids = set(by_id(REGIONS))
    for linode_type in TYPES:
        prices = linode_type["region_prices"] + linode_type["addons"]["backups"]["region_prices"]
        assert prices, linode_type["id"]
        for price in prices:
            assert price["id"] in region_ids, (linode_type["id"], price["id"])
            assert price["monthly"] > 0


def test_region_prices_cost_more_than_default() -> None:
    for linode_type in TYPES:
        default = linode_type["price"]
        for price in linode_type["region_prices"]:
            assert price["monthly"] > default["monthly"], linode_type["id"]
            assert price["hourly"] > default["hourly"], linode_type["id"]


def test_known_regions_exist() -> None:
    regions = by_id(REGIONS)
    for region_id in ("us-east", "us-ord", "us-iad", "eu-west", "de-fra-2", "ap-south", "br-gru"):
        assert region_id in regions
    assert regions["us-east"]["country"] == "us"
    assert regions["us-east"]["label"] == "Newark, NJ"


def test_regions_are_core_and_ok() -> None:
    for region in REGIONS:
        assert region["site_type"] == "core", region["id"]
        assert region["status"] == "ok", region["id"]
        assert "Linodes" in region["capabilities"], region["id"]


def test_premium_and_gpu_regions_exist() -> None:
    premium = [region for region in REGIONS if "Premium Plans" in region["capabilities"]]
    gpu = [region for region in REGIONS if "GPU Linodes" in region["capabilities"]]
    assert premium
    assert gpu


def test_known_images_exist() -> None:
    images = by_id(IMAGES)
    for image_id in ("linode/debian12", "linode/ubuntu24.04", "linode/ubuntu22.04"):
        assert image_id in images
        assert images[image_id]["deprecated"] is False
        assert "cloud-init" in images[image_id]["capabilities"]
    assert images["linode/debian12"]["vendor"] == "Debian"


def test_images_are_public_and_available() -> None:
    for image in IMAGES:
        assert image["id"].startswith("linode/"), image["id"]
        assert image["is_public"] is True, image["id"]
        assert image["status"] == "available", image["id"]
        assert image["size"] > 0, image["id"]


def test_datetimes_have_api_format() -> None:
    for image in IMAGES:
        for key in ("created", "updated", "eol"):
            value = image[key]
            if value is not None:
                assert DATETIME.match(value), (image["id"], key, value)
