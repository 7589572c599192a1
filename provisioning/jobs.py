"""Health records of the periodic jobs, and a lease so that runs of one job never overlap.

Beat sends a job every interval whatever the previous run is doing, and a
worker pool runs tasks side by side. A run first takes the job's lease (a
guarded UPDATE of `running_until`); a run that finds the lease taken skips.
A lease ends when its run ends, or after LEASE_SECONDS if the worker died.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from django.db.models import Q
from django.utils import timezone

from provisioning.models import JobRun
from provisioning.redaction import scrub_exception

logger = logging.getLogger(__name__)

# Maximum seconds a run may hold its job's lease, so a dead worker's lease expires.
LEASE_SECONDS = 300.0


def take_lease(name: str, *, interval_seconds: float) -> bool:
    """Take the job's lease; False when another run of the job holds it."""
    now = timezone.now()
    JobRun.objects.get_or_create(name=name, defaults={"interval_seconds": interval_seconds})
    taken = (
        JobRun.objects.filter(name=name)
        .filter(Q(running_until__isnull=True) | Q(running_until__lt=now))
        .update(running_until=now + timedelta(seconds=LEASE_SECONDS))
    )
    if taken != 1:
        # DEBUG, because every slow run of a job with a short interval causes a skip. Skips
        # that go on stop the job's successes, so the admin then reports it as quiet.
        logger.debug("periodic job %s is already running; skipping this run", name)
    return taken == 1


@contextmanager
def record_job(name: str, *, interval_seconds: float) -> Iterator[dict[str, Any]]:
    """Record the start and the outcome of one run of a periodic job, then free its lease.

    The caller may fill the yielded dict with a summary of the run; an
    exception is recorded as a failure and raised again.
    """
    summary: dict[str, Any] = {}
    JobRun.objects.update_or_create(
        name=name,
        defaults={"interval_seconds": interval_seconds, "last_started_at": timezone.now()},
    )
    try:
        yield summary
    except Exception as exc:
        scrub_exception(exc)  # the error shows in the admin and the log
        JobRun.objects.filter(name=name).update(
            last_failed_at=timezone.now(),
            last_error=f"{type(exc).__name__}: {exc}"[:2000],
            running_until=None,
        )
        logger.exception("periodic job %s failed", name)
        raise
    JobRun.objects.filter(name=name).update(
        last_succeeded_at=timezone.now(), last_summary=summary, running_until=None
    )
    logger.debug("periodic job %s succeeded: %s", name, summary)


def run_job(name: str, interval_seconds: float, work: Any) -> dict[str, Any]:
    """Run `work()` as one run of a periodic job: lease, health record, summary."""
    if not take_lease(name, interval_seconds=interval_seconds):
        return {"skipped": True}
    with record_job(name, interval_seconds=interval_seconds) as summary:
        summary.update(work())
    return summary
