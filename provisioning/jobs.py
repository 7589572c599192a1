"""Health records of the periodic jobs, so the operator sees one that went quiet."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.utils import timezone

from provisioning.models import JobRun

logger = logging.getLogger(__name__)


@contextmanager
def record_job(name: str, *, interval_seconds: float) -> Iterator[dict[str, Any]]:
    """Record the start and the outcome of one run of a periodic job.

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
        JobRun.objects.filter(name=name).update(
            last_failed_at=timezone.now(), last_error=f"{type(exc).__name__}: {exc}"[:2000]
        )
        logger.exception("periodic job %s failed", name)
        raise
    JobRun.objects.filter(name=name).update(last_succeeded_at=timezone.now(), last_summary=summary)
    logger.debug("periodic job %s succeeded: %s", name, summary)
