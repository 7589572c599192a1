"""Teardown: deletion confirmed by the API, already-gone Linodes, terminate during provisioning."""

from __future__ import annotations

from linode_api import LinodeClient
from provisioning import executors, services, tracking
from provisioning.models import Operation, OperationKind, OperationStatus, Server, State, Transition

from .conftest import run_due_operations, state_of, track_until


def running_server(fake, plan, customer) -> Server:
    server = services.place_order(customer=customer, plan=plan, region="us-east")
    executors.execute(services.start_provisioning(server, actor="customer:1").pk)
    track_until(lambda: state_of(server) == State.RUNNING)
    server.refresh_from_db()
    return server


def test_terminated_only_after_api_confirms(fake, catalog, plan, customer):
    server = running_server(fake, plan, customer)
    fake.speed = 1.0  # deletion now takes 5 s of fake time

    operation = services.request_termination(server, actor="customer:1")
    assert executors.execute(operation.pk) == OperationStatus.WAITING

    tracking.track()
    assert state_of(server) == State.TERMINATING  # the Linode is still deleting
    fake.clock.advance(10)
    tracking.track()

    assert state_of(server) == State.TERMINATED
    assert fake.instances() == []
    operation.refresh_from_db()
    assert operation.status == OperationStatus.SUCCEEDED
    server.refresh_from_db()
    assert server.root_password_encrypted == ""  # dropped with the Linode


def test_already_gone_linode_counts_as_deleted(fake, catalog, plan, customer):
    server = running_server(fake, plan, customer)
    LinodeClient(fake.token, fake.api_url).get_linodes(id=server.linode_id)[0].delete()
    fake.clock.advance(60)
    assert fake.instances() == []

    operation = services.request_termination(server, actor="operator:1")
    status = executors.execute(operation.pk)

    assert status == OperationStatus.SUCCEEDED
    server.refresh_from_db()
    assert server.state == State.TERMINATED
    reasons = Transition.objects.filter(server=server, to_state=State.TERMINATED)
    assert "already gone (404)" in reasons.get().reason


def test_terminate_during_provisioning_waits_for_create(fake, catalog, plan, customer):
    server = services.place_order(customer=customer, plan=plan, region="us-east")
    provision = services.start_provisioning(server, actor="customer:1")
    assert executors.execute(provision.pk) == OperationStatus.WAITING

    terminate = services.request_termination(server, actor="customer:1")
    # The teardown may not run while the create is in flight.
    assert executors.execute(terminate.pk) is None
    assert state_of(server) in (State.PROVISIONING, State.BOOTING)
    assert len(fake.instances()) == 1

    track_until(lambda: state_of(server) == State.TERMINATED)

    path = [row.to_state for row in Transition.objects.filter(server=server)]
    assert path == ["provisioning", "booting", "running", "terminating", "terminated"]
    assert fake.instances() == []
    provision.refresh_from_db()
    terminate.refresh_from_db()
    assert provision.status == OperationStatus.SUCCEEDED
    assert terminate.status == OperationStatus.SUCCEEDED
    assert provision.finished_at <= terminate.claimed_at


def test_terminate_with_lost_create_finds_linode(fake, catalog, plan, customer):
    server = services.place_order(customer=customer, plan=plan, region="us-east")
    provision = services.start_provisioning(server, actor="customer:1")
    # The create reached the API but the worker died before recording anything.
    client = LinodeClient(fake.token, fake.api_url)
    client.create_linode(
        "g6-nanode-1",
        "us-east",
        "linode/debian12",
        root_pass="Lost-Response-Pass-123!",
        label=server.label,
        tags=["reseller-portal", server.linode_tag],
    )
    Operation.objects.filter(pk=provision.pk).update(
        status=OperationStatus.FAILED, phase="create_sent"
    )
    Server.objects.filter(pk=server.pk).update(state=State.FAILED)

    terminate = services.request_termination(server, actor="operator:1")
    assert executors.execute(terminate.pk) == OperationStatus.WAITING
    fake.clock.advance(60)
    track_until(lambda: state_of(server) == State.TERMINATED)

    assert fake.instances() == []


def test_pending_server_terminates_without_api_linode(fake, catalog, plan, customer):
    server = services.place_order(customer=customer, plan=plan, region="us-east")

    operation = services.request_termination(server, actor="customer:1")
    status = executors.execute(operation.pk)

    assert status == OperationStatus.SUCCEEDED
    assert state_of(server) == State.TERMINATED
    assert operation.kind == OperationKind.TERMINATE
    run_due_operations()


def test_late_waiting_teardown_finishes_after_confirmation(fake, catalog, plan, customer):
    # Tracking confirmed the deletion before the worker marked its operation waiting.
    server = running_server(fake, plan, customer)
    operation = services.request_termination(server, actor="customer:1")
    executors.execute(operation.pk)
    fake.clock.advance(60)
    Server.objects.filter(pk=server.pk).update(state=State.TERMINATED)

    tracking.track()
    tracking.track()

    operation.refresh_from_db()
    assert operation.status == OperationStatus.SUCCEEDED
    server.refresh_from_db()
    assert server.missing_observations == 0
    assert not server.findings.exists()


def test_teardown_of_linode_still_provisioning(fake, catalog, plan, customer):
    fake.speed = 1.0  # the create takes 45 s of fake time
    server = services.place_order(customer=customer, plan=plan, region="us-east")
    provision = services.start_provisioning(server, actor="customer:1")
    executors.execute(provision.pk)
    Operation.objects.filter(pk=provision.pk).update(status=OperationStatus.FAILED)
    Server.objects.filter(pk=server.pk).update(state=State.FAILED)

    terminate = services.request_termination(server, actor="operator:1")
    first = executors.execute(terminate.pk)

    # The API either accepts the delete at once or returns "Linode busy." until the create ends.
    assert first in (OperationStatus.WAITING, OperationStatus.QUEUED)
    assert state_of(server) == State.TERMINATING
    fake.clock.advance(120)
    Operation.objects.filter(pk=terminate.pk).update(not_before=None)
    run_due_operations()
    fake.clock.advance(30)
    track_until(lambda: state_of(server) == State.TERMINATED)
    assert fake.instances() == []
