"""The fake's clock: wall time plus an offset that tests can move forward."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime

logger = logging.getLogger(__name__)


class FakeClock:
    """Epoch seconds that run with the wall clock and jump forward on `advance`.

    Every timed behaviour of the fake (status transitions, event progress,
    rate-limit windows) reads this clock, so `advance(60)` has the same effect
    as waiting a minute.
    """

    def __init__(
        self, offset: float = 0.0, on_change: Callable[[float], None] | None = None
    ) -> None:
        self._offset = offset
        self._on_change = on_change
        self._lock = threading.Lock()

    @property
    def offset(self) -> float:
        """Seconds this clock is ahead of the wall clock."""
        return self._offset

    def now(self) -> float:
        """Return the current fake time in epoch seconds."""
        return time.time() + self._offset

    def advance(self, seconds: float) -> float:
        """Move the clock forward by `seconds` and return the new time."""
        if seconds < 0:
            raise ValueError(f"the clock only moves forward; got {seconds} seconds")
        with self._lock:
            self._offset += seconds
            offset = self._offset
        logger.debug("clock advanced by %.3f s", seconds)
        if self._on_change is not None:
            self._on_change(offset)
        return self.now()


def format_datetime(epoch: float) -> str:
    """Format epoch seconds the way the API does: UTC, no zone, no fraction."""
    return datetime.fromtimestamp(int(epoch), tz=UTC).strftime("%Y-%m-%dT%H:%M:%S")


def parse_datetime(text: str) -> float:
    """Parse an API datetime (`2018-01-01T00:01:01`, UTC) into epoch seconds."""
    parsed = datetime.strptime(text, "%Y-%m-%dT%H:%M:%S")
    return parsed.replace(tzinfo=UTC).timestamp()
