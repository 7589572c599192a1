"""Contract test: every operation the fake implements, checked against Linode's OpenAPI spec.

Each case sends one real HTTP request to the fake and validates the status and the JSON
body against the operation in the official spec 4.189.0 (see `spec_check`). Success
paths, auth failures (401, 403), unknown ids (404), validation errors (400 naming the
field), busy instances (400 "Linode busy.") and rate limits (429) each get their own case.
Further cases come from the spec itself: one 400 for each rule of each writable request
property, a filter and a sort on every field marked `__Filterable__`, and a rejected
filter on every field that is not. A last test fails when the fake serves a route that
has no case here.

`SPEC_CORRECTIONS` below is the one list of places where the spec is known to be wrong
about the real API; nothing else relaxes the validation.
"""

from __future__ import annotations

import base64
import dataclasses
import functools
import json
import os
import re
import secrets
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from linode_fake.app import create_app
from linode_fake.settings import DEFAULT_RATE_LIMITS
from linode_fake.store import Store
from linode_fake.testing import FakeHandle, run_fake
from tests.fake.spec_check import (
    FORMAT_CHECKS,
    LINODE_DATE_TIME,
    SPEC_CACHE,
    ContractError,
    SpecChecker,
    load_spec,
    operations_by_id,
    response_schemas,
)
from tests.fake.spec_derive import (
    filterable_fields,
    invalid_values,
)
from tests.fake.spec_edits import (
    SpecCorrection,
    add_error_response,
    apply_corrections,
    drop_keyword,
    drop_operation_servers,
    make_nullable,
    make_optional,
    merge_all_of,
    nullable_into_all_of,
    rename_property,
    replace_format,
    require_only,
)

# --- the known spec errors -----------------------------------------------------------------

SPEC = load_spec(cache_dir=SPEC_CACHE)
SPEC_OPERATIONS = operations_by_id(SPEC)

FIREWALL_OPERATIONS = (
    "get-firewalls",
    "post-firewalls",
    "get-firewall",
    "put-firewall",
    "delete-firewall",
    "get-firewall-devices",
    "post-firewall-device",
    "get-firewall-device",
    "delete-firewall-device",
)
BODY_MERGE_OPERATIONS = (
    "post-linode-instance",
    "post-rebuild-linode-instance",
    "post-add-stack-script",
    "post-firewalls",
    "post-firewall-device",
)
EVENT_OPERATIONS = ("get-events", "get-event")
CONFIG_OPERATIONS = ("get-linode-configs", "get-linode-config")
INSTANCE_OPERATIONS = (
    "get-linode-instances",
    "post-linode-instance",
    "get-linode-instance",
    "put-linode-instance",
    "post-rebuild-linode-instance",
)

SPEC_CORRECTIONS: dict[str, SpecCorrection] = {
    "times have no zone": SpecCorrection(
        operations=("*",),
        edit=replace_format("date-time", LINODE_DATE_TIME),
        reason=(
            "The spec gives times the format date-time, which JSON Schema reads as RFC "
            "3339 and so requires a zone, but the API writes UTC times without one "
            "(2018-01-01T00:01:01), as the spec's own examples show."
        ),
    ),
    "nullable beside allOf": SpecCorrection(
        operations=("*",),
        edit=nullable_into_all_of(),
        reason=(
            "Fields such as a Linode's image are {nullable: true, allOf: [{type: string}]}. "
            "OpenAPI 3.0.3 makes nullable widen only the type of its own schema, so the "
            "allOf part still rejects the null that the outer schema means to allow (an "
            "instance created without an image has image: null)."
        ),
    ),
    "regions send site_type": SpecCorrection(
        operations=("get-regions", "get-region"),
        edit=rename_property("site-type", "site_type"),
        reason=(
            "The spec names the region field `site-type`, but the API, the official "
            "linode_api4 SDK (Region.site_type) and Cloud Manager use `site_type`."
        ),
    ),
    "firewall operations repeat the version": SpecCorrection(
        operations=FIREWALL_OPERATIONS,
        edit=drop_operation_servers(),
        target="operation",
        reason=(
            "These operations override the server with https://api.linode.com/v4 while "
            "their paths still start with /{apiVersion}, which would make the URL "
            "/v4/v4/networking/firewalls. The API serves them at /v4/networking/..."
        ),
    ),
    "addresses without reverse DNS or VPC NAT": SpecCorrection(
        operations=("get-linode-ips",),
        edit=make_nullable("rdns", "vpc_nat_1_1", "gateway"),
        reason=(
            "The SLAAC and link-local entries give rdns the example null but are not "
            "nullable (the IPv4 entries are). A private IPv4 address has no gateway: its "
            "example is null, yet only the public, shared and reserved entries are "
            "nullable. vpc_nat_1_1 is typed object although an address outside a VPC has "
            "no NAT mapping; the API sends null."
        ),
    ),
    "unused config device slots are null": SpecCorrection(
        operations=CONFIG_OPERATIONS,
        edit=make_nullable("sda", "sdb", "sdc", "sdd", "sde", "sdf", "sdg", "sdh", "volume_id"),
        reason=(
            "A config's devices map has a key for every slot sda to sdh. The spec types "
            "each as an object holding disk_id and volume_id, one of which is set, and "
            "gives volume_id the example null, yet marks neither nullable. The API sends "
            "null for an empty slot and for the id that is not used."
        ),
    ),
    "configs without interfaces": SpecCorrection(
        operations=CONFIG_OPERATIONS,
        edit=drop_keyword("minItems", "interfaces"),
        reason=(
            "interfaces has minItems 1, but a config made with the Linode (no interfaces "
            "requested) has an empty list: the public interface is implicit."
        ),
    ),
    "root_device pattern is prose": SpecCorrection(
        operations=CONFIG_OPERATIONS,
        edit=drop_keyword("pattern", "root_device"),
        reason=(
            "The pattern of root_device is the text 'a-z, A-Z, 0-9, /, _, -', not a "
            "regular expression; even the spec's own example /dev/sda fails it."
        ),
    ),
    "firewall rules are echoed as sent": SpecCorrection(
        operations=("get-firewalls", "post-firewalls", "get-firewall", "put-firewall"),
        edit=require_only("action", "protocol", "addresses"),
        reason=(
            "A rule's label, description and ports are optional when it is created, and "
            "the API returns each rule as it was sent; the response schema lists no "
            "required fields. Only the fields every rule must have are required here."
        ),
    ),
    "firewall rule addresses are echoed as sent": SpecCorrection(
        operations=("get-firewalls", "post-firewalls", "get-firewall", "put-firewall"),
        edit=make_optional("ipv4", "ipv6"),
        reason=(
            "A rule's addresses take ipv4 and/or ipv6, and the API returns the lists that "
            "were sent, so a rule for one family has no list for the other."
        ),
    ),
    "configs list documents no error": SpecCorrection(
        operations=("get-linode-configs",),
        edit=add_error_response(SPEC_OPERATIONS["get-linode-disks"][2]),
        target="operation",
        reason=(
            "GET .../configs lists only its 200 response, while every sibling operation "
            "documents errors (404 for an unknown Linode, 401, 403) as the default error "
            "envelope. The envelope of GET .../disks is used."
        ),
    ),
    "request bodies split by allOf": SpecCorrection(
        operations=BODY_MERGE_OPERATIONS,
        edit=merge_all_of(),
        target="request",
        reason=(
            "These request bodies are an allOf in which a part sets additionalProperties: "
            "false, so no body using fields of another part could be valid. The parts are "
            "merged into one object with the union of their fields."
        ),
    ),
    "notification events have no percent_complete": SpecCorrection(
        operations=EVENT_OPERATIONS,
        edit=make_nullable("percent_complete"),
        reason=(
            "The spec's own description states that percent_complete is null for "
            "notification events, and its example is null, yet the field is not nullable."
        ),
    ),
    "most events have no rate": SpecCorrection(
        operations=EVENT_OPERATIONS,
        edit=make_nullable("rate"),
        reason=(
            "The spec states that only some events (migrations, resizes) have a rate and "
            "gives null as the example, yet the field is not nullable. Cloud Manager's event "
            "fixtures show rate: null."
        ),
    ),
    "events without a secondary entity send null": SpecCorrection(
        operations=EVENT_OPERATIONS,
        edit=make_nullable("secondary_entity"),
        reason=(
            "The spec describes secondary_entity for some actions only (linode_boot, "
            "linode_create, ...) but types it as a non-nullable object. The API sends "
            "null for the rest, and Cloud Manager checks Boolean(event.secondary_entity) "
            "before reading it."
        ),
    ),
    "no backup yet is null": SpecCorrection(
        operations=INSTANCE_OPERATIONS,
        edit=make_nullable("last_successful"),
        reason=(
            "The spec's own description of backups.last_successful states it is null when "
            "there was no backup, yet the field is not nullable."
        ),
    ),
    "identifiers that are not UUIDs": SpecCorrection(
        operations=("get-account", *INSTANCE_OPERATIONS),
        edit=drop_keyword("format", "euuid", "host_uuid"),
        reason=(
            "The spec gives euuid and host_uuid the format uuid, but its own examples "
            "(E1AF5EEC-526F-487D-B317EBEB34C87D71 and a 40-digit hex string) are not "
            "RFC 4122 UUIDs. Only the type string is checked."
        ),
    ),
}

