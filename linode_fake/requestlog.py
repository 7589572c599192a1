"""Request logging: method, path, status and latency of every request.

Neither headers nor bodies are logged, so tokens and passwords never reach
the log. Served requests are also kept in memory for tests that count calls.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Iterable
from typing import Any, NamedTuple

from linode_fake.faults import StartResponse, WsgiApp, close_client_socket

logger = logging.getLogger(__name__)

DROPPED = 0  # the status recorded for a connection dropped without a response


class LoggedRequest(NamedTuple):
    method: str
    path: str
    status: int


# Entries kept in memory; older ones are dropped so a long-running fake stays small.
MAX_ENTRIES = 100_000


class RequestLog:
    """A thread-safe record of the last MAX_ENTRIES requests served, newest last."""

    def __init__(self) -> None:
        self._entries: deque[LoggedRequest] = deque(maxlen=MAX_ENTRIES)
        self._lock = threading.Lock()

    def append(self, entry: LoggedRequest) -> None:
        with self._lock:
            self._entries.append(entry)

    def entries(self) -> list[LoggedRequest]:
        with self._lock:
            return list(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


class RequestLogMiddleware:
    """Log each request once its status is known (or its connection dropped)."""

    def __init__(self, app: WsgiApp, log: RequestLog) -> None:
        self.app = app
        self.log = log

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "?")
        path = environ.get("PATH_INFO", "")
        started = time.perf_counter()
        statuses: list[int] = []

        def recording_start_response(status: str, headers: Any, exc_info: Any = None) -> Any:
            statuses.append(int(status.split(" ", 1)[0]))
            return start_response(status, headers, exc_info)

        try:
            body = self.app(environ, recording_start_response)
        except ConnectionError:
            self._record(method, path, DROPPED, started)
            close_client_socket(environ)
            raise
        self._record(method, path, statuses[-1] if statuses else DROPPED, started)
        return body

    def _record(self, method: str, path: str, status: int, started: float) -> None:
        latency_ms = (time.perf_counter() - started) * 1000
        self.log.append(LoggedRequest(method, path, status))
        if status == DROPPED:
            logger.info("%s %s dropped %.1f ms", method, path, latency_ms)
        else:
            logger.info("%s %s %d %.1f ms", method, path, status, latency_ms)
