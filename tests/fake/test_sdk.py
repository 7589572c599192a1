"""The official Python SDK, linode_api4 5.48.0, pointed at the fake.

If the fake differs from the real API in something the SDK relies on (field names,
filters, event polling, OAuth replies), these tests fail the way a real program would.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from linode_api4 import (
    ApiError,
    Event,
    Firewall,
    Image,
    Instance,
    LinodeClient,
    LinodeLoginClient,
    OAuthScopes,
    Region,
    Type,
)
from linode_api4.objects.filtering import Filter
from linode_api4.polling import EventError

from linode_fake.testing import FakeHandle, run_fake
from tests.fake.test_contract import Secret, make_checker

# Seconds a test waits for a state that the fake at speed 100 reaches in well under one.
WAIT_SECONDS = 20.0
POLL_INTERVAL = 0.05


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeHandle]:
    with run_fake(speed=100.0) as server:
        yield server


@pytest.fixture
def client(fake: FakeHandle) -> Iterator[LinodeClient]:
    """An SDK client whose every response is checked against the spec after the test."""
    sdk = LinodeClient(Secret(fake.token), base_url=fake.api_url, page_size=100)
    responses: list[requests.Response] = []
    sdk.session.hooks["response"].append(lambda response, **_: responses.append(response))
    yield sdk

    checker = make_checker(fake)
    assert responses, "the SDK sent no request through its session"
    for response in responses:
        checker.check_response(response, None)


def wait_until(condition: Callable[[], bool], what: str) -> None:
    """Poll `condition` until it holds, failing after WAIT_SECONDS."""
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {WAIT_SECONDS} s waiting for {what}")
        time.sleep(POLL_INTERVAL)


def wait_for_status(instance: Instance, status: str) -> None:
    def reached() -> bool:
        instance.invalidate()
        return instance.status == status

    wait_until(reached, f"Linode {instance.id} to be {status}")


def strong_password() -> Secret:
    return Secret("Sdk-" + secrets.token_urlsafe(24))


# --- catalog ---------------------------------------------------------------------------------


def test_types_filtered_by_class(client: LinodeClient) -> None:
    standard = list(client.linode.types(Type.type_class == "standard"))

    assert standard, "no standard types"
    assert {linode_type.type_class for linode_type in standard} == {"standard"}
    assert "g6-standard-2" in {linode_type.id for linode_type in standard}
    for linode_type in standard:
        assert linode_type.price.monthly > 0
        assert linode_type.memory > 0


def test_types_filtered_by_range_and_ordered(client: LinodeClient) -> None:
    # The SDK's and_() takes two filters, and order_by() must sit on the top-level filter.
    vcpu_range = ((Type.vcpus >= 2) & (Type.vcpus <= 4)).order_by(Type.memory, desc=True)
    found = list(client.linode.types(vcpu_range))

    assert found
    assert all(2 <= linode_type.vcpus <= 4 for linode_type in found)
    memories = [linode_type.memory for linode_type in found]
    assert memories == sorted(memories, reverse=True)


def test_regions_filtered_by_country(client: LinodeClient) -> None:
    regions = list(client.regions(Region.country == "us"))

    assert regions
    assert {region.country for region in regions} == {"us"}
    us_east = next(region for region in regions if region.id == "us-east")
    assert "Linodes" in us_east.capabilities
    assert us_east.site_type == "core"


def test_images_filtered_by_vendor(client: LinodeClient) -> None:
    debian = list(client.images(Image.vendor == "Debian", Image.is_public == True))  # noqa: E712

    assert debian
    assert {image.vendor for image in debian} == {"Debian"}
    assert all(image.id.startswith("linode/") for image in debian)
    ubuntu = list(client.images(Image.label.contains("Ubuntu")))
    assert ubuntu
    assert all("Ubuntu" in image.label for image in ubuntu)


def test_rate_limited_list_retried(client: LinodeClient, fake: FakeHandle) -> None:
    saved = fake.rate_limits["images_list"]
    # 150 s at speed 100 is a 1.5 s window: wide enough that the second request lands
    # in it on a busy machine, short enough that Retry-After is 2 s.
    fake.rate_limits["images_list"] = (1, 150.0)
    fake.clear_request_log()
    try:
        first = list(client.images())
        second = list(client.images())
    finally:
        fake.rate_limits["images_list"] = saved

    assert [image.id for image in second] == [image.id for image in first]
    statuses = [entry.status for entry in fake.request_log if entry.path == "/v4/images"]
    # The SDK waited out Retry-After (at least 1 s) and asked again.
    assert statuses[:2] == [200, 429]
    assert statuses[-1] == 200


def test_account_profile_tags_and_events(client: LinodeClient) -> None:
    suffix = secrets.token_hex(4)
    tag = f"sdk-tag-{suffix}"
    instance = client.linode.instance_create(
        "g6-nanode-1",
        "us-east",
        image="linode/debian12",
        root_pass=strong_password(),
        tags=[tag],
        booted=False,
    )
    firewall = client.networking.firewall_create(
        f"sdk-fw-{suffix}", {"inbound_policy": "DROP", "outbound_policy": "ACCEPT"}
    )

    account = client.account()
    profile = client.profile()
    assert account.email and account.euuid
    assert profile.username and profile.restricted is False
    assert tag in [found.label for found in client.tags()]
    assert [
        found.id for found in client.networking.firewalls(Firewall.label == firewall.label)
    ] == [firewall.id]
    [created] = client.account.events(
        Event.action == "linode_create", Filter({"entity.id": instance.id})
    )
    client.account.events_mark_seen(created)
    created.invalidate()
    assert created.seen is True

    instance.delete()
    firewall.delete()


def test_unknown_filter_field_rejected(client: LinodeClient) -> None:
    with pytest.raises(ApiError) as raised:
        list(client.linode.types(Filter({"price": 5})))

    assert raised.value.status == 400


# --- an instance's life ----------------------------------------------------------------------


def run_action(
    client: LinodeClient, instance: Instance, action: str, start: Callable[[], bool]
) -> Event:
    """Start an action with the SDK's event poller watching, and wait for its event to finish."""
    poller = client.polling.event_poller_create("linode", action, entity_id=instance.id)
    assert start() is True
    event = poller.wait_for_next_event_finished(timeout=int(WAIT_SECONDS), interval=POLL_INTERVAL)
    assert event.action == action
    assert event.status == "finished"
    assert event.entity.id == instance.id
    return event