# --- fixtures ------------------------------------------------------------------------------

MISSING_ID = 999_999_999
PLACEHOLDER = re.compile(r"\{(\w+)\}")
BUSY_REASON = "Linode busy."


@functools.cache
def corrected_spec() -> dict[str, Any]:
    """Return the spec with every correction above applied (once per process)."""
    apply_corrections(SPEC, SPEC_CORRECTIONS)
    return SPEC


def corrected_spec_operations() -> dict[str, tuple[str, str, dict[str, Any]]]:
    return operations_by_id(corrected_spec())


# The cases send hundreds of requests in seconds, far beyond Linode's limits at speed 100.
# They get limits that never bite; the 429 cases set their own for one fresh token.
UNLIMITED = {name: (1_000_000, 60.0) for name in DEFAULT_RATE_LIMITS}


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeHandle]:
    with run_fake(speed=100.0, instance_limit=1000, rate_limits=UNLIMITED) as server:
        yield server


@pytest.fixture(scope="module")
def checker(fake: FakeHandle) -> SpecChecker:
    return make_checker(fake)


def make_checker(fake: FakeHandle) -> SpecChecker:
    """Build a checker narrowed to the operations the cases below exercise."""
    return SpecChecker(corrected_spec(), fake.root_url, {case.operation for case in ALL_CASES})


class Secret(str):
    """A string whose repr is redacted, so traceback arguments never show a password or token.

    It is still a plain `str` for JSON encoding, headers and comparisons.
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return "'<redacted>'"


def strong_password() -> Secret:
    """Return a random root password that passes any strength check."""
    return Secret("Rp-" + secrets.token_urlsafe(24))


def ssh_public_key() -> str:
    """Return a well-formed, random ed25519 public key in OpenSSH's one-line form."""
    key_type = b"ssh-ed25519"
    blob = struct.pack(">I", len(key_type)) + key_type + struct.pack(">I", 32) + os.urandom(32)
    return f"ssh-ed25519 {base64.b64encode(blob).decode()} contract@test"


class Api:
    """A thin raw-HTTP client for the fake, so the test gets exactly what went over the wire."""

    def __init__(self, fake: FakeHandle) -> None:
        self.fake = fake
        self.session = requests.Session()

    @property
    def token(self) -> Secret:
        """The fake's full-access token."""
        return Secret(self.fake.token)

    def call(
        self,
        method: str,
        path: str,
        *,
        token: str | None,
        body: Any = None,
        headers: dict[str, str] | None = None,
        raw_body: bytes | None = None,
    ) -> requests.Response:
        sent = dict(headers or {})
        if token is not None:
            sent["Authorization"] = f"Bearer {token}"
        if raw_body is not None:
            sent.setdefault("Content-Type", "application/json")
            return self.session.request(
                method, self.fake.root_url + path, data=raw_body, headers=sent, timeout=10
            )
        return self.session.request(
            method, self.fake.root_url + path, json=body, headers=sent, timeout=10
        )

    def ok(self, method: str, path: str, body: Any = None) -> Any:
        """Call with the full-access token and return the JSON of a 200 response."""
        response = self.call(method, path, token=self.token, body=body)
        assert response.status_code == 200, f"{method} {path}: {response.text}"
        return response.json()

    def settle(self) -> None:
        """Move the fake clock far enough that every pending transition has finished."""
        self.fake.clock.advance(3600)

    def create_instance(self, *, booted: bool = True, settle: bool = True, **extra: Any) -> int:
        body = {
            "type": "g6-nanode-1",
            "region": "us-east",
            "image": "linode/debian12",
            "root_pass": strong_password(),
            "booted": booted,
            **extra,
        }
        linode = self.ok("POST", "/v4/linode/instances", body)
        if settle:
            self.settle()
        return int(linode["id"])

    def create_stackscript(self) -> int:
        body = {
            "label": f"contract-{secrets.token_hex(4)}",
            "images": ["linode/debian12"],
            "script": '#!/bin/bash\n# <UDF name="greeting" label="Greeting" example="hi" />\n',
        }
        return int(self.ok("POST", "/v4/linode/stackscripts", body)["id"])

    def attach_device(self, firewall: int) -> int:
        """Attach a new offline Linode to `firewall` and return the device id."""
        body = {"id": self.create_instance(booted=False), "type": "linode"}
        return int(self.ok("POST", f"/v4/networking/firewalls/{firewall}/devices", body)["id"])

    def create_firewall(self) -> int:
        body = {
            "label": f"fw-{secrets.token_hex(4)}",
            "rules": {"inbound_policy": "DROP", "outbound_policy": "ACCEPT"},
        }
        return int(self.ok("POST", "/v4/networking/firewalls", body)["id"])


class World:
    """Objects shared by the read-only cases, made once per module.

    Each object is made on first use, so a case fails on its own when the fake cannot
    make what it needs, and the other cases still run.
    """

    def __init__(self, api: Api) -> None:
        self.api = api
        self._made: dict[str, Any] = {}

    def get(self, name: str) -> Any:
        if name not in self._made:
            self._made[name] = getattr(self, "_make_" + name)()
        return self._made[name]

    def _make_linode(self) -> int:
        linode = self.api.create_instance(tags=["contract"])
        self.api.settle()  # an hour of uptime, so stats and transfer have data
        return linode

    def _make_event(self) -> int:
        x_filter = json.dumps({"entity.id": self.get("linode"), "action": "linode_create"})
        response = self.api.call(
            "GET", "/v4/account/events", token=self.api.token, headers={"X-Filter": x_filter}
        )
        assert response.status_code == 200, response.text[:300]
        return int(response.json()["data"][0]["id"])

    def _make_disk(self) -> int:
        disks = self.api.ok("GET", f"/v4/linode/instances/{self.get('linode')}/disks")
        return int(disks["data"][0]["id"])

    def _make_config(self) -> int:
        configs = self.api.ok("GET", f"/v4/linode/instances/{self.get('linode')}/configs")
        return int(configs["data"][0]["id"])

    def _make_stackscript(self) -> int:
        return self.api.create_stackscript()

    def _make_firewall(self) -> int:
        return self.api.create_firewall()

    def _make_device(self) -> int:
        return self.api.attach_device(self.get("firewall"))


@pytest.fixture(scope="module")
def api(fake: FakeHandle) -> Api:
    return Api(fake)


@pytest.fixture(scope="module")
def world(api: Api) -> World:
    return World(api)


