"""`manage.py seed_demo_plans`: the demo's active plans, built from the catalog mirror."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from provisioning.models import CatalogImage, CatalogRegion, CatalogType, Plan

# slug -> (name, Linode type id)
DEMO_PLANS = {
    "starter": ("Starter", "g6-nanode-1"),
    "standard": ("Standard", "g6-standard-2"),
}
PREFERRED_REGIONS = ("us-east", "us-central", "us-west", "eu-west", "eu-central", "ap-south")
REGION_COUNT = 4
PREFERRED_IMAGES = ("linode/debian12", "linode/debian13", "linode/debian11")


class Command(BaseCommand):
    help = (
        "Create or update the active demo plans 'starter' (g6-nanode-1) and 'standard' "
        "(g6-standard-2) with regions and a Debian image from the catalog. "
        "Run `manage.py sync_catalog` first."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        regions = self._regions()
        image = self._debian_image()
        with transaction.atomic():
            for slug, (name, type_id) in DEMO_PLANS.items():
                linode_type = CatalogType.objects.filter(id=type_id, present=True).first()
                if linode_type is None:
                    raise CommandError(
                        f"Linode type {type_id!r} is not in the catalog mirror. "
                        "Run `manage.py sync_catalog` and try again."
                    )
                plan, created = Plan.objects.update_or_create(
                    slug=slug,
                    defaults={
                        "name": name,
                        "linode_type": type_id,
                        "regions": regions,
                        "image": image,
                        "price_monthly": linode_type.price_monthly or Decimal("0"),
                        "active": True,
                    },
                )
                verb = "Created" if created else "Updated"
                self.stdout.write(
                    f"{verb} plan {plan.slug}: {type_id}, {image}, regions {', '.join(regions)}, "
                    f"{plan.price_monthly} USD/month"
                )

    def _regions(self) -> list[str]:
        available = CatalogRegion.objects.filter(present=True).exclude(status="outage")
        if not available.exists():
            raise CommandError(
                "No regions found in the catalog mirror. Run `manage.py sync_catalog` first."
            )
        usable = [
            region.id
            for region in available
            if not region.capabilities or "Linodes" in region.capabilities
        ]
        chosen = [region for region in PREFERRED_REGIONS if region in usable]
        for region in usable:
            if len(chosen) >= REGION_COUNT:
                break
            if region not in chosen:
                chosen.append(region)
        return chosen[:REGION_COUNT]

    def _debian_image(self) -> str:
        images = CatalogImage.objects.filter(present=True, deprecated=False)
        for image_id in PREFERRED_IMAGES:
            if images.filter(id=image_id).exists():
                return image_id
        debian = images.filter(vendor__iexact="debian").order_by("-id").first()
        if debian is None:
            raise CommandError(
                "No Debian image found in the catalog mirror. Run `manage.py sync_catalog` first."
            )
        return debian.id
