"""Tracking: follow every server in flight with one list request per run.

One `GET /linode/instances` and one `GET /account/events` filtered on the
ids of the servers in flight (in chunks of TRACK_CHUNK ids, so one request
each up to that many servers in flight), whatever the number of customers.
The database work per run is a constant number of queries plus a write for
each server whose state, status, addresses or progress changed. It moves
servers provisioning -> booting -> running, confirms
deletions, completes operations waiting for a Linode status, records IPv4
and IPv6, and flags a Linode that vanished.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import Q

from linode_api import LinodeClient, LinodeError
from provisioning import outbox
from provisioning.findings import flag
from provisioning.linode import get_client
from provisioning.linode_lookup import first_ipv4, ipv6_address
from provisioning.models import (
    FindingKind,
    Operation,
    OperationKind,
    OperationStatus,
    Server,
    State,
)
from provisioning.redaction import redact
from provisioning.states import try_transition

logger = logging.getLogger(__name__)

IN_FLIGHT_STATES = (State.PROVISIONING, State.BOOTING, State.TERMINATING)
# Ids per list request; the X-Filter header of 200 ids stays well under 8 KB.
TRACK_CHUNK = 200
# Events read at most per chunk of ids to find each Linode's newest progress
# event: two pages of 500. Reading stops once every Linode in the chunk has one.
EVENTS_PER_CHUNK = 1000
PROGRESS_ACTIONS = {"linode_create", "linode_boot", "linode_rebuild", "linode_delete"}


@dataclass
class TrackSummary:
    servers: int = 0
    list_requests: int = 0
    transitions: int = 0
    operations_finished: int = 0
    missing: int = 0
    vanished: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "servers": self.servers,
            "list_requests": self.list_requests,
            "transitions": self.transitions,
            "operations_finished": self.operations_finished,
            "missing": self.missing,
            "vanished": self.vanished,
        }

    @property
    def acted(self) -> bool:
        """Whether the run moved a server, finished an operation or counted a missing Linode."""
        return bool(self.transitions or self.operations_finished or self.missing or self.vanished)

    def log(self) -> None:
        """Log the run at INFO when it acted and at DEBUG otherwise: tracking runs every 2 s."""
        logger.log(
            logging.INFO if self.acted else logging.DEBUG,
            "tracking: %s server(s) in flight, %s moved, %s operation(s) finished, "
            "%s missing, %s vanished (%s list request(s))",
            self.servers,
            self.transitions,
            self.operations_finished,
            self.missing,
            len(self.vanished),
            self.list_requests,
        )


def servers_in_flight() -> list[Server]:
    """Servers whose Linode is being created, booted, rebuilt or deleted."""
    waiting = Operation.objects.filter(status=OperationStatus.WAITING).values("server_id")
    return list(
        Server.objects.filter(Q(state__in=IN_FLIGHT_STATES) | Q(pk__in=waiting))
        .filter(linode_id__isnull=False)
        .select_related("plan", "customer")
        .order_by("pk")
    )


def track(client: LinodeClient | None = None) -> TrackSummary:
    """Poll every server in flight once and apply what the API reports."""
    summary = TrackSummary()
    servers = servers_in_flight()
    summary.servers = len(servers)
    if not servers:
        summary.log()
        return summary
    client = client or get_client()

    listed: dict[int, Any] = {}
    for start in range(0, len(servers), TRACK_CHUNK):
        chunk = [server.linode_id for server in servers[start : start + TRACK_CHUNK]]
        summary.list_requests += 1
        for linode in client.get_linodes(id__in=chunk):
            listed[int(linode.id)] = linode

    try:
        progress = _event_progress(client, [server.linode_id for server in servers])
    except LinodeError as exc:
        # Progress is a nicety; states come from the list above, so carry on without it.
        logger.warning("tracking: reading events for progress failed: %s", redact(str(exc)))
        progress = {}

    waiting_by_server = _waiting_operations([server.pk for server in servers])
    for server in servers:
        assert server.linode_id is not None
        linode = listed.get(server.linode_id)
        waiting = waiting_by_server.get(server.pk)
        if linode is None:
            _handle_missing(server, waiting, summary)
            continue
        _record_observation(server, linode)
        before = server.state
        event = progress.get(server.linode_id)
        if not _fail_on_failed_event(server, event, waiting):
            _apply_status(server, str(linode.status), waiting)
            _update_progress(server, event)
        if server.state != before:
            summary.transitions += 1
    # outbox.finish() sets the status of the objects it finished.
    summary.operations_finished = sum(
        1 for operation in waiting_by_server.values() if operation.status != OperationStatus.WAITING
    )
    summary.log()
    return summary


def _waiting_operations(server_ids: list[int]) -> dict[int, Operation]:
    """Return each server's oldest waiting operation, in one query.

    The query reads every waiting operation instead of sending the server ids:
    each server with a waiting operation and a Linode is in flight already,
    so the few others cost less than an IN list of thousands of ids.
    """
    wanted = set(server_ids)
    oldest: dict[int, Operation] = {}
    for operation in Operation.objects.filter(status=OperationStatus.WAITING).order_by("id"):
        if operation.server_id in wanted:
            oldest.setdefault(operation.server_id, operation)
    return oldest


def _fail_on_failed_event(server: Server, event: Any | None, waiting: Operation | None) -> bool:
    """Fail a server whose create or first boot ended in a `failed` event; True if it did."""
    if event is None or str(getattr(event, "status", "")) != "failed":
        return False
    action = str(event.action)
    if action not in ("linode_create", "linode_boot"):
        return False
    if server.state not in (State.PROVISIONING, State.BOOTING):
        return False
    reason = (
        f"Linode {server.linode_id}: {action} failed: "
        f"{getattr(event, 'message', None) or 'the API gave no message'}"
    )
    try_transition(
        server,
        State.FAILED,
        actor="system",
        reason=reason,
        operation=waiting,
        failure_reason=reason,
    )
    if waiting is not None:
        outbox.finish(waiting, OperationStatus.FAILED, error=reason)
    return True


def _record_observation(server: Server, linode: Any) -> None:
    fields = {
        "linode_status": str(linode.status or ""),
        "ipv4": first_ipv4(linode),
        "ipv6": ipv6_address(linode),
        "missing_observations": 0,
    }
    changed = {name: value for name, value in fields.items() if getattr(server, name) != value}
    if changed:
        Server.objects.filter(pk=server.pk).update(**changed)
        for name, value in changed.items():
            setattr(server, name, value)


def apply_linode_status(server: Server, status: str, *, operation: Operation | None) -> None:
    """Move the server along its provisioning path to match the Linode's status.

    Also completes the waiting operation when the Linode reached the status it
    expects. Called by tracking and right after a create.
    """
    if operation is None:
        operation = (
            Operation.objects.filter(server=server, status=OperationStatus.WAITING)
            .order_by("id")
            .first()
        )
    _apply_status(server, status, operation)


def _apply_status(server: Server, status: str, operation: Operation | None) -> None:
    """Move the server and complete `operation`, which is None when none is waiting."""
    if server.state == State.PROVISIONING and status in ("booting", "running"):
        try_transition(
            server,
            State.BOOTING,
            actor="system",
            reason=f"Linode {server.linode_id} is {status}",
            operation=operation,
        )
    if server.state == State.BOOTING and status == "running":
        try_transition(
            server,
            State.RUNNING,
            actor="system",
            reason=f"Linode {server.linode_id} is running",
            operation=operation,
            progress=100,
            failure_reason="",
        )

    if operation is None or operation.status != OperationStatus.WAITING:
        return
    expected = operation.params.get("expect_status")
    if expected and status == expected:
        if operation.kind == OperationKind.PROVISION and server.state != State.RUNNING:
            return
        outbox.finish(operation, OperationStatus.SUCCEEDED, phase=f"linode_{status}")


def _handle_missing(server: Server, waiting: Operation | None, summary: TrackSummary) -> None:
    deleting = waiting is not None and waiting.params.get("expect_status") == "gone"
    if server.state in (State.TERMINATING, State.TERMINATED) or deleting:
        # The list no longer contains the Linode, so the API confirms the deletion.
        if server.state == State.TERMINATING and try_transition(
            server,
            State.TERMINATED,
            actor="system",
            reason=f"Linode {server.linode_id} is no longer listed by the API",
            operation=waiting,
            progress=100,
            linode_status="",
            root_password_encrypted="",  # the Linode is gone, so is any use for it
        ):
            summary.transitions += 1
        if waiting is not None and waiting.kind == OperationKind.TERMINATE:
            outbox.finish(waiting, OperationStatus.SUCCEEDED, phase="deleted")
        return

    observations = server.missing_observations + 1
    Server.objects.filter(pk=server.pk).update(missing_observations=observations)
    server.missing_observations = observations
    summary.missing += 1
    logger.warning(
        "server %s: Linode %s not listed by the API (%s time(s) in a row)",
        server.pk,
        server.linode_id,
        observations,
    )
    if observations < settings.PROVISIONING_VANISHED_AFTER:
        return
    summary.vanished.append(server.pk)
    reason = (
        f"Linode {server.linode_id} vanished: the API did not list it {observations} times in a row"
    )
    flag(FindingKind.VANISHED, reason, server=server, linode_id=server.linode_id)
    if server.state in (State.PROVISIONING, State.BOOTING):
        try_transition(
            server,
            State.FAILED,
            actor="system",
            reason=reason,
            operation=waiting,
            failure_reason=reason,
        )
    if waiting is not None:
        outbox.finish(waiting, OperationStatus.FAILED, error=reason)


def _event_progress(client: LinodeClient, linode_ids: list[int | None]) -> dict[int, Any]:
    """Return the newest progress event of each Linode, reading only these Linodes' events."""
    ids = sorted({linode_id for linode_id in linode_ids if linode_id is not None})
    newest: dict[int, Any] = {}
    for start in range(0, len(ids), TRACK_CHUNK):
        wanted = set(ids[start : start + TRACK_CHUNK])
        events = client.get_events(
            entity__type="linode",
            entity__id__in=sorted(wanted),
            action__in=sorted(PROGRESS_ACTIONS),
            order_by="created",
            order="desc",
        )
        for position, event in enumerate(events):
            if position >= EVENTS_PER_CHUNK:
                break
            entity_id = _entity_id(event)
            if entity_id in wanted and str(event.action) in PROGRESS_ACTIONS:
                newest[entity_id] = event
                wanted.discard(entity_id)
                if not wanted:
                    break
    return newest