# --- the cases -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One request and the response the API returns for it.

    `path` may name `{linode}`, `{event}`, `{disk}`, `{config}`, `{stackscript}`,
    `{firewall}`, `{device}` (the shared objects, or the fresh one `setup` made) and
    `{missing}` (an id that does not exist). `token` is "full", "none", "invalid" or the
    scopes of a token made for the case. `spec_rejects` marks a 400 whose request the
    spec's own schema already rejects; the check then asserts that it does.
    """

    operation: str
    method: str
    path: str
    status: int = 200
    body: Any = dataclasses.field(default=None, repr=False)
    token: str = "full"
    field: str | None = None
    reason: str | None = None
    setup: str | None = None
    spec_rejects: bool = False
    headers: dict[str, str] = dataclasses.field(default_factory=dict)
    raw_body: bytes | None = dataclasses.field(default=None, repr=False)
    rate_limit: str | None = None
    label: str = ""

    @property
    def id(self) -> str:
        suffix = self.label or {200: "ok", 401: "unauthorized", 403: "forbidden"}.get(
            self.status, str(self.status)
        )
        return f"{self.operation}-{suffix}"


def password_body() -> dict[str, str]:
    return {"root_pass": "{password}"}


LINODE = "/v4/linode/instances/{linode}"
FIREWALL = "/v4/networking/firewalls/{firewall}"


def success_cases() -> list[Case]:
    return [
        Case("get-profile", "GET", "/v4/profile"),
        Case("get-account", "GET", "/v4/account"),
        Case("get-events", "GET", "/v4/account/events"),
        Case("get-event", "GET", "/v4/account/events/{event}"),
        Case("post-event-seen", "POST", "/v4/account/events/{event}/seen"),
        Case("post-event-read", "POST", "/v4/account/events/{event}/read"),
        Case("get-regions", "GET", "/v4/regions", token="none"),
        Case("get-region", "GET", "/v4/regions/us-east", token="none"),
        Case("get-linode-types", "GET", "/v4/linode/types", token="none"),
        Case("get-linode-type", "GET", "/v4/linode/types/g6-standard-2", token="none"),
        Case("get-images", "GET", "/v4/images"),
        Case("get-images", "GET", "/v4/images", token="none", label="anonymous"),
        Case("get-image", "GET", "/v4/images/linode%2Fdebian12"),
        Case("get-stack-scripts", "GET", "/v4/linode/stackscripts"),
        Case(
            "post-add-stack-script",
            "POST",
            "/v4/linode/stackscripts",
            body={
                "label": "contract-create",
                "description": "Creates nothing",
                "images": ["linode/debian12"],
                "script": "#!/bin/bash\necho hello\n",
                "is_public": False,
                "rev_note": "first",
            },
        ),
        Case("get-stack-script", "GET", "/v4/linode/stackscripts/{stackscript}"),
        Case(
            "put-stack-script",
            "PUT",
            "/v4/linode/stackscripts/{stackscript}",
            body={"label": "contract-renamed", "description": "Renamed"},
            setup="stackscript",
        ),
        Case(
            "delete-stack-script",
            "DELETE",
            "/v4/linode/stackscripts/{stackscript}",
            setup="stackscript",
        ),
        Case("get-linode-instances", "GET", "/v4/linode/instances"),
        Case(
            "get-linode-instances",
            "GET",
            "/v4/linode/instances",
            headers={"X-Filter": json.dumps({"tags": "contract", "+order_by": "label"})},
            label="filtered",
        ),
        Case(
            "post-linode-instance",
            "POST",
            "/v4/linode/instances",
            body={
                "type": "g6-nanode-1",
                "region": "us-east",
                "image": "linode/debian12",
                "root_pass": "{password}",
                "label": "{unique}",
                "tags": ["contract", "created"],
                "booted": True,
                "metadata": {"user_data": "I2Nsb3VkLWNvbmZpZwo="},
            },
        ),
        Case(
            "post-linode-instance",
            "POST",
            "/v4/linode/instances",
            body={
                "type": "g6-standard-1",
                "region": "us-east",
                "image": "linode/debian12",
                "root_pass": "{password}",
                "authorized_keys": ["{ssh_key}"],
                "label": "{unique}",
                "tags": ["contract"],
                "group": "contract",
                "booted": False,
                "private_ip": True,
                "swap_size": 256,
                "backups_enabled": True,
                "stackscript_id": "{stackscript}",
                "stackscript_data": {"greeting": "hello"},
                "firewall_id": "{firewall}",
                "interfaces": [{"purpose": "public"}],
            },
            label="every-field",
        ),
        Case(
            "post-linode-instance",
            "POST",
            "/v4/linode/instances",
            body={"type": "g6-nanode-1", "region": "us-east", "label": "{unique}"},
            label="empty",
        ),
        Case("get-linode-instance", "GET", LINODE),
        Case(
            "put-linode-instance",
            "PUT",
            LINODE,
            body={"label": "{unique}", "tags": ["contract"], "watchdog_enabled": False},
            setup="running",
        ),
        Case("delete-linode-instance", "DELETE", LINODE, setup="running"),
        Case("post-boot-linode-instance", "POST", LINODE + "/boot", setup="offline"),
        Case("post-reboot-linode-instance", "POST", LINODE + "/reboot", setup="running"),
        Case("post-shutdown-linode-instance", "POST", LINODE + "/shutdown", setup="running"),
        Case(
            "post-rebuild-linode-instance",
            "POST",
            LINODE + "/rebuild",
            body={"image": "linode/ubuntu24.04", "root_pass": "{password}"},
            setup="running",
        ),
        Case(
            "post-reset-linode-password",
            "POST",
            LINODE + "/password",
            body=password_body(),
            setup="offline",
        ),
        Case(
            "post-resize-linode-instance",
            "POST",
            LINODE + "/resize",
            body={"type": "g6-standard-1"},
            setup="running",
        ),
        Case(
            "post-add-stack-script",
            "POST",
            "/v4/linode/stackscripts",
            body={
                "label": "{unique}",
                "images": ["any/all"],
                "is_public": True,
                "script": (
                    "#!/bin/bash\n"
                    '# <UDF name="size" label="Size" example="small" oneOf="small,large" '
                    'default="small" />\n'
                    '# <UDF name="extras" label="Extras" example="git" manyOf="git,vim" />\n'
                ),
            },
            label="udfs",
        ),
        Case(
            "post-firewalls",
            "POST",
            "/v4/networking/firewalls",
            body={
                "label": "{unique}",
                "rules": {
                    "inbound_policy": "ACCEPT",
                    "outbound_policy": "DROP",
                    "outbound": [
                        {
                            "action": "ACCEPT",
                            "protocol": "ICMP",
                            "addresses": {"ipv6": ["2001:db8::/32"]},
                            "description": "Ping out",
                        },
                        {
                            "action": "ACCEPT",
                            "protocol": "UDP",
                            "ports": "53, 123",
                            "addresses": {"ipv4": ["192.0.2.0/24"]},
                        },
                    ],
                },
                "devices": {"linodes": ["{linode}"]},
            },
            setup="offline",
            label="outbound-rules",
        ),
        Case(
            "post-resize-linode-instance",
            "POST",
            LINODE + "/resize",
            body={
                "type": "g6-standard-2",
                "migration_type": "warm",
                "allow_auto_disk_resize": False,
            },
            setup="running",
            label="warm",
        ),
        Case(
            "post-rebuild-linode-instance",
            "POST",
            LINODE + "/rebuild",
            body={
                "image": "linode/debian12",
                "root_pass": "{password}",
                "authorized_keys": ["{ssh_key}"],
                "booted": False,
                "stackscript_id": "{stackscript}",
                "stackscript_data": {"greeting": "hello"},
                "metadata": {"user_data": "I2Nsb3VkLWNvbmZpZwo="},
            },
            setup="running",
            label="every-field",
        ),
        Case(
            "post-boot-linode-instance",
            "POST",
            LINODE + "/boot",
            body={"config_id": "{config_of_linode}"},
            setup="offline",
            label="config-id",
        ),
        Case(
            "put-linode-instance",
            "PUT",
            LINODE,
            body={
                "alerts": {"cpu": 150, "io": 5000, "network_in": 5, "network_out": 5},
                "backups": {"schedule": {"day": "Sunday", "window": "W4"}},
                "group": "contract",
            },
            setup="running",
            label="alerts-and-schedule",
        ),
        Case("get-linode-ips", "GET", LINODE + "/ips"),
        Case("get-linode-ips", "GET", LINODE + "/ips", setup="private-ip", label="private-ip"),
        Case("get-linode-disks", "GET", LINODE + "/disks"),
        Case("get-linode-disk", "GET", LINODE + "/disks/{disk}"),
        Case("get-linode-configs", "GET", LINODE + "/configs"),
        Case("get-linode-config", "GET", LINODE + "/configs/{config}"),
        Case("get-linode-transfer", "GET", LINODE + "/transfer"),
        # A fresh Linode with an hour of stats keeps the body (and its validation) small.
        Case("get-linode-stats", "GET", LINODE + "/stats", setup="running"),
        Case("get-tags", "GET", "/v4/tags"),
        Case("get-firewalls", "GET", "/v4/networking/firewalls"),
        Case(
            "post-firewalls",
            "POST",
            "/v4/networking/firewalls",
            body={
                "label": "{unique}",
                "tags": ["contract"],
                "rules": {
                    "inbound_policy": "DROP",
                    "outbound_policy": "ACCEPT",
                    "inbound": [
                        {
                            "action": "ACCEPT",
                            "protocol": "TCP",
                            "ports": "22, 80-81",
                            "addresses": {"ipv4": ["0.0.0.0/0"], "ipv6": ["::/0"]},
                            "label": "ssh-web",
                        }
                    ],
                },
            },
        ),
        Case("get-firewall", "GET", FIREWALL),
        Case("delete-firewall", "DELETE", FIREWALL, setup="firewall"),
        Case("get-firewall-devices", "GET", FIREWALL + "/devices"),
        Case(
            "post-firewall-device",
            "POST",
            FIREWALL + "/devices",
            body={"id": "{linode}", "type": "linode"},
            setup="offline",
        ),
        Case("get-firewall-device", "GET", FIREWALL + "/devices/{device}"),
        Case(
            "delete-firewall-device",
            "DELETE",
            FIREWALL + "/devices/{device}",
            setup="device",
        ),
        Case(
            "put-firewall",
            "PUT",
            FIREWALL,
            body={"label": "{unique}", "status": "disabled", "tags": ["contract"]},
            setup="firewall",
        ),
    ]


# Operations with a token requirement, with the scope a 403 token lacks. A read is
# rejected for a token of an unrelated resource, a write for the read-only level.
SCOPED = {
    "get-account": "domains:read_only",
    "get-events": "linodes:read_only",
    "get-event": "linodes:read_only",
    "post-event-seen": "linodes:read_only",
    "get-images": "linodes:read_only",
    "get-image": "linodes:read_only",
    "get-stack-scripts": "domains:read_only",
    "post-add-stack-script": "stackscripts:read_only",
    "put-stack-script": "stackscripts:read_only",
    "delete-stack-script": "stackscripts:read_only",
    "get-stack-script": "domains:read_only",
    "get-linode-instances": "events:read_only",
    "post-linode-instance": "linodes:read_only",
    "get-linode-instance": "events:read_only",
    "put-linode-instance": "linodes:read_only",
    "delete-linode-instance": "linodes:read_only",
    "post-boot-linode-instance": "linodes:read_only",
    "post-reboot-linode-instance": "linodes:read_only",
    "post-shutdown-linode-instance": "linodes:read_only",
    "post-rebuild-linode-instance": "linodes:read_only",
    "post-reset-linode-password": "linodes:read_only",
    "post-resize-linode-instance": "linodes:read_only",
    "get-linode-ips": "events:read_only",
    "get-linode-disks": "events:read_only",
    "get-linode-disk": "events:read_only",
    "get-linode-configs": "events:read_only",
    "get-linode-config": "events:read_only",
    "get-linode-transfer": "events:read_only",
    "get-linode-stats": "events:read_only",
    "get-tags": "linodes:read_write",
    "get-firewalls": "linodes:read_only",
    "post-firewalls": "firewall:read_only",
    "get-firewall": "linodes:read_only",
    "delete-firewall": "firewall:read_only",
    "get-firewall-devices": "linodes:read_only",
    "post-firewall-device": "firewall:read_only",
    "get-firewall-device": "linodes:read_only",
    "delete-firewall-device": "firewall:read_only",
    "put-firewall": "firewall:read_only",
    "post-event-read": "linodes:read_only",
}

# Reads that return only public items to anonymous callers.
ANONYMOUS_READS = {"get-images", "get-image", "get-stack-scripts", "get-stack-script"}

# Operations that read or act on one object: their 404 case swaps the id for a missing one.
MISSING_PATHS = {
    "get-event": "/v4/account/events/{missing}",
    "post-event-seen": "/v4/account/events/{missing}/seen",
    "get-region": "/v4/regions/xx-nowhere",
    "get-linode-type": "/v4/linode/types/g0-missing-1",
    "get-image": "/v4/images/linode%2Fno-such-image",
    "get-stack-script": "/v4/linode/stackscripts/{missing}",
    "put-stack-script": "/v4/linode/stackscripts/{missing}",
    "delete-stack-script": "/v4/linode/stackscripts/{missing}",
    "get-linode-instance": "/v4/linode/instances/{missing}",
    "put-linode-instance": "/v4/linode/instances/{missing}",
    "delete-linode-instance": "/v4/linode/instances/{missing}",
    "post-boot-linode-instance": "/v4/linode/instances/{missing}/boot",
    "post-reboot-linode-instance": "/v4/linode/instances/{missing}/reboot",
    "post-shutdown-linode-instance": "/v4/linode/instances/{missing}/shutdown",
    "post-rebuild-linode-instance": "/v4/linode/instances/{missing}/rebuild",
    "post-reset-linode-password": "/v4/linode/instances/{missing}/password",
    "post-resize-linode-instance": "/v4/linode/instances/{missing}/resize",
    "get-linode-ips": "/v4/linode/instances/{missing}/ips",
    "get-linode-disks": "/v4/linode/instances/{missing}/disks",
    "get-linode-disk": LINODE + "/disks/{missing}",
    "get-linode-configs": "/v4/linode/instances/{missing}/configs",
    "get-linode-config": LINODE + "/configs/{missing}",
    "get-linode-transfer": "/v4/linode/instances/{missing}/transfer",
    "get-linode-stats": "/v4/linode/instances/{missing}/stats",
    "get-firewall": "/v4/networking/firewalls/{missing}",
    "delete-firewall": "/v4/networking/firewalls/{missing}",
    "get-firewall-devices": "/v4/networking/firewalls/{missing}/devices",
    "post-firewall-device": "/v4/networking/firewalls/{missing}/devices",
    "get-firewall-device": FIREWALL + "/devices/{missing}",
    "delete-firewall-device": FIREWALL + "/devices/{missing}",
    "put-firewall": "/v4/networking/firewalls/{missing}",
    "post-event-read": "/v4/account/events/{missing}/read",
}


def auth_cases() -> list[Case]:
    """401 for a token the fake never issued, 401 without a token, and 403 for a scope.

    Every operation rejects an unknown token, public ones included. Operations that
    need a token also reject its absence, and scoped ones a token without the scope.
    """
    cases = []
    by_operation = {case.operation: case for case in success_cases() if not case.label}
    for operation, case in by_operation.items():
        # Auth is checked before the object is looked up, so the shared objects suffice.
        common = {"method": case.method, "path": case.path, "body": case.body}
        cases.append(Case(operation, status=401, token="invalid", label="invalid-token", **common))
        if case.token == "none":
            continue
        if operation not in ANONYMOUS_READS:
            # Anonymous reads return public items, so only a scope failure is an error.
            cases.append(Case(operation, status=401, token="none", **common))
        if operation in SCOPED:
            cases.append(Case(operation, status=403, token=SCOPED[operation], **common))
    return cases


def not_found_cases() -> list[Case]:
    by_operation = {case.operation: case for case in success_cases() if not case.label}
    cases = []
    for operation, path in MISSING_PATHS.items():
        case = by_operation[operation]
        body = case.body
        if operation == "post-firewall-device":
            body = {"id": MISSING_ID, "type": "linode"}
        token = "none" if case.token == "none" else "full"
        cases.append(Case(operation, case.method, path, 404, body=body, token=token))
    cases.append(
        Case(
            "post-firewall-device",
            "POST",
            FIREWALL + "/devices",
            404,
            body={"id": MISSING_ID, "type": "linode"},
            label="unknown-linode",
        )
    )
    return cases


def create_body(**changes: Any) -> dict[str, Any]:
    body = {
        "type": "g6-nanode-1",
        "region": "us-east",
        "image": "linode/debian12",
        "root_pass": "{password}",
    }
    body.update(changes)
    return {key: value for key, value in body.items() if value is not None}


def validation_cases() -> list[Case]:
    """400 responses that name the offending field."""
    create = "post-linode-instance"
    instances = "/v4/linode/instances"
    return [
        Case(
            create,
            "POST",
            instances,
            400,
            create_body(region=None),
            field="region",
            spec_rejects=True,
            label="missing-region",
        ),
        Case(
            create,
            "POST",
            instances,
            400,
            create_body(type=None),
            field="type",
            spec_rejects=True,
            label="missing-type",
        ),
        Case(
            create,
            "POST",
            instances,
            400,
            create_body(region="xx-nowhere"),
            field="region",
            label="unknown-region",
        ),
        Case(
            create,
            "POST",
            instances,
            400,
            create_body(type="g0-missing-1"),
            field="type",
            label="unknown-type",
        ),
        Case(
            create,
            "POST",
            instances,
            400,
            create_body(image="linode/no-such-image"),
            field="image",
            label="unknown-image",
        ),
        Case(
            create,
            "POST",
            instances,
            400,
            create_body(label="1starts-with-digit"),
            field="label",
            spec_rejects=True,
            label="bad-label",
        ),
        Case(
            create,
            "POST",
            instances,
            400,
            create_body(label="ab"),
            field="label",
            spec_rejects=True,
            label="short-label",
        ),
        Case(
            create,
            "POST",
            instances,
            400,
            create_body(root_pass="short"),
            field="root_pass",
            spec_rejects=True,
            label="short-password",
        ),
        Case(
            create,
            "POST",
            instances,
            400,
            create_body(root_pass="password1234"),
            field="root_pass",
            label="weak-password",
        ),
        Case(
            create,
            "POST",
            instances,
            400,
            create_body(root_pass=None),
            field="root_pass",
            label="image-without-password",
        ),
        Case(
            create,
            "POST",
            instances,
            400,
            create_body(label="contract-taken"),
            field="label",
            setup="label-taken",
            label="duplicate-label",
        ),
        Case(
            create,
            "POST",
            instances,
            400,
            create_body(tags="contract"),
            field="tags",
            spec_rejects=True,
            label="tags-not-list",
        ),
        Case(
            create,
            "POST",
            instances,
            400,
            raw_body=b'{"type": "g6-nanode-1",',
            label="malformed-json",
        ),
        Case(
            "post-add-stack-script",
            "POST",
            "/v4/linode/stackscripts",
            413,
            raw_body=b'{"label": "big", "images": ["any/all"], "script": "'
            + b"#" * (5 * 1024 * 1024)
            + b'"}',
            label="body-too-large",
        ),
        Case(
            "get-linode-instances",
            "GET",
            instances,
            400,
            headers={"X-Filter": json.dumps({"type": "g6-nanode-1"})},
            field="X-Filter",
            label="filter-not-filterable",
        ),
        Case(
            "get-linode-instances",
            "GET",
            instances,
            400,
            headers={"X-Filter": "{not json"},
            field="X-Filter",
            label="filter-not-json",
        ),
        Case(
            "get-linode-instances",
            "GET",
            instances + "?page_size=10",
            400,
            field="page_size",
            spec_rejects=True,
            label="page-size-too-small",
        ),
        Case(
            "get-events",
            "GET",
            "/v4/account/events",
            400,
            headers={"X-Filter": json.dumps({"percent_complete": 100})},
            field="X-Filter",
            label="filter-not-filterable",
        ),
        Case(
            "put-linode-instance",
            "PUT",
            LINODE,
            400,
            {"label": "a--b-label"},
            field="label",
            spec_rejects=True,
            setup="running",
            label="bad-label",
        ),
        Case(
            "post-rebuild-linode-instance",
            "POST",
            LINODE + "/rebuild",
            400,
            {"root_pass": "{password}"},
            field="image",
            spec_rejects=True,
            setup="running",
            label="missing-image",
        ),
        Case(
            "post-rebuild-linode-instance",
            "POST",
            LINODE + "/rebuild",
            400,
            {"image": "linode/debian12", "root_pass": "password1234"},
            field="root_pass",
            setup="running",
            label="weak-password",
        ),
        Case(
            "post-reset-linode-password",
            "POST",
            LINODE + "/password",
            400,
            {"root_pass": "password1234"},
            field="root_pass",
            setup="offline",
            label="weak-password",
        ),
        Case(
            "post-reset-linode-password",
            "POST",
            LINODE + "/password",
            400,
            password_body(),
            setup="running",
            label="while-running",
        ),
        Case(
            "post-resize-linode-instance",
            "POST",
            LINODE + "/resize",
            400,
            {"type": "g0-missing-1"},
            field="type",
            setup="running",
            label="unknown-type",
        ),
        Case(
            "post-resize-linode-instance",
            "POST",
            LINODE + "/resize",
            400,
            {"type": "g6-standard-1", "migration_type": "hot"},
            field="migration_type",
            spec_rejects=True,
            setup="running",
            label="bad-migration-type",
        ),
        Case(
            "post-add-stack-script",
            "POST",
            "/v4/linode/stackscripts",
            400,
            {"label": "no-script", "images": ["linode/debian12"]},
            field="script",
            spec_rejects=True,
            label="missing-script",
        ),
        Case(
            "post-add-stack-script",
            "POST",
            "/v4/linode/stackscripts",
            400,
            {"label": "ab", "images": ["linode/debian12"], "script": "#!/bin/sh\n"},
            field="label",
            spec_rejects=True,
            label="short-label",
        ),
        Case(
            "put-stack-script",
            "PUT",
            "/v4/linode/stackscripts/{stackscript}",
            400,
            {"label": "ab"},
            field="label",
            spec_rejects=True,
            setup="stackscript",
            label="short-label",
        ),
        Case(
            "post-firewalls",
            "POST",
            "/v4/networking/firewalls",
            400,
            {"label": "no-rules"},
            field="rules",
            spec_rejects=True,
            label="missing-rules",
        ),
        Case(
            "post-firewalls",
            "POST",
            "/v4/networking/firewalls",
            400,
            {
                "label": "bad-policy",
                "rules": {"inbound_policy": "MAYBE", "outbound_policy": "ACCEPT"},
            },
            field="rules.inbound_policy",
            spec_rejects=True,
            label="bad-policy",
        ),
        Case(
            "post-firewall-device",
            "POST",
            FIREWALL + "/devices",
            400,
            {"id": "{linode}", "type": "toaster"},
            field="type",
            spec_rejects=True,
            setup="offline",
            label="bad-type",
        ),
    ]


BUSY_ACTIONS = [
    ("post-boot-linode-instance", "/boot", None),
    ("post-reboot-linode-instance", "/reboot", None),
    ("post-shutdown-linode-instance", "/shutdown", None),
    ("post-rebuild-linode-instance", "/rebuild", "rebuild"),
    ("post-reset-linode-password", "/password", "password"),
    ("post-resize-linode-instance", "/resize", "resize"),
]


def busy_cases() -> list[Case]:
    bodies: dict[str | None, Any] = {
        None: None,
        "rebuild": {"image": "linode/debian12", "root_pass": "{password}"},
        "password": password_body(),
        "resize": {"type": "g6-standard-1"},
    }
    return [
        Case(
            operation,
            "POST",
            LINODE + suffix,
            400,
            bodies[kind],
            reason=BUSY_REASON,
            setup="busy",
            label="busy",
        )
        for operation, suffix, kind in BUSY_ACTIONS
    ] + [
        # Linode keeps no stats for the first minutes of a new instance.
        Case(
            "get-linode-stats",
            "GET",
            LINODE + "/stats",
            400,
            reason="Stats are unavailable at this time.",
            setup="busy",
            label="too-early",
        )
    ]


# One operation for each rate limit the fake keeps, with the fake's name for the limit.
RATE_LIMITED = [
    Case(
        "post-linode-instance",
        "POST",
        "/v4/linode/instances",
        429,
        create_body(),
        rate_limit="linode_create",
        label="rate-limited",
    ),
    Case("get-images", "GET", "/v4/images", 429, rate_limit="images_list", label="rate-limited"),
    Case(
        "get-stack-scripts",
        "GET",
        "/v4/linode/stackscripts",
        429,
        rate_limit="stackscripts_list",
        label="rate-limited",
    ),
    Case(
        "get-linode-stats", "GET", LINODE + "/stats", 429, rate_limit="stats", label="rate-limited"
    ),
    Case(
        "get-linode-instances",
        "GET",
        "/v4/linode/instances",
        429,
        rate_limit="collections",
        label="rate-limited",
    ),
    Case("get-linode-instance", "GET", LINODE, 429, rate_limit="default", label="rate-limited"),
]

# Request bodies for the spec-derived validation cases: a valid body for each operation
# that takes one, and what the case must prepare. Each case breaks one property of it.
VALID_BODIES: dict[str, tuple[str, dict[str, Any], str | None]] = {
    "post-linode-instance": ("/v4/linode/instances", create_body(), None),
    "put-linode-instance": (LINODE, {}, "running"),
    "post-rebuild-linode-instance": (
        LINODE + "/rebuild",
        {"image": "linode/debian12", "root_pass": "{password}"},
        "running",
    ),
    "post-resize-linode-instance": (LINODE + "/resize", {"type": "g6-standard-1"}, "running"),
    "post-reset-linode-password": (LINODE + "/password", {"root_pass": "{password}"}, "offline"),
    "post-boot-linode-instance": (LINODE + "/boot", {}, "offline"),
    "post-reboot-linode-instance": (LINODE + "/reboot", {}, "running"),
    "post-add-stack-script": (
        "/v4/linode/stackscripts",
        {"label": "{unique}", "images": ["linode/debian12"], "script": "#!/bin/bash\n"},
        None,
    ),
    "put-stack-script": ("/v4/linode/stackscripts/{stackscript}", {}, "stackscript"),
    "post-firewalls": (
        "/v4/networking/firewalls",
        {"label": "{unique}", "rules": {"inbound_policy": "DROP", "outbound_policy": "ACCEPT"}},
        None,
    ),
    "put-firewall": (FIREWALL, {}, "firewall"),
    "post-firewall-device": (
        FIREWALL + "/devices",
        {"id": "{linode}", "type": "linode"},
        "offline",
    ),
}


def writable_properties(schema: dict[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Yield (dotted name, schema) for each writable property, and for those of sub-objects."""
    for name, child in schema.get("properties", {}).items():
        if child.get("readOnly"):
            continue
        yield prefix + name, child
        if child.get("type") == "object" and child.get("properties") and not prefix:
            yield from writable_properties(child, f"{name}.")


