"""Running the fake in-process for tests: `run_fake` and its handle.

with run_fake(speed=100.0) as fake:
    requests.get(fake.api_url + "/linode/instances",
                 headers={"Authorization": f"Bearer {fake.token}"})
    fake.clock.advance(60)
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from linode_fake import instances as store_instances
from linode_fake.clock import FakeClock
from linode_fake.oauth import register_oauth_client
from linode_fake.requestlog import LoggedRequest
from linode_fake.seeding import seed_catalog
from linode_fake.server import FakeServer
from linode_fake.settings import FakeSettings, FaultSettings
from linode_fake.store import Store

logger = logging.getLogger(__name__)


class RateLimits:
    """Per-name rate limits: `fake.rate_limits["linode_create"] = (10, 30)`."""

    def __init__(self, server: FakeServer) -> None:
        self._server = server

    def __getitem__(self, name: str) -> tuple[int, float]:
        return self._server.settings.rate_limits[name]

    def __setitem__(self, name: str, value: tuple[int, float]) -> None:
        count, seconds = value
        self._server.settings.set_rate_limit(name, count, seconds)
        self._server.app.extensions["linode_fake"].limiter.reset()

    def __repr__(self) -> str:
        return f"RateLimits({self._server.settings.rate_limits!r})"


class FakeHandle:
    """Handle on a running fake for tests: its URLs, a token and its settings."""

    def __init__(self, server: FakeServer, token: str) -> None:
        self._server = server
        self.root_url = server.root_url
        self.api_url = server.root_url + "/v4"
        self.login_url = server.root_url
        self.token = token
        self.store = server.store
        self.settings = server.settings

    def __repr__(self) -> str:
        return f"FakeHandle({self.root_url!r})"

    @property
    def clock(self) -> FakeClock:
        return self.store.clock

    @property
    def speed(self) -> float:
        return self.settings.speed

    @speed.setter
    def speed(self, value: float) -> None:
        self.settings.set_speed(value)

    @property
    def faults(self) -> FaultSettings:
        return self.settings.faults

    @faults.setter
    def faults(self, value: FaultSettings | Mapping[str, Any]) -> None:
        faults = value if isinstance(value, FaultSettings) else FaultSettings(**dict(value))
        faults.validate()
        self.settings.faults = faults

    @property
    def rate_limits(self) -> RateLimits:
        return RateLimits(self._server)

    @property
    def instance_limit(self) -> int:
        return self.settings.instance_limit

    @instance_limit.setter
    def instance_limit(self, value: int) -> None:
        self.settings.instance_limit = int(value)

    @property
    def request_log(self) -> list[LoggedRequest]:
        """(method, path, status) of each request served; status 0 is a dropped connection."""
        return self._server.request_log.entries()

    def clear_request_log(self) -> None:
        self._server.request_log.clear()

    def add_token(self, scopes: str = "*", expires_at: float | None = None) -> str:
        """Create and return a new token with the given scopes."""
        token = secrets.token_hex(32)
        self.store.add_token(token, scopes, expires_at)
        return token

    def revoke_token(self, token: str) -> None:
        self.store.revoke_token(token)

    def add_oauth_client(self, client_id: str, secret: str, redirect_uri: str) -> None:
        """Register an OAuth client for the login service at /oauth."""
        register_oauth_client(self.store, client_id, secret, redirect_uri)

    def seed_instances(
        self,
        count: int,
        *,
        type_id: str = "g6-nanode-1",
        region_id: str = "us-east",
        image_id: str | None = "linode/debian12",
        tags: list[str] | None = None,
        label_prefix: str = "seeded",
        status: str = "running",
    ) -> list[int]:
        """Store `count` settled instances directly, without requests, events or limits.

        For tests that need many instances fast (e.g. pagination). Labels are
        `<label_prefix>-<n>`; return the new ids.
        """
        if status not in store_instances.SETTLED:
            raise ValueError(f"seeded instances are 'running' or 'offline', not {status!r}")
        linode_type = self.store.catalog_item("type", type_id)
        region = self.store.catalog_item("region", region_id)
        image = self.store.catalog_item("image", image_id) if image_id else None
        if linode_type is None or region is None or (image_id and image is None):
            raise ValueError(f"unknown type, region or image: {type_id}, {region_id}, {image_id}")
        ids = []
        with self.store.connection() as conn:
            now = self.store.now()
            for number in range(count):
                linode_id = self.store.next_id("linode")
                record = store_instances.new_record(
                    linode_id=linode_id,
                    label=f"{label_prefix}-{number}",
                    linode_type=linode_type,
                    region=region,
                    image=image,
                    tags=list(tags or []),
                    group="",
                    private_ip=False,
                    backups_enabled=False,
                    has_user_data=False,
                    now=now,
                )
                store_instances.set_status(record, status, now)
                store_instances.insert(conn, record)
                ids.append(linode_id)
        return ids

    def instances(self) -> list[dict[str, Any]]:
        """Return every instance as the API returns it, oldest first."""
        with self.store.connection() as conn:
            records = store_instances.load_all(self.store, conn)
        return [store_instances.render(record) for record in records]


def build_settings(speed: float, options: Mapping[str, Any]) -> FakeSettings:
    """Turn run_fake's keyword options into FakeSettings."""
    settings = FakeSettings()
    settings.set_speed(speed)
    known = {
        "instance_limit",
        "rate_limits",
        "faults",
        "timings",
        "password_min_score",
        "enable_fault_endpoints",
        "tokens",
        "oauth_clients",
    }
    unknown = sorted(set(options) - known)
    if unknown:
        raise TypeError(f"run_fake got unknown option(s) {unknown}; known: {sorted(known)}")
    if "instance_limit" in options:
        settings.instance_limit = int(options["instance_limit"])
    for name, (count, seconds) in dict(options.get("rate_limits") or {}).items():
        settings.set_rate_limit(name, count, seconds)
    faults = options.get("faults")
    if faults is not None:
        settings.faults = faults if isinstance(faults, FaultSettings) else FaultSettings(**faults)
        settings.faults.validate()
    for name, seconds in dict(options.get("timings") or {}).items():
        if name not in settings.timings:
            raise ValueError(f"unknown timing {name!r}; known: {sorted(settings.timings)}")
        settings.timings[name] = float(seconds)
    if "password_min_score" in options:
        settings.password_min_score = int(options["password_min_score"])
    settings.fault_endpoints = bool(options.get("enable_fault_endpoints", False))
    return settings


@contextmanager
def run_fake(
    speed: float = 100.0, state_path: str | None = None, **options: Any
) -> Iterator[FakeHandle]:
    """Start the fake on an ephemeral loopback port and stop it afterwards.

    Options: instance_limit, rate_limits {name: (count, seconds)}, faults
    (FaultSettings or a dict of its fields), timings {phase: seconds},
    password_min_score, enable_fault_endpoints, tokens ["TOKEN:SCOPES"],
    oauth_clients [(client_id, secret, redirect_uri)].
    """
    settings = build_settings(speed, options)
    store = Store(state_path)
    try:
        seed_catalog(store)
        token = secrets.token_hex(32)
        store.add_token(token, "*")
        for entry in options.get("tokens") or []:
            value, _, scopes = entry.partition(":")
            store.add_token(value, scopes or "*")
        for client_id, secret, redirect_uri in options.get("oauth_clients") or []:
            register_oauth_client(store, client_id, secret, redirect_uri)
        server = FakeServer(store, settings)
        server.start()
        try:
            yield FakeHandle(server, token)
        finally:
            server.stop()
    finally:
        store.close()
