"""Carry out one operation against the Linode API.

`execute(operation_id)` is what the Celery task runs. It claims the operation
(a second delivery finds it claimed and stops), runs the handler for its kind,
and turns API errors into a retry with `not_before`, a wait for tracking, or
a failure shown to the operator. Handlers look before they act, so running one
again after a crash repeats no side effect: provision looks the label up
before any create, terminate treats a missing Linode as deleted.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from linode_api import (
    ApiError,
    BadRequestError,
    ConnectionFailedError,
    ForbiddenError,
    Linode,
    LinodeClient,
    LinodeError,
    NotFoundError,
    OutcomeUnknownError,
    RateLimitedError,
    ServerError,
    UnauthorizedError,
)
from provisioning import limiter, outbox, redaction
from provisioning.linode import creates_without_waiting, get_client
from provisioning.linode_lookup import find_by_label, is_label_in_use, record_linode
from provisioning.models import Operation, OperationKind, OperationStatus, Server, State
from provisioning.passwords import new_root_password, stored_or_new_root_password
from provisioning.states import TransitionRejected, transition, try_transition

logger = logging.getLogger(__name__)

# Seconds to wait before looking again after a create whose outcome is unknown.
OUTCOME_UNKNOWN_RETRY_SECONDS = 5.0
# First wait after a 400 "Linode busy." (another job is running on the Linode); it doubles.
BUSY_RETRY_SECONDS = 3.0
DEFAULT_RETRY_AFTER_SECONDS = 5.0
# Seconds between checks whether a Linode finished shutting down (about 15 s at speed 1).
SHUTDOWN_POLL_SECONDS = 5.0
# The phase of a provision operation that looked its label up, found nothing and
# waits for a create slot. It sent no create since that lookup.
PHASE_WAITING_FOR_CREATE_SLOT = "waiting_for_create_slot"


class RetryLater(Exception):
    """Raised by a handler that wants to run again after `delay` seconds."""

    def __init__(self, reason: str, delay: float, *, count_attempt: bool = True) -> None:
        super().__init__(reason)
        self.reason = reason
        self.delay = delay
        self.count_attempt = count_attempt


class OperationFailed(Exception):
    """Raised by a handler when the operation cannot succeed without the operator."""


Handler = Callable[[Operation, Server, LinodeClient], None]


def execute(operation_id: int) -> str | None:
    """Run one operation; return its status afterwards, or None when it was not claimed."""
    operation = outbox.claim(operation_id)
    if operation is None:
        return None
    server = Server.objects.select_related("plan", "customer").get(pk=operation.server_id)
    handler = HANDLERS[operation.kind]
    try:
        _run_handler(handler, operation, server)
    except RetryLater as exc:
        _retry(operation, server, exc.reason, exc.delay, count_attempt=exc.count_attempt)
    except RateLimitedError as exc:
        delay = exc.retry_after or DEFAULT_RETRY_AFTER_SECONDS
        _retry(operation, server, f"rate limited by the API: {exc}", delay, count_attempt=False)
    except (UnauthorizedError, ForbiddenError) as exc:
        _fail(
            operation,
            server,
            f"The Linode API rejected the portal's token ({exc}). "
            "Run `manage.py check_linode` to see what the token lacks.",
        )
    except BadRequestError as exc:
        if any("busy" in reason.lower() for reason in exc.reasons):
            # Jobs such as a create take a minute or more, so the waits grow.
            delay = outbox.backoff(operation.attempts, base=BUSY_RETRY_SECONDS).total_seconds()
            _retry(operation, server, f"Linode busy: {exc}", delay)
        else:
            _fail(operation, server, f"The Linode API rejected the request: {exc}")
    except (ConnectionFailedError, ServerError, OutcomeUnknownError) as exc:
        delay = outbox.backoff(operation.attempts).total_seconds()
        _retry(operation, server, f"Linode API unavailable: {exc}", delay)
    except (ApiError, LinodeError) as exc:
        delay = outbox.backoff(operation.attempts).total_seconds()
        _retry(operation, server, f"Linode API error: {exc}", delay)
    except OperationFailed as exc:
        _fail(operation, server, str(exc))
    except TransitionRejected as exc:
        # Another process changed the server first. The handler reads the new
        # state on its next run and either carries on or finds nothing to do.
        _retry(operation, server, str(exc), 1.0)
    except Exception as exc:
        logger.exception(
            "server %s: operation %s (%s) crashed", server.pk, operation.pk, operation.kind
        )
        delay = outbox.backoff(operation.attempts).total_seconds()
        _retry(operation, server, f"internal error: {type(exc).__name__}: {exc}", delay)
    operation.refresh_from_db()
    return operation.status


def _run_handler(handler: Handler, operation: Operation, server: Server) -> None:
    """Run `handler`, redacting the passwords it sent and the token from any exception it raises.

    Every error message below becomes an operation error, a log line, and for
    a failed provision or teardown the server's failure reason.
    """
    with redaction.secrets_scope():
        try:
            handler(operation, server, get_client())
        except Exception as exc:
            redaction.scrub_exception(exc)
            if isinstance(exc, RetryLater):
                exc.reason = redaction.redact(exc.reason)
            raise


def _retry(
    operation: Operation, server: Server, reason: str, delay: float, *, count_attempt: bool = True
) -> None:
    not_before = timezone.now() + timedelta(seconds=delay)
    if not outbox.requeue(
        operation, not_before=not_before, reason=reason, count_attempt=count_attempt
    ):
        _fail(operation, server, f"gave up after {operation.attempts + 1} attempts: {reason}")


def _fail(operation: Operation, server: Server, reason: str) -> None:
    """Fail the operation; a failed provision or teardown also fails the server."""
    logger.warning(
        "server %s: operation %s (%s) failed: %s", server.pk, operation.pk, operation.kind, reason
    )
    if operation.kind in (OperationKind.PROVISION, OperationKind.TERMINATE):
        server.refresh_from_db()
        if server.state in (State.PROVISIONING, State.BOOTING, State.TERMINATING):
            try_transition(
                server,
                State.FAILED,
                actor="system",
                reason=reason,
                operation=operation,
                failure_reason=reason,
            )
    else:
        Server.objects.filter(pk=server.pk).update(
            attention=f"{operation.get_kind_display()} failed: {reason}"
        )
    outbox.finish(operation, OperationStatus.FAILED, error=reason)


# --- provision ---------------------------------------------------------------


def provision(operation: Operation, server: Server, client: LinodeClient) -> None:
    """Create the server's Linode, or adopt the one an earlier attempt created."""
    if server.state not in (State.PROVISIONING, State.BOOTING):
        outbox.finish(
            operation,
            OperationStatus.CANCELLED,
            error=f"server is {server.state}; nothing to provision",
        )
        return

    if operation.phase == PHASE_WAITING_FOR_CREATE_SLOT:
        # The previous run looked the label up, found nothing and sent no
        # create, because "create_sent" is recorded before any create. So a
        # run that would find no free slot stops before the lookup and sends
        # no request. With a slot free, the lookup still comes right before
        # the create, so a Linode that appeared meanwhile is adopted.
        _wait_unless_slot_free(operation)

    outbox.record_progress(operation, phase="looking_up_label")
    linode = find_by_label(client, server.label)
    if linode is not None:
        logger.info(
            "server %s: adopting Linode %s found under label %s",
            server.pk,
            linode.id,
            server.label,
        )
        if str(linode.status) == "offline":
            if _create_event_failed(client, linode.id):
                # The host failed to deploy the image, so the disks cannot be
                # trusted: deploy the image again instead of booting them.
                logger.info("server %s: rebuilding adopted Linode %s", server.pk, linode.id)
                _rebuild(server, linode)
            else:
                # An earlier attempt created it but its first boot did not happen or failed.
                logger.info("server %s: booting adopted Linode %s", server.pk, linode.id)
                linode.boot()
    else:
        # The slot is taken after the lookup so that its time is the create's
        # time, which the API's window counts from.
        _take_create_slot(operation)
        linode = _create(operation, server, client)

    record_linode(server, linode)
    outbox.record_progress(operation, phase="created", linode_id=linode.id)
    outbox.mark_waiting(operation, phase="waiting_for_boot", expect_status="running")
    # Tracking moves the server on from here. Apply the status the create returned now.
    from provisioning.tracking import apply_linode_status

    apply_linode_status(server, str(linode.status), operation=operation)