def with_value(body: dict[str, Any], dotted_name: str, value: Any) -> dict[str, Any]:
    """Return a copy of `body` with the field at `dotted_name` set to `value`."""
    result = json.loads(json.dumps(body))
    holder = result
    *parents, last = dotted_name.split(".")
    for parent in parents:
        holder = holder.setdefault(parent, {})
    holder[last] = value
    return result


def spec_rule_cases() -> list[Case]:
    """400 cases derived from the spec: each breaks one rule of one writable property."""
    cases = []
    for operation, (path, valid, setup) in VALID_BODIES.items():
        _template, method, spec_operation = corrected_spec_operations()[operation]
        content = spec_operation["requestBody"]["content"]
        for name, schema in writable_properties(content["application/json"]["schema"]):
            for variant, value in invalid_values(schema):
                cases.append(
                    Case(
                        operation,
                        method.upper(),
                        path,
                        400,
                        with_value(valid, name, value),
                        field=name,
                        setup=setup,
                        spec_rejects=True,
                        label=f"{name}-{variant}",
                    )
                )
    return cases


def query_rule_cases() -> list[Case]:
    """400 cases derived from the spec's query parameters (`page`, `page_size`)."""
    cases = []
    by_operation = {case.operation: case for case in success_cases() if not case.label}
    for operation, case in by_operation.items():
        template, method, spec_operation = corrected_spec_operations()[operation]
        if method != "get":
            continue
        parameters = spec_operation.get("parameters", []) + SPEC["paths"][template].get(
            "parameters", []
        )
        for parameter in parameters:
            if parameter["in"] != "query":
                continue
            name = parameter["name"]
            for variant, value in invalid_values(parameter["schema"]):
                cases.append(
                    dataclasses.replace(
                        case,
                        path=f"{case.path}?{name}={value}",
                        status=400,
                        field=name,
                        spec_rejects=True,
                        label=f"{name}-{variant}",
                    )
                )
    return cases


