"""The sweep: restart operations that stalled and send those that became due.

Future work is never a Celery countdown: an operation that must wait gets a
`not_before` time, and this periodic job sends it once that time has passed.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from provisioning import outbox
from provisioning.findings import flag
from provisioning.models import FindingKind, Operation, OperationStatus

logger = logging.getLogger(__name__)


def sweep() -> dict[str, Any]:
    """Run one sweep; return the ids of the operations it released and sent."""
    now = timezone.now()
    stall_cutoff = now - timedelta(seconds=settings.PROVISIONING_STALL_SECONDS)

    # A worker that died (or lost its database connection) leaves its claim
    # behind. Handlers look before they act, so running again is safe.
    released = []
    stalled = Operation.objects.filter(status=OperationStatus.RUNNING, updated_at__lt=stall_cutoff)
    for operation in stalled:
        updated = Operation.objects.filter(
            pk=operation.pk, status=OperationStatus.RUNNING, updated_at__lt=stall_cutoff
        ).update(status=OperationStatus.QUEUED, sent_at=None, updated_at=now)
        if updated == 1:
            released.append(operation.pk)
            logger.warning(
                "server %s: operation %s (%s) stalled in phase %r since %s; queued it again",
                operation.server_id,
                operation.pk,
                operation.kind,
                operation.phase,
                operation.updated_at.isoformat(),
            )

    # Queued operations that are due and whose task never went out, or went
    # out so long ago that the message must be lost.
    due = (
        Operation.objects.filter(status=OperationStatus.QUEUED)
        .filter(Q(not_before__isnull=True) | Q(not_before__lte=now))
        .filter(Q(sent_at__isnull=True) | Q(sent_at__lt=stall_cutoff))
        .order_by()
        .values_list("server_id", flat=True)
        .distinct()
    )
    sent = []
    for server_id in sorted(set(due)):
        head = outbox.head_operation(server_id)
        if head is None or head.status != OperationStatus.QUEUED:
            continue  # an earlier operation is still running or waiting
        if head.not_before is not None and head.not_before > now:
            continue
        if head.sent_at is not None and head.sent_at >= stall_cutoff:
            continue
        if outbox.send(head) is not None:
            sent.append(head.pk)
    stuck, newly_stuck = _flag_stuck_waits(now)
    # The sweep runs every few seconds, so a run that changed nothing logs at DEBUG.
    logger.log(
        logging.INFO if released or sent or newly_stuck else logging.DEBUG,
        "sweep: released %s stalled (%s), sent %s due (%s), flagged %s stuck, "
        "%s still waiting too long",
        len(released),
        released,
        len(sent),
        sent,
        newly_stuck,
        len(stuck) - newly_stuck,
    )
    return {"released": released, "sent": sent, "stuck": stuck}


def _flag_stuck_waits(now: datetime) -> tuple[list[int], int]:
    """Flag operations that have waited too long for a Linode status; tracking keeps trying.

    Returns the ids of those operations and how many of them got a new finding.
    """
    cutoff = now - timedelta(seconds=settings.PROVISIONING_WAIT_ALERT_SECONDS)
    stuck = []
    newly_stuck = 0
    waiting = Operation.objects.filter(
        status=OperationStatus.WAITING, updated_at__lt=cutoff
    ).select_related("server")
    for operation in waiting:
        stuck.append(operation.pk)
        finding = flag(
            FindingKind.STUCK_OPERATION,
            f"{operation.get_kind_display()} operation {operation.pk} has waited since "
            f"{operation.updated_at.isoformat()} for Linode {operation.linode_id} to become "
            f"{operation.params.get('expect_status', '?')}",
            server=operation.server,
            linode_id=operation.linode_id,
        )
        if finding.observations == 1:
            newly_stuck += 1
    return stuck, newly_stuck
