"""The operation outbox: queueing, sending, claiming and finishing operations.

An operation row is written in the same transaction as the state change it
belongs to, and its Celery task is sent only after that transaction commits.
Operations of one server run strictly in id order: only the oldest open one
may be claimed, and the partial unique constraint
`one_active_operation_per_server` stops a second one from being running or
waiting at the same time. Every status change here is a guarded UPDATE, so a
task that runs twice finds nothing left to do.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from provisioning.models import (
    ACTIVE_OPERATION_STATUSES,
    OPEN_OPERATION_STATUSES,
    Operation,
    OperationStatus,
    Server,
)

logger = logging.getLogger(__name__)


def enqueue(
    server: Server, kind: str, *, actor: str, params: dict[str, Any] | None = None
) -> Operation:
    """Write an operation row and send its task once the caller's transaction commits."""
    operation = Operation.objects.create(
        server=server, kind=kind, actor=actor, params=params or {}, created_at=timezone.now()
    )
    logger.info("server %s: queued operation %s (%s) for %s", server.pk, operation.pk, kind, actor)
    server_id = server.pk
    transaction.on_commit(lambda: dispatch_next(server_id))
    return operation


def head_operation(server_id: int) -> Operation | None:
    """Return the oldest open operation of a server: the one allowed to run next."""
    return (
        Operation.objects.filter(server_id=server_id, status__in=OPEN_OPERATION_STATUSES)
        .order_by("id")
        .first()
    )


def dispatch_next(server_id: int, *, now: datetime | None = None) -> Operation | None:
    """Send the task of a server's next operation when it is queued and due.

    Returns the operation sent, or None when the head of the line is already
    active, waits for its `not_before`, or nothing is queued.
    """
    now = now or timezone.now()
    head = head_operation(server_id)
    if head is None or head.status != OperationStatus.QUEUED:
        return None
    if head.not_before is not None and head.not_before > now:
        return None
    return send(head)


def send(operation: Operation) -> Operation | None:
    """Send the Celery task of a queued operation and record when it went out."""
    from provisioning.tasks import run_operation

    try:
        run_operation.delay(operation.pk)
    except Exception:
        # The sweep re-sends operations whose task never went out.
        logger.exception(
            "server %s: sending operation %s to the broker failed; the sweep will retry",
            operation.server_id,
            operation.pk,
        )
        return None
    Operation.objects.filter(pk=operation.pk, status=OperationStatus.QUEUED).update(
        sent_at=timezone.now()
    )
    logger.info("server %s: sent operation %s", operation.server_id, operation.pk)
    return operation


def claim(operation_id: int) -> Operation | None:
    """Mark a queued, due operation as running, or return None when it must not run now.

    None covers: already claimed or finished (a task delivered twice), an
    earlier operation of the same server still open, or `not_before` ahead.
    """
    now = timezone.now()
    operation = Operation.objects.filter(pk=operation_id).select_related("server").first()
    if operation is None:
        logger.warning("operation %s does not exist; nothing to run", operation_id)
        return None
    if operation.status != OperationStatus.QUEUED:
        logger.info(
            "server %s: operation %s is %s, not queued; skipping this delivery",
            operation.server_id,
            operation.pk,
            operation.status,
        )
        return None
    if operation.not_before is not None and operation.not_before > now:
        logger.info(
            "server %s: operation %s waits until %s",
            operation.server_id,
            operation.pk,
            operation.not_before.isoformat(),
        )
        return None
    earlier = Operation.objects.filter(
        server_id=operation.server_id, status__in=OPEN_OPERATION_STATUSES, id__lt=operation.pk
    )
    if earlier.exists():
        logger.info(
            "server %s: operation %s waits for an earlier operation of the same server",
            operation.server_id,
            operation.pk,
        )
        return None
    try:
        with transaction.atomic():
            claimed = Operation.objects.filter(
                pk=operation.pk, status=OperationStatus.QUEUED
            ).update(status=OperationStatus.RUNNING, claimed_at=now, updated_at=now)
    except IntegrityError:
        logger.info(
            "server %s: operation %s not claimed, another operation is active",
            operation.server_id,
            operation.pk,
        )
        return None
    if claimed != 1:
        return None
    operation.refresh_from_db()
    logger.info(
        "server %s: claimed operation %s (%s, attempt %s)",
        operation.server_id,
        operation.pk,
        operation.kind,
        operation.attempts + 1,
    )
    return operation


