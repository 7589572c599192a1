"""`/healthz`: whether the database, the Celery broker and the Linode API respond.

Each check runs with a short timeout and reports `ok`, the latency in
milliseconds and, on failure, the error's type and first line of its message,
with passwords in URLs and known secret values replaced by "[hidden]". Only
logged-in staff users get the error text, because it can name internal hosts
and URLs. Other callers get `ok` and the latency of each check. The
response is HTTP 200 when every check passed and 503 otherwise, so a load
balancer or monitor can use it as is.
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeoutError
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, connections
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from kombu import Connection

from linode_api import LinodeClient

logger = logging.getLogger(__name__)

# Seconds each check may take before it counts as failed.
CHECK_TIMEOUT_SECONDS = 3.0


def check_database() -> None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            row = cursor.fetchone()
    finally:
        # The check runs in a pool thread, and no other code closes that thread's connection.
        connections.close_all()
    if row is None or row[0] != 1:
        raise RuntimeError(f"SELECT 1 returned {row!r}")


def check_broker() -> None:
    url = settings.CELERY_BROKER_URL
    if url.startswith("filesystem://"):
        # kombu's filesystem transport has no server; it needs its folders writable.
        for key in ("data_folder_in", "data_folder_out"):
            folder = Path(str(settings.CELERY_BROKER_TRANSPORT_OPTIONS[key]))
            if not folder.is_dir() or not os.access(folder, os.W_OK):
                raise RuntimeError(f"broker folder {key} is missing or not writable")
        return

    options = {
        **settings.CELERY_BROKER_TRANSPORT_OPTIONS,
        "socket_connect_timeout": CHECK_TIMEOUT_SECONDS,
        "socket_timeout": CHECK_TIMEOUT_SECONDS,
    }
    with Connection(url, connect_timeout=CHECK_TIMEOUT_SECONDS, transport_options=options) as conn:
        conn.ensure_connection(max_retries=0, timeout=CHECK_TIMEOUT_SECONDS)
        client = getattr(conn.default_channel, "client", None)
        if client is not None and hasattr(client, "ping"):
            client.ping()


def check_linode_api() -> None:
    client = LinodeClient(
        settings.LINODE_TOKEN,
        settings.LINODE_API_URL,
        timeout=(CHECK_TIMEOUT_SECONDS, CHECK_TIMEOUT_SECONDS),
        max_retries=0,
    )
    # Sends GET /profile, which any valid token may call whatever its scopes.
    client.token_scopes()


CHECKS: dict[str, Callable[[], None]] = {
    "database": check_database,
    "broker": check_broker,
    "linode_api": check_linode_api,
}


_URL_CREDENTIALS = re.compile(r"(\w+://[^:/@\s]*:)[^@\s]*@")
MAX_ERROR_LENGTH = 200


def _secret_values() -> list[str]:
    values = [
        settings.LINODE_TOKEN,
        settings.SECRET_KEY,
        settings.EMAIL_HOST_PASSWORD,
        str(settings.DATABASES["default"].get("PASSWORD") or ""),
    ]
    return [value for value in values if value]


def describe_error(exc: BaseException) -> str:
    """Describe a failed check in one line, with credentials and tokens removed."""
    text = f"{type(exc).__name__}: {exc}".splitlines()[0]
    text = _URL_CREDENTIALS.sub(r"\1[hidden]@", text)
    for secret in _secret_values():
        text = text.replace(secret, "[hidden]")
    return text[:MAX_ERROR_LENGTH]


def _timed(check: Callable[[], None]) -> dict[str, Any]:
    started = time.monotonic()
    try:
        check()
    except Exception as exc:  # noqa: BLE001 - any failure makes the component unhealthy
        result: dict[str, Any] = {"ok": False, "error": describe_error(exc)}
    else:
        result = {"ok": True}
    result["latency_ms"] = round((time.monotonic() - started) * 1000, 1)
    return result


def run_checks(timeout: float = CHECK_TIMEOUT_SECONDS + 1) -> dict[str, dict[str, Any]]:
    """Run every check in parallel; a check still running after `timeout` seconds fails."""
    results: dict[str, dict[str, Any]] = {}
    pool = ThreadPoolExecutor(max_workers=len(CHECKS), thread_name_prefix="healthz")
    try:
        futures = {name: pool.submit(_timed, check) for name, check in CHECKS.items()}
        deadline = time.monotonic() + timeout
        for name, future in futures.items():
            try:
                results[name] = future.result(timeout=max(0.0, deadline - time.monotonic()))
            except FutureTimeoutError:
                results[name] = {
                    "ok": False,
                    "error": f"timed out after {timeout:g} s",
                    "latency_ms": round(timeout * 1000, 1),
                }
    finally:
        # Do not wait for a check that hangs; its thread ends when its own timeout fires.
        pool.shutdown(wait=False, cancel_futures=True)
    for name, result in results.items():
        if not result["ok"]:
            logger.warning("Health check %s failed: %s", name, result["error"])
    return results


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    checks = run_checks()
    healthy = all(result["ok"] for result in checks.values())
    if not request.user.is_staff:
        checks = {
            name: {"ok": result["ok"], "latency_ms": result["latency_ms"]}
            for name, result in checks.items()
        }
    return JsonResponse(
        {"status": "ok" if healthy else "error", "checks": checks},
        status=200 if healthy else 503,
    )
