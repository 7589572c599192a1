"""The customer's dashboard: server status, root access and cancellation."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.forms import CancelForm, PasswordConfirmForm
from accounts.models import User
from accounts.ssh_keys import InvalidSSHKey, parse_public_key
from accounts.throttle import FailureLimit, describe_wait
from provisioning.crypto import DecryptionFailed
from provisioning.models import CatalogRegion, Server, State
from provisioning.selectors import server_status
from provisioning.services import TransitionNotAllowed, request_termination, reveal_root_password
from provisioning.states import LIVE_STATES

logger = logging.getLogger(__name__)

# States in which the customer may cancel: every state before teardown starts.
CANCELLABLE_STATES = LIVE_STATES | {State.FAILED}
# Wrong portal passwords allowed on the reveal form per customer before it locks
# for the rest of the 15-minute window.
REVEAL_MAX_FAILURES = 5
REVEAL_LIMIT = FailureLimit("reveal", max_failures=REVEAL_MAX_FAILURES, window_seconds=15 * 60)
# States after which nothing changes any more, so the page stops polling.
FINAL_STATES = frozenset({State.TERMINATED})


def _customer_and_server(request: HttpRequest) -> tuple[User, Server | None]:
    user = request.user
    assert isinstance(user, User)
    return user, getattr(user, "server", None)


def _customer_status(server: Server) -> dict[str, Any]:
    """Return the server's status, without the addresses once the server is deleted."""
    status = server_status(server)
    if server.state == State.TERMINATED:
        # A deleted Linode's addresses no longer lead to this customer's server.
        status["ipv4"] = None
        status["ipv6"] = None
    return status


def _dashboard_context(user: User, server: Server | None, **extra: Any) -> dict[str, Any]:
    context: dict[str, Any] = {"server": server, "status": None, "ssh_key": None}
    if server is not None:
        context["status"] = _customer_status(server)
        context["region_label"] = (
            CatalogRegion.objects.filter(pk=server.region).values_list("label", flat=True).first()
        )
        context["support_email"] = settings.DEFAULT_FROM_EMAIL
        context["can_cancel"] = server.state in CANCELLABLE_STATES
        context["is_final"] = server.state in FINAL_STATES
        if server.ssh_key:
            try:
                context["ssh_key"] = parse_public_key(server.ssh_key)
            except InvalidSSHKey:
                logger.warning("Server %s has an invalid stored SSH key", server.pk)
        context.setdefault("reveal_form", PasswordConfirmForm(user))
    context.update(extra)
    return context


@require_GET
@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    user, server = _customer_and_server(request)
    return render(request, "dashboard/dashboard.html", _dashboard_context(user, server))


@require_GET
@never_cache
def server_json(request: HttpRequest) -> JsonResponse:
    """Return the dashboard's data as JSON; the page's script polls it."""
    if not request.user.is_authenticated:
        return JsonResponse({"error": "Log in to see your server's status."}, status=401)
    _, server = _customer_and_server(request)
    if server is None:
        return JsonResponse({"error": "This account has no server."}, status=404)
    return JsonResponse(_customer_status(server))


@require_http_methods(["GET", "POST"])
@login_required
def cancel(request: HttpRequest) -> HttpResponse:
    """Show the confirmation form on GET; on a confirmed POST, tear the server down."""
    user, server = _customer_and_server(request)
    if server is None:
        messages.info(request, "This account has no server to cancel.")
        return redirect("dashboard")
    if server.state not in CANCELLABLE_STATES:
        messages.info(request, f"Your server is {server.state}; there is nothing to cancel.")
        return redirect("dashboard")

    form = CancelForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            # The row lock makes parallel cancel requests take turns, so exactly one of
            # them finds no earlier termination request and logs the cancellation.
            with transaction.atomic():
                locked = Server.objects.select_for_update().get(pk=server.pk)
                requested_before = locked.termination_requested_at is not None
                request_termination(locked, actor=f"customer:{user.pk}")
        except TransitionNotAllowed as exc:
            messages.error(request, f"Your server cannot be cancelled right now: {exc}")
            return redirect("dashboard")
        if requested_before:
            logger.info(
                "User %s asked to cancel server %s, whose termination was already requested",
                user.pk,
                server.uuid,
            )
        else:
            logger.info("User %s cancelled server %s", user.pk, server.uuid)
        messages.success(request, "Your server is being deleted. This page shows when it is gone.")
        return redirect("dashboard")

    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "dashboard/cancel.html",
        {"form": form, "server": server, "status": server_status(server)},
        status=status,
    )


@sensitive_post_parameters("password")
@require_POST
@login_required
@never_cache
@sensitive_variables("root_password")
def reveal_password(request: HttpRequest) -> HttpResponse:
    """Show the server's root password after the portal password is re-entered.

    The password goes into this response only: it is not logged, stored in the
    session or put in a message, and the response must not be cached.
    """
    user, server = _customer_and_server(request)
    if server is None:
        return redirect("dashboard")

    wait = REVEAL_LIMIT.retry_after(str(user.pk))
    if wait:
        logger.warning("User %s is locked out of the root password reveal", user.pk)
        message = f"Too many wrong passwords. Try again {describe_wait(wait)}."
        context = _dashboard_context(user, server, reveal_error=message)
        response = render(request, "dashboard/dashboard.html", context, status=429)
        response["Retry-After"] = str(wait)
        return response

    form = PasswordConfirmForm(user, request.POST)
    if not form.is_valid():
        # An empty field is a form error, not a guess, so only a wrong password counts.
        if form.has_error("password", "wrong_password"):
            logger.warning("User %s entered a wrong password to reveal the root password", user.pk)
            REVEAL_LIMIT.record_failure(str(user.pk))
        context = _dashboard_context(user, server, reveal_form=form)
        return render(request, "dashboard/dashboard.html", context, status=400)
    REVEAL_LIMIT.clear(str(user.pk))

    try:
        root_password = reveal_root_password(server)
    except DecryptionFailed:
        logger.error(
            "The root password of server %s cannot be decrypted with SECRET_KEY", server.uuid
        )
        messages.error(
            request,
            "Your root password cannot be shown right now. We have logged the problem; "
            "please contact support.",
        )
        return redirect("dashboard")
    if root_password is None:
        messages.info(
            request,
            "There is no root password to show: the server uses your SSH key, "
            "or it has not been created yet.",
        )
        return redirect("dashboard")

    logger.info("User %s revealed the root password of server %s", user.pk, server.uuid)
    return render(
        request,
        "dashboard/root_password.html",
        {"server": server, "status": server_status(server), "root_password": root_password},
    )
