"""Counting failed password attempts in Django's cache and locking out after too many.

A limit allows `max_failures` failures per subject (an account, a client
address) in a fixed window that starts with the first failure. Once the count
reaches the maximum, the subject is locked until that window ends.

NOTE: with Django's default local-memory cache each process keeps its own
counts, so a portal served by N processes allows up to N times the limit.
A shared cache (Redis, Memcached, the database cache) counts across processes.
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass

from django.core.cache import cache


@dataclass(frozen=True)
class FailureLimit:
    """A maximum number of failures per subject within `window_seconds`."""

    name: str
    max_failures: int
    window_seconds: int

    def _keys(self, subject: str) -> tuple[str, str]:
        # Hashing keeps keys short and free of characters some cache backends reject.
        digest = hashlib.sha256(subject.encode()).hexdigest()
        prefix = f"accounts.throttle:{self.name}:{digest}"
        return f"{prefix}:count", f"{prefix}:until"

    def retry_after(self, subject: str) -> int:
        """Return the seconds until `subject` may try again, or 0 when it is not locked."""
        count_key, until_key = self._keys(subject)
        if cache.get(count_key, 0) < self.max_failures:
            return 0
        until = cache.get(until_key, time.time() + self.window_seconds)
        return max(1, math.ceil(until - time.time()))

    def record_failure(self, subject: str) -> None:
        count_key, until_key = self._keys(subject)
        cache.add(until_key, time.time() + self.window_seconds, self.window_seconds)
        cache.add(count_key, 0, self.window_seconds)
        try:
            cache.incr(count_key)
        except ValueError:
            # The key expired between add and incr, so this failure starts a new window.
            cache.set(count_key, 1, self.window_seconds)

    def clear(self, subject: str) -> None:
        cache.delete_many(list(self._keys(subject)))


def describe_wait(seconds: int) -> str:
    """Describe a lockout's remaining time for a message, such as "in 14 minutes"."""
    if seconds < 60:
        return f"in {seconds} second{'s' if seconds != 1 else ''}"
    minutes = math.ceil(seconds / 60)
    return f"in {minutes} minute{'s' if minutes != 1 else ''}"
