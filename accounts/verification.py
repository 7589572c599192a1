"""Email verification: signed, expiring links and what following one does.

The link carries the user's id and the address it was sent to, signed with
SECRET_KEY and a timestamp. A link stops working when it is older than
EMAIL_VERIFICATION_MAX_AGE_SECONDS or when the account's address changed since
it was sent. Nothing is stored per link, so a resent mail does not invalidate
the earlier ones before they expire.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core import signing
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from provisioning import services

logger = logging.getLogger(__name__)

SIGNING_SALT = "accounts.email-verification"


class VerificationError(Exception):
    """A verification link that is invalid or expired; the message names the cause."""


def make_token(user: User) -> str:
    return signing.dumps({"user": user.pk, "email": user.email}, salt=SIGNING_SALT)


def verification_url(user: User) -> str:
    path = reverse("accounts:verify-email", kwargs={"token": make_token(user)})
    return f"{settings.PORTAL_BASE_URL}{path}"


def send_verification_email(user: User) -> None:
    """Mail the verification link to the user's address.

    Raises what the email backend raises (OSError, smtplib.SMTPException).
    """
    context = {
        "user": user,
        "verify_url": verification_url(user),
        "max_age_hours": settings.EMAIL_VERIFICATION_MAX_AGE_SECONDS // 3600,
        "portal_url": settings.PORTAL_BASE_URL,
    }
    subject = render_to_string("accounts/email/verify_subject.txt", context).strip()
    body = render_to_string("accounts/email/verify_body.txt", context)
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])
    logger.info("Sent the email verification link to user %s", user.pk)


def user_for_token(token: str) -> User:
    """Return the user a verification token was issued to.

    Raises VerificationError when the token is malformed, expired or stale.
    """
    try:
        data = signing.loads(
            token, salt=SIGNING_SALT, max_age=settings.EMAIL_VERIFICATION_MAX_AGE_SECONDS
        )
    except signing.SignatureExpired:
        raise VerificationError(
            "This verification link has expired. Log in and request a new one."
        ) from None
    except signing.BadSignature:
        raise VerificationError(
            "This verification link is invalid. Check that you copied the whole link "
            "from the mail, or log in and request a new one."
        ) from None

    user = User.objects.filter(pk=data.get("user"), is_active=True).first()
    if user is None or user.email != data.get("email"):
        raise VerificationError(
            "This verification link belongs to an address that is no longer on an "
            "active account. Log in and request a new link."
        )
    return user


def mark_verified(user: User) -> bool:
    """Record that the user's address is verified and start their server.

    Returns True when this call verified the address, False when it was
    verified before. Starting provisioning is idempotent, so following a link
    twice, or two tabs at once, starts one server.
    """
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        newly_verified = locked.email_verified_at is None
        if newly_verified:
            locked.email_verified_at = timezone.now()
            locked.save(update_fields=["email_verified_at"])
            logger.info("User %s verified their email address", locked.pk)
        server = getattr(locked, "server", None)
        if server is not None:
            try:
                services.start_provisioning(server, actor=f"customer:{locked.pk}")
            except services.TransitionNotAllowed as exc:
                # The server left pending without an operation, so nothing is left to build.
                logger.info("Not provisioning server %s after verification: %s", server.pk, exc)

    user.email_verified_at = locked.email_verified_at
    return newly_verified
