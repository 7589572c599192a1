"""Fixtures for the provisioning tests: settings aimed at the fake, a catalog, a plan, customers."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from decimal import Decimal

import pytest

from accounts.models import User
from provisioning import executors, tracking
from provisioning.catalog import sync_catalog
from provisioning.models import Operation, OperationStatus, Plan, Server
from reseller.celery import app as celery_app


@pytest.fixture(autouse=True)
def celery_eager() -> Iterator[None]:
    """Run sent tasks inline, so no test writes to a broker."""
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture
def no_client_backoff(monkeypatch):
    """Skip the client's own backoff sleeps between its retries of a failing GET."""
    monkeypatch.setattr("linode_api.transport.time.sleep", lambda seconds: None)


@pytest.fixture
def fake(linode_fake, settings):
    """The fake Linode API, with the portal's settings pointing at it."""
    settings.LINODE_API_URL = linode_fake.api_url
    settings.LINODE_TOKEN = linode_fake.token
    settings.LINODE_API_TIMEOUT = 5.0
    settings.LINODE_TAG = "reseller-portal"
    settings.PROVISIONING_MAX_ATTEMPTS = 5
    settings.PROVISIONING_VANISHED_AFTER = 2
    return linode_fake


@pytest.fixture
def catalog(fake, db):
    return sync_catalog()


@pytest.fixture
def plan(db) -> Plan:
    """A plan; tests that order it through plan_problems also need `catalog`."""
    return Plan.objects.create(
        name="Starter",
        slug="starter",
        linode_type="g6-nanode-1",
        regions=["us-east", "eu-west"],
        image="linode/debian12",
        price_monthly=Decimal("5.00"),
    )


@pytest.fixture
def make_customer(db) -> Callable[..., User]:
    counter = {"n": 0}

    def make(email: str | None = None) -> User:
        counter["n"] += 1
        return User.objects.create_user(
            email or f"customer{counter['n']}@example.com", password=None
        )

    return make


@pytest.fixture
def customer(make_customer) -> User:
    return make_customer("alice@example.com")


def run_due_operations(limit: int = 50) -> list[str | None]:
    """Act as a worker: run every queued operation that is due, oldest first."""
    results = []
    for operation_id in Operation.objects.filter(status=OperationStatus.QUEUED).values_list(
        "id", flat=True
    )[:limit]:
        results.append(executors.execute(operation_id))
    return results


def track_until(
    predicate: Callable[[], bool], *, timeout: float = 10.0, interval: float = 0.05
) -> None:
    """Run tracking (and due operations) until `predicate()` is true or fail after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        tracking.track()
        run_due_operations()
        if predicate():
            return
        if time.monotonic() > deadline:
            states = list(Server.objects.values_list("id", "state", "linode_status"))
            ops = list(Operation.objects.values_list("id", "kind", "status", "phase", "error"))
            raise AssertionError(f"condition not met in {timeout} s; servers {states}, ops {ops}")
        time.sleep(interval)


def state_of(server: Server) -> str:
    server.refresh_from_db()
    return server.state
