"""Celery tasks. Each is thin: it takes an id (or nothing) and calls a module that does the work."""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task
from django.conf import settings

from provisioning import catalog, executors, reconcile, sweep, tracking
from provisioning.jobs import record_job

logger = logging.getLogger(__name__)


@shared_task(name="provisioning.run_operation", ignore_result=True)
def run_operation(operation_id: int) -> str | None:
    """Carry out one queued operation; a second delivery of the same id does nothing."""
    return executors.execute(operation_id)


@shared_task(name="provisioning.track_servers", ignore_result=True)
def track_servers() -> dict[str, Any]:
    """Poll every server in flight with one filtered list request."""
    with record_job("track_servers", interval_seconds=settings.PROVISIONING_TRACK_INTERVAL) as out:
        out.update(tracking.track().as_dict())
    return out


@shared_task(name="provisioning.sweep_operations", ignore_result=True)
def sweep_operations() -> dict[str, Any]:
    """Re-send stalled operations and start those whose `not_before` has passed."""
    with record_job(
        "sweep_operations", interval_seconds=settings.PROVISIONING_SWEEP_INTERVAL
    ) as out:
        out.update(sweep.sweep())
    return out


@shared_task(name="provisioning.reconcile_linodes", ignore_result=True)
def reconcile_linodes() -> dict[str, Any]:
    """Compare the Linodes carrying the portal's tag with the database."""
    with record_job(
        "reconcile_linodes", interval_seconds=settings.PROVISIONING_RECONCILE_INTERVAL
    ) as out:
        out.update(reconcile.reconcile().as_dict())
    return out


@shared_task(name="provisioning.sync_catalog", ignore_result=True)
def sync_catalog() -> dict[str, Any]:
    """Copy Linode regions, types and images into the catalog mirror."""
    with record_job("sync_catalog", interval_seconds=settings.PROVISIONING_CATALOG_INTERVAL) as out:
        out.update(catalog.sync_catalog())
    return out
