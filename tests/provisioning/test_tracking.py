"""Tracking: one list request for every server in flight, progress, addresses, vanished Linodes."""

from __future__ import annotations

import time

from django.core import mail

from linode_api import LinodeClient
from provisioning import executors, services, tracking
from provisioning.models import Finding, FindingKind, Operation, OperationStatus, Server, State

from .conftest import state_of, track_until


def list_requests(fake) -> int:
    return sum(
        1
        for entry in fake.request_log
        if entry.method == "GET" and entry.path.rstrip("/").endswith("/linode/instances")
    )


def start_servers(plan, make_customer, count):
    servers = []
    for _ in range(count):
        server = services.place_order(customer=make_customer(), plan=plan, region="us-east")
        executors.execute(services.start_provisioning(server, actor="system").pk)
        servers.append(server)
    return servers


def test_one_list_request_covers_many_servers(fake, catalog, plan, make_customer):
    servers = start_servers(plan, make_customer, 6)
    assert {server.pk for server in tracking.servers_in_flight()} == {s.pk for s in servers}
    fake.clear_request_log()

    summary = tracking.track()

    assert summary.servers == 6
    assert summary.list_requests == 1
    assert list_requests(fake) == 1
    events_calls = [entry for entry in fake.request_log if "/account/events" in entry.path]
    assert len(events_calls) == 1
    assert len(fake.request_log) == 2


def test_tracking_cost_does_not_grow_with_customers(fake, catalog, plan, make_customer):
    running = start_servers(plan, make_customer, 3)
    track_until(lambda: all(state_of(server) == State.RUNNING for server in running))
    start_servers(plan, make_customer, 1)
    fake.clear_request_log()

    summary = tracking.track()

    assert summary.servers == 1  # running servers are not polled
    assert len(fake.request_log) == 2


def test_tracking_moves_to_running_and_records_addresses(fake, catalog, plan, customer):
    [server] = start_servers(plan, lambda: customer, 1)

    track_until(lambda: state_of(server) == State.RUNNING)

    server.refresh_from_db()
    [linode] = fake.instances()
    assert server.ipv4 == linode["ipv4"][0]
    assert server.ipv6 == linode["ipv6"].split("/")[0]
    assert server.linode_status == "running"
    assert server.progress == 100
    operation = Operation.objects.get(server=server)
    assert operation.status == OperationStatus.SUCCEEDED


def test_progress_rises_while_provisioning(fake, catalog, plan, customer):
    fake.speed = 2.0  # provisioning takes about 20 s of fake time
    [server] = start_servers(plan, lambda: customer, 1)

    tracking.track()
    first = Server.objects.get(pk=server.pk).progress
    fake.clock.advance(15)
    tracking.track()
    later = Server.objects.get(pk=server.pk).progress

    assert state_of(server) == State.PROVISIONING
    assert 0 < first < later < 70


def test_nothing_in_flight_sends_nothing(fake, db):
    fake.clear_request_log()
    assert tracking.track().servers == 0
    assert fake.request_log == []


def test_vanished_linode_during_provisioning_fails_server(fake, catalog, plan, customer):
    [server] = start_servers(plan, lambda: customer, 1)
    server.refresh_from_db()
    LinodeClient(fake.token, fake.api_url).get_linodes(id=server.linode_id)[0].delete()
    fake.clock.advance(60)

    tracking.track()  # first miss: only counted
    assert state_of(server) == State.PROVISIONING
    tracking.track()  # second miss reaches PROVISIONING_VANISHED_AFTER=2

    server.refresh_from_db()
    assert server.state == State.FAILED
    assert "vanished" in server.failure_reason
    assert Finding.objects.filter(kind=FindingKind.VANISHED, server=server).count() == 1


def test_failed_create_event_fails_server(fake, catalog, plan, customer):
    fake.faults.create_failure_rate = 1.0
    [server] = start_servers(plan, lambda: customer, 1)

    track_until(lambda: state_of(server) == State.FAILED)

    server.refresh_from_db()
    assert "linode_create failed" in server.failure_reason
    provision = Operation.objects.get(server=server, kind="provision")
    assert provision.status == OperationStatus.FAILED


def test_retry_after_failed_create_rebuilds(fake, catalog, plan, customer):
    fake.faults.create_failure_rate = 1.0
    [server] = start_servers(plan, lambda: customer, 1)
    track_until(lambda: state_of(server) == State.FAILED)
    fake.faults.create_failure_rate = 0.0
    fake.clear_request_log()

    executors.execute(services.retry_provisioning(server, actor="operator:1").pk)
    track_until(lambda: state_of(server) == State.RUNNING)

    posts = [entry.path for entry in fake.request_log if entry.method == "POST"]
    assert posts == [f"/v4/linode/instances/{server.linode_id}/rebuild"]
    assert len(fake.instances()) == 1
    assert fake.instances()[0]["status"] == "running"


def test_ready_mail_sent_once(fake, catalog, plan, customer, django_capture_on_commit_callbacks):
    [server] = start_servers(plan, lambda: customer, 1)

    with django_capture_on_commit_callbacks(execute=True):
        track_until(lambda: state_of(server) == State.RUNNING)
        tracking.track()
        time.sleep(0.05)
        tracking.track()

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [customer.email]
    assert "running" in message.subject
    server.refresh_from_db()
    assert server.ipv4 in message.body
    password = services.reveal_root_password(server)
    assert password and password not in message.body
    assert server.ready_email_sent_at is not None

    # The move back to running after a suspension is no new "ready" event.
    from provisioning.notifications import notify_ready

    assert notify_ready(server.pk) is False
    assert len(mail.outbox) == 1


def test_tracking_without_events_scope(fake, catalog, plan, customer, settings):
    settings.LINODE_TOKEN = fake.add_token(scopes="linodes:read_write")
    [server] = start_servers(plan, lambda: customer, 1)

    track_until(lambda: state_of(server) == State.RUNNING)

    forbidden = [e for e in fake.request_log if "/account/events" in e.path and e.status == 403]
    assert forbidden


def test_tracking_queries_do_not_grow_with_servers(
    fake, catalog, plan, make_customer, django_assert_num_queries
):
    fake.speed = 0.001  # nothing moves between the two runs, so nothing is written
    for count in (2, 6):
        start_servers(plan, make_customer, count)
        tracking.track()  # records the first observation of the new servers

        with django_assert_num_queries(2):  # the servers in flight, their waiting operations
            summary = tracking.track()

        assert summary.servers == {2: 2, 6: 8}[count]


def test_progress_found_behind_many_newer_events(fake, catalog, plan, customer):
    # Progress comes from each Linode's own events, however many newer events
    # other Linodes have.
    from linode_fake.events import linode_entity, record_event

    fake.speed = 2.0  # provisioning takes about 20 s of fake time
    [server] = start_servers(plan, lambda: customer, 1)
    fake.clock.advance(10)
    others = fake.seed_instances(3, label_prefix="busy")
    with fake.store.connection() as conn:
        start = fake.clock.now()
        for number in range(600):
            linode_id = others[number % len(others)]
            record_event(
                fake.store,
                conn,
                action="linode_boot",
                entity=linode_entity(linode_id, f"busy-{number % len(others)}"),
                start=start,
                end=start,
            )

    tracking.track()

    assert state_of(server) == State.PROVISIONING
    server.refresh_from_db()
    assert 5 < server.progress < 65
