"""Waiting for statuses and events against the fake, whose clock the waits move forward."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import responses

from linode_api import (
    Event,
    EventFailedError,
    EventWatcher,
    Linode,
    LinodeClient,
    WaitTimeoutError,
    generate_root_password,
    wait_for_event,
    wait_for_status,
)
from linode_fake.testing import FakeHandle
from tests.client.conftest import ROOT_PASS


def fake_sleep(fake: FakeHandle) -> Callable[[float], None]:
    """Sleep by moving the fake's clock, so a wait costs no real time."""
    return lambda seconds: fake.clock.advance(seconds)


def new_linode(client: LinodeClient, **options: object) -> Linode:
    return client.create_linode(
        "g6-nanode-1", "us-east", "linode/debian12", root_pass=ROOT_PASS, **options
    )


def test_wait_for_status_reports_progress(client: LinodeClient, fake: FakeHandle) -> None:
    linode = new_linode(client)
    seen: list[str] = []

    result = wait_for_status(
        linode, "running", poll_interval=5, progress=seen.append, sleep=fake_sleep(fake)
    )

    assert result is linode
    assert linode.status == "running"
    assert seen[0] == "provisioning"
    assert seen[-1] == "running"
    assert len(seen) == len(set(seen))


def test_wait_for_status_times_out(client: LinodeClient, fake: FakeHandle) -> None:
    linode = new_linode(client)
    fake.clock.advance(600)

    with pytest.raises(WaitTimeoutError) as caught:
        wait_for_status(linode, "offline", timeout=0.2, poll_interval=0.05)

    assert "last status was 'running'" in str(caught.value)
    assert "offline" in str(caught.value)


def test_wait_for_create_event(client: LinodeClient, fake: FakeHandle) -> None:
    linode = new_linode(client)
    progress: list[tuple[str, int | None]] = []

    event = wait_for_event(
        client,
        linode,
        "linode_create",
        poll_interval=5,
        progress=lambda e: progress.append((e.status, e.percent_complete)),
        sleep=fake_sleep(fake),
    )

    assert isinstance(event, Event)
    assert event.action == "linode_create"
    assert event.status == "finished"
    assert event.entity.id == linode.id
    assert progress[-1] == ("finished", 100)
    percents = [percent or 0 for _, percent in progress]
    assert percents == sorted(percents)


def test_watcher_finds_new_event_among_many_older(client: LinodeClient, fake: FakeHandle) -> None:
    linode = new_linode(client)
    fake.clock.advance(600)
    for _ in range(30):  # more older boot events than fit on one small page
        linode.shutdown()
        fake.clock.advance(60)
        linode.boot()
        fake.clock.advance(60)
    older = [e.id for e in client.get_events(entity__id=linode.id, action="linode_boot")]
    assert len(older) >= 30
    linode.shutdown()
    fake.clock.advance(60)

    watcher = EventWatcher(client, linode, "linode_boot")
    assert watcher.after_id == max(older)
    linode.boot()
    event = watcher.wait(poll_interval=5, sleep=fake_sleep(fake))

    assert event.action == "linode_boot"
    assert event.id not in older
    assert event.id > max(older)
    assert event.status == "finished"


def test_watcher_sees_event_in_same_second(client: LinodeClient, fake: FakeHandle) -> None:
    linode = new_linode(client, booted=False)
    fake.clock.advance(600)
    assert linode.reload().status == "offline"

    linode.reset_root_password(generate_root_password())  # an older event, same second
    watcher = EventWatcher(client, linode)  # any action on this Linode
    linode.boot()
    event = watcher.wait(poll_interval=5, sleep=fake_sleep(fake))

    assert event.action == "linode_boot"
    events = {e.action: e for e in client.get_events(entity__id=linode.id)}
    assert events["password_reset"].id < event.id


def test_wait_for_event_times_out_without_event(client: LinodeClient, fake: FakeHandle) -> None:
    linode = new_linode(client)
    with pytest.raises(WaitTimeoutError, match="no event matching"):
        wait_for_event(client, linode, "linode_reboot", timeout=0.2, poll_interval=0.05)


def test_wait_settings_checked(client: LinodeClient) -> None:
    with pytest.raises(ValueError, match="timeout"):
        wait_for_event(client, Linode(client, 1), "linode_boot", timeout=0)
    with pytest.raises(ValueError, match="poll_interval"):
        wait_for_status(Linode(client, 1), "running", poll_interval=-1)
    with pytest.raises(ValueError, match="name an entity"):
        wait_for_event(client)


@responses.activate
def test_failed_event_raises_with_message() -> None:
    # The fake has no failing jobs, so a failed event is simulated.
    base = "http://127.0.0.1:9/v4"
    client = LinodeClient("token-for-events", base)
    failed = {
        "id": 77,
        "action": "linode_resize",
        "status": "failed",
        "percent_complete": 40,
        "message": "Insufficient disk space for the new type",
        "entity": {"id": 5, "type": "linode", "label": "web5", "url": "/v4/linode/instances/5"},
        "created": "2024-01-01T00:00:00",
    }
    responses.get(
        base + "/account/events", json={"data": [failed], "page": 1, "pages": 1, "results": 1}
    )

    with pytest.raises(EventFailedError) as caught:
        wait_for_event(
            client, Linode(client, 5), "linode_resize", after_id=70, sleep=lambda s: None
        )

    assert caught.value.event_id == 77
    assert "Insufficient disk space" in str(caught.value)
    sent_filter = responses.calls[0].request.headers["X-Filter"]
    assert '"id": {"+gt": 70}' in sent_filter
    assert '"entity.type": "linode"' in sent_filter