def beta_cases() -> list[Case]:
    """The reads again under /v4beta, which must behave exactly like /v4."""
    return [
        dataclasses.replace(case, path="/v4beta/" + case.path[len("/v4/") :], label="v4beta")
        for case in success_cases()
        if case.method == "GET" and case.path.startswith("/v4/") and not case.label
    ]


def spec_scopes(operation: str) -> str:
    """Return the OAuth scopes the spec's `security` block names for an operation.

    An empty list means any valid token; a token for an unrelated resource stands for it.
    """
    for requirement in SPEC_OPERATIONS[operation][2].get("security", []):
        if "oauth" in requirement:
            return " ".join(requirement["oauth"]) or "domains:read_only"
    raise ValueError(f"{operation} has no oauth security requirement")


def exact_scope_cases() -> list[Case]:
    """Each scoped success case again, with a token holding only the scopes the spec names."""
    return [
        dataclasses.replace(case, token=spec_scopes(case.operation), label="exact-scope")
        for case in success_cases()
        if case.token == "full"
        and not case.label
        and "security" in SPEC_OPERATIONS[case.operation][2]
    ]


ALL_CASES = (
    success_cases()
    + exact_scope_cases()
    + beta_cases()
    + query_rule_cases()
    + auth_cases()
    + not_found_cases()
    + validation_cases()
    + spec_rule_cases()
    + busy_cases()
    + RATE_LIMITED
)