def _take_create_slot(operation: Operation) -> None:
    """Take a create slot, or raise RetryLater until this operation's turn for one."""
    free_at = limiter.try_acquire(
        operation_id=operation.pk, queue_position=_create_queue_position(operation)
    )
    if free_at is not None:
        delay = max(0.0, (free_at - timezone.now()).total_seconds())
        outbox.record_progress(operation, phase=PHASE_WAITING_FOR_CREATE_SLOT)
        raise RetryLater("waiting for a create slot", delay, count_attempt=False)


def _wait_unless_slot_free(operation: Operation) -> None:
    """Raise RetryLater until this operation's turn when no create slot is free now."""
    free_at = limiter.next_free_at(queue_position=_create_queue_position(operation))
    if free_at is not None:
        delay = max(0.0, (free_at - timezone.now()).total_seconds())
        raise RetryLater("waiting for a create slot", delay, count_attempt=False)


def _create_queue_position(operation: Operation) -> int:
    """Count the provision operations waiting for a create slot ahead of this one.

    Those waiting already are ahead of an operation that starts to wait. Among
    waiting ones, the earlier `not_before` (their turn) goes first, then the
    lower id. Workers that count at the same moment may get the same
    position, and the one that then finds no slot is counted again.
    """
    waiting = Operation.objects.filter(
        kind=OperationKind.PROVISION,
        phase=PHASE_WAITING_FOR_CREATE_SLOT,
        status__in=(OperationStatus.QUEUED, OperationStatus.RUNNING),
    ).exclude(pk=operation.pk)
    if operation.phase == PHASE_WAITING_FOR_CREATE_SLOT and operation.not_before is not None:
        waiting = waiting.filter(
            Q(not_before__lt=operation.not_before)
            | Q(not_before=operation.not_before, pk__lt=operation.pk)
        )
    return waiting.count()


