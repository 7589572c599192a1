"""Account pages: signup, email verification, profile."""

from __future__ import annotations

import logging
import smtplib
import time

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_POST

from accounts.forms import SignupForm
from accounts.models import User
from accounts.ssh_keys import InvalidSSHKey, parse_public_key
from accounts.verification import (
    VerificationError,
    mark_verified,
    send_verification_email,
    user_for_token,
)
from provisioning.selectors import orderable_plans
from provisioning.services import OrderRejected, place_order

logger = logging.getLogger(__name__)

# Minimum time between two verification mails requested from one session.
RESEND_INTERVAL_SECONDS = 60
RESEND_SESSION_KEY = "accounts.verification_sent_at"


@method_decorator(sensitive_post_parameters("password1", "password2"), name="dispatch")
class SignupView(View):
    """Create a customer and their order in one transaction, then mail the link."""

    template_name = "accounts/signup.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            return redirect("dashboard")
        initial = {}
        if request.GET.get("plan"):
            initial["plan"] = request.GET["plan"]
        return render(request, self.template_name, {"form": SignupForm(initial=initial)})

    def post(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            return redirect("dashboard")
        form = SignupForm(request.POST)
        if not form.is_valid():
            return render(request, self.template_name, {"form": form}, status=400)

        data = form.cleaned_data
        try:
            with transaction.atomic():
                user = User.objects.create_user(email=data["email"], password=data["password1"])
                place_order(
                    customer=user,
                    plan=data["plan_object"],
                    region=data["region"],
                    ssh_key=data["ssh_key"],
                )
        except OrderRejected as exc:
            form.add_error(None, f"{exc} No account was created.")
            return render(request, self.template_name, {"form": form}, status=400)
        except IntegrityError:
            # Another signup with this address committed after clean_email checked it.
            if not User.objects.filter(email__iexact=data["email"]).exists():
                raise
            logger.info("A concurrent signup already created an account for this address")
            form.add_error("email", form.duplicate_email_error(data["email"]))
            return render(request, self.template_name, {"form": form}, status=400)

        logger.info("User %s signed up for plan %s in %s", user.pk, data["plan"], data["region"])
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        if _send_verification(request, user):
            messages.success(
                request,
                f"Welcome! We sent a verification link to {user.email}. "
                "Your server is built as soon as you follow it.",
            )
        return redirect("dashboard")


def _send_verification(request: HttpRequest, user: User) -> bool:
    """Send the verification mail; on failure log it and tell the customer."""
    try:
        send_verification_email(user)
    except (OSError, smtplib.SMTPException):
        logger.exception("Sending the verification mail to user %s failed", user.pk)
        messages.error(
            request,
            "We could not send the verification mail just now. Use the "
            "'Send the link again' button on your dashboard in a minute.",
        )
        return False
    request.session[RESEND_SESSION_KEY] = time.time()
    return True


@require_GET
def verify_email(request: HttpRequest, token: str) -> HttpResponse:
    """Follow a verification link: mark the address verified, start provisioning.

    NOTE: a GET verifies, so a mail scanner that opens every link in a message
    verifies the address (and starts the server) without the customer.
    """
    try:
        user = user_for_token(token)
    except VerificationError as exc:
        return render(request, "accounts/verify_failed.html", {"message": str(exc)}, status=400)

    newly_verified = mark_verified(user)
    if request.user.is_authenticated and request.user.pk != user.pk:
        # The link's owner is verified all the same. The page shows the logged-in
        # account, so the message names neither the owner's address nor their server.
        logger.info("User %s opened the verification link of user %s", request.user.pk, user.pk)
        messages.info(
            request,
            f"That link belongs to another account, which is now verified. You are logged in "
            f"as {request.user.email}; to see the other account, log out and log in as it.",
        )
        return redirect("dashboard")

    if newly_verified:
        messages.success(
            request, f"The address {user.email} is verified. Your server is being built."
        )
    else:
        messages.info(request, f"The address {user.email} was already verified.")
    if request.user.is_authenticated:
        return redirect("dashboard")
    return redirect("accounts:login")


@require_POST
@login_required
def resend_verification(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    if user.email_verified:
        messages.info(request, "Your email address is already verified.")
        return redirect("dashboard")

    sent_at = request.session.get(RESEND_SESSION_KEY, 0.0)
    wait = int(sent_at + RESEND_INTERVAL_SECONDS - time.time())
    if wait > 0:
        messages.warning(
            request, f"A link was sent moments ago. Check your mail, or try again in {wait} s."
        )
        return redirect("dashboard")

    if _send_verification(request, user):
        messages.success(request, f"We sent a new verification link to {user.email}.")
    return redirect("dashboard")


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    server = getattr(user, "server", None)
    ssh_key = None
    ssh_key_error = ""
    if server is not None and server.ssh_key:
        try:
            ssh_key = parse_public_key(server.ssh_key)
        except InvalidSSHKey as exc:
            ssh_key_error = str(exc)
    return render(
        request,
        "accounts/profile.html",
        {"server": server, "ssh_key": ssh_key, "ssh_key_error": ssh_key_error},
    )


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """Show the landing page: the plans on sale, each with a signup link."""
    if request.user.is_authenticated:
        return redirect("dashboard")
    return render(request, "home.html", {"plans": orderable_plans()})