def _entity_id(event: Any) -> int | None:
    entity = getattr(event, "entity", None)
    if entity is None:
        return None
    value = entity.get("id") if isinstance(entity, dict) else getattr(entity, "id", None)
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _update_progress(server: Server, event: Any | None) -> None:
    """Set the 0-100 progress shown to the customer from the state and the latest event."""
    percent = getattr(event, "percent_complete", None) if event is not None else None
    percent = int(percent) if isinstance(percent, (int, float)) else None
    action = str(getattr(event, "action", "")) if event is not None else ""

    if server.state == State.PROVISIONING:
        # Creating takes most of the time: 5 to 65 %.
        value = 5 + (percent or 0) * 60 // 100 if action == "linode_create" else 5
    elif server.state == State.BOOTING:
        value = 65 + (percent or 0) * 35 // 100 if action == "linode_boot" else 70
    elif server.state == State.TERMINATING:
        value = percent if action == "linode_delete" and percent is not None else 0
    elif server.state in (State.RUNNING, State.TERMINATED):
        value = 100
    else:
        return
    value = max(0, min(100, value))
    if server.state in (State.PROVISIONING, State.BOOTING):
        value = max(value, server.progress)  # never move backwards while creating
    if value != server.progress:
        Server.objects.filter(pk=server.pk).update(progress=value)
        server.progress = value
