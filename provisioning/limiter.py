"""A create-rate limiter shared by every worker, kept in the database.

The Linode API allows LINODE_CREATE_LIMIT creates per LINODE_CREATE_WINDOW_SECONDS
per token (20 per 15 s in late 2026). Each create first takes a slot: a row
with its time. A worker locks the limiter's row (SELECT ... FOR UPDATE on
PostgreSQL; on SQLite the IMMEDIATE transaction mode serialises writers), counts
the slots inside the window and takes one when there is room. Without room
it learns when its turn for a slot comes, so the operation can wait with
`not_before` instead of failing.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from provisioning.models import RateLimitLock, RateLimitSlot

logger = logging.getLogger(__name__)

LINODE_CREATE = "linode_create"
# A slot counts this much longer than the window, because the API counts a
# create from when the request arrives, a little after the slot was taken.
# Without it, a caller that wakes exactly when a slot frees can create while
# the API still counts the slot's create and get a 429. The 0.5 s is an
# estimate of the time from taking a slot to the create reaching the API.
SEND_MARGIN = timedelta(seconds=0.5)


def try_acquire(
    name: str = LINODE_CREATE,
    *,
    limit: int | None = None,
    window_seconds: float | None = None,
    operation_id: int | None = None,
    queue_position: int = 0,
) -> datetime | None:
    """Take a slot and return None, or return when the caller should try again.

    `queue_position` is how many callers wait for a slot ahead of this one.
    Caller k (from 0) gets the time the k-th slot frees: the slots free in
    the order they were taken, and each slot taken when it frees frees again
    one window later. So one window's worth of waiting callers wake per
    window, each to a free slot, instead of all waking when the oldest frees.
    """
    if queue_position < 0:
        raise ValueError(f"queue_position must be 0 or more, got {queue_position}")
    limit = limit if limit is not None else settings.LINODE_CREATE_LIMIT
    window = (
        timedelta(
            seconds=window_seconds
            if window_seconds is not None
            else settings.LINODE_CREATE_WINDOW_SECONDS
        )
        + SEND_MARGIN
    )
    with transaction.atomic():
        lock, _ = RateLimitLock.objects.select_for_update().get_or_create(name=name)
        now = timezone.now()
        window_start = now - window
        RateLimitSlot.objects.filter(limiter=lock, taken_at__lte=window_start).delete()
        taken = list(
            RateLimitSlot.objects.filter(limiter=lock)
            .order_by("taken_at")
            .values_list("taken_at", flat=True)[:limit]
        )
        if len(taken) < limit:
            RateLimitSlot.objects.create(limiter=lock, taken_at=now, operation_id=operation_id)
            return None
        free_at = _turn(taken, window, queue_position)
    logger.info(
        "rate limiter %s: %s slots taken in %.1f s, slot %s in the queue frees at %s "
        "(operation %s)",
        name,
        limit,
        window.total_seconds(),
        queue_position,
        free_at.isoformat(),
        operation_id,
    )
    return free_at


def next_free_at(
    name: str = LINODE_CREATE,
    *,
    queue_position: int = 0,
) -> datetime | None:
    """Return None when a slot is free now, or when this caller's turn comes; take nothing.

    A free slot may be gone by the time the caller tries to take it.
    """
    if queue_position < 0:
        raise ValueError(f"queue_position must be 0 or more, got {queue_position}")
    limit = settings.LINODE_CREATE_LIMIT
    window = timedelta(seconds=settings.LINODE_CREATE_WINDOW_SECONDS) + SEND_MARGIN
    taken = list(
        RateLimitSlot.objects.filter(limiter__name=name, taken_at__gt=timezone.now() - window)
        .order_by("taken_at")
        .values_list("taken_at", flat=True)[:limit]
    )
    if len(taken) < limit:
        return None
    return _turn(taken, window, queue_position)


def _turn(taken: list[datetime], window: timedelta, queue_position: int) -> datetime:
    """Return when slot number `queue_position` (from 0) frees, given the slots in the window."""
    rounds, index = divmod(queue_position, len(taken))
    return taken[index] + window * (rounds + 1)


def push_back(name: str = LINODE_CREATE, *, until: datetime) -> None:
    """Fill the window so no worker creates before `until` (after the API returned 429)."""
    limit = settings.LINODE_CREATE_LIMIT
    window = timedelta(seconds=settings.LINODE_CREATE_WINDOW_SECONDS) + SEND_MARGIN
    # A slot taken at `until - window` blocks until `until`.
    blocked_from = until - window
    with transaction.atomic():
        lock, _ = RateLimitLock.objects.select_for_update().get_or_create(name=name)
        existing = RateLimitSlot.objects.filter(limiter=lock, taken_at__gte=blocked_from).count()
        RateLimitSlot.objects.bulk_create(
            RateLimitSlot(limiter=lock, taken_at=blocked_from) for _ in range(limit - existing)
        )
