"""The catalog mirror: Linode types, regions and images copied from the API.

Signup checks plans against this mirror, so a plan whose type, region or
image the API no longer offers is refused before anyone is charged. Entries
the API stops listing stay in the table with `present=False`.
"""

from __future__ import annotations

import logging
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone

from linode_api import LinodeClient
from provisioning.linode import get_client
from provisioning.models import CatalogImage, CatalogRegion, CatalogType

logger = logging.getLogger(__name__)


def _field(obj: Any, name: str, default: Any = None) -> Any:
    """Read `name` from an API object or a dict, with `default` when absent."""
    if isinstance(obj, dict):
        return obj.get(name, default)
    try:
        value = getattr(obj, name)
    except (AttributeError, KeyError):
        return default
    return default if value is None else value


def _decimal(value: Any) -> Decimal:
    try:
        return Decimal(str(value)) if value is not None else Decimal("0")
    except InvalidOperation:
        return Decimal("0")


def _plain(value: Any) -> Any:
    """Turn nested API objects into JSON-safe values for JSONField columns."""
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if hasattr(value, "to_dict"):
        return _plain(value.to_dict())
    if hasattr(value, "__dict__"):
        return {key: _plain(item) for key, item in vars(value).items() if not key.startswith("_")}
    return str(value)


def sync_catalog(client: LinodeClient | None = None) -> dict[str, int]:
    """Copy regions, types and images from the API; return how many of each are listed."""
    client = client or get_client()
    regions = list(client.get_regions())
    types = list(client.get_types())
    images = list(client.get_images())
    now = timezone.now()

    with transaction.atomic():
        region_ids = []
        for region in regions:
            region_ids.append(str(region.id))
            CatalogRegion.objects.update_or_create(
                id=str(region.id),
                defaults={
                    "label": str(_field(region, "label", "")),
                    "country": str(_field(region, "country", "")),
                    "status": str(_field(region, "status", "")),
                    "capabilities": _plain(list(_field(region, "capabilities", []))),
                    "present": True,
                    "synced_at": now,
                },
            )
        CatalogRegion.objects.exclude(id__in=region_ids).update(present=False)

        type_ids = []
        for linode_type in types:
            type_ids.append(str(linode_type.id))
            price = _field(linode_type, "price", {}) or {}
            type_class = _field(linode_type, "class_", "")
            CatalogType.objects.update_or_create(
                id=str(linode_type.id),
                defaults={
                    "label": str(_field(linode_type, "label", "")),
                    "type_class": str(type_class or ""),
                    "vcpus": int(_field(linode_type, "vcpus", 0)),
                    "memory_mb": int(_field(linode_type, "memory", 0)),
                    "disk_mb": int(_field(linode_type, "disk", 0)),
                    "price_monthly": _decimal(_field(price, "monthly")),
                    "price_hourly": _decimal(_field(price, "hourly")),
                    "region_prices": _plain(list(_field(linode_type, "region_prices", []))),
                    "present": True,
                    "synced_at": now,
                },
            )
        CatalogType.objects.exclude(id__in=type_ids).update(present=False)

        image_ids = []
        for image in images:
            image_ids.append(str(image.id))
            CatalogImage.objects.update_or_create(
                id=str(image.id),
                defaults={
                    "label": str(_field(image, "label", "")),
                    "vendor": str(_field(image, "vendor", "") or ""),
                    "status": str(_field(image, "status", "")),
                    "deprecated": bool(_field(image, "deprecated", False)),
                    "is_public": bool(_field(image, "is_public", True)),
                    "capabilities": _plain(list(_field(image, "capabilities", []))),
                    "present": True,
                    "synced_at": now,
                },
            )
        CatalogImage.objects.exclude(id__in=image_ids).update(present=False)

    counts = {"regions": len(regions), "types": len(types), "images": len(images)}
    logger.info("catalog synced: %s", counts)
    return counts