def _deploy_credentials(server: Server, *, replace: bool = False) -> tuple[str, list[str] | None]:
    """Return the root password and authorized keys to deploy the server's image with.

    `replace` stores a new root password instead of reusing the stored one.
    """
    if server.uses_ssh_key:
        # The API needs a root password with an image; the customer logs in
        # with their key, so this password is never stored or shown.
        return new_root_password(), [server.ssh_key.strip()]
    return stored_or_new_root_password(server, replace=replace), None


def _create_event_failed(client: LinodeClient, linode_id: int) -> bool:
    events = client.get_events(entity__id=linode_id, entity__type="linode", action="linode_create")
    return any(str(event.status) == "failed" for event in events)


def _rebuild(server: Server, linode: Linode) -> None:
    plan = server.plan
    root_pass, authorized_keys = _deploy_credentials(server)
    linode.rebuild(
        plan.image,
        root_pass=root_pass,
        authorized_keys=authorized_keys,
        booted=True,
        stackscript=plan.stackscript_id,
        stackscript_data=plan.stackscript_data or None,
        user_data=plan.user_data or None,
    )


def _create(operation: Operation, server: Server, client: LinodeClient) -> Linode:
    """Send the create; the caller has taken a create slot and looked the label up just before."""
    plan = server.plan
    root_pass, authorized_keys = _deploy_credentials(server)

    outbox.record_progress(operation, phase="create_sent")
    logger.info(
        "server %s: creating Linode %s (%s in %s, operation %s)",
        server.pk,
        server.label,
        plan.linode_type,
        server.region,
        operation.pk,
    )
    try:
        with creates_without_waiting(client):
            return client.create_linode(
                plan.linode_type,
                server.region,
                plan.image,
                root_pass=root_pass,
                authorized_keys=authorized_keys,
                label=server.label,
                tags=_tags(server),
                stackscript=plan.stackscript_id,
                stackscript_data=plan.stackscript_data or None,
                user_data=plan.user_data or None,
                booted=True,
                firewall=settings.LINODE_FIREWALL_ID or None,
            )
    except BadRequestError as exc:
        if not is_label_in_use(exc):
            raise
        logger.info(
            "server %s: label %s already in use; looking it up to adopt it",
            server.pk,
            server.label,
        )
        linode = find_by_label(client, server.label)
        if linode is None:
            raise RetryLater(
                f"label {server.label} is in use but no Linode carries it", 5.0
            ) from None
        return linode
    except OutcomeUnknownError as exc:
        logger.warning(
            "server %s: create outcome unknown (%s); looking the label up",
            server.pk,
            redaction.redact(str(exc)),  # logged before _run_handler redacts the exception
        )
        linode = find_by_label(client, server.label)
        if linode is None:
            raise RetryLater(
                f"create outcome unknown and no Linode found yet: {exc}",
                OUTCOME_UNKNOWN_RETRY_SECONDS,
            ) from None
        return linode
    except RateLimitedError as exc:
        retry_after = exc.retry_after or DEFAULT_RETRY_AFTER_SECONDS
        limiter.push_back(until=timezone.now() + timedelta(seconds=retry_after))
        raise


