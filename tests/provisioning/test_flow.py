"""The whole path from order to running server and back to terminated, against the fake."""

from __future__ import annotations

from django.core import mail

from provisioning import services
from provisioning.models import OperationStatus, State, Transition

from .conftest import run_due_operations, state_of, track_until


def test_order_to_running_to_terminated(
    fake, catalog, plan, customer, django_capture_on_commit_callbacks
):
    server = services.place_order(customer=customer, plan=plan, region="us-east")
    assert server.state == State.PENDING

    with django_capture_on_commit_callbacks(execute=True):
        operation = services.start_provisioning(server, actor="customer:1")
    operation.refresh_from_db()
    assert operation.status == OperationStatus.WAITING
    assert operation.linode_id is not None

    with django_capture_on_commit_callbacks(execute=True):
        track_until(lambda: state_of(server) == State.RUNNING)
    server.refresh_from_db()
    assert server.ipv4
    assert server.progress == 100
    operation.refresh_from_db()
    assert operation.status == OperationStatus.SUCCEEDED
    linodes = fake.instances()
    assert len(linodes) == 1
    assert linodes[0]["label"] == server.label
    assert sorted(linodes[0]["tags"]) == sorted(["reseller-portal", server.linode_tag])
    assert len(mail.outbox) == 1

    path = list(Transition.objects.filter(server=server).values_list("from_state", "to_state"))
    assert path == [
        ("pending", "provisioning"),
        ("provisioning", "booting"),
        ("booting", "running"),
    ]

    with django_capture_on_commit_callbacks(execute=True):
        services.request_termination(server, actor="customer:1")
        track_until(lambda: state_of(server) == State.TERMINATED)
    assert fake.instances() == []
    run_due_operations()
