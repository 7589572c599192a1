"""First-start seeding of the catalog (regions, types, images)."""

from __future__ import annotations

import importlib
import logging

from linode_fake.store import Store

logger = logging.getLogger(__name__)

CATALOG_KINDS = (("region", "REGIONS"), ("type", "TYPES"), ("image", "IMAGES"))


def seed_catalog(store: Store, *, replace: bool = False) -> bool:
    """Copy `linode_fake.catalog_data` into the store when it contains no catalog yet.

    Return whether anything was stored. A missing catalog module leaves the
    catalog empty and logs a warning, because every create would then fail.
    """
    if not replace and not store.catalog_is_empty():
        return False
    try:
        catalog_data = importlib.import_module("linode_fake.catalog_data")
    except ImportError:
        logger.warning("linode_fake.catalog_data is missing; the catalog stays empty")
        return False
    for kind, attribute in CATALOG_KINDS:
        items = getattr(catalog_data, attribute)
        count = store.replace_catalog(kind, items)
        logger.info("seeded %d %ss", count, kind)
    return True
