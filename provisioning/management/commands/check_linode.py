"""`manage.py check_linode`: check the configured token against the Linode API."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from linode_api import ForbiddenError, LinodeError, UnauthorizedError
from provisioning.linode import get_client
from provisioning.redaction import scrub_exception

# The scopes the portal's jobs use. Linodes are created, tracked and deleted,
# events give progress, and the account and images feed the catalog. Plans may
# deploy StackScripts and attach firewalls.
REQUIRED_SCOPES = (
    "linodes:read_write",
    "events:read_only",
    "account:read_only",
    "images:read_only",
    "stackscripts:read_write",
    "firewall:read_write",
)


class Command(BaseCommand):
    help = (
        "Check LINODE_TOKEN against LINODE_API_URL and list the OAuth scopes the portal "
        "needs that the token lacks."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        api_url = settings.LINODE_API_URL
        self.stdout.write(f"Linode API: {api_url}")
        if not settings.LINODE_TOKEN:
            raise CommandError(
                "LINODE_TOKEN is not set. Create a personal access token in Cloud Manager "
                "(Profile > API Tokens) with the scopes "
                f"{' '.join(REQUIRED_SCOPES)} and set LINODE_TOKEN to it."
            )
        client = get_client()
        try:
            scopes = client.token_scopes()
            username = client.profile().username
        except UnauthorizedError as exc:
            scrub_exception(exc)  # a gateway's error page may quote the Authorization header
            raise CommandError(
                f"The API rejected LINODE_TOKEN as invalid, expired or revoked ({exc.status}). "
                "Create a new personal access token in Cloud Manager (Profile > API Tokens) "
                "and set LINODE_TOKEN to it."
            ) from exc
        except ForbiddenError as exc:
            scrub_exception(exc)
            raise CommandError(
                f"Reading the profile with LINODE_TOKEN was forbidden ({exc}). "
                "Check that the token belongs to a user of the account."
            ) from exc
        except LinodeError as exc:
            scrub_exception(exc)
            raise CommandError(
                f"Could not reach the Linode API at {api_url}: {exc}. "
                "Check LINODE_API_URL and the network."
            ) from exc

        self.stdout.write(f"Token accepted for user {username!r}.")
        self.stdout.write(f"Token scopes: {scopes.serialize() or '(none)'}")
        missing = [scope for scope in REQUIRED_SCOPES if scope not in scopes]
        if missing:
            self.stdout.write(self.style.ERROR("The token lacks these scopes:"))
            for scope in missing:
                self.stdout.write(f"  - {scope}")
            raise CommandError(
                "The token lacks scopes the portal needs. Tokens cannot gain scopes: create a "
                "new personal access token in Cloud Manager (Profile > API Tokens) with at "
                f"least {' '.join(REQUIRED_SCOPES)}, set LINODE_TOKEN to it and run this "
                "command again."
            )
        self.stdout.write(self.style.SUCCESS("The token has every scope the portal needs."))
