"""Read-only details of an instance: IPs, disks, configs, transfer and stats."""

from __future__ import annotations

import ipaddress
import math
import random
from typing import Any

from linode_fake import instances as store_instances
from linode_fake.api.blueprint import api
from linode_fake.api.instances import load_or_404
from linode_fake.context import fake
from linode_fake.errors import bad_request, not_found
from linode_fake.filtering import FilterSpec, filter_items
from linode_fake.pagination import paginate
from linode_fake.routing import operation

DISK_FILTER = FilterSpec(["label", "size"])
CONFIG_FILTER = FilterSpec(["label"])

# Estimated average outbound traffic of a running Linode, for /transfer.
BYTES_PER_SECOND = 12_000
STATS_STEP_SECONDS = 300  # one point per five minutes, as the API's day view has
STATS_WINDOW_SECONDS = 24 * 3600

Record = dict[str, Any]


def _load(linode_id: int) -> Record:
    with fake().store.connection() as conn:
        return load_or_404(conn, linode_id)


def _address(
    record: Record, address: str, *, public: bool, prefix: int, gateway: str | None
) -> dict[str, Any]:
    network = ipaddress.ip_network(f"{address}/{prefix}", strict=False)
    version = network.version
    rdns = None
    if public and version == 4:
        rdns = address.replace(".", "-") + ".ip.linodeusercontent.com"
    return {
        "address": address,
        "gateway": gateway,
        "linode_id": record["api"]["id"],
        "prefix": prefix,
        "public": public,
        "rdns": rdns,
        "region": record["api"]["region"],
        "subnet_mask": str(network.netmask),
        "type": "ipv4" if version == 4 else "ipv6",
    }


@operation(api, "/linode/instances/<int:linode_id>/ips", "GET", scope="linodes:read_only")
def get_ips(linode_id: int) -> dict[str, Any]:
    record = _load(linode_id)
    public, private = [], []
    for address in record["api"]["ipv4"]:
        if ipaddress.ip_address(address).is_private and address.startswith("192.168."):
            private.append(_address(record, address, public=False, prefix=17, gateway=None))
        else:
            gateway = str(ipaddress.ip_network(f"{address}/24", strict=False)[1])
            entry = _address(record, address, public=True, prefix=24, gateway=gateway)
            entry["vpc_nat_1_1"] = None
            public.append(entry)
    slaac = record["api"]["ipv6"].split("/")[0]
    interface_id = slaac.split("::", 1)[-1] if "::" in slaac else ":".join(slaac.split(":")[4:])
    link_local = f"fe80::{interface_id}"
    return {
        "ipv4": {"public": public, "private": private, "shared": [], "reserved": [], "vpc": []},
        "ipv6": {
            "slaac": _address(record, slaac, public=True, prefix=64, gateway="fe80::1"),
            "link_local": _address(record, link_local, public=False, prefix=64, gateway="fe80::1"),
            "global": [],
        },
    }


@operation(
    api,
    "/linode/instances/<int:linode_id>/disks",
    "GET",
    scope="linodes:read_only",
    limit="collections",
)
def list_disks(linode_id: int) -> dict[str, Any]:
    return paginate(filter_items(_load(linode_id)["disks"], DISK_FILTER))


@operation(
    api, "/linode/instances/<int:linode_id>/disks/<int:disk_id>", "GET", scope="linodes:read_only"
)
def get_disk(linode_id: int, disk_id: int) -> dict[str, Any]:
    for disk in _load(linode_id)["disks"]:
        if disk["id"] == disk_id:
            return disk
    raise not_found()


@operation(
    api,
    "/linode/instances/<int:linode_id>/configs",
    "GET",
    scope="linodes:read_only",
    limit="collections",
)
def list_configs(linode_id: int) -> dict[str, Any]:
    return paginate(filter_items(_load(linode_id)["configs"], CONFIG_FILTER))


@operation(
    api,
    "/linode/instances/<int:linode_id>/configs/<int:config_id>",
    "GET",
    scope="linodes:read_only",
)
def get_config(linode_id: int, config_id: int) -> dict[str, Any]:
    for config in _load(linode_id)["configs"]:
        if config["id"] == config_id:
            return config
    raise not_found()


@operation(api, "/linode/instances/<int:linode_id>/transfer", "GET", scope="linodes:read_only")
def get_transfer(linode_id: int) -> dict[str, Any]:
    record = _load(linode_id)
    used = int(store_instances.uptime(record, fake().now()) * BYTES_PER_SECOND)
    quota = int(record["api"]["specs"]["transfer"])  # GB added to the account's pool
    billable = max(0, math.ceil(used / 1e9) - quota)
    return {"used": used, "quota": quota, "billable": billable}


@operation(
    api,
    "/linode/instances/<int:linode_id>/stats",
    "GET",
    scope="linodes:read_only",
    limit="stats",
)
def get_stats(linode_id: int) -> dict[str, Any]:
    context = fake()
    record = _load(linode_id)
    now = context.now()
    delay = context.settings.scaled(context.settings.timings["stats_delay"])
    if now - record["created_at"] < delay:
        raise bad_request("Stats are unavailable at this time.")
    return _stats(record, now)


def _stats(record: Record, now: float) -> dict[str, Any]:
    """Build a day of five-minute points since creation: steady pseudo-random
    values while the instance ran, zeros while it did not."""
    linode_id = record["api"]["id"]
    start = max(record["created_at"], now - STATS_WINDOW_SECONDS)
    first = int(math.ceil(start / STATS_STEP_SECONDS)) * STATS_STEP_SECONDS
    stamps = list(range(first, int(now) + 1, STATS_STEP_SECONDS))
    vcpus = int(record["api"]["specs"]["vcpus"])

    running = [store_instances.was_running(record, stamp) for stamp in stamps]

    def series(name: str, scale: float) -> list[list[float]]:
        points = []
        for stamp, up in zip(stamps, running, strict=True):
            rng = random.Random(f"{linode_id}:{name}:{stamp}")
            value = round(rng.random() * scale, 2) if up else 0.0
            points.append([stamp * 1000, value])
        return points

    return {
        "cpu": series("cpu", 10.0 * vcpus),
        "io": {"io": series("io", 5.0), "swap": series("swap", 0.2)},
        "netv4": {
            "in": series("v4in", 4000.0),
            "out": series("v4out", 8000.0),
            "private_in": series("v4pin", 10.0),
            "private_out": series("v4pout", 10.0),
        },
        "netv6": {
            "in": series("v6in", 500.0),
            "out": series("v6out", 500.0),
            "private_in": series("v6pin", 5.0),
            "private_out": series("v6pout", 5.0),
        },
        "title": f"linode.com - {record['api']['label']} ({linode_id}) - day (5 min avg)",
    }