def record_progress(operation: Operation, *, phase: str, linode_id: int | None = None) -> None:
    """Store the phase (and the Linode id once known) of a running operation."""
    fields: dict[str, Any] = {"phase": phase, "updated_at": timezone.now()}
    if linode_id is not None:
        fields["linode_id"] = linode_id
    Operation.objects.filter(pk=operation.pk).update(**fields)
    operation.phase = phase
    if linode_id is not None:
        operation.linode_id = linode_id


def mark_waiting(operation: Operation, *, phase: str, **params: Any) -> bool:
    """Hand a running operation over to tracking, which confirms its outcome."""
    new_params = {**operation.params, **params}
    updated = Operation.objects.filter(pk=operation.pk, status=OperationStatus.RUNNING).update(
        status=OperationStatus.WAITING, phase=phase, params=new_params, updated_at=timezone.now()
    )
    operation.status = OperationStatus.WAITING
    operation.phase = phase
    operation.params = new_params
    return updated == 1


def requeue(
    operation: Operation,
    *,
    not_before: datetime,
    reason: str,
    count_attempt: bool = True,
    phase: str | None = None,
) -> bool:
    """Put a running operation back in the queue until `not_before`.

    Returns False when the operation has used up PROVISIONING_MAX_ATTEMPTS; the
    caller then fails it.
    """
    if count_attempt and operation.attempts + 1 >= settings.PROVISIONING_MAX_ATTEMPTS:
        return False
    fields: dict[str, Any] = {
        "status": OperationStatus.QUEUED,
        "not_before": not_before,
        "error": reason,
        "sent_at": None,
        "updated_at": timezone.now(),
    }
    if count_attempt:
        fields["attempts"] = F("attempts") + 1
    if phase is not None:
        fields["phase"] = phase
    Operation.objects.filter(pk=operation.pk, status=OperationStatus.RUNNING).update(**fields)
    operation.refresh_from_db()
    logger.info(
        "server %s: operation %s retries after %s (attempt %s): %s",
        operation.server_id,
        operation.pk,
        not_before.isoformat(),
        operation.attempts,
        reason,
    )
    return True


def backoff(attempts: int, *, base: float = 2.0, cap: float = 300.0) -> timedelta:
    """Return the wait before retry number `attempts + 1`: exponential, capped."""
    return timedelta(seconds=min(cap, base * (2 ** max(0, attempts))))


def finish(operation: Operation, status: str, *, error: str = "", phase: str | None = None) -> bool:
    """End an active operation and send the server's next one after commit."""
    now = timezone.now()
    fields: dict[str, Any] = {
        "status": status,
        "finished_at": now,
        "updated_at": now,
        "error": error,
    }
    if phase is not None:
        fields["phase"] = phase

    with transaction.atomic():
        updated = Operation.objects.filter(
            pk=operation.pk, status__in=ACTIVE_OPERATION_STATUSES
        ).update(**fields)
        if updated == 1:
            server_id = operation.server_id
            transaction.on_commit(lambda: dispatch_next(server_id))
    if updated != 1:
        return False

    operation.status = status
    operation.finished_at = now
    operation.error = error
    log = logger.warning if status == OperationStatus.FAILED else logger.info
    log(
        "server %s: operation %s (%s) %s%s",
        operation.server_id,
        operation.pk,
        operation.kind,
        status,
        f": {error}" if error else "",
    )
    return True


def cancel_if_untouched(operation: Operation) -> bool:
    """Cancel a queued operation that never reached the API; False when a worker has it."""
    updated = Operation.objects.filter(
        Q(phase="") | Q(phase="waiting_for_create_slot"),
        pk=operation.pk,
        status=OperationStatus.QUEUED,
        attempts=0,
        linode_id__isnull=True,
    ).update(status=OperationStatus.CANCELLED, finished_at=timezone.now())
    if updated == 1:
        logger.info(
            "server %s: cancelled operation %s before it reached the API",
            operation.server_id,
            operation.pk,
        )
    return updated == 1
