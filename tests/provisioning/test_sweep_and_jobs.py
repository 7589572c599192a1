"""The sweep, the database create limiter, periodic job records and the beat schedule."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from provisioning import limiter, services, sweep, tasks
from provisioning.models import (
    Finding,
    FindingKind,
    JobRun,
    Operation,
    OperationStatus,
    RateLimitSlot,
    Server,
    State,
)
from reseller.celery import app as celery_app


@pytest.fixture
def sent(monkeypatch):
    """Record the operations sent to Celery instead of running them."""
    ids: list[int] = []
    monkeypatch.setattr(
        "provisioning.tasks.run_operation.delay", lambda operation_id: ids.append(operation_id)
    )
    return ids


@pytest.fixture
def server(plan, customer) -> Server:
    return Server.objects.create(customer=customer, plan=plan, region="us-east")


def test_sweep_sends_operation_whose_not_before_passed(server, sent):
    operation = services.start_provisioning(server, actor="system")
    Operation.objects.filter(pk=operation.pk).update(
        not_before=timezone.now() - timedelta(seconds=1), sent_at=None
    )

    result = sweep.sweep()

    assert result["sent"] == [operation.pk]
    assert sent == [operation.pk]
    operation.refresh_from_db()
    assert operation.sent_at is not None


def test_sweep_leaves_future_and_recently_sent_alone(server, sent):
    operation = services.start_provisioning(server, actor="system")
    Operation.objects.filter(pk=operation.pk).update(
        not_before=timezone.now() + timedelta(minutes=5)
    )
    assert sweep.sweep()["sent"] == []

    Operation.objects.filter(pk=operation.pk).update(not_before=None, sent_at=timezone.now())
    assert sweep.sweep()["sent"] == []
    assert sent == []


def test_sweep_resends_lost_message(server, sent, settings):
    settings.PROVISIONING_STALL_SECONDS = 30
    operation = services.start_provisioning(server, actor="system")
    Operation.objects.filter(pk=operation.pk).update(sent_at=timezone.now() - timedelta(seconds=31))

    assert sweep.sweep()["sent"] == [operation.pk]


def test_sweep_releases_stalled_claim(server, sent, settings):
    settings.PROVISIONING_STALL_SECONDS = 30
    operation = services.start_provisioning(server, actor="system")
    Operation.objects.filter(pk=operation.pk).update(
        status=OperationStatus.RUNNING, updated_at=timezone.now() - timedelta(minutes=5)
    )

    result = sweep.sweep()

    assert result["released"] == [operation.pk]
    assert result["sent"] == [operation.pk]
    operation.refresh_from_db()
    assert operation.status == OperationStatus.QUEUED


def test_sweep_keeps_second_operation_behind_first(server, sent):
    provision = services.start_provisioning(server, actor="system")
    Operation.objects.filter(pk=provision.pk).update(status=OperationStatus.WAITING)
    Server.objects.filter(pk=server.pk).update(state=State.BOOTING)
    terminate = services.request_termination(server, actor="customer:1")

    assert sweep.sweep()["sent"] == []
    assert terminate.pk not in sent


def test_second_active_operation_rejected_by_database(server):
    first = Operation.objects.create(server=server, kind="reboot", status=OperationStatus.RUNNING)
    second = Operation.objects.create(server=server, kind="power_off")

    from provisioning.outbox import claim

    assert claim(second.pk) is None  # the earlier one is still open
    Operation.objects.filter(pk=first.pk).update(status=OperationStatus.SUCCEEDED)
    assert claim(second.pk) is not None


def test_limiter_counts_slots_in_window(db):
    for _ in range(3):
        assert limiter.try_acquire(limit=3, window_seconds=60) is None

    free_at = limiter.try_acquire(limit=3, window_seconds=60)

    assert free_at is not None
    assert timezone.now() + timedelta(seconds=55) < free_at
    assert RateLimitSlot.objects.count() == 3


def test_limiter_frees_slots_after_window(db):
    for _ in range(2):
        limiter.try_acquire(limit=2, window_seconds=60)
    RateLimitSlot.objects.update(taken_at=timezone.now() - timedelta(seconds=61))

    assert limiter.try_acquire(limit=2, window_seconds=60) is None
    assert RateLimitSlot.objects.count() == 1  # the expired slots are gone


def test_limiter_push_back_blocks_until(db, settings):
    settings.LINODE_CREATE_LIMIT = 5
    settings.LINODE_CREATE_WINDOW_SECONDS = 15
    until = timezone.now() + timedelta(seconds=40)

    limiter.push_back(until=until)

    free_at = limiter.try_acquire()
    assert free_at is not None
    assert abs((free_at - until).total_seconds()) < 1


def test_job_run_recorded_and_quiet_detected(fake, db):
    tasks.track_servers()

    job = JobRun.objects.get(name="track_servers")
    assert job.last_succeeded_at is not None
    assert job.last_summary["servers"] == 0
    assert not job.is_quiet()
    later = timezone.now() + timedelta(seconds=job.interval_seconds * 4)
    assert job.is_quiet(now=later)


def test_failed_job_run_records_error(db, settings, no_client_backoff):
    settings.LINODE_API_URL = "http://127.0.0.1:9/v4"  # nothing listens on the discard port
    settings.LINODE_TOKEN = "unused-token"

    with pytest.raises(Exception):  # noqa: B017
        tasks.sync_catalog()

    job = JobRun.objects.get(name="sync_catalog")
    assert job.last_succeeded_at is None
    assert job.last_failed_at is not None
    assert "ConnectionFailedError" in job.last_error
    assert "unused-token" not in job.last_error


def test_beat_schedule_names_periodic_tasks():
    schedule = celery_app.conf.beat_schedule
    tasks_by_entry = {name: entry["task"] for name, entry in schedule.items()}
    assert sorted(tasks_by_entry.values()) == [
        "provisioning.reconcile_linodes",
        "provisioning.sweep_operations",
        "provisioning.sync_catalog",
        "provisioning.track_servers",
    ]
    for entry in schedule.values():
        assert entry["task"] in celery_app.tasks
    assert schedule["provisioning-track-servers"]["schedule"] <= 2.0


def test_sweep_flags_operation_waiting_too_long(server, sent, settings):
    settings.PROVISIONING_WAIT_ALERT_SECONDS = 600
    operation = services.start_provisioning(server, actor="system")
    Operation.objects.filter(pk=operation.pk).update(
        status=OperationStatus.WAITING,
        linode_id=77,
        params={"expect_status": "running"},
        updated_at=timezone.now() - timedelta(hours=1),
    )

    assert sweep.sweep()["stuck"] == [operation.pk]
    assert sweep.sweep()["stuck"] == [operation.pk]

    finding = Finding.objects.get(kind=FindingKind.STUCK_OPERATION, server=server)
    assert finding.observations == 2
    assert "Linode 77 to become running" in finding.detail
    operation.refresh_from_db()
    assert operation.status == OperationStatus.WAITING  # tracking may still finish it


def test_periodic_tasks_record_success(fake, db):
    catalog_summary = tasks.sync_catalog()
    reconcile_summary = tasks.reconcile_linodes()
    sweep_summary = tasks.sweep_operations()

    assert catalog_summary["types"] > 0
    assert reconcile_summary["listed"] == 0
    assert sweep_summary == {"released": [], "sent": [], "stuck": []}
    succeeded = JobRun.objects.filter(last_succeeded_at__isnull=False)
    assert sorted(succeeded.values_list("name", flat=True)) == [
        "reconcile_linodes",
        "sweep_operations",
        "sync_catalog",
    ]


def test_overlapping_job_run_skips(fake, db):
    from provisioning.jobs import take_lease

    assert take_lease("track_servers", interval_seconds=2) is True  # a run in progress

    assert tasks.track_servers() == {"skipped": True}

    JobRun.objects.filter(name="track_servers").update(
        running_until=timezone.now() - timedelta(seconds=1)
    )  # the holder died and its lease ran out
    assert tasks.track_servers()["servers"] == 0
    assert JobRun.objects.get(name="track_servers").running_until is None
