"""Customer mail triggered by server state transitions.

The "ready" mail goes out at most once per server: a guarded UPDATE records
the send time first, and only the process whose UPDATE changed the row sends
it. The "terminated" mail follows the move to terminated, which the state
machine allows once. No template includes the root password.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import timezone

from provisioning.models import Server

logger = logging.getLogger(__name__)


def _render(template: str, server: Server) -> tuple[str, str]:
    context = {
        "server": server,
        "plan": server.plan,
        "dashboard_url": f"{settings.PORTAL_BASE_URL}/dashboard/",
        "uses_ssh_key": server.uses_ssh_key,
    }
    subject = render_to_string(f"provisioning/email/{template}_subject.txt", context)
    body = render_to_string(f"provisioning/email/{template}.txt", context)
    return " ".join(subject.split()), body


def _send(template: str, server: Server) -> None:
    subject, body = _render(template, server)
    try:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [server.customer.email])
    except Exception:
        # The send time is already recorded, so the message is not retried;
        # a lost notification beats a duplicate. The operator sees this log.
        logger.exception("server %s: sending the %s mail failed", server.pk, template)
        return
    logger.info("server %s: sent the %s mail", server.pk, template)


def notify_ready(server_id: int) -> bool:
    """Send the "server ready" mail unless it went out before; return whether it was sent."""
    claimed = Server.objects.filter(pk=server_id, ready_email_sent_at__isnull=True).update(
        ready_email_sent_at=timezone.now()
    )
    if claimed != 1:
        logger.info("server %s: ready mail already sent, not sending again", server_id)
        return False
    server = Server.objects.select_related("customer", "plan").get(pk=server_id)
    _send("server_ready", server)
    return True


def notify_terminated(server_id: int) -> None:
    """Tell the customer their server is gone (a transition happens only once)."""
    server = Server.objects.select_related("customer", "plan").get(pk=server_id)
    _send("server_terminated", server)
