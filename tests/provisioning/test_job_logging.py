"""Log levels of the periodic jobs: DEBUG for a run with nothing to do, INFO when a run acted."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from django.utils import timezone

from provisioning import executors, services, tasks
from provisioning.models import Operation, OperationStatus, Server, State

from .conftest import state_of, track_until


def provisioning_lines(caplog, level: int) -> list[str]:
    """Return the messages that provisioning's loggers wrote at exactly `level`."""
    return [
        record.getMessage()
        for record in caplog.records
        if record.name.startswith("provisioning") and record.levelno == level
    ]


def loud_lines(caplog) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if record.name.startswith("provisioning") and record.levelno >= logging.INFO
    ]


@pytest.fixture
def creating_server(fake, catalog, plan, customer) -> Server:
    """A server whose create goes on for the whole test: at speed 0.05 it takes minutes."""
    fake.speed = 0.05
    server = services.place_order(customer=customer, plan=plan, region="us-east")
    executors.execute(services.start_provisioning(server, actor="system").pk)
    tasks.track_servers()  # settle the status and progress seen right after the create
    assert state_of(server) == State.PROVISIONING
    return server


def test_idle_runs_log_only_debug(fake, db, caplog):
    caplog.set_level(logging.DEBUG)

    tasks.track_servers()
    tasks.sweep_operations()

    assert loud_lines(caplog) == []
    debug = provisioning_lines(caplog, logging.DEBUG)
    assert any("tracking: 0 server(s) in flight" in line for line in debug)
    assert any("sweep: released 0 stalled" in line for line in debug)


def test_tracking_without_change_logs_debug(creating_server, caplog):
    caplog.set_level(logging.DEBUG)

    tasks.track_servers()
    tasks.track_servers()
    tasks.sweep_operations()

    assert loud_lines(caplog) == []
    debug = provisioning_lines(caplog, logging.DEBUG)
    assert sum("tracking: 1 server(s) in flight, 0 moved" in line for line in debug) == 2


def test_tracking_that_moves_logs_info(fake, catalog, plan, customer, caplog):
    server = services.place_order(customer=customer, plan=plan, region="us-east")
    executors.execute(services.start_provisioning(server, actor="system").pk)
    caplog.set_level(logging.DEBUG)

    track_until(lambda: state_of(server) == State.RUNNING)

    info = provisioning_lines(caplog, logging.INFO)
    summaries = [line for line in info if line.startswith("tracking: ")]
    assert summaries
    assert any("1 moved" in line for line in summaries)
    assert any("1 operation(s) finished" in line for line in summaries)


def test_overlapping_run_skips_at_debug(fake, db, caplog):
    from provisioning.jobs import take_lease

    assert take_lease("track_servers", interval_seconds=2) is True
    caplog.set_level(logging.DEBUG)

    assert tasks.track_servers() == {"skipped": True}

    assert loud_lines(caplog) == []
    debug = provisioning_lines(caplog, logging.DEBUG)
    assert any("track_servers is already running" in line for line in debug)


def test_sweep_that_sends_logs_info(plan, customer, caplog, monkeypatch):
    sent: list[int] = []
    monkeypatch.setattr("provisioning.tasks.run_operation.delay", sent.append)
    server = Server.objects.create(customer=customer, plan=plan, region="us-east")
    operation = services.start_provisioning(server, actor="system")
    Operation.objects.filter(pk=operation.pk).update(sent_at=None)
    caplog.set_level(logging.DEBUG)

    tasks.sweep_operations()

    assert sent == [operation.pk]
    info = provisioning_lines(caplog, logging.INFO)
    assert (
        f"sweep: released 0 stalled ([]), sent 1 due ([{operation.pk}]), flagged 0 stuck, "
        "0 still waiting too long"
    ) in info


def test_sweep_logs_stuck_wait_once(plan, customer, caplog, settings):
    settings.PROVISIONING_WAIT_ALERT_SECONDS = 600
    server = Server.objects.create(customer=customer, plan=plan, region="us-east")
    operation = services.start_provisioning(server, actor="system")
    Operation.objects.filter(pk=operation.pk).update(
        status=OperationStatus.WAITING,
        linode_id=77,
        params={"expect_status": "running"},
        updated_at=timezone.now() - timedelta(hours=1),
    )
    caplog.set_level(logging.DEBUG)

    tasks.sweep_operations()
    first_run = provisioning_lines(caplog, logging.INFO)
    caplog.clear()
    tasks.sweep_operations()

    assert any("flagged 1 stuck" in line for line in first_run)
    assert loud_lines(caplog) == []
    debug = provisioning_lines(caplog, logging.DEBUG)
    assert any("1 still waiting too long" in line for line in debug)
