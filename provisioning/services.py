"""Writes: every change to servers and plans that the web and the admin make.

Each service changes state and writes its operation (the outbox row) in one
transaction; the operation's task goes out after the commit.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.utils import timezone

from provisioning import outbox
from provisioning.crypto import decrypt_secret
from provisioning.models import (
    OPEN_OPERATION_STATUSES,
    CatalogImage,
    Operation,
    OperationKind,
    OperationStatus,
    Plan,
    Server,
    Standing,
    State,
)
from provisioning.selectors import plan_problems
from provisioning.states import TransitionRejected, transition

if TYPE_CHECKING:
    from accounts.models import User

logger = logging.getLogger(__name__)


class OrderRejected(Exception):
    """An order the portal cannot accept; the message is safe to show the customer."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class TransitionNotAllowed(Exception):
    """A server action that the server's current state does not allow; safe to show."""


def place_order(*, customer: User, plan: Plan, region: str, ssh_key: str = "") -> Server:
    """Create the customer's server in state "pending"; no Linode work happens yet.

    Raises OrderRejected when the plan cannot be ordered in `region` or the
    customer already has a server.
    """
    problems = plan_problems(plan, region)
    if problems:
        raise OrderRejected(" ".join(problems))
    if Server.objects.filter(customer=customer).exists():
        raise OrderRejected(
            f"{customer.email} already has a server, and each account holds one server "
            "(a cancelled one included). Contact support to order another."
        )
    try:
        with transaction.atomic():
            server = Server.objects.create(
                customer=customer, plan=plan, region=region, ssh_key=ssh_key.strip()
            )
    except IntegrityError:
        # The one-server-per-customer constraint caught a concurrent order.
        raise OrderRejected(
            f"{customer.email} already has a server, and each account holds one server."
        ) from None
    logger.info(
        "server %s: ordered by customer %s (plan %s, region %s)",
        server.pk,
        customer.pk,
        plan.slug,
        region,
    )
    return server


def _open_operation(server: Server, kind: str) -> Operation | None:
    return (
        server.operations.filter(kind=kind, status__in=OPEN_OPERATION_STATUSES)
        .order_by("id")
        .first()
    )


def start_provisioning(server: Server, *, actor: str) -> Operation:
    """Start creating the server's Linode; calling it again returns the same operation."""
    with transaction.atomic():
        server = Server.objects.select_for_update().get(pk=server.pk)
        existing = _open_operation(server, OperationKind.PROVISION)
        if existing is not None:
            return existing
        if server.state != State.PENDING:
            # Provisioning ran before, or the order was cancelled before the
            # address was verified: nothing to start, report the latest operation.
            latest = (
                server.operations.filter(kind=OperationKind.PROVISION).order_by("-id").first()
                or server.operations.order_by("-id").first()
            )
            if latest is not None:
                return latest
            raise TransitionNotAllowed(
                f"server {server.pk} is {server.state}; provisioning starts only from pending"
            )
        operation = outbox.enqueue(server, OperationKind.PROVISION, actor=actor)
        transition(
            server,
            State.PROVISIONING,
            actor=actor,
            reason="provisioning started",
            operation=operation,
        )
    return operation


def retry_provisioning(server: Server, *, actor: str) -> Operation:
    """Provision a failed server again; an existing Linode with its label is adopted."""
    with transaction.atomic():
        server = Server.objects.select_for_update().get(pk=server.pk)
        if server.state != State.FAILED:
            raise TransitionNotAllowed(
                f"server {server.pk} is {server.state}; only a failed server can be retried"
            )
        if server.termination_requested_at is not None:
            raise TransitionNotAllowed(
                f"server {server.pk} was cancelled; tear it down instead of retrying"
            )
        operation = outbox.enqueue(server, OperationKind.PROVISION, actor=actor)
        transition(
            server,
            State.PROVISIONING,
            actor=actor,
            reason="provisioning retried",
            operation=operation,
            failure_reason="",
            attention="",
        )
    return operation


