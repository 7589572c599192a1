"""Fixed-window rate limits per caller, with windows scaled by the speed factor.

A window opens at the caller's first request and lasts the limit's seconds
divided by the speed; inside it at most `count` requests pass. The limits
`collections` and `default` are counted per operation, the named ones
(`linode_create`, `images_list`, ...) per caller alone.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass

from linode_fake.clock import FakeClock
from linode_fake.settings import FakeSettings

PER_OPERATION_LIMITS = ("collections", "default")


@dataclass(frozen=True)
class RateDecision:
    """The outcome of one request against one limit, for the response headers."""

    allowed: bool
    limit: int
    remaining: int
    reset_at: float  # fake-clock epoch seconds when the window ends
    retry_after: float  # seconds until the window ends

    def headers(self) -> dict[str, str]:
        """Return the `X-RateLimit-*` headers, plus `Retry-After` when rejected.

        `Retry-After` is whole seconds (rounded up, at least 1) as HTTP
        requires, even when a sped-up window is shorter than a second.
        """
        headers = {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(math.ceil(self.reset_at)),
        }
        if not self.allowed:
            headers["Retry-After"] = str(max(1, math.ceil(self.retry_after)))
        return headers


class RateLimiter:
    """Counts requests per (limit, caller[, operation]) in fixed windows."""

    def __init__(self, settings: FakeSettings, clock: FakeClock) -> None:
        self._settings = settings
        self._clock = clock
        self._windows: dict[tuple[str, ...], tuple[float, int]] = {}
        self._lock = threading.Lock()

    def reset(self) -> None:
        """Forget every window, e.g. after a test changed the limits."""
        with self._lock:
            self._windows.clear()

    def hit(self, name: str, caller_key: str, operation: str) -> RateDecision:
        """Count one request and decide whether it passes."""
        count, seconds = self._settings.rate_limits[name]
        window = self._settings.scaled(seconds)
        key = (name, caller_key, operation) if name in PER_OPERATION_LIMITS else (name, caller_key)
        now = self._clock.now()
        with self._lock:
            start, used = self._windows.get(key, (now, 0))
            if now >= start + window:
                start, used = now, 0
            allowed = used < count
            if allowed:
                used += 1
            self._windows[key] = (start, used)
        reset_at = start + window
        return RateDecision(
            allowed=allowed,
            limit=count,
            remaining=max(0, count - used),
            reset_at=reset_at,
            retry_after=max(0.0, reset_at - now),
        )