# --- running a case ------------------------------------------------------------------------


def prepare(case: Case, api: Api, world: World) -> dict[str, Any]:
    """Make what the case needs and return the values for its path placeholders."""
    values: dict[str, Any] = {
        "missing": MISSING_ID,
        "password": strong_password(),
        "unique": f"contract-{secrets.token_hex(4)}",
        "ssh_key": ssh_public_key(),
    }
    if case.setup == "running":
        values["linode"] = api.create_instance()
    elif case.setup == "offline":
        values["linode"] = api.create_instance(booted=False)
    elif case.setup == "private-ip":
        values["linode"] = api.create_instance(private_ip=True)
    elif case.setup == "busy":
        # Slow the fake down so the new instance stays `provisioning` for this request.
        speed = api.fake.speed
        api.fake.speed = 0.001
        try:
            values["linode"] = api.create_instance(settle=False)
        finally:
            api.fake.speed = speed
    elif case.setup == "stackscript":
        values["stackscript"] = api.create_stackscript()
    elif case.setup == "firewall":
        values["firewall"] = api.create_firewall()
    elif case.setup == "device":
        values["firewall"] = api.create_firewall()
        values["device"] = api.attach_device(values["firewall"])
    elif case.setup == "label-taken":
        api.create_instance(label="contract-taken", settle=False)
    if "{config_of_linode}" in json.dumps(case.body):
        configs = api.ok("GET", f"/v4/linode/instances/{values['linode']}/configs")
        values["config_of_linode"] = configs["data"][0]["id"]
    needed = set(PLACEHOLDER.findall(case.path + json.dumps(case.body)))
    for name in sorted(needed - set(values)):
        values[name] = world.get(name)
    return values


def fill(value: Any, values: dict[str, Any]) -> Any:
    """Replace `{name}` placeholders (in paths and bodies) by the prepared values.

    A string that is exactly one placeholder takes the value's own type, so a body can
    carry an integer id.
    """
    if isinstance(value, str):
        whole = PLACEHOLDER.fullmatch(value)
        if whole and whole.group(1) in values:
            return values[whole.group(1)]
        return PLACEHOLDER.sub(lambda match: str(values.get(match.group(1), match.group(0))), value)
    if isinstance(value, dict):
        return {key: fill(item, values) for key, item in value.items()}
    if isinstance(value, list):
        return [fill(item, values) for item in value]
    return value


def token_for(case: Case, fake: FakeHandle) -> Secret | None:
    if case.token == "full":
        return Secret(fake.token)
    if case.token == "none":
        return None
    if case.token == "invalid":
        return Secret("not-a-token-" + secrets.token_hex(8))
    return Secret(fake.add_token(scopes=case.token))


def exhaust_rate_limit(case: Case, api: Api, token: str, path: str, body: Any) -> None:
    """Use up the case's limit for `token` so that the next request is rejected."""
    assert case.rate_limit is not None
    api.fake.rate_limits[case.rate_limit] = (1, 3600.0)
    first = api.call(case.method, path, token=token, body=body)
    assert first.status_code == 200, f"first request under the limit failed: {first.text}"


