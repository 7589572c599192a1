"""The operator's admin: server list filters and search, inlines, actions, job health."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from provisioning.models import JobRun, Operation, OperationKind, Server, State, Transition


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    """admin_client logs in with a password; a fast hasher keeps these tests quick."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def sent(monkeypatch):
    ids: list[int] = []
    monkeypatch.setattr(
        "provisioning.tasks.run_operation.delay", lambda operation_id: ids.append(operation_id)
    )
    return ids


@pytest.fixture
def servers(plan, make_customer):
    running = Server.objects.create(
        customer=make_customer("run@example.com"),
        plan=plan,
        region="us-east",
        state=State.RUNNING,
        linode_id=4242,
        ipv4="203.0.113.7",
    )
    failed = Server.objects.create(
        customer=make_customer("fail@example.com"),
        plan=plan,
        region="us-east",
        state=State.FAILED,
        failure_reason="create rejected",
    )
    return running, failed


def changelist(admin_client, **params):
    return admin_client.get(reverse("admin:provisioning_server_changelist"), params)


def test_server_list_filters_by_state(admin_client, servers):
    running, failed = servers
    response = changelist(admin_client, state__exact="failed")
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [failed]


@pytest.mark.parametrize(
    "term", ["run@example.com", "203.0.113.7", "4242"], ids=["email", "ip", "linode-id"]
)
def test_server_search(admin_client, servers, term):
    running, failed = servers
    response = changelist(admin_client, q=term)
    assert list(response.context["cl"].result_list) == [running]


def test_server_search_by_label(admin_client, servers):
    running, failed = servers
    response = changelist(admin_client, q=failed.label)
    assert list(response.context["cl"].result_list) == [failed]


def test_server_page_shows_audit_trail(admin_client, servers):
    running, failed = servers
    Transition.objects.create(
        server=running, from_state="booting", to_state="running", actor="system", reason="ok"
    )
    url = reverse("admin:provisioning_server_change", args=[running.pk])
    response = admin_client.get(url)
    assert response.status_code == 200
    assert b"Audit trail" in response.content
    assert b"booting" in response.content


def test_retry_action_requeues_failed_server(admin_client, servers, sent):
    running, failed = servers
    response = admin_client.post(
        reverse("admin:provisioning_server_changelist"),
        {"action": "retry_provisioning", "_selected_action": [running.pk, failed.pk]},
        follow=True,
    )
    assert response.status_code == 200
    failed.refresh_from_db()
    assert failed.state == State.PROVISIONING
    running.refresh_from_db()
    assert running.state == State.RUNNING
    messages = [str(message) for message in response.context["messages"]]
    assert any("only a failed server can be retried" in message for message in messages)
    operation = Operation.objects.get(server=failed)
    assert operation.actor.startswith("operator:")


def post_action(admin_client, action, servers, *, confirmed=False):
    data = {"action": action, "_selected_action": [server.pk for server in servers]}
    if confirmed:
        data["confirmed"] = "yes"
    return admin_client.post(reverse("admin:provisioning_server_changelist"), data)


def test_tear_down_asks_before_deleting(admin_client, servers, sent):
    running, failed = servers
    response = post_action(admin_client, "tear_down", [running, failed])

    assert response.status_code == 200
    assert response.templates[0].name == "admin/provisioning/server/action_confirmation.html"
    content = response.content.decode()
    assert "deletes each server&#x27;s Linode and its disks" in content
    for text in ("run@example.com", running.label, ">4242<", "Running"):
        assert text in content
    for text in ("fail@example.com", failed.label, "none yet", "Failed"):
        assert text in content
    assert 'name="confirmed" value="yes"' in content
    assert 'name="action" value="tear_down"' in content
    assert f'name="_selected_action" value="{running.pk}"' in content
    assert f'name="_selected_action" value="{failed.pk}"' in content
    running.refresh_from_db()
    assert running.state == State.RUNNING
    assert running.termination_requested_at is None
    assert not Operation.objects.exists()
    assert sent == []


def test_tear_down_runs_once_confirmed(admin_client, servers, sent):
    running, failed = servers
    response = post_action(admin_client, "tear_down", [running], confirmed=True)

    assert response.status_code == 302
    running.refresh_from_db()
    assert running.state == State.TERMINATING
    operation = Operation.objects.get(server=running)
    assert operation.kind == OperationKind.TERMINATE
    assert operation.actor.startswith("operator:")


def test_tear_down_of_terminated_server_rejected(admin_client, servers, sent):
    running, failed = servers
    Server.objects.filter(pk=running.pk).update(state=State.TERMINATED)

    response = admin_client.post(
        reverse("admin:provisioning_server_changelist"),
        {"action": "tear_down", "_selected_action": [running.pk], "confirmed": "yes"},
        follow=True,
    )

    messages = [str(message) for message in response.context["messages"]]
    assert f"Server {running.pk} is already terminated." in messages
    assert not any(message.startswith("Teardown requested") for message in messages)
    assert not Operation.objects.filter(server=running).exists()


