"""Reconciliation: adopt, re-apply suspensions, flag orphans, drift and vanished Linodes."""

from __future__ import annotations

from linode_api import LinodeClient
from provisioning import executors, services
from provisioning.models import Finding, FindingKind, OperationKind, OperationStatus, Server, State
from provisioning.reconcile import reconcile

from .conftest import run_due_operations, state_of, track_until


def api(fake) -> LinodeClient:
    return LinodeClient(fake.token, fake.api_url)


def running_server(plan, customer) -> Server:
    server = services.place_order(customer=customer, plan=plan, region="us-east")
    executors.execute(services.start_provisioning(server, actor="customer:1").pk)
    track_until(lambda: state_of(server) == State.RUNNING)
    server.refresh_from_db()
    return server


def test_adopts_linode_left_by_lost_response(fake, catalog, plan, customer):
    server = services.place_order(customer=customer, plan=plan, region="us-east")
    Server.objects.filter(pk=server.pk).update(state=State.PROVISIONING)
    linode = api(fake).create_linode(
        "g6-nanode-1",
        "us-east",
        "linode/debian12",
        root_pass="Left-Behind-Pass-123!",
        label=server.label,
        tags=["reseller-portal", server.linode_tag],
    )

    summary = reconcile()

    assert summary.adopted == [server.pk]
    server.refresh_from_db()
    assert server.linode_id == linode.id
    assert Finding.objects.filter(kind=FindingKind.ADOPTED, server=server).exists()
    assert len(fake.instances()) == 1


def test_orphan_flagged_and_never_deleted(fake, catalog, plan, customer):
    orphan = api(fake).create_linode(
        "g6-nanode-1",
        "us-east",
        "linode/debian12",
        root_pass="Orphan-Linode-Pass-123!",
        label="someone-elses-box",
        tags=["reseller-portal"],
    )

    first = reconcile()
    second = reconcile()

    assert first.orphans == [orphan.id]
    assert second.orphans == [orphan.id]
    finding = Finding.objects.get(kind=FindingKind.ORPHAN, linode_id=orphan.id)
    assert finding.observations == 2
    assert [linode["id"] for linode in fake.instances()] == [orphan.id]
    assert not any(entry.method == "DELETE" for entry in fake.request_log)


def test_linode_without_portal_tag_is_ignored(fake, catalog, plan, customer):
    api(fake).create_linode(
        "g6-nanode-1",
        "us-east",
        "linode/debian12",
        root_pass="Unrelated-Linode-Pass-123!",
        label="operators-own-box",
    )

    summary = reconcile()

    assert summary.listed == 0
    assert not Finding.objects.exists()


def test_reapplies_undone_suspension(fake, catalog, plan, customer):
    server = running_server(plan, customer)
    executors.execute(services.suspend(server, actor="operator:1").pk)
    fake.clock.advance(60)
    assert fake.instances()[0]["status"] == "offline"
    # Someone boots the suspended Linode behind the portal's back.
    api(fake).get_linodes(id=server.linode_id)[0].boot()
    fake.clock.advance(60)

    summary = reconcile()

    assert summary.suspensions_reapplied == [server.pk]
    run_due_operations()
    fake.clock.advance(60)
    assert fake.instances()[0]["status"] == "offline"
    assert state_of(server) == State.SUSPENDED
    suspends = server.operations.filter(kind=OperationKind.SUSPEND)
    assert [op.status for op in suspends] == [OperationStatus.SUCCEEDED] * 2
    assert Finding.objects.filter(kind=FindingKind.SUSPENSION_REAPPLIED).count() == 1


def test_vanished_after_repeated_observations(fake, catalog, plan, customer, settings):
    settings.PROVISIONING_VANISHED_AFTER = 3
    server = running_server(plan, customer)
    api(fake).get_linodes(id=server.linode_id)[0].delete()
    fake.clock.advance(60)

    reconcile()
    reconcile()
    assert not Finding.objects.filter(kind=FindingKind.VANISHED).exists()
    summary = reconcile()

    assert summary.vanished == [server.pk]
    finding = Finding.objects.get(kind=FindingKind.VANISHED, server=server)
    assert str(server.linode_id) in finding.detail
    server.refresh_from_db()
    assert server.state == State.RUNNING  # flagged for the operator, not changed
    assert server.attention


def test_drift_in_tags_flagged(fake, catalog, plan, customer):
    server = running_server(plan, customer)
    linode = api(fake).get_linodes(id=server.linode_id)[0]
    linode.tags = ["reseller-portal"]
    linode.save()

    summary = reconcile()

    assert summary.drift == [server.pk]
    finding = Finding.objects.get(kind=FindingKind.DRIFT, server=server)
    assert server.linode_tag in finding.detail


def test_linode_of_terminated_server_is_orphan(fake, catalog, plan, customer):
    server = running_server(plan, customer)
    Server.objects.filter(pk=server.pk).update(state=State.TERMINATED)

    summary = reconcile()

    assert summary.orphans == [server.linode_id]
    assert len(fake.instances()) == 1


def test_linode_powered_off_outside_portal_flagged(fake, catalog, plan, customer):
    server = running_server(plan, customer)
    api(fake).get_linodes(id=server.linode_id)[0].shutdown()
    fake.clock.advance(60)
    assert fake.instances()[0]["status"] == "offline"

    summary = reconcile()

    assert summary.drift == [server.pk]
    finding = Finding.objects.get(kind=FindingKind.DRIFT, server=server)
    assert "status is offline" in finding.detail
    assert state_of(server) == State.RUNNING
    assert fake.instances()[0]["status"] == "offline"  # reconciliation does not boot it


def test_portal_power_off_is_no_drift(fake, catalog, plan, customer):
    server = running_server(plan, customer)
    operation = services.request_power_action(server, OperationKind.POWER_OFF, actor="operator:1")
    executors.execute(operation.pk)
    fake.clock.advance(60)
    assert fake.instances()[0]["status"] == "offline"

    summary = reconcile()

    assert summary.drift == []
    assert not Finding.objects.filter(kind=FindingKind.DRIFT, server=server).exists()


def test_findings_close_when_cause_gone(fake, catalog, plan, customer):
    server = running_server(plan, customer)
    executors.execute(services.suspend(server, actor="operator:1").pk)
    fake.clock.advance(60)
    api(fake).get_linodes(id=server.linode_id)[0].boot()
    fake.clock.advance(60)
    reconcile()
    reapplied = Finding.objects.get(kind=FindingKind.SUSPENSION_REAPPLIED)
    assert reapplied.resolved_at is None
    run_due_operations()
    fake.clock.advance(60)

    executors.execute(services.resume(server, actor="operator:1").pk)
    reconcile()

    reapplied.refresh_from_db()
    assert reapplied.resolved_at is not None


def test_vanished_finding_closes_after_teardown(fake, catalog, plan, customer, settings):
    settings.PROVISIONING_VANISHED_AFTER = 1
    server = running_server(plan, customer)
    api(fake).get_linodes(id=server.linode_id)[0].delete()
    fake.clock.advance(60)
    reconcile()
    vanished = Finding.objects.get(kind=FindingKind.VANISHED, server=server)
    assert vanished.resolved_at is None

    executors.execute(services.request_termination(server, actor="operator:1").pk)
    track_until(lambda: state_of(server) == State.TERMINATED)
    reconcile()

    vanished.refresh_from_db()
    assert vanished.resolved_at is not None
