"""The Celery app shared by the worker, beat and the web process."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "reseller.settings")

app = Celery("reseller")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


# Periodic jobs. Each entry names a task that takes no arguments. Future work
# is a timestamp in the database that one of these jobs finds, never a
# countdown on a queued task. Each entry expires after one interval, so missed
# runs do not pile up.
def _every(task: str, seconds: float) -> dict[str, object]:
    return {"task": task, "schedule": seconds, "options": {"expires": seconds}}


def _beat_schedule() -> dict[str, dict[str, object]]:
    from django.conf import settings

    return {
        "provisioning-track-servers": _every(
            "provisioning.track_servers", settings.PROVISIONING_TRACK_INTERVAL
        ),
        "provisioning-sweep-operations": _every(
            "provisioning.sweep_operations", settings.PROVISIONING_SWEEP_INTERVAL
        ),
        "provisioning-reconcile-linodes": _every(
            "provisioning.reconcile_linodes", settings.PROVISIONING_RECONCILE_INTERVAL
        ),
        "provisioning-sync-catalog": _every(
            "provisioning.sync_catalog", settings.PROVISIONING_CATALOG_INTERVAL
        ),
    }


app.conf.beat_schedule = _beat_schedule()