@pytest.mark.parametrize("case", ALL_CASES, ids=lambda case: case.id)
def test_operation_matches_spec(
    case: Case, api: Api, world: World, checker: SpecChecker, fake: FakeHandle
) -> None:
    values = prepare(case, api, world)
    path = fill(case.path, values)
    body = fill(case.body, values)
    token = token_for(case, fake)
    if case.rate_limit is not None:
        # A fresh token has fresh windows, so other cases keep theirs.
        token = Secret(fake.add_token(scopes="*"))
        saved_limit = fake.rate_limits[case.rate_limit]
    try:
        if case.rate_limit is not None:
            exhaust_rate_limit(case, api, token, path, body)
        response = api.call(
            case.method,
            path,
            token=token,
            body=body,
            headers=case.headers,
            raw_body=case.raw_body,
        )
    finally:
        if case.rate_limit is not None:
            fake.rate_limits[case.rate_limit] = saved_limit

    assert response.status_code == case.status, (
        f"{case.method} {path} returned {response.status_code}, expected {case.status}: "
        f"{response.text[:500]}"
    )
    checker.check_response(response, case.operation)

    if case.status >= 400:
        errors = response.json()["errors"]
        assert errors, "an error response must list at least one error"
        if case.field is not None:
            fields = [str(error.get("field")) for error in errors]
            nested = (case.field + ".", case.field + "[")
            named = [name for name in fields if name == case.field or name.startswith(nested)]
            assert named, f"no error names field {case.field!r}: {errors}"
        if case.reason is not None:
            reasons = [error["reason"] for error in errors]
            assert case.reason in reasons, f"no error has reason {case.reason!r}: {errors}"
    if case.status == 429:
        for header in ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"):
            assert header in response.headers, f"429 without {header}"
        assert int(response.headers["Retry-After"]) >= 1

    if case.spec_rejects:
        assert checker.request_errors(response.request), (
            "the spec accepts this request, so the case does not test a spec rule"
        )
    elif case.status == 200 and case.body is not None:
        assert checker.request_errors(response.request) == [], (
            "the case sent a request the spec rejects"
        )


# --- coverage and routing ------------------------------------------------------------------

RULE_ARGUMENT = re.compile(r"<(?:(\w+):)?(\w+)>")


def implemented_operations(checker: SpecChecker) -> dict[str, str]:
    """Map the operationId of every API route the fake registers to the route's rule."""
    store = Store(None)
    try:
        app = create_app(store)
    finally:
        store.close()
    found = {}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/v4/"):
            continue
        sample = RULE_ARGUMENT.sub(
            lambda match: "1" if match.group(1) == "int" else "sample", rule.rule
        )
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            operation = checker.operation(method, sample)
            found[operation.operation_id] = f"{method} {rule.rule}"
    return found


def test_every_operation_has_cases(checker: SpecChecker) -> None:
    implemented = implemented_operations(checker)
    succeeded = {case.operation for case in ALL_CASES if case.status == 200}
    rejected = {case.operation for case in ALL_CASES if case.status in (401, 403)}

    assert len(implemented) >= 40, f"only {len(implemented)} operations found"
    missing = {op: route for op, route in implemented.items() if op not in succeeded}
    assert not missing, f"operations without a success case: {missing}"
    public = {op for op in implemented if "security" not in SPEC_OPERATIONS[op][2]}
    assert public == {"get-regions", "get-region", "get-linode-types", "get-linode-type"}
    unchecked = {op: route for op, route in implemented.items() if op not in rejected | public}
    assert not unchecked, f"operations without an auth case: {unchecked}"


def test_wrong_method_uses_error_envelope(api: Api, checker: SpecChecker) -> None:
    response = api.call("PATCH", "/v4/linode/instances", token=api.token)

    assert response.status_code == 405
    checker.check_error_envelope(response)
    assert "GET" in response.headers.get("Allow", "")


def test_unknown_path_uses_error_envelope(api: Api, checker: SpecChecker) -> None:
    response = api.call("GET", "/v4/linode/no-such-collection", token=api.token)

    assert response.status_code == 404
    checker.check_error_envelope(response)


@pytest.mark.parametrize("status", [500, 502, 503])
def test_injected_error_matches_spec(
    status: int, api: Api, checker: SpecChecker, fake: FakeHandle
) -> None:
    saved = fake.faults
    fake.faults = {"error_rate": 1.0, "error_statuses": (status,)}
    try:
        response = api.call("GET", "/v4/linode/instances", token=api.token)
    finally:
        fake.faults = saved

    assert response.status_code == status
    checker.check_response(response, "get-linode-instances")


# --- X-Filter on every field the spec marks filterable ---------------------------------------

LIST_PATHS = {
    "get-events": "/v4/account/events",
    "get-regions": "/v4/regions",
    "get-linode-types": "/v4/linode/types",
    "get-images": "/v4/images",
    "get-stack-scripts": "/v4/linode/stackscripts",
    "get-linode-instances": "/v4/linode/instances",
    "get-linode-disks": LINODE + "/disks",
    "get-linode-configs": LINODE + "/configs",
    "get-firewalls": "/v4/networking/firewalls",
    "get-firewall-devices": FIREWALL + "/devices",
}
FILTER_CASES = [
    (operation, field)
    for operation in LIST_PATHS
    for field in filterable_fields(corrected_spec_operations()[operation][2])
]
# Image status may be filtered but, as the spec states, not used as a sort key.
NOT_SORTABLE = {("get-images", "status")}


def dotted(item: Any, path: str) -> Any:
    for part in path.split("."):
        if not isinstance(item, dict):
            return None
        item = item.get(part)
    return item


def field_example(operation: str, path: str) -> Any:
    """Return the spec's example for a field of a list operation's items."""
    top = next(response_schemas(corrected_spec_operations()[operation][2]))
    schema = top["properties"]["data"]["items"]
    for part in path.split("."):
        schema = schema["properties"][part]
    example = schema.get("example")
    return example[0] if isinstance(example, list) and example else example


def listed(
    api: Api, path: str, x_filter: dict[str, Any] | None = None, page_size: int = 500
) -> requests.Response:
    headers = {"X-Filter": json.dumps(x_filter)} if x_filter is not None else {}
    query = f"?page_size={page_size}"
    return api.call("GET", path + query, token=api.token, headers=headers)


@pytest.mark.parametrize(
    ("operation", "field"), FILTER_CASES, ids=[f"{op}-{field}" for op, field in FILTER_CASES]
)
def test_filterable_field_filters(
    operation: str, field: str, api: Api, world: World, checker: SpecChecker
) -> None:
    path = fill(LIST_PATHS[operation], {name: world.get(name) for name in ("linode", "firewall")})
    world.get("stackscript")
    everything = listed(api, path)
    assert everything.status_code == 200, everything.text[:300]
    values = [dotted(item, field) for item in everything.json()["data"]]
    present = [value for value in values if value not in (None, [])]
    value = present[0] if present else field_example(operation, field)
    if isinstance(value, list):
        value = value[0]

    # One page of 25 keeps the spec validation of the response quick.
    response = listed(api, path, {field: value}, page_size=25)

    assert response.status_code == 200, f"filter {field}={value!r}: {response.text[:300]}"
    checker.check_response(response, operation)
    found = response.json()["data"]
    for item in found:
        actual = dotted(item, field)
        matches = value in actual if isinstance(actual, list) else actual == value
        assert matches, f"filter {field}={value!r} returned an item with {actual!r}"
    if present:
        assert found, f"filter {field}={value!r} returned nothing, but a listed item has it"


@pytest.mark.parametrize(
    ("operation", "field"), FILTER_CASES, ids=[f"{op}-{field}" for op, field in FILTER_CASES]
)
def test_filterable_field_sorts(
    operation: str, field: str, api: Api, world: World, checker: SpecChecker
) -> None:
    path = fill(LIST_PATHS[operation], {name: world.get(name) for name in ("linode", "firewall")})

    response = listed(api, path, {"+order_by": field, "+order": "desc"})

    if (operation, field) in NOT_SORTABLE:
        assert response.status_code == 400, response.text[:300]
        checker.check_response(response, operation)
        return
    assert response.status_code == 200, f"order by {field}: {response.text[:300]}"
    keys = [dotted(item, field) for item in response.json()["data"]]
    comparable = [key for key in keys if key is not None and not isinstance(key, list)]
    assert comparable == sorted(comparable, reverse=True), f"not sorted by {field} desc: {keys}"


