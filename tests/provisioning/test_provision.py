"""The provision operation against the fake: idempotence, lost responses, adoption, limits."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from linode_api import LinodeClient, generate_root_password
from provisioning import executors, services, sweep, tasks
from provisioning.crypto import decrypt_secret
from provisioning.models import Operation, OperationStatus, RateLimitSlot, Server, State

from .conftest import state_of, track_until


def create_posts(fake) -> int:
    return sum(
        1
        for entry in fake.request_log
        if entry.method == "POST" and entry.path.endswith("/linode/instances")
    )


@pytest.fixture
def ordered(catalog, plan, customer):
    """A server whose provisioning was started but whose task has not run yet."""
    server = services.place_order(customer=customer, plan=plan, region="us-east")
    operation = services.start_provisioning(server, actor="customer:1")
    return server, operation


def test_provision_creates_one_tagged_linode(fake, ordered):
    server, operation = ordered

    status = tasks.run_operation(operation.pk)

    assert status == OperationStatus.WAITING
    operation.refresh_from_db()
    server.refresh_from_db()
    assert operation.linode_id == server.linode_id
    [linode] = fake.instances()
    assert linode["id"] == server.linode_id
    assert linode["label"] == server.label
    assert set(linode["tags"]) == {"reseller-portal", server.linode_tag}
    assert linode["type"] == "g6-nanode-1"
    assert linode["region"] == "us-east"
    assert linode["image"] == "linode/debian12"


def test_provision_task_run_twice_creates_once(fake, ordered):
    server, operation = ordered

    tasks.run_operation(operation.pk)
    second = tasks.run_operation(operation.pk)

    assert second is None  # the second delivery finds the operation claimed
    assert create_posts(fake) == 1
    assert len(fake.instances()) == 1


def test_rerun_after_crash_adopts_instead_of_creating(fake, ordered):
    server, operation = ordered
    tasks.run_operation(operation.pk)
    # A worker died after the create: the claim is stale and the result unrecorded.
    Operation.objects.filter(pk=operation.pk).update(
        status=OperationStatus.RUNNING,
        linode_id=None,
        updated_at=timezone.now() - timedelta(hours=1),
    )
    Server.objects.filter(pk=server.pk).update(linode_id=None)

    result = sweep.sweep()

    assert operation.pk in result["released"]
    assert create_posts(fake) == 1
    assert len(fake.instances()) == 1
    server.refresh_from_db()
    assert server.linode_id == fake.instances()[0]["id"]


def test_lost_create_response_adopts_linode(fake, ordered, settings):
    server, operation = ordered
    settings.LINODE_API_TIMEOUT = 1.0  # the lost response ends in a read timeout
    fake.faults = {"lose_create_response": 1.0}

    status = executors.execute(operation.pk)

    # By the time the read times out the fast fake may have booted the Linode.
    assert status in (OperationStatus.WAITING, OperationStatus.SUCCEEDED)
    assert create_posts(fake) == 1
    [linode] = fake.instances()
    server.refresh_from_db()
    assert server.linode_id == linode["id"]


def test_label_in_use_adopts_existing_linode(fake, ordered, monkeypatch):
    server, operation = ordered
    # Another worker created the Linode between this worker's lookup and its create.
    client = LinodeClient(fake.token, fake.api_url)
    other = client.create_linode(
        "g6-nanode-1",
        "us-east",
        "linode/debian12",
        root_pass="Another-Worker-Pass-1234!",
        label=server.label,
        tags=["reseller-portal", server.linode_tag],
    )
    real_lookup = executors.find_by_label
    calls = {"n": 0}

    def lookup_missing_first(client, label):
        calls["n"] += 1
        return None if calls["n"] == 1 else real_lookup(client, label)

    monkeypatch.setattr(executors, "find_by_label", lookup_missing_first)

    status = executors.execute(operation.pk)

    assert status == OperationStatus.WAITING
    assert calls["n"] == 2
    server.refresh_from_db()
    assert server.linode_id == other.id
    assert len(fake.instances()) == 1


def test_root_password_stored_encrypted(fake, ordered):
    server, operation = ordered

    executors.execute(operation.pk)

    server.refresh_from_db()
    stored = server.root_password_encrypted
    assert stored
    password = decrypt_secret(stored)
    assert len(password) >= 16
    assert password not in stored
    assert services.reveal_root_password(server) == password


def test_ssh_key_server_stores_no_password(fake, catalog, plan, customer):
    key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGq7ZVbZFF4jr6Fq1v1bNHpY3GxJ8r8F3bUQn9Rz5aZ0 a@b"
    server = services.place_order(customer=customer, plan=plan, region="us-east", ssh_key=key)
    operation = services.start_provisioning(server, actor="customer:1")

    assert executors.execute(operation.pk) == OperationStatus.WAITING

    server.refresh_from_db()
    assert server.root_password_encrypted == ""
    assert services.reveal_root_password(server) is None


def test_create_limiter_defers_without_failing(fake, catalog, plan, make_customer, settings):
    settings.LINODE_CREATE_LIMIT = 2
    settings.LINODE_CREATE_WINDOW_SECONDS = 60
    operations = []
    for _ in range(3):
        server = services.place_order(customer=make_customer(), plan=plan, region="us-east")
        operations.append(services.start_provisioning(server, actor="system"))

    statuses = [executors.execute(operation.pk) for operation in operations]

    assert statuses == ["waiting", "waiting", "queued"]
    assert create_posts(fake) == 2
    deferred = Operation.objects.get(pk=operations[2].pk)
    assert deferred.phase == "waiting_for_create_slot"
    assert deferred.attempts == 0
    assert deferred.not_before > timezone.now() + timedelta(seconds=50)
    assert deferred.server.state == State.PROVISIONING


def _wait_for_slot(fake, make_customer, plan, settings):
    """Fill the create limit (1 per 60 s) and return a third operation waiting for a slot."""
    settings.LINODE_CREATE_LIMIT = 1
    settings.LINODE_CREATE_WINDOW_SECONDS = 60
    first = services.start_provisioning(
        services.place_order(customer=make_customer(), plan=plan, region="us-east"),
        actor="system",
    )
    assert executors.execute(first.pk) == OperationStatus.WAITING
    server = services.place_order(customer=make_customer(), plan=plan, region="us-east")
    waiting = services.start_provisioning(server, actor="system")
    assert executors.execute(waiting.pk) == OperationStatus.QUEUED
    waiting.refresh_from_db()
    assert waiting.phase == executors.PHASE_WAITING_FOR_CREATE_SLOT
    return server, waiting


def _make_due(operation: Operation) -> None:
    Operation.objects.filter(pk=operation.pk).update(not_before=timezone.now())


def _api_calls(fake) -> list[tuple[str, str]]:
    return [(entry.method, entry.path) for entry in fake.request_log]


def test_waiting_for_slot_sends_no_request(fake, catalog, plan, make_customer, settings):
    server, waiting = _wait_for_slot(fake, make_customer, plan, settings)
    fake.clear_request_log()

    _make_due(waiting)
    assert executors.execute(waiting.pk) == OperationStatus.QUEUED

    assert _api_calls(fake) == []
    waiting.refresh_from_db()
    assert waiting.phase == executors.PHASE_WAITING_FOR_CREATE_SLOT
    assert waiting.not_before > timezone.now() + timedelta(seconds=50)


def test_slot_after_wait_looks_up_then_creates(fake, catalog, plan, make_customer, settings):
    server, waiting = _wait_for_slot(fake, make_customer, plan, settings)
    RateLimitSlot.objects.update(taken_at=timezone.now() - timedelta(seconds=61))
    fake.clear_request_log()

    _make_due(waiting)
    assert executors.execute(waiting.pk) == OperationStatus.WAITING

    calls = _api_calls(fake)
    assert [method for method, _ in calls] == ["GET", "POST"]
    assert calls[0][1].endswith("/linode/instances")
    assert calls[1][1].endswith("/linode/instances")
    assert create_posts(fake) == 1
    assert [linode["label"] for linode in fake.instances()].count(server.label) == 1


def test_linode_found_after_wait_is_adopted(fake, catalog, plan, make_customer, settings):
    # A Linode with the label appears while the operation waits (for example
    # a create whose response was lost): the run that finds a free slot
    # adopts it without taking the slot.
    server, waiting = _wait_for_slot(fake, make_customer, plan, settings)
    client = LinodeClient(fake.token, fake.api_url)
    existing = client.create_linode(
        "g6-nanode-1",
        "us-east",
        "linode/debian12",
        root_pass=generate_root_password(),
        label=server.label,
    )
    RateLimitSlot.objects.update(taken_at=timezone.now() - timedelta(seconds=61))
    fake.clear_request_log()

    _make_due(waiting)
    assert executors.execute(waiting.pk) == OperationStatus.WAITING

    assert create_posts(fake) == 0
    server.refresh_from_db()
    assert server.linode_id == existing.id
    assert not RateLimitSlot.objects.filter(operation_id=waiting.pk).exists()


def test_waiting_operations_get_successive_slots(fake, catalog, plan, make_customer, settings):
    settings.LINODE_CREATE_LIMIT = 2
    settings.LINODE_CREATE_WINDOW_SECONDS = 60
    operations = []
    for _ in range(6):
        server = services.place_order(customer=make_customer(), plan=plan, region="us-east")
        operations.append(services.start_provisioning(server, actor="system"))
    started = timezone.now()

    statuses = [executors.execute(operation.pk) for operation in operations]

    assert statuses == ["waiting", "waiting", "queued", "queued", "queued", "queued"]
    waits = []
    for operation in operations[2:]:
        operation.refresh_from_db()
        waits.append((operation.not_before - started).total_seconds())
    assert waits == sorted(waits)
    assert len(set(waits)) == 4
    # Two slots free per window: the first two waiting wake after one window,
    # the next two after two windows.
    assert 55 < waits[0] <= waits[1] < 65
    assert 115 < waits[2] <= waits[3] < 125


def test_api_429_sets_not_before(fake, catalog, plan, make_customer):
    # One create per 100 s at speed 100 (10000 s at speed 1): the second create gets 429.
    fake.rate_limits["linode_create"] = (1, 10000.0)
    operations = []
    for _ in range(2):
        server = services.place_order(customer=make_customer(), plan=plan, region="us-east")
        operations.append(services.start_provisioning(server, actor="system"))

    assert executors.execute(operations[0].pk) == OperationStatus.WAITING
    assert executors.execute(operations[1].pk) == OperationStatus.QUEUED

    limited = Operation.objects.get(pk=operations[1].pk)
    assert limited.attempts == 0
    assert "rate limited" in limited.error
    assert limited.not_before > timezone.now() + timedelta(seconds=30)
    assert limited.sent_at is None
    assert state_of(limited.server) == State.PROVISIONING
    # The limiter holds back other workers until the API's window ends.
    from provisioning.limiter import try_acquire

    assert try_acquire() is not None


@pytest.mark.parametrize(("age", "free"), [(60.2, False), (60.6, True)])
def test_slot_counts_past_window_by_margin(db, settings, age, free):
    # The API counts a create from its arrival, a little after the slot was taken.
    from provisioning import limiter
    from provisioning.models import RateLimitLock

    settings.LINODE_CREATE_LIMIT = 1
    settings.LINODE_CREATE_WINDOW_SECONDS = 60
    lock, _ = RateLimitLock.objects.get_or_create(name=limiter.LINODE_CREATE)
    RateLimitSlot.objects.create(limiter=lock, taken_at=timezone.now() - timedelta(seconds=age))

    assert (limiter.next_free_at() is None) is free
    assert (limiter.try_acquire() is None) is free


def test_first_to_wait_gets_first_slot(fake, catalog, plan, make_customer, settings):
    settings.LINODE_CREATE_LIMIT = 1
    settings.LINODE_CREATE_WINDOW_SECONDS = 60
    operations = []
    for _ in range(4):
        server = services.place_order(customer=make_customer(), plan=plan, region="us-east")
        operations.append(services.start_provisioning(server, actor="system"))

    # The newest operations start to wait first.
    statuses = [executors.execute(operation.pk) for operation in reversed(operations)]

    assert statuses == ["waiting", "queued", "queued", "queued"]
    waits = [Operation.objects.get(pk=operation.pk).not_before for operation in operations[:3]]
    assert waits[2] < waits[1] < waits[0]


def test_short_429_on_create_requeues_without_sleeping(
    fake, catalog, plan, make_customer, monkeypatch
):
    # One create per 3 s at speed 100: the API's Retry-After (3 s or less) is
    # short enough that a read would wait for it inside the client.
    fake.rate_limits["linode_create"] = (1, 300.0)
    sleeps: list[float] = []
    monkeypatch.setattr("linode_api.transport.time.sleep", sleeps.append)
    operations = []
    for _ in range(2):
        server = services.place_order(customer=make_customer(), plan=plan, region="us-east")
        operations.append(services.start_provisioning(server, actor="system"))

    assert executors.execute(operations[0].pk) == OperationStatus.WAITING
    assert executors.execute(operations[1].pk) == OperationStatus.QUEUED

    assert sleeps == []
    assert create_posts(fake) == 2
    assert [entry.status for entry in fake.request_log if entry.method == "POST"] == [200, 429]
    limited = Operation.objects.get(pk=operations[1].pk)
    assert "rate limited" in limited.error
    assert limited.attempts == 0
    assert timezone.now() < limited.not_before <= timezone.now() + timedelta(seconds=6)
    from provisioning.limiter import try_acquire

    assert try_acquire() is not None


def test_create_wait_setting_restored_after_error(fake):
    from provisioning.linode import MAX_RETRY_AFTER_SECONDS, creates_without_waiting, get_client

    client = get_client()
    with pytest.raises(RuntimeError), creates_without_waiting(client):
        assert client.transport.max_retry_after == 0
        raise RuntimeError("create failed")

    assert client.transport.max_retry_after == MAX_RETRY_AFTER_SECONDS


def test_api_rejection_fails_server_with_reason(fake, catalog, plan, customer):
    plan.image = "linode/does-not-exist"
    plan.save()
    server = Server.objects.create(customer=customer, plan=plan, region="us-east")
    operation = services.start_provisioning(server, actor="customer:1")

    assert executors.execute(operation.pk) == OperationStatus.FAILED

    server.refresh_from_db()
    assert server.state == State.FAILED
    assert "rejected the request" in server.failure_reason
    assert "linode/does-not-exist" in server.failure_reason or "image" in server.failure_reason


def test_failed_server_retried_by_operator(fake, catalog, plan, customer):
    plan.image = "linode/does-not-exist"
    plan.save()
    server = Server.objects.create(customer=customer, plan=plan, region="us-east")
    executors.execute(services.start_provisioning(server, actor="customer:1").pk)
    plan.image = "linode/debian12"
    plan.save()

    retry = services.retry_provisioning(server, actor="operator:1")
    executors.execute(retry.pk)
    track_until(lambda: state_of(server) == State.RUNNING)

    assert len(fake.instances()) == 1


def test_server_error_retries_later(fake, ordered, no_client_backoff):
    server, operation = ordered
    fake.faults = {"error_rate": 1.0, "error_statuses": (503,)}

    status = executors.execute(operation.pk)

    assert status == OperationStatus.QUEUED
    operation.refresh_from_db()
    assert operation.attempts == 1
    assert operation.not_before > timezone.now()
    assert state_of(server) == State.PROVISIONING


def test_operation_fails_after_max_attempts(fake, ordered, settings, no_client_backoff):
    server, operation = ordered
    settings.PROVISIONING_MAX_ATTEMPTS = 2
    fake.faults = {"error_rate": 1.0, "error_statuses": (500,)}

    assert executors.execute(operation.pk) == OperationStatus.QUEUED
    Operation.objects.filter(pk=operation.pk).update(not_before=None)
    assert executors.execute(operation.pk) == OperationStatus.FAILED

    server.refresh_from_db()
    assert server.state == State.FAILED
    assert "gave up after 2 attempts" in server.failure_reason


def test_adopted_offline_linode_is_booted(fake, ordered):
    server, operation = ordered
    client = LinodeClient(fake.token, fake.api_url)
    client.create_linode(
        "g6-nanode-1",
        "us-east",
        "linode/debian12",
        root_pass="Never-Booted-Pass-123!",
        label=server.label,
        tags=["reseller-portal", server.linode_tag],
        booted=False,
    )
    fake.clock.advance(120)
    assert fake.instances()[0]["status"] == "offline"

    executors.execute(operation.pk)
    track_until(lambda: state_of(server) == State.RUNNING)

    assert create_posts(fake) == 1  # only the test's own create
    assert fake.instances()[0]["status"] == "running"


def test_configured_firewall_attached(fake, ordered, settings):
    server, operation = ordered
    firewall = LinodeClient(fake.token, fake.api_url).create_firewall(
        "portal-default",
        {"inbound_policy": "DROP", "outbound_policy": "ACCEPT", "inbound": [], "outbound": []},
    )
    settings.LINODE_FIREWALL_ID = firewall.id

    executors.execute(operation.pk)

    server.refresh_from_db()
    devices = list(firewall.devices)
    assert [device.entity.id for device in devices] == [server.linode_id]
