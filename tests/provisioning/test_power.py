"""Power actions, rebuild and root password reset against the fake."""

from __future__ import annotations

import pytest

from provisioning import executors, services
from provisioning.crypto import decrypt_secret
from provisioning.models import Operation, OperationKind, OperationStatus, Server, State

from .conftest import run_due_operations, state_of, track_until


def running_server(plan, customer) -> Server:
    server = services.place_order(customer=customer, plan=plan, region="us-east")
    executors.execute(services.start_provisioning(server, actor="customer:1").pk)
    track_until(lambda: state_of(server) == State.RUNNING)
    server.refresh_from_db()
    return server


def linode_status(fake) -> str:
    [linode] = fake.instances()
    return linode["status"]


def operation_status(operation: Operation) -> str:
    operation.refresh_from_db()
    return operation.status


def test_power_off_and_on(fake, catalog, plan, customer):
    server = running_server(plan, customer)

    off = services.request_power_action(server, OperationKind.POWER_OFF, actor="customer:1")
    assert executors.execute(off.pk) == OperationStatus.SUCCEEDED
    fake.clock.advance(60)
    assert linode_status(fake) == "offline"

    on = services.request_power_action(server, OperationKind.POWER_ON, actor="customer:1")
    assert executors.execute(on.pk) == OperationStatus.SUCCEEDED
    fake.clock.advance(60)
    assert linode_status(fake) == "running"
    assert state_of(server) == State.RUNNING


def test_reboot_runs_after_earlier_operation(fake, catalog, plan, customer):
    server = running_server(plan, customer)
    off = services.request_power_action(server, OperationKind.POWER_OFF, actor="customer:1")
    reboot = services.request_power_action(server, OperationKind.REBOOT, actor="customer:1")

    assert executors.execute(reboot.pk) is None  # the power-off comes first
    assert executors.execute(off.pk) == OperationStatus.SUCCEEDED
    fake.clock.advance(60)
    # Rebooting an offline Linode boots it.
    assert executors.execute(reboot.pk) == OperationStatus.SUCCEEDED
    fake.clock.advance(60)
    assert linode_status(fake) == "running"


def test_rebuild_replaces_root_password(fake, catalog, plan, customer):
    server = running_server(plan, customer)
    old_password = services.reveal_root_password(server)

    rebuild = services.request_power_action(server, OperationKind.REBUILD, actor="customer:1")
    assert executors.execute(rebuild.pk) == OperationStatus.WAITING
    track_until(lambda: operation_status(rebuild) == OperationStatus.SUCCEEDED)

    new_password = services.reveal_root_password(server)
    assert new_password and new_password != old_password
    assert linode_status(fake) == "running"


def test_reset_password_shuts_down_sets_and_boots(fake, catalog, plan, customer):
    server = running_server(plan, customer)
    old_encrypted = Server.objects.get(pk=server.pk).root_password_encrypted

    reset = services.request_power_action(server, OperationKind.RESET_PASSWORD, actor="customer:1")
    assert executors.execute(reset.pk) == OperationStatus.QUEUED  # waits for the shutdown
    fake.clock.advance(60)
    Operation.objects.filter(pk=reset.pk).update(not_before=None)
    run_due_operations()

    assert operation_status(reset) == OperationStatus.SUCCEEDED
    server.refresh_from_db()
    assert server.root_password_encrypted != old_encrypted
    assert decrypt_secret(server.root_password_encrypted)
    fake.clock.advance(60)
    assert linode_status(fake) == "running"


def test_suspended_server_cannot_be_powered_on(fake, catalog, plan, customer):
    server = running_server(plan, customer)
    executors.execute(services.suspend(server, actor="operator:1").pk)

    with pytest.raises(services.TransitionNotAllowed, match="is suspended"):
        services.request_power_action(server, OperationKind.POWER_ON, actor="customer:1")


def test_resume_while_shutting_down_retries(fake, catalog, plan, customer):
    server = running_server(plan, customer)
    fake.speed = 1.0  # the shutdown now takes 15 s of fake time
    executors.execute(services.suspend(server, actor="operator:1").pk)
    resume = services.resume(server, actor="operator:1")

    # The Linode is still shutting down, so the API returns "Linode busy."
    assert executors.execute(resume.pk) == OperationStatus.QUEUED
    assert "busy" in Operation.objects.get(pk=resume.pk).error
    fake.clock.advance(60)
    Operation.objects.filter(pk=resume.pk).update(not_before=None)
    run_due_operations()
    fake.clock.advance(60)

    assert operation_status(resume) == OperationStatus.SUCCEEDED
    assert linode_status(fake) == "running"
    assert state_of(server) == State.RUNNING