def test_instance_lifecycle(client: LinodeClient, fake: FakeHandle) -> None:
    tag = f"sdk-{secrets.token_hex(4)}"
    create_poller = client.polling.event_poller_create("linode", "linode_create")
    instance = client.linode.instance_create(
        "g6-nanode-1",
        "us-east",
        image="linode/debian12",
        root_pass=strong_password(),
        label=f"sdk-{secrets.token_hex(4)}",
        tags=[tag, "sdk"],
    )
    other = client.linode.instance_create(
        "g6-nanode-1",
        "us-east",
        image="linode/debian12",
        root_pass=strong_password(),
        tags=["sdk-other"],
        booted=False,
    )

    assert isinstance(instance, Instance)
    assert instance.status == "provisioning"
    assert sorted(instance.tags) == sorted([tag, "sdk"])
    create_poller.set_entity_id(instance.id)
    created = create_poller.wait_for_next_event_finished(
        timeout=int(WAIT_SECONDS), interval=POLL_INTERVAL
    )
    assert created.action == "linode_create"
    wait_for_status(instance, "running")
    assert instance.ipv4, "a running Linode has a public IPv4 address"
    assert instance.ipv6 and instance.ipv6.endswith("/128")
    assert instance.type.id == "g6-nanode-1"
    assert instance.region.id == "us-east"
    ips = instance.ips
    assert ips.ipv4.public[0].address == instance.ipv4[0]
    assert ips.ipv6.slaac.address == instance.ipv6.split("/")[0]
    assert [disk.filesystem for disk in instance.disks] == ["ext4", "swap"]
    assert instance.configs[0].devices.sda.id == instance.disks[0].id
    fake.clock.advance(3600)  # stats start a few minutes after the create
    assert instance.transfer.quota == instance.specs.transfer
    assert instance.stats["cpu"], "an hour of uptime has CPU points"

    run_action(client, instance, "linode_shutdown", instance.shutdown)
    wait_for_status(instance, "offline")
    run_action(client, instance, "linode_boot", instance.boot)
    wait_for_status(instance, "running")
    run_action(client, instance, "linode_reboot", instance.reboot)
    wait_for_status(instance, "running")
    client.polling.wait_for_entity_free(
        "linode", instance.id, timeout=int(WAIT_SECONDS), interval=POLL_INTERVAL
    )

    tagged = list(client.linode.instances(Instance.tags == tag))
    assert [found.id for found in tagged] == [instance.id]
    labelled = list(client.linode.instances(Instance.label == instance.label))
    assert [found.id for found in labelled] == [instance.id]
    assert other.id not in {found.id for found in client.linode.instances(Instance.tags == tag)}

    events = list(
        client.account.events(Filter({"entity.id": instance.id, "entity.type": "linode"}))
    )
    actions = {event.action for event in events}
    assert {"linode_create", "linode_shutdown", "linode_boot", "linode_reboot"} <= actions
    assert all(event.entity.id == instance.id for event in events)
    boots = list(client.account.events(Event.action == "linode_boot"))
    assert instance.id in {event.entity.id for event in boots}

    delete_poller = client.polling.event_poller_create("linode", "linode_delete", instance.id)
    assert instance.delete() is True
    deleted = delete_poller.wait_for_next_event(timeout=int(WAIT_SECONDS), interval=1)
    assert deleted.action == "linode_delete"

    def gone() -> bool:
        try:
            client.load(Instance, instance.id)
        except ApiError as error:
            assert error.status == 404
            return True
        return False

    wait_until(gone, f"Linode {instance.id} to be deleted")
    assert instance.id not in {found.id for found in client.linode.instances()}
    other.delete()


