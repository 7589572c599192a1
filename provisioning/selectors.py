"""Reads: queries the web pages and the admin use."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import QuerySet

from provisioning.models import (
    CatalogImage,
    CatalogRegion,
    CatalogType,
    JobRun,
    Plan,
    Server,
)


def orderable_plans() -> QuerySet[Plan]:
    """Active plans, cheapest first."""
    return Plan.objects.filter(active=True).order_by("price_monthly", "slug")


def plan_problems(plan: Plan, region: str) -> list[str]:
    """Return why `plan` cannot be ordered in `region`; an empty list means it can.

    Checks the plan is active, offers the region, and that its Linode type,
    the region and its image are all in the catalog mirror.
    """
    problems: list[str] = []
    if not plan.active:
        problems.append(f"The plan {plan.slug!r} is not on sale any more; choose another plan.")
    offered = list(plan.regions or [])
    if region not in offered:
        choices = ", ".join(offered) or "none"
        problems.append(
            f"The plan {plan.slug!r} is not offered in region {region!r}; choose one of: {choices}."
        )

    catalog_empty = not CatalogType.objects.exists()
    if catalog_empty:
        problems.append(
            "The server catalog has not been loaded yet, so no order can be checked; "
            "please try again in a few minutes."
        )
        return problems

    linode_type = CatalogType.objects.filter(id=plan.linode_type, present=True).first()
    if linode_type is None:
        problems.append(
            f"The server size {plan.linode_type!r} of plan {plan.slug!r} is not available "
            "from the provider right now; choose another plan."
        )
    catalog_region = CatalogRegion.objects.filter(id=region, present=True).first()
    if catalog_region is None:
        problems.append(
            f"The region {region!r} is not available from the provider right now; "
            "choose another region."
        )
    elif catalog_region.capabilities and "Linodes" not in catalog_region.capabilities:
        problems.append(f"The region {region!r} does not offer servers; choose another region.")
    image = CatalogImage.objects.filter(id=plan.image, present=True).first()
    if image is None:
        problems.append(
            f"The system image {plan.image!r} of plan {plan.slug!r} is not available "
            "from the provider right now; choose another plan."
        )
    elif image.status and image.status != "available":
        problems.append(
            f"The system image {plan.image!r} is {image.status}, not available; "
            "choose another plan."
        )
    return problems


def server_for(customer: Any) -> Server | None:
    """Return the customer's server, or None."""
    return Server.objects.select_related("plan").filter(customer=customer).first()


def server_status(server: Server) -> dict[str, Any]:
    """Return what the dashboard and /dashboard/server.json show about a server."""
    server = Server.objects.select_related("plan").get(pk=server.pk)
    return {
        "state": server.state,
        "progress": server.progress,
        "ipv4": server.ipv4 or None,
        "ipv6": server.ipv6 or None,
        "plan": server.plan.slug,
        "region": server.region,
        "linode_id": server.linode_id,
        "updated": server.updated_at.isoformat(),
        "failure_reason": server.failure_reason,
        "label": server.label,
        "tag": server.linode_tag,
        "root_login": "ssh_key" if server.uses_ssh_key else "password",
        "termination_requested": server.termination_requested_at is not None,
    }


def expected_jobs() -> dict[str, float]:
    """Return the periodic jobs that beat runs, with their intervals in seconds."""
    return {
        "track_servers": settings.PROVISIONING_TRACK_INTERVAL,
        "sweep_operations": settings.PROVISIONING_SWEEP_INTERVAL,
        "reconcile_linodes": settings.PROVISIONING_RECONCILE_INTERVAL,
        "sync_catalog": settings.PROVISIONING_CATALOG_INTERVAL,
    }


def quiet_jobs() -> list[JobRun]:
    """Periodic jobs that have not succeeded for several intervals, or never ran at all."""
    recorded = {job.name: job for job in JobRun.objects.all()}
    quiet = [job for job in recorded.values() if job.is_quiet()]
    for name, interval in expected_jobs().items():
        if name not in recorded:
            quiet.append(JobRun(name=name, interval_seconds=interval))  # unsaved: never ran
    return sorted(quiet, key=lambda job: job.name)
