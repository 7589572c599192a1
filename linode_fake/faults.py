"""Injected faults: 5xx responses, added latency and dropped connections.

The middleware sits between werkzeug's server and the Flask app and touches
only API paths (`/v4/...`, `/v4beta/...`).
"""

from __future__ import annotations

import json
import logging
import random
import socket
import time
from collections.abc import Callable, Iterable
from typing import Any

from linode_fake.settings import FakeSettings

logger = logging.getLogger(__name__)

# A view sets this key in the WSGI environ to have its response thrown away
# after its work was committed (the "create that loses its response" fault).
LOSE_RESPONSE_KEY = "linode_fake.lose_response"

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def is_api_path(path: str) -> bool:
    return path.startswith("/v4/") or path.startswith("/v4beta/")


def drop_connection() -> None:
    """Abandon the request without a response.

    The ConnectionAbortedError travels up to RequestLogMiddleware, which
    records the drop and then calls `close_client_socket`; werkzeug then
    treats it as a connection the client closed and writes nothing.
    """
    raise ConnectionAbortedError("connection dropped by an injected fault")


def close_client_socket(environ: dict[str, Any]) -> None:
    """Shut the client's socket down so the client sees the connection end."""
    sock = environ.get("werkzeug.socket")
    if sock is None:
        return
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass  # the client has already gone


class FaultMiddleware:
    """Apply the current FaultSettings to each API request."""

    def __init__(self, app: WsgiApp, settings: FakeSettings) -> None:
        self.app = app
        self.settings = settings
        self.random = random.Random()

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if not is_api_path(environ.get("PATH_INFO", "")):
            return self.app(environ, start_response)
        faults = self.settings.faults
        if faults.latency > 0:
            time.sleep(faults.latency)
        if faults.drop_rate > 0 and self.random.random() < faults.drop_rate:
            drop_connection()
        if faults.error_rate > 0 and self.random.random() < faults.error_rate:
            status = self.random.choice(faults.error_statuses)
            return self._error_response(status, start_response)

        body = self.app(environ, start_response)
        if environ.get(LOSE_RESPONSE_KEY):
            if hasattr(body, "close"):
                body.close()
            drop_connection()
        return body

    @staticmethod
    def _error_response(status: int, start_response: StartResponse) -> list[bytes]:
        reasons = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}
        payload = json.dumps({"errors": [{"reason": reasons[status]}]}).encode()
        start_response(
            f"{status} {reasons[status]}",
            [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))],
        )
        return [payload]
