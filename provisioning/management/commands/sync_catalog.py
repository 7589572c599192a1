"""`manage.py sync_catalog`: copy Linode regions, types and images into the catalog mirror."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from linode_api import LinodeError
from provisioning.catalog import sync_catalog
from provisioning.jobs import record_job


class Command(BaseCommand):
    help = "Copy the Linode API's regions, types and images into the portal's catalog mirror."

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            with record_job(
                "sync_catalog", interval_seconds=settings.PROVISIONING_CATALOG_INTERVAL
            ) as summary:
                summary.update(sync_catalog())
        except LinodeError as exc:
            raise CommandError(
                f"Reading the catalog from {settings.LINODE_API_URL} failed: {exc}. "
                "Run `manage.py check_linode` to check the token and the API URL."
            ) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Catalog synced: {summary['regions']} regions, {summary['types']} types, "
                f"{summary['images']} images."
            )
        )