def request_termination(server: Server, *, actor: str, reason: str = "") -> Operation:
    """Tear the server's Linode down; idempotent.

    When another operation (such as a create) is still in flight, the teardown
    waits behind it; a provision that never reached the API is cancelled.
    """
    with transaction.atomic():
        server = Server.objects.select_for_update().get(pk=server.pk)
        existing = _open_operation(server, OperationKind.TERMINATE)
        if existing is not None:
            return existing
        if server.state == State.TERMINATED:
            latest = server.operations.filter(kind=OperationKind.TERMINATE).order_by("-id").first()
            if latest is not None:
                return latest
            raise TransitionNotAllowed(f"server {server.pk} is already terminated")

        for queued in server.operations.filter(status=OperationStatus.QUEUED).order_by("id"):
            outbox.cancel_if_untouched(queued)

        Server.objects.filter(pk=server.pk).update(
            termination_requested_at=timezone.now(), standing=Standing.CLOSED
        )
        operation = outbox.enqueue(server, OperationKind.TERMINATE, actor=actor)
        idle = (
            not server.operations.filter(status__in=OPEN_OPERATION_STATUSES)
            .exclude(pk=operation.pk)
            .exists()
        )
        if idle and server.state != State.TERMINATING:
            transition(
                server,
                State.TERMINATING,
                actor=actor,
                reason=reason or "teardown requested",
                operation=operation,
            )
    return operation


def suspend(server: Server, *, actor: str, reason: str = "") -> Operation:
    """Power the server off and lock it: the customer cannot boot it until it is resumed."""
    with transaction.atomic():
        server = Server.objects.select_for_update().get(pk=server.pk)
        operation = outbox.enqueue(server, OperationKind.SUSPEND, actor=actor)
        _transition_or_reject(server, State.SUSPENDED, actor, reason or "suspended", operation)
    return operation


def resume(server: Server, *, actor: str, reason: str = "") -> Operation:
    """Lift a suspension and boot the server."""
    with transaction.atomic():
        server = Server.objects.select_for_update().get(pk=server.pk)
        operation = outbox.enqueue(server, OperationKind.RESUME, actor=actor)
        _transition_or_reject(server, State.RUNNING, actor, reason or "resumed", operation)
    return operation


def _transition_or_reject(
    server: Server, to_state: str, actor: str, reason: str, operation: Operation
) -> None:
    try:
        transition(server, to_state, actor=actor, reason=reason, operation=operation)
    except TransitionRejected as exc:
        raise TransitionNotAllowed(
            f"server {server.pk} is {server.state}; it cannot become {to_state}"
        ) from exc


def request_power_action(
    server: Server, kind: str, *, actor: str, image: str | None = None
) -> Operation:
    """Queue a power on/off, reboot, rebuild or root password reset on a running server."""
    allowed = {
        OperationKind.POWER_ON,
        OperationKind.POWER_OFF,
        OperationKind.REBOOT,
        OperationKind.REBUILD,
        OperationKind.RESET_PASSWORD,
    }
    if kind not in allowed:
        choices = ", ".join(sorted(str(choice) for choice in allowed))
        raise ValueError(f"'{kind}' is not a power action; use one of: {choices}")
    with transaction.atomic():
        server = Server.objects.select_for_update().get(pk=server.pk)
        if server.state != State.RUNNING:
            raise TransitionNotAllowed(
                f"server {server.pk} is {server.state}; this action needs a running server"
            )
        if kind == OperationKind.RESET_PASSWORD and server.uses_ssh_key:
            raise TransitionNotAllowed(
                "this server uses an SSH key; it has no root password to reset"
            )
        if image and not CatalogImage.objects.filter(id=image, present=True).exists():
            raise ValueError(
                f"Image {image!r} is not in the catalog; choose a listed image "
                "or run `manage.py sync_catalog`."
            )
        params = {"image": image} if image else {}
        return outbox.enqueue(server, kind, actor=actor, params=params)


def set_standing(server: Server, standing: str, *, actor: str) -> None:
    """Record the customer's billing standing (it does not change the server's state)."""
    if standing not in Standing.values:
        choices = ", ".join(Standing.values)
        raise ValueError(f"'{standing}' is not a billing standing; use one of: {choices}")
    Server.objects.filter(pk=server.pk).update(standing=standing)
    server.standing = standing
    logger.info("server %s: standing set to %s by %s", server.pk, standing, actor)


def reveal_root_password(server: Server) -> str | None:
    """Return the decrypted root password, or None when the server uses an SSH key.

    The caller must have re-checked the customer's portal password first.
    """
    server.refresh_from_db(fields=["root_password_encrypted", "ssh_key", "state"])
    if server.uses_ssh_key or not server.root_password_encrypted:
        return None
    if server.state == State.TERMINATED:
        return None
    return decrypt_secret(server.root_password_encrypted)
