"""Services: orders, the outbox written with each state change, termination, root passwords."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from provisioning import services
from provisioning.crypto import encrypt_secret
from provisioning.models import (
    CatalogImage,
    Operation,
    OperationKind,
    OperationStatus,
    Server,
    Standing,
    State,
    Transition,
)
from provisioning.selectors import orderable_plans, plan_problems, server_status


@pytest.fixture
def no_sends(monkeypatch):
    """Record the operations sent to Celery instead of running them."""
    sent: list[int] = []
    monkeypatch.setattr(
        "provisioning.tasks.run_operation.delay", lambda operation_id: sent.append(operation_id)
    )
    return sent


def test_place_order_creates_pending_server(catalog, plan, customer):
    server = services.place_order(customer=customer, plan=plan, region="us-east", ssh_key=" k ")

    assert server.state == State.PENDING
    assert server.standing == Standing.CURRENT
    assert server.ssh_key == "k"
    assert server.linode_id is None
    assert not Operation.objects.exists()


def test_place_order_rejects_second_server(catalog, plan, customer):
    services.place_order(customer=customer, plan=plan, region="us-east")

    with pytest.raises(services.OrderRejected, match="already has a server"):
        services.place_order(customer=customer, plan=plan, region="eu-west")
    assert Server.objects.count() == 1


def test_database_enforces_one_server_per_customer(plan, customer):
    Server.objects.create(customer=customer, plan=plan, region="us-east")
    with pytest.raises(IntegrityError), transaction.atomic():
        Server.objects.create(customer=customer, plan=plan, region="us-east")


def test_place_order_rejects_region_not_offered(catalog, plan, customer):
    with pytest.raises(services.OrderRejected, match="not offered in region 'ap-south'"):
        services.place_order(customer=customer, plan=plan, region="ap-south")
    assert not Server.objects.exists()


def test_plan_problems_empty_for_catalog_plan(catalog, plan):
    assert plan_problems(plan, "us-east") == []


def test_plan_problems_names_missing_type_and_image(catalog, plan):
    plan.linode_type = "g9-imaginary-1"
    plan.image = "linode/plan9"

    problems = plan_problems(plan, "us-east")

    assert any("'g9-imaginary-1'" in problem for problem in problems)
    assert any("'linode/plan9'" in problem for problem in problems)


def test_plan_problems_region_gone_from_catalog(catalog, plan):
    plan.regions = ["us-east", "xx-nowhere"]
    problems = plan_problems(plan, "xx-nowhere")
    assert problems == [
        "The region 'xx-nowhere' is not available from the provider right now; "
        "choose another region."
    ]


def test_plan_problems_image_no_longer_listed(catalog, plan):
    CatalogImage.objects.filter(id=plan.image).update(present=False)
    assert any("linode/debian12" in problem for problem in plan_problems(plan, "us-east"))


def test_plan_problems_without_catalog(plan):
    problems = plan_problems(plan, "us-east")
    assert len(problems) == 1
    assert "catalog has not been loaded" in problems[0]


def test_orderable_plans_lists_active_only(plan):
    plan.pk = None
    plan.slug = "retired"
    plan.active = False
    plan.save()
    assert [p.slug for p in orderable_plans()] == ["starter"]


def test_start_provisioning_writes_operation_with_transition(
    plan, customer, no_sends, django_capture_on_commit_callbacks
):
    server = Server.objects.create(customer=customer, plan=plan, region="us-east")

    with django_capture_on_commit_callbacks() as callbacks:
        operation = services.start_provisioning(server, actor="customer:1")
        assert no_sends == []  # nothing goes out before the commit

    assert len(callbacks) == 1
    for callback in callbacks:
        callback()
    assert no_sends == [operation.pk]
    assert operation.kind == OperationKind.PROVISION
    assert operation.status == OperationStatus.QUEUED
    server.refresh_from_db()
    assert server.state == State.PROVISIONING
    audit = Transition.objects.get(server=server)
    assert audit.operation_id == operation.pk
    assert audit.actor == "customer:1"


def test_start_provisioning_is_idempotent(plan, customer, no_sends):
    server = Server.objects.create(customer=customer, plan=plan, region="us-east")

    first = services.start_provisioning(server, actor="customer:1")
    second = services.start_provisioning(server, actor="customer:1")

    assert first.pk == second.pk
    assert Operation.objects.count() == 1
    assert Transition.objects.count() == 1


def test_start_provisioning_after_finish_returns_last_operation(plan, customer, no_sends):
    server = Server.objects.create(customer=customer, plan=plan, region="us-east")
    first = services.start_provisioning(server, actor="customer:1")
    Operation.objects.filter(pk=first.pk).update(status=OperationStatus.SUCCEEDED)
    Server.objects.filter(pk=server.pk).update(state=State.RUNNING)

    assert services.start_provisioning(server, actor="customer:1").pk == first.pk


def test_termination_of_pending_server_moves_now(plan, customer, no_sends):
    server = Server.objects.create(customer=customer, plan=plan, region="us-east")

    operation = services.request_termination(server, actor="customer:1")

    server.refresh_from_db()
    assert server.state == State.TERMINATING
    assert server.standing == Standing.CLOSED
    assert server.termination_requested_at is not None
    assert operation.kind == OperationKind.TERMINATE
    assert services.request_termination(server, actor="customer:1").pk == operation.pk


def test_termination_cancels_provision_that_never_ran(plan, customer, no_sends):
    server = Server.objects.create(customer=customer, plan=plan, region="us-east")
    provision = services.start_provisioning(server, actor="customer:1")

    services.request_termination(server, actor="customer:1")

    provision.refresh_from_db()
    assert provision.status == OperationStatus.CANCELLED
    server.refresh_from_db()
    assert server.state == State.TERMINATING


def test_termination_waits_behind_running_create(plan, customer, no_sends):
    server = Server.objects.create(customer=customer, plan=plan, region="us-east")
    provision = services.start_provisioning(server, actor="customer:1")
    Operation.objects.filter(pk=provision.pk).update(
        status=OperationStatus.RUNNING, phase="create_sent"
    )

    terminate = services.request_termination(server, actor="customer:1")

    server.refresh_from_db()
    assert server.state == State.PROVISIONING  # the create settles first
    assert terminate.status == OperationStatus.QUEUED
    provision.refresh_from_db()
    assert provision.status == OperationStatus.RUNNING


def test_suspend_and_resume(plan, customer, no_sends):
    server = Server.objects.create(
        customer=customer, plan=plan, region="us-east", state=State.RUNNING, linode_id=5
    )

    suspend = services.suspend(server, actor="operator:1", reason="payment overdue")
    server.refresh_from_db()
    assert server.state == State.SUSPENDED
    assert suspend.kind == OperationKind.SUSPEND

    resume = services.resume(server, actor="operator:1")
    server.refresh_from_db()
    assert server.state == State.RUNNING
    assert resume.kind == OperationKind.RESUME


def test_suspend_rejected_when_not_running(plan, customer, no_sends):
    server = Server.objects.create(customer=customer, plan=plan, region="us-east")

    with pytest.raises(services.TransitionNotAllowed, match="cannot become suspended"):
        services.suspend(server, actor="operator:1")
    assert not Operation.objects.exists()  # rolled back with the rejected transition


def test_retry_provisioning_only_for_failed(plan, customer, no_sends):
    server = Server.objects.create(customer=customer, plan=plan, region="us-east")
    with pytest.raises(services.TransitionNotAllowed, match="only a failed server"):
        services.retry_provisioning(server, actor="operator:1")

    Server.objects.filter(pk=server.pk).update(state=State.FAILED, failure_reason="boom")
    operation = services.retry_provisioning(server, actor="operator:1")

    server.refresh_from_db()
    assert server.state == State.PROVISIONING
    assert server.failure_reason == ""
    assert operation.kind == OperationKind.PROVISION


def test_power_action_needs_running_server(plan, customer, no_sends):
    server = Server.objects.create(customer=customer, plan=plan, region="us-east")
    with pytest.raises(services.TransitionNotAllowed, match="needs a running server"):
        services.request_power_action(server, OperationKind.REBOOT, actor="customer:1")
    with pytest.raises(ValueError, match="'terminate' is not a power action"):
        services.request_power_action(server, OperationKind.TERMINATE, actor="customer:1")


def test_reveal_root_password(plan, customer):
    server = Server.objects.create(
        customer=customer,
        plan=plan,
        region="us-east",
        root_password_encrypted=encrypt_secret("s3cret-Root-pass"),
    )
    assert services.reveal_root_password(server) == "s3cret-Root-pass"

    Server.objects.filter(pk=server.pk).update(ssh_key="ssh-ed25519 AAAA test")
    assert services.reveal_root_password(server) is None


def test_server_status_keys(plan, customer):
    server = Server.objects.create(customer=customer, plan=plan, region="us-east")

    status = server_status(server)

    assert status["state"] == "pending"
    assert status["plan"] == "starter"
    assert status["region"] == "us-east"
    assert status["ipv4"] is None
    assert status["linode_id"] is None
    assert status["root_login"] == "password"
    assert status["label"] == server.label
    assert "T" in status["updated"]
    assert set(status) >= {
        "state",
        "progress",
        "ipv4",
        "ipv6",
        "plan",
        "region",
        "linode_id",
        "updated",
        "failure_reason",
        "label",
        "root_login",
    }


def test_start_provisioning_after_cancel_does_not_raise(plan, customer, no_sends):
    server = Server.objects.create(customer=customer, plan=plan, region="us-east")
    terminate = services.request_termination(server, actor="customer:1")

    # The customer follows the verification link after cancelling.
    operation = services.start_provisioning(server, actor="customer:1")

    assert operation.pk == terminate.pk
    assert not Operation.objects.filter(kind=OperationKind.PROVISION).exists()


def test_plan_clean_checks_catalog(catalog, plan):
    from django.core.exceptions import ValidationError

    plan.full_clean()  # the fixture plan is valid

    plan.linode_type = "g9-imaginary-1"
    plan.regions = ["us-east", "xx-nowhere"]
    with pytest.raises(ValidationError) as error:
        plan.full_clean()

    assert "g9-imaginary-1" in str(error.value.message_dict["linode_type"])
    assert "xx-nowhere" in str(error.value.message_dict["regions"])


def test_plan_clean_rejects_empty_regions(plan):
    from django.core.exceptions import ValidationError

    plan.regions = []
    with pytest.raises(ValidationError, match="non-empty list of region ids"):
        plan.full_clean()


def test_rebuild_rejects_unknown_image(catalog, plan, customer, no_sends):
    server = Server.objects.create(
        customer=customer, plan=plan, region="us-east", state=State.RUNNING, linode_id=9
    )
    with pytest.raises(ValueError, match="'linode/plan9' is not in the catalog"):
        services.request_power_action(
            server, OperationKind.REBUILD, actor="customer:1", image="linode/plan9"
        )
