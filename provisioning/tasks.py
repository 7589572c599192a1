"""Celery tasks. Each is thin: it takes an id (or nothing) and calls a module that does the work."""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task
from django.conf import settings

from provisioning import catalog, executors, reconcile, sweep, tracking
from provisioning.jobs import run_job

logger = logging.getLogger(__name__)


@shared_task(name="provisioning.run_operation", ignore_result=True)
def run_operation(operation_id: int) -> str | None:
    """Carry out one queued operation; a second delivery of the same id does nothing."""
    return executors.execute(operation_id)


@shared_task(name="provisioning.track_servers", ignore_result=True)
def track_servers() -> dict[str, Any]:
    """Poll every server in flight with one filtered list request."""
    return run_job(
        "track_servers",
        settings.PROVISIONING_TRACK_INTERVAL,
        lambda: tracking.track().as_dict(),
    )


@shared_task(name="provisioning.sweep_operations", ignore_result=True)
def sweep_operations() -> dict[str, Any]:
    """Re-send stalled operations and start those whose `not_before` has passed."""
    return run_job("sweep_operations", settings.PROVISIONING_SWEEP_INTERVAL, sweep.sweep)


@shared_task(name="provisioning.reconcile_linodes", ignore_result=True)
def reconcile_linodes() -> dict[str, Any]:
    """Compare the Linodes carrying the portal's tag with the database."""
    return run_job(
        "reconcile_linodes",
        settings.PROVISIONING_RECONCILE_INTERVAL,
        lambda: reconcile.reconcile().as_dict(),
    )


@shared_task(name="provisioning.sync_catalog", ignore_result=True)
def sync_catalog() -> dict[str, Any]:
    """Copy Linode regions, types and images into the catalog mirror."""
    return run_job("sync_catalog", settings.PROVISIONING_CATALOG_INTERVAL, catalog.sync_catalog)