def test_stackscript_firewall_and_rebuild(client: LinodeClient) -> None:
    suffix = secrets.token_hex(4)
    script = client.linode.stackscript_create(
        f"sdk-script-{suffix}",
        '#!/bin/bash\n# <UDF name="greeting" label="Greeting" example="hello" default="hi" />\n',
        ["linode/debian12", "linode/ubuntu24.04"],
        desc="Greets",
    )
    rules = {
        "inbound_policy": "DROP",
        "outbound_policy": "ACCEPT",
        "inbound": [
            {
                "action": "ACCEPT",
                "protocol": "TCP",
                "ports": "22",
                "addresses": {"ipv4": ["0.0.0.0/0"], "ipv6": ["::/0"]},
                "label": "ssh-in",
            }
        ],
        "outbound": [],
    }
    firewall = client.networking.firewall_create(f"sdk-fw-{suffix}", rules)
    instance = client.linode.instance_create(
        "g6-nanode-1",
        "us-east",
        image="linode/debian12",
        root_pass=strong_password(),
        stackscript=script,
        stackscript_data={"greeting": "hello"},
        firewall=firewall,
        booted=False,
    )

    assert [field.name for field in script.user_defined_fields] == ["greeting"]
    assert firewall.status == "enabled"
    assert firewall.rules.inbound[0].ports == "22"
    assert instance.id in [device.entity.id for device in firewall.devices]
    script.invalidate()
    assert script.deployments_total == 1
    wait_for_status(instance, "offline")

    instance.label = f"sdk-renamed-{suffix}"
    instance.tags = ["sdk", "renamed"]
    instance.save()
    instance.invalidate()
    assert instance.label == f"sdk-renamed-{suffix}"
    assert sorted(instance.tags) == ["renamed", "sdk"]

    run_action(
        client,
        instance,
        "linode_rebuild",
        lambda: instance.rebuild("linode/ubuntu24.04", root_pass=strong_password()) is True,
    )
    wait_for_status(instance, "running")
    assert instance.image.id == "linode/ubuntu24.04"
    assert [disk.filesystem for disk in instance.disks] == ["ext4", "swap"]

    instance.delete()
    firewall.delete()
    script.delete()