def unfilterable_fields(operation: str) -> list[str]:
    """List the top-level item fields of a list operation that the spec does not mark."""
    top = next(response_schemas(corrected_spec_operations()[operation][2]))
    items = top["properties"]["data"]["items"]
    marked = set(filterable_fields(corrected_spec_operations()[operation][2]))
    prefixes = {field.split(".")[0] for field in marked}
    return [name for name in items["properties"] if name not in marked | prefixes]


UNFILTERABLE_CASES = [
    (operation, field) for operation in LIST_PATHS for field in unfilterable_fields(operation)
]


@pytest.mark.parametrize(
    ("operation", "field"),
    UNFILTERABLE_CASES,
    ids=[f"{op}-{field}" for op, field in UNFILTERABLE_CASES],
)
def test_unmarked_field_rejected(
    operation: str, field: str, api: Api, world: World, checker: SpecChecker
) -> None:
    path = fill(LIST_PATHS[operation], {name: world.get(name) for name in ("linode", "firewall")})

    response = listed(api, path, {field: "x"})

    assert response.status_code == 400, f"filter on {field}: {response.text[:300]}"
    checker.check_response(response, operation)
    assert [error.get("field") for error in response.json()["errors"]] == ["X-Filter"]


def test_failed_create_event_matches_spec(api: Api, checker: SpecChecker, fake: FakeHandle) -> None:
    saved = fake.faults
    fake.faults = {"create_failure_rate": 1.0}
    try:
        linode = api.create_instance()
    finally:
        fake.faults = saved
    x_filter = {"entity.id": linode, "action": "linode_create"}

    response = listed(api, "/v4/account/events", x_filter)

    assert response.status_code == 200, response.text[:300]
    checker.check_response(response, "get-events")
    [event] = response.json()["data"]
    assert event["status"] == "failed"
    assert event["message"]
    single = api.call("GET", f"/v4/account/events/{event['id']}", token=api.token)
    checker.check_response(single, "get-event")


# --- the checker itself ----------------------------------------------------------------------

REGION = {
    "id": "us-east",
    "label": "Newark, NJ",
    "country": "us",
    "capabilities": ["Linodes"],
    "status": "ok",
    "resolvers": {"ipv4": "192.0.2.1", "ipv6": "2001:db8::1"},
    "placement_group_limits": {"maximum_linodes_per_pg": 5, "maximum_pgs_per_customer": None},
    "site_type": "core",
}
EVENT_TIME = "2026-01-02T03:04:05"


def made_response(
    checker: SpecChecker, method: str, path: str, status: int, body: Any
) -> requests.Response:
    """Build a response as if the fake had sent it, without a server."""
    response = requests.Response()
    response.status_code = status
    response._content = json.dumps(body).encode()
    response.headers["Content-Type"] = "application/json"
    response.request = requests.Request(method, checker.root_url + path).prepare()
    return response


DEVICE = {
    "id": 1,
    "created": EVENT_TIME,
    "updated": EVENT_TIME,
    "entity": {"id": 2, "type": "linode", "label": "web-1", "url": "/v4/linode/instances/2"},
}
REGION_PATH = "/v4/regions/us-east"
DEVICE_PATH = "/v4/networking/firewalls/1/devices/1"
NULL_FIELD_ERROR = {"errors": [{"reason": "x", "field": None}]}
BROKEN_RESPONSES = {
    "missing-property": (
        "get-region",
        REGION_PATH,
        200,
        {k: v for k, v in REGION.items() if k != "label"},
    ),
    "not-in-enum": ("get-region", REGION_PATH, 200, {**REGION, "status": "sunny"}),
    "undocumented-property": ("get-region", REGION_PATH, 200, {**REGION, "colour": "blue"}),
    "spec-spelling": ("get-region", REGION_PATH, 200, {**REGION, "site-type": "core"}),
    "undocumented-status": ("get-region", REGION_PATH, 201, REGION),
    "error-without-errors": ("get-region", REGION_PATH, 404, {}),
    "error-field-null": ("get-region", REGION_PATH, 404, NULL_FIELD_ERROR),
    "time-with-zone": (
        "get-firewall-device",
        DEVICE_PATH,
        200,
        {**DEVICE, "created": EVENT_TIME + "Z"},
    ),
    "integer-as-string": ("get-firewall-device", DEVICE_PATH, 200, {**DEVICE, "id": "1"}),
}


@pytest.mark.parametrize("name", BROKEN_RESPONSES)
def test_checker_rejects_broken_response(name: str, checker: SpecChecker) -> None:
    operation, path, status, body = BROKEN_RESPONSES[name]
    response = made_response(checker, "GET", path, status, body)

    with pytest.raises(ContractError):
        checker.check_response(response, operation)


def test_checker_accepts_valid_device(checker: SpecChecker) -> None:
    response = made_response(checker, "GET", DEVICE_PATH, 200, DEVICE)

    checker.check_response(response, "get-firewall-device")


def test_checker_accepts_valid_region(checker: SpecChecker) -> None:
    checker.check_response(made_response(checker, "GET", "/v4/regions/us-east", 200, REGION), None)


def test_checker_rejects_other_operation(checker: SpecChecker) -> None:
    response = made_response(checker, "GET", "/v4/regions/us-east", 200, REGION)

    with pytest.raises(ContractError, match="matched get-region"):
        checker.check_response(response, "get-regions")


@pytest.mark.parametrize(
    ("value", "valid"),
    [(EVENT_TIME, True), (EVENT_TIME + "Z", False), ("2026-02-30T03:04:05", False)],
)
def test_checker_date_time_format(value: str, valid: bool) -> None:
    # The API's times have no zone suffix, so an RFC 3339 time with "Z" is not one.
    assert FORMAT_CHECKS[LINODE_DATE_TIME](value) is valid


def test_notification_event_matches_spec(api: Api, checker: SpecChecker) -> None:
    linode = api.create_instance()
    api.ok("PUT", f"/v4/linode/instances/{linode}", {"tags": ["contract", "updated"]})
    x_filter = {"entity.id": linode, "action": "linode_update"}

    response = listed(api, "/v4/account/events", x_filter)

    assert response.status_code == 200, response.text[:300]
    checker.check_response(response, "get-events")
    [event] = response.json()["data"]
    assert event["status"] == "notification"
    assert event["percent_complete"] is None


# --- last: everything the cases above left behind ----------------------------------------------


def test_every_event_matches_spec(api: Api, checker: SpecChecker) -> None:
    """Validate every event the cases above caused, page by page (this test runs last)."""
    actions: set[str] = set()
    page, pages = 1, 1
    while page <= pages:
        response = api.call("GET", f"/v4/account/events?page={page}&page_size=500", token=api.token)
        assert response.status_code == 200, response.text[:300]
        checker.check_response(response, "get-events")
        body = response.json()
        actions.update(event["action"] for event in body["data"])
        page, pages = page + 1, body["pages"]

    expected = {
        "linode_create",
        "linode_boot",
        "linode_reboot",
        "linode_shutdown",
        "linode_rebuild",
        "linode_resize",
        "linode_delete",
        "linode_update",
        "password_reset",
        "firewall_create",
        "firewall_device_add",
        "stackscript_create",
    }
    assert expected <= actions, f"no events for {sorted(expected - actions)}"


@pytest.mark.parametrize(
    ("operation", "path"),
    [
        ("get-linode-instances", "/v4/linode/instances"),
        ("get-firewalls", "/v4/networking/firewalls"),
        ("get-stack-scripts", "/v4/linode/stackscripts"),
        ("get-tags", "/v4/tags"),
    ],
)
def test_every_listed_object_matches_spec(
    operation: str, path: str, api: Api, checker: SpecChecker
) -> None:
    """Validate every object the cases above left in a collection, in all its states."""
    page, pages, seen = 1, 1, 0
    while page <= pages:
        response = api.call("GET", f"{path}?page={page}&page_size=500", token=api.token)
        assert response.status_code == 200, response.text[:300]
        checker.check_response(response, operation)
        body = response.json()
        seen += len(body["data"])
        page, pages = page + 1, body["pages"]

    assert seen == body["results"]
    assert seen > 0, f"{path} is empty, so nothing was checked"
