"""The Celery app shared by the worker, beat and the web process."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "reseller.settings")

app = Celery("reseller")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Periodic jobs. Each entry names a task that takes no arguments; future work
# is a timestamp in the database that one of these jobs finds, never a
# countdown on a queued task.
app.conf.beat_schedule = {}