def _tags(server: Server) -> list[str]:
    from provisioning.linode import portal_tags

    return portal_tags(server.linode_tag)


# --- terminate ---------------------------------------------------------------


def terminate(operation: Operation, server: Server, client: LinodeClient) -> None:
    """Delete the server's Linode; a Linode that is already gone counts as deleted."""
    if server.state == State.TERMINATED:
        outbox.finish(operation, OperationStatus.SUCCEEDED, error="already terminated")
        return
    if server.state != State.TERMINATING:
        transition(
            server,
            State.TERMINATING,
            actor=operation.actor or "system",
            reason="teardown requested",
            operation=operation,
        )

    linode_id = server.linode_id or operation.linode_id
    if linode_id is None:
        # A create whose response was lost may have left a Linode behind.
        found = find_by_label(client, server.label)
        if found is not None:
            record_linode(server, found)
            linode_id = found.id
    if linode_id is None:
        _confirm_terminated(operation, server, "no Linode was ever created")
        return

    outbox.record_progress(operation, phase="delete_sent", linode_id=linode_id)
    try:
        Linode(client, linode_id).delete()
    except NotFoundError:
        _confirm_terminated(operation, server, f"Linode {linode_id} was already gone (404)")
        return
    logger.info("server %s: delete of Linode %s accepted", server.pk, linode_id)
    outbox.mark_waiting(operation, phase="waiting_for_deletion", expect_status="gone")


def _confirm_terminated(operation: Operation, server: Server, reason: str) -> None:
    # Tracking may have confirmed the deletion first; the operation succeeded either way.
    try_transition(
        server,
        State.TERMINATED,
        actor="system",
        reason=reason,
        operation=operation,
        progress=100,
        linode_status="",
        root_password_encrypted="",  # the Linode is gone, so is any use for it
    )
    outbox.finish(operation, OperationStatus.SUCCEEDED, phase="deleted")


# --- power, suspension and maintenance ------------------------------------------


def _require_linode(server: Server) -> int:
    if server.linode_id is None:
        raise OperationFailed(f"server {server.pk} has no Linode yet")
    return server.linode_id


def _status_of(client: LinodeClient, linode_id: int) -> str:
    linode = Linode(client, linode_id)
    return str(linode.status)


def power_on(operation: Operation, server: Server, client: LinodeClient) -> None:
    linode_id = _require_linode(server)
    if server.state == State.SUSPENDED:
        raise OperationFailed("the server is suspended; resume it instead")
    if _status_of(client, linode_id) not in ("running", "booting"):
        Linode(client, linode_id).boot()
    outbox.finish(operation, OperationStatus.SUCCEEDED, phase="boot_sent")


