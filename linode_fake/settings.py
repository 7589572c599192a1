"""Run-time settings of the fake: speed, limits, timings and injected faults.

Every field may be changed while the server runs (tests do so through the
`run_fake` handle, operators through the `/__fake__/` endpoints). Readers take
one consistent snapshot per request, so a change applies from the next request.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

# Rate limits as the Linode rate-limits page documents them in late 2026:
# (requests, window in seconds at speed 1). The names are this fake's own.
DEFAULT_RATE_LIMITS: dict[str, tuple[int, float]] = {
    "linode_create": (20, 15.0),  # POST /linode/instances
    "images_list": (20, 60.0),  # GET /images
    "stackscripts_list": (60, 60.0),  # GET /linode/stackscripts
    "stats": (50, 60.0),  # GET /linode/instances/{id}/stats
    "collections": (200, 60.0),  # every other paginated GET
    "default": (1600, 60.0),  # every other operation
}

# Seconds each phase of an instance operation takes at speed 1. The spec pins
# none of them down; these are estimates of what the real API takes.
DEFAULT_TIMINGS: dict[str, float] = {
    "provision": 45.0,  # create: provisioning -> booting (or offline)
    "boot": 20.0,  # booting -> running
    "shutdown": 15.0,  # shutting_down -> offline
    "reboot": 25.0,  # rebooting -> running
    "rebuild": 60.0,  # rebuilding -> booting (or offline)
    "resize": 120.0,  # migrating -> booting (or offline)
    "password_reset": 10.0,  # password_reset event duration; status stays offline
    "delete": 5.0,  # deleting -> gone
    # Not a phase: how long after creation /stats starts returning data.
    # Cloud Manager waits 5-7 minutes for a new Linode's first stats.
    "stats_delay": 360.0,
}

ERROR_STATUSES = (500, 502, 503)


@dataclass
class FaultSettings:
    """Faults injected into API requests (paths under /v4 and /v4beta).

    `error_rate`, `drop_rate` and `lose_create_response` are probabilities from
    0 to 1, and so is `create_failure_rate`, the share of accepted creates whose
    provisioning fails: the `linode_create` event ends `failed` and the
    Linode `offline`. `latency` is added to every API request in real (unscaled) seconds.
    """

    error_rate: float = 0.0
    error_statuses: tuple[int, ...] = ERROR_STATUSES
    latency: float = 0.0
    drop_rate: float = 0.0
    lose_create_response: float = 0.0
    create_failure_rate: float = 0.0

    def validate(self) -> None:
        """Raise ValueError naming the first setting outside its range."""
        for name in ("error_rate", "drop_rate", "lose_create_response", "create_failure_rate"):
            value = getattr(self, name)
            if not 0.0 <= float(value) <= 1.0:
                raise ValueError(f"fault {name} must be between 0 and 1, got {value!r}")
        if self.latency < 0:
            raise ValueError(f"fault latency must be 0 or more seconds, got {self.latency!r}")
        if not self.error_statuses:
            raise ValueError("fault error_statuses must name at least one status, e.g. 500")
        for status in self.error_statuses:
            if status not in ERROR_STATUSES:
                raise ValueError(
                    f"fault error status {status!r} is not supported; use 500, 502 or 503"
                )


@dataclass
class FakeSettings:
    """Everything about the fake's behaviour that is not stored state."""

    speed: float = 1.0
    instance_limit: int = 100
    rate_limits: dict[str, tuple[int, float]] = field(
        default_factory=lambda: dict(DEFAULT_RATE_LIMITS)
    )
    timings: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_TIMINGS))
    faults: FaultSettings = field(default_factory=FaultSettings)
    # Minimum zxcvbn score (0-4) a root password needs besides its 11 characters.
    # NOTE: Linode does not publish its threshold; 3 is an estimate.
    password_min_score: int = 3
    fault_endpoints: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def scaled(self, seconds: float) -> float:
        """Convert a duration at speed 1 into fake-clock seconds at the current speed."""
        return seconds / self.speed

    def set_speed(self, speed: float) -> None:
        """Change the speed factor; durations already scheduled keep their end times."""
        if not speed > 0:
            raise ValueError(f"speed must be a positive number, got {speed!r}")
        self.speed = float(speed)

    def set_rate_limit(self, name: str, count: int, seconds: float) -> None:
        """Set one rate limit: `count` requests per `seconds` (at speed 1)."""
        if name not in DEFAULT_RATE_LIMITS:
            known = ", ".join(sorted(DEFAULT_RATE_LIMITS))
            raise ValueError(f"unknown rate limit {name!r}; known limits: {known}")
        if count < 1 or seconds <= 0:
            raise ValueError(
                f"rate limit {name} needs a count of at least 1 and a positive window, "
                f"got {count}/{seconds}"
            )
        self.rate_limits[name] = (int(count), float(seconds))


def parse_rate_limit(text: str) -> tuple[str, int, float]:
    """Parse `NAME=COUNT/SECONDS`, e.g. `linode_create=10/30`."""
    name, sep, rest = text.partition("=")
    count_text, slash, seconds_text = rest.partition("/")
    if not sep or not slash:
        raise ValueError(f"invalid rate limit {text!r}; expected NAME=COUNT/SECONDS")
    try:
        count = int(count_text)
        seconds = float(seconds_text)
    except ValueError:
        raise ValueError(
            f"invalid rate limit {text!r}; COUNT must be an integer and SECONDS a number"
        ) from None
    return name.strip(), count, seconds