def test_suspend_asks_before_locking_out(admin_client, servers, sent):
    running, failed = servers
    response = post_action(admin_client, "suspend", [running])

    assert response.status_code == 200
    content = response.content.decode()
    assert "its customer cannot boot it" in content
    assert "run@example.com" in content
    assert 'name="action" value="suspend"' in content
    running.refresh_from_db()
    assert running.state == State.RUNNING
    assert not Operation.objects.exists()


def test_tear_down_and_suspend_actions(admin_client, servers, sent):
    running, failed = servers
    post_action(admin_client, "suspend", [running], confirmed=True)
    running.refresh_from_db()
    assert running.state == State.SUSPENDED

    post_action(admin_client, "tear_down", [running], confirmed=True)
    running.refresh_from_db()
    assert running.state == State.TERMINATING
    kinds = list(Operation.objects.filter(server=running).values_list("kind", flat=True))
    assert kinds == [OperationKind.SUSPEND, OperationKind.TERMINATE]


def test_confirmed_suspend_warns_about_wrong_state(admin_client, servers, sent):
    running, failed = servers
    response = post_action(admin_client, "suspend", [failed], confirmed=True)

    assert response.status_code == 302
    messages = [str(message) for message in admin_client.get(response.url).context["messages"]]
    assert any(f"server {failed.pk} is failed; it cannot become suspended" in m for m in messages)
    failed.refresh_from_db()
    assert failed.state == State.FAILED


def test_job_health_shows_quiet_job(admin_client, db):
    now = timezone.now()
    JobRun.objects.create(name="track_servers", interval_seconds=2, last_succeeded_at=now)
    JobRun.objects.create(
        name="reconcile_linodes",
        interval_seconds=60,
        last_succeeded_at=now - timedelta(hours=1),
    )
    response = admin_client.get(reverse("admin:provisioning_jobrun_changelist"))
    content = response.content.decode()
    assert response.status_code == 200
    assert content.count(">quiet<") == 1
    from provisioning.selectors import quiet_jobs

    # sweep_operations and sync_catalog never ran, so they count as quiet too.
    assert [job.name for job in quiet_jobs()] == [
        "reconcile_linodes",
        "sweep_operations",
        "sync_catalog",
    ]


def test_server_list_warns_about_quiet_job(admin_client, servers):
    response = changelist(admin_client)
    messages = [str(message) for message in response.context["messages"]]
    assert any("track_servers is quiet: it has never succeeded" in m for m in messages)


def test_plan_and_catalog_pages_load(admin_client, plan):
    for name in ("plan", "catalogregion", "catalogtype", "catalogimage", "finding", "operation"):
        response = admin_client.get(reverse(f"admin:provisioning_{name}_changelist"))
        assert response.status_code == 200, name


@pytest.fixture
def view_only_client(client, make_customer):
    """A staff user who may view servers and findings but not change them."""
    from django.contrib.auth.models import Permission

    staff = make_customer("viewer@example.com")
    staff.is_staff = True
    staff.save()
    staff.user_permissions.add(
        Permission.objects.get(codename="view_server"),
        Permission.objects.get(codename="view_finding"),
    )
    client.force_login(staff)
    return client


def test_view_only_staff_cannot_run_actions(view_only_client, servers, sent):
    running, failed = servers
    page = changelist(view_only_client)
    assert page.status_code == 200
    action_form = page.context["action_form"]  # None when no action is offered at all
    choices = (
        [] if action_form is None else [name for name, _ in action_form.fields["action"].choices]
    )
    for action in ("tear_down", "suspend", "resume", "retry_provisioning"):
        assert action not in choices

    for action in ("tear_down", "suspend"):
        post_action(view_only_client, action, [running], confirmed=True)
    post_action(view_only_client, "retry_provisioning", [failed])

    running.refresh_from_db()
    assert running.state == State.RUNNING
    failed.refresh_from_db()
    assert failed.state == State.FAILED
    assert not Operation.objects.exists()


def test_view_only_staff_cannot_resolve_findings(view_only_client, servers):
    from provisioning.models import Finding, FindingKind

    finding = Finding.objects.create(kind=FindingKind.ORPHAN, detail="Linode 9 has no server")

    view_only_client.post(
        reverse("admin:provisioning_finding_changelist"),
        {"action": "mark_resolved", "_selected_action": [finding.pk]},
    )

    finding.refresh_from_db()
    assert finding.resolved_at is None