def power_off(operation: Operation, server: Server, client: LinodeClient) -> None:
    linode_id = _require_linode(server)
    if _status_of(client, linode_id) not in ("offline", "shutting_down"):
        Linode(client, linode_id).shutdown()
    outbox.finish(operation, OperationStatus.SUCCEEDED, phase="shutdown_sent")


def reboot(operation: Operation, server: Server, client: LinodeClient) -> None:
    linode_id = _require_linode(server)
    if server.state == State.SUSPENDED:
        raise OperationFailed("the server is suspended; resume it instead")
    Linode(client, linode_id).reboot()
    outbox.finish(operation, OperationStatus.SUCCEEDED, phase="reboot_sent")


def suspend(operation: Operation, server: Server, client: LinodeClient) -> None:
    """Power the Linode off; the suspended state keeps the customer from booting it."""
    linode_id = _require_linode(server)
    if server.state != State.SUSPENDED:
        outbox.finish(operation, OperationStatus.CANCELLED, error=f"server is {server.state}")
        return
    if _status_of(client, linode_id) not in ("offline", "shutting_down"):
        Linode(client, linode_id).shutdown()
    outbox.finish(operation, OperationStatus.SUCCEEDED, phase="shutdown_sent")


def resume(operation: Operation, server: Server, client: LinodeClient) -> None:
    linode_id = _require_linode(server)
    if server.state != State.RUNNING:
        outbox.finish(operation, OperationStatus.CANCELLED, error=f"server is {server.state}")
        return
    if _status_of(client, linode_id) not in ("running", "booting"):
        Linode(client, linode_id).boot()
    outbox.finish(operation, OperationStatus.SUCCEEDED, phase="boot_sent")


def rebuild(operation: Operation, server: Server, client: LinodeClient) -> None:
    """Reinstall the plan's image (or `params["image"]`) with fresh root access."""
    linode_id = _require_linode(server)
    image = operation.params.get("image") or server.plan.image
    # A rerun after "rebuild_sent" reuses the password the first run stored.
    root_pass, authorized_keys = _deploy_credentials(server, replace=operation.phase == "")
    outbox.record_progress(operation, phase="rebuild_sent")
    Linode(client, linode_id).rebuild(image, root_pass=root_pass, authorized_keys=authorized_keys)
    outbox.mark_waiting(operation, phase="waiting_for_boot", expect_status="running")


def reset_password(operation: Operation, server: Server, client: LinodeClient) -> None:
    """Set a new root password: the API needs the Linode shut down, so shut down, set, boot."""
    linode_id = _require_linode(server)
    if server.uses_ssh_key:
        raise OperationFailed("the server uses an SSH key; there is no root password to reset")
    status = _status_of(client, linode_id)
    if operation.phase in ("", "shutdown_sent") and status != "offline":
        if status not in ("shutting_down",):
            Linode(client, linode_id).shutdown()
        outbox.record_progress(operation, phase="shutdown_sent")
        # Counted, so a Linode that never shuts down fails the operation in the end.
        raise RetryLater("waiting for the Linode to shut down", SHUTDOWN_POLL_SECONDS)
    if operation.phase in ("", "shutdown_sent"):
        password = stored_or_new_root_password(server, replace=True)
        Linode(client, linode_id).reset_root_password(password)
        outbox.record_progress(operation, phase="password_set")
    if server.state == State.RUNNING:
        Linode(client, linode_id).boot()
    outbox.finish(operation, OperationStatus.SUCCEEDED, phase="done")


HANDLERS: dict[str, Handler] = {
    OperationKind.PROVISION: provision,
    OperationKind.TERMINATE: terminate,
    OperationKind.POWER_ON: power_on,
    OperationKind.POWER_OFF: power_off,
    OperationKind.REBOOT: reboot,
    OperationKind.SUSPEND: suspend,
    OperationKind.RESUME: resume,
    OperationKind.REBUILD: rebuild,
    OperationKind.RESET_PASSWORD: reset_password,
}
