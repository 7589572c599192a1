"""The server state machine: the only code that changes `Server.state`.

Each change is a guarded `UPDATE ... WHERE id = ? AND state = ?`; a row count
of zero means another process moved the server first, and the caller gets
TransitionRejected instead of overwriting that change. Every change writes
one Transition row (the audit trail) in the same transaction.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.utils import timezone

from provisioning.models import Operation, Server, State, Transition

logger = logging.getLogger(__name__)

LIVE_STATES = frozenset(
    {State.PENDING, State.PROVISIONING, State.BOOTING, State.RUNNING, State.SUSPENDED}
)

ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    State.PENDING: frozenset({State.PROVISIONING, State.TERMINATING}),
    State.PROVISIONING: frozenset({State.BOOTING, State.FAILED, State.TERMINATING}),
    State.BOOTING: frozenset({State.RUNNING, State.FAILED, State.TERMINATING}),
    State.RUNNING: frozenset({State.SUSPENDED, State.TERMINATING}),
    State.SUSPENDED: frozenset({State.RUNNING, State.TERMINATING}),
    # A failed server is retried by the operator or torn down.
    State.FAILED: frozenset({State.PROVISIONING, State.TERMINATING}),
    # A teardown the API keeps rejecting fails and waits for the operator.
    State.TERMINATING: frozenset({State.TERMINATED, State.FAILED}),
    State.TERMINATED: frozenset(),
}


class TransitionRejected(Exception):
    """A state change that the state machine does not allow or that lost a race."""

    def __init__(self, server_id: int, from_state: str, to_state: str, detail: str) -> None:
        super().__init__(f"server {server_id}: {from_state} -> {to_state} rejected: {detail}")
        self.server_id = server_id
        self.from_state = from_state
        self.to_state = to_state


def is_allowed(from_state: str, to_state: str) -> bool:
    return to_state in ALLOWED_TRANSITIONS.get(from_state, frozenset())


def transition(
    server: Server,
    to_state: str,
    *,
    actor: str,
    reason: str = "",
    operation: Operation | None = None,
    expected: str | None = None,
    **fields: Any,
) -> Server:
    """Move `server` from its state (or `expected`) to `to_state` and record it.

    `fields` are further Server columns written by the same UPDATE, such as
    `failure_reason`. On success the in-memory `server` is updated too.
    Raises TransitionRejected when the move is not allowed or when the row no
    longer has the expected state.
    """
    from_state = expected if expected is not None else server.state
    if not is_allowed(from_state, to_state):
        raise TransitionRejected(server.pk, from_state, to_state, "not an allowed transition")

    now = timezone.now()
    with transaction.atomic():
        updated = Server.objects.filter(pk=server.pk, state=from_state).update(
            state=to_state, updated_at=now, **fields
        )
        if updated != 1:
            current = Server.objects.filter(pk=server.pk).values_list("state", flat=True).first()
            raise TransitionRejected(
                server.pk, from_state, to_state, f"the server is now {current!r}"
            )
        Transition.objects.create(
            server=server,
            from_state=from_state,
            to_state=to_state,
            actor=actor,
            reason=reason,
            operation=operation,
            created_at=now,
        )
        if to_state == State.RUNNING:
            # Imported here: notifications imports models only, but keeps the
            # mail code out of this module's import graph.
            from provisioning.notifications import notify_ready

            transaction.on_commit(lambda: notify_ready(server.pk))
        if to_state == State.TERMINATED:
            from provisioning.notifications import notify_terminated

            transaction.on_commit(lambda: notify_terminated(server.pk))

    server.state = to_state
    server.updated_at = now
    for name, value in fields.items():
        setattr(server, name, value)
    logger.info(
        "server %s: %s -> %s by %s (operation %s)%s",
        server.pk,
        from_state,
        to_state,
        actor,
        operation.pk if operation else None,
        f": {reason}" if reason else "",
    )
    return server


def try_transition(server: Server, to_state: str, **kwargs: Any) -> bool:
    """Run transition() and return False instead of raising when it is rejected."""
    try:
        transition(server, to_state, **kwargs)
    except TransitionRejected as exc:
        logger.info("%s", exc)
        server.refresh_from_db(fields=["state"])  # another process may have moved it
        return False
    return True
