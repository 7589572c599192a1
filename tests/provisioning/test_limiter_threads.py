"""The create limiter under concurrent workers, each with its own database connection."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from provisioning import limiter
from provisioning.models import RateLimitSlot


@pytest.mark.django_db(transaction=True)
def test_concurrent_workers_never_exceed_limit():
    if connection.vendor == "sqlite":
        # The test database is in-memory SQLite with a shared cache, which locks
        # whole tables and ignores the busy timeout. The file database of a real
        # install serialises writers with BEGIN IMMEDIATE instead.
        pytest.skip("needs PostgreSQL; set DATABASE_URL to run it")
    results: list[object] = []
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def worker() -> None:
        try:
            start.wait()
            results.append(limiter.try_acquire(limit=5, window_seconds=60))
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    assert len(results) == 8
    assert results.count(None) == 5
    assert RateLimitSlot.objects.count() == 5
