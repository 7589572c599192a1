"""The portal's Linode API client, built from settings."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings

from linode_api import LinodeClient

USER_AGENT = "reseller-portal/0.1 (provisioning)"
CONNECT_TIMEOUT_SECONDS = 5.0
# Reads wait inside the client for a 429 whose Retry-After is at most this
# long. A 429 asking for a longer wait is raised to the caller, which stores
# the wait as the operation's `not_before` instead of holding a worker.
MAX_RETRY_AFTER_SECONDS = 5.0


def get_client() -> LinodeClient:
    """Return a client for the operator's account (LINODE_TOKEN at LINODE_API_URL).

    A new client per call is cheap; callers keep it for the length of one task.
    """
    read_timeout = float(settings.LINODE_API_TIMEOUT)
    return LinodeClient(
        settings.LINODE_TOKEN,
        settings.LINODE_API_URL,
        user_agent=USER_AGENT,
        timeout=(min(CONNECT_TIMEOUT_SECONDS, read_timeout), read_timeout),
        max_retry_after=MAX_RETRY_AFTER_SECONDS,
    )


def portal_tags(server_tag: str) -> list[str]:
    """Return the tags every portal Linode carries: the portal's tag and its server's tag."""
    return [settings.LINODE_TAG, server_tag]


@contextmanager
def creates_without_waiting(client: LinodeClient) -> Iterator[LinodeClient]:
    """Make `client` raise RateLimitedError at once on a 429 with Retry-After, for a create.

    A create that waits inside the client holds its worker, and the other
    workers, who do not know of the 429, keep sending creates into the
    closed window. Raised at once, the 429 fills the shared create limiter
    until the API's window ends and the operation waits with `not_before`,
    so no worker sleeps and no other create is sent before then. A 429
    without Retry-After still gets the client's short backoff retries.
    """
    previous = client.transport.max_retry_after
    client.transport.max_retry_after = 0.0
    try:
        yield client
    finally:
        client.transport.max_retry_after = previous