def test_failed_create_raises_event_error(client: LinodeClient, fake: FakeHandle) -> None:
    saved = fake.faults
    fake.faults = {"create_failure_rate": 1.0}
    try:
        poller = client.polling.event_poller_create("linode", "linode_create")
        instance = client.linode.instance_create(
            "g6-nanode-1", "us-east", image="linode/debian12", root_pass=strong_password()
        )
    finally:
        fake.faults = saved
    poller.set_entity_id(instance.id)

    with pytest.raises(EventError) as raised:
        poller.wait_for_next_event_finished(timeout=int(WAIT_SECONDS), interval=POLL_INTERVAL)

    assert raised.value.message, "a failed event carries a message"
    wait_for_status(instance, "offline")
    instance.delete()


def test_api_error_carries_field(client: LinodeClient) -> None:
    with pytest.raises(ApiError) as raised:
        client.linode.instance_create(
            "g6-nanode-1", "xx-nowhere", image="linode/debian12", root_pass=strong_password()
        )

    assert raised.value.status == 400
    assert raised.value.json is not None
    assert "region" in [error.get("field") for error in raised.value.json["errors"]]
    assert "region" in str(raised.value)


# --- OAuth -----------------------------------------------------------------------------------


class FormReader(HTMLParser):
    """Collect the fields and action of the first form on a page."""

    def __init__(self) -> None:
        super().__init__()
        self.action: str | None = None
        self.fields: dict[str, str] = {}
        self.buttons: dict[str, list[str]] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "form" and self.action is None:
            self.action = values.get("action", "")
        elif tag == "input" and values.get("type", "text") == "hidden" and "name" in values:
            self.fields[values["name"]] = values.get("value", "")
        elif tag in ("button", "input") and values.get("type") == "submit" and "name" in values:
            self.buttons.setdefault(values["name"], []).append(values.get("value", ""))


def approve_login(login_url: str) -> str:
    """Open the fake's approve page like a browser, approve, and return the exchange code."""
    session = requests.Session()
    page = session.get(login_url, timeout=10)
    assert page.status_code == 200, page.text[:300]
    form = FormReader()
    form.feed(page.text)
    assert form.buttons, "the approve page has no submit button"
    name, values = next(iter(form.buttons.items()))
    approve = next((value for value in values if "approve" in value.lower()), values[0])
    target = requests.compat.urljoin(page.url, form.action or page.url)
    approved = session.post(
        target, data={**form.fields, name: approve}, allow_redirects=False, timeout=10
    )
    assert approved.status_code in (302, 303), approved.text[:300]
    query = parse_qs(urlsplit(approved.headers["Location"]).query)
    assert "code" in query, f"no code in the redirect: {sorted(query)}"
    return query["code"][0]


def test_login_client_oauth_flow(fake: FakeHandle) -> None:
    client_id = "sdk-" + secrets.token_hex(6)
    client_secret = Secret(secrets.token_urlsafe(24))
    redirect_uri = fake.root_url + "/sdk-callback"
    fake.add_oauth_client(client_id, client_secret, redirect_uri)
    login = LinodeLoginClient(client_id, client_secret, base_url=fake.login_url)

    url = login.generate_login_url(
        scopes=[OAuthScopes.Linodes.read_only, OAuthScopes.Events.read_only],
        redirect_uri=redirect_uri,
    )
    code = approve_login(url)
    token, scopes, expiry, refresh_token = login.finish_oauth(code)
    token, refresh_token = Secret(token), Secret(refresh_token)

    assert set(scopes) == {OAuthScopes.Linodes.read_only, OAuthScopes.Events.read_only}
    assert refresh_token
    api = LinodeClient(token, base_url=fake.api_url)
    assert isinstance(list(api.linode.instances()), list)
    with pytest.raises(ApiError) as forbidden:
        api.account()
    assert forbidden.value.status == 403

    new_token, new_scopes, _expiry, new_refresh = login.refresh_oauth_token(refresh_token)
    new_token = Secret(new_token)
    assert new_token != token
    assert new_refresh != refresh_token
    assert set(new_scopes) == set(scopes)
    refreshed = LinodeClient(new_token, base_url=fake.api_url)
    assert isinstance(list(refreshed.linode.instances()), list)

    assert login.expire_token(new_token) is True
    with pytest.raises(ApiError) as expired:
        list(LinodeClient(new_token, base_url=fake.api_url).linode.instances())
    assert expired.value.status == 401
