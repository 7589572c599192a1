"""Reconciliation: compare the Linodes carrying the portal's tag with the database.

It adopts a Linode that a lost create response left behind, re-applies a
suspension it finds undone, and flags orphans, drift and vanished Linodes for
the operator. It never deletes a Linode: deleting is the operator's call.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from linode_api import LinodeClient
from provisioning import outbox
from provisioning.findings import flag, resolve
from provisioning.labels import uuid_from_label
from provisioning.linode import get_client
from provisioning.linode_lookup import record_linode
from provisioning.models import (
    OPEN_OPERATION_STATUSES,
    Finding,
    FindingKind,
    OperationKind,
    Server,
    State,
)

logger = logging.getLogger(__name__)

# States whose server should have a Linode the API lists.
STATES_WITH_LINODE = (State.BOOTING, State.RUNNING, State.SUSPENDED)
POWERED_STATUSES = ("running", "booting", "rebooting")


@dataclass
class ReconcileSummary:
    listed: int = 0
    adopted: list[int] = field(default_factory=list)
    orphans: list[int] = field(default_factory=list)
    drift: list[int] = field(default_factory=list)
    vanished: list[int] = field(default_factory=list)
    suspensions_reapplied: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {key: value for key, value in self.__dict__.items()}


def reconcile(client: LinodeClient | None = None) -> ReconcileSummary:
    """Run one reconciliation pass."""
    client = client or get_client()
    summary = ReconcileSummary()
    linodes = list(client.get_linodes(tags=settings.LINODE_TAG))
    summary.listed = len(linodes)

    servers_by_uuid = {server.uuid: server for server in Server.objects.select_related("plan")}
    servers_by_linode = {s.linode_id: s for s in servers_by_uuid.values() if s.linode_id}
    seen_ids: set[int] = set()

    for linode in linodes:
        linode_id = int(linode.id)
        seen_ids.add(linode_id)
        server = servers_by_linode.get(linode_id)
        if server is None:
            server_uuid = uuid_from_label(str(linode.label))
            server = servers_by_uuid.get(server_uuid) if server_uuid else None
        if server is None:
            _flag_orphan(linode, "no server in the portal has this Linode or its label", summary)
            continue
        _check_server(server, linode, summary)

    for server in servers_by_uuid.values():
        if server.state in STATES_WITH_LINODE and server.linode_id not in seen_ids:
            _count_missing(server, summary)
    _resolve_outdated_findings()
    return summary


def _resolve_outdated_findings() -> None:
    """Close findings whose server has since moved to a state where they cannot hold."""
    now = timezone.now()
    open_findings = Finding.objects.filter(resolved_at__isnull=True)
    open_findings.filter(
        server__state=State.TERMINATED, kind__in=(FindingKind.VANISHED, FindingKind.DRIFT)
    ).update(resolved_at=now)
    open_findings.filter(kind=FindingKind.SUSPENSION_REAPPLIED).exclude(
        server__state=State.SUSPENDED
    ).update(resolved_at=now)


def _flag_orphan(linode: Any, why: str, summary: ReconcileSummary) -> None:
    linode_id = int(linode.id)
    flag(
        FindingKind.ORPHAN,
        f"Linode {linode_id} ({linode.label}) carries the portal tag but {why}; "
        "delete it in Cloud Manager if nobody needs it",
        linode_id=linode_id,
        linode_label=str(linode.label),
    )
    summary.orphans.append(linode_id)


def _check_server(server: Server, linode: Any, summary: ReconcileSummary) -> None:
    linode_id = int(linode.id)
    status = str(linode.status)

    if server.state == State.TERMINATED:
        _flag_orphan(linode, f"its server {server.pk} is terminated", summary)
        return

    if server.linode_id is None:
        # A create whose response was lost: adopt the Linode under the server's label.
        record_linode(server, linode)
        flag(
            FindingKind.ADOPTED,
            f"adopted Linode {linode_id} found under label {linode.label}",
            server=server,
            linode_id=linode_id,
        )
        summary.adopted.append(server.pk)
        logger.info("server %s: adopted Linode %s during reconciliation", server.pk, linode_id)
    elif server.linode_id != linode_id:
        flag(
            FindingKind.DRIFT,
            f"Linode {linode_id} carries the label of server {server.pk}, "
            f"which records Linode {server.linode_id}",
            server=server,
            linode_id=linode_id,
        )
        summary.drift.append(server.pk)
        return

    if server.missing_observations:
        Server.objects.filter(pk=server.pk).update(missing_observations=0)
        server.missing_observations = 0
        resolve(FindingKind.VANISHED, server=server, linode_id=linode_id)

    drift = _drift(server, linode)
    power_drift = _power_drift(server, status)
    if power_drift:
        drift.append(power_drift)
    if drift:
        flag(FindingKind.DRIFT, "; ".join(drift), server=server, linode_id=linode_id)
        summary.drift.append(server.pk)
    else:
        resolve(FindingKind.DRIFT, server=server, linode_id=linode_id)

    if server.state == State.SUSPENDED and status in POWERED_STATUSES:
        _reapply_suspension(server, linode_id, status, summary)


def _drift(server: Server, linode: Any) -> list[str]:
    differences = []
    region = _id_of(getattr(linode, "region", None))
    linode_type = _id_of(getattr(linode, "type", None))
    if region and region != server.region:
        differences.append(f"region is {region}, the portal expects {server.region}")
    if linode_type and linode_type != server.plan.linode_type:
        differences.append(f"type is {linode_type}, the plan expects {server.plan.linode_type}")
    tags = list(getattr(linode, "tags", None) or [])
    if server.linode_tag not in tags:
        differences.append(f"tag {server.linode_tag} is missing")
    return differences


# Operations after which a running server's Linode may rightly be off or rebooting.
POWER_OPERATION_KINDS = (
    OperationKind.PROVISION,
    OperationKind.POWER_ON,
    OperationKind.POWER_OFF,
    OperationKind.REBOOT,
    OperationKind.REBUILD,
    OperationKind.RESET_PASSWORD,
    OperationKind.RESUME,
)


def _power_drift(server: Server, status: str) -> str:
    """Describe a running server's Linode that is off although the portal did not power it off.

    Someone powered it off outside the portal (Cloud Manager, Lish, a crash), so
    the customer's server is down while the portal shows it running. The
    operator decides what to do; reconciliation does not boot it on its own.
    """
    if server.state != State.RUNNING or status not in ("offline", "stopped"):
        return ""
    if server.operations.filter(status__in=OPEN_OPERATION_STATUSES).exists():
        return ""  # an operation in flight may have turned it off on purpose
    last_power = server.operations.filter(kind__in=POWER_OPERATION_KINDS).order_by("-created_at")
    latest = last_power.first()
    if latest is not None and latest.kind == OperationKind.POWER_OFF:
        return ""
    return (
        f"Linode status is {status}, but the server is running and the portal did not power it off"
    )


def _id_of(value: Any) -> str:
    if value is None:
        return ""
    return str(getattr(value, "id", value))


def _reapply_suspension(
    server: Server, linode_id: int, status: str, summary: ReconcileSummary
) -> None:
    pending = server.operations.filter(
        kind=OperationKind.SUSPEND, status__in=OPEN_OPERATION_STATUSES
    ).exists()
    if pending:
        return
    with transaction.atomic():
        outbox.enqueue(server, OperationKind.SUSPEND, actor="system:reconcile")
    flag(
        FindingKind.SUSPENSION_REAPPLIED,
        f"suspended server's Linode {linode_id} was {status}; powering it off again",
        server=server,
        linode_id=linode_id,
    )
    summary.suspensions_reapplied.append(server.pk)


def _count_missing(server: Server, summary: ReconcileSummary) -> None:
    observations = server.missing_observations + 1
    Server.objects.filter(pk=server.pk).update(missing_observations=observations)
    logger.warning(
        "server %s: Linode %s missing from the tagged list (%s time(s) in a row)",
        server.pk,
        server.linode_id,
        observations,
    )
    if observations >= settings.PROVISIONING_VANISHED_AFTER:
        flag(
            FindingKind.VANISHED,
            f"Linode {server.linode_id} of server {server.pk} is not listed under tag "
            f"{settings.LINODE_TAG} ({observations} passes in a row)",
            server=server,
            linode_id=server.linode_id,
        )
        summary.vanished.append(server.pk)
