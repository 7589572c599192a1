"""Linode instances: stored records, status timelines and the API's view of them.

A record keeps the API fields under `api` plus what the fake needs besides:
a `timeline` of future status changes on the fake clock, uptime bookkeeping
for transfer and stats, disks and configs. Records are settled lazily: before
any read, every timeline step whose time has come is applied, so status moves
with the clock without a background thread.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import sqlite3
import uuid
from typing import Any

from linode_fake.clock import format_datetime
from linode_fake.filtering import FilterSpec
from linode_fake.store import ID_STARTS, Store

logger = logging.getLogger(__name__)

GONE = "__gone__"  # timeline marker: the instance disappears (end of a delete)
SETTLED = ("running", "offline")

INSTANCE_FILTER = FilterSpec(
    [
        "group",
        "id",
        "ipv4",
        "label",
        "placement_group.label",
        "placement_group.placement_group_type",
        "region",
        "tags",
    ]
)

# Addresses come from ranges reserved for documentation and benchmarking
# (RFC 2544 198.18.0.0/15, RFC 3849 2001:db8::/32), so none is anyone's host.
PUBLIC_IPV4_BASE = ipaddress.IPv4Address("198.18.0.0")
PUBLIC_IPV4_COUNT = 2**17 - 2
PRIVATE_IPV4_BASE = ipaddress.IPv4Address("192.168.128.0")


Record = dict[str, Any]


def public_ipv4(linode_id: int) -> str:
    offset = (linode_id - ID_STARTS["linode"]) % PUBLIC_IPV4_COUNT + 1
    return str(PUBLIC_IPV4_BASE + offset)


def private_ipv4(linode_id: int) -> str:
    offset = (linode_id - ID_STARTS["linode"]) % (2**15 - 2) + 1
    return str(PRIVATE_IPV4_BASE + offset)


def slaac_ipv6(linode_id: int) -> str:
    low = linode_id & 0xFFFFFF
    return f"2001:db8:0:1:f03c:93ff:fe{low >> 16:02x}:{low & 0xFFFF:04x}"


# -- reading and writing ------------------------------------------------------


def settle(conn: sqlite3.Connection, now: float) -> None:
    """Apply every timeline step that is due at `now`, deleting finished deletes."""
    rows = conn.execute(
        "SELECT id, data FROM instances WHERE next_change_at IS NOT NULL AND next_change_at <= ?",
        (now,),
    ).fetchall()
    for row in rows:
        record = json.loads(row["data"])
        gone = _apply_due_steps(record, now)
        if gone:
            conn.execute("DELETE FROM instances WHERE id = ?", (row["id"],))
            conn.execute(
                "DELETE FROM firewall_devices WHERE entity_type = 'linode' AND entity_id = ?",
                (row["id"],),
            )
        else:
            _write(conn, record)


def _apply_due_steps(record: Record, now: float) -> bool:
    timeline = record["timeline"]
    while timeline and timeline[0][0] <= now:
        at, status = timeline.pop(0)
        if status == GONE:
            return True
        set_status(record, status, at)
    return False


def set_status(record: Record, status: str, at: float) -> None:
    """Change the status and keep the uptime bookkeeping right."""
    api = record["api"]
    previous = api["status"]
    periods = record.setdefault("running_periods", [])
    if previous == "running" and status != "running" and record["running_since"] is not None:
        record["uptime"] += at - record["running_since"]
        periods.append([record["running_since"], at])
        record["running_since"] = None
    if status == "running" and previous != "running":
        record["running_since"] = at
    api["status"] = status
    api["updated"] = format_datetime(at)


def was_running(record: Record, at: float) -> bool:
    """Return whether the instance was running at time `at`."""
    if record["running_since"] is not None and record["running_since"] <= at:
        return True
    return any(start <= at < end for start, end in record.get("running_periods", []))


def uptime(record: Record, now: float) -> float:
    """Seconds this instance has been running in total."""
    total = float(record["uptime"])
    if record["running_since"] is not None:
        total += max(0.0, now - record["running_since"])
    return total


def schedule(record: Record, now: float, steps: list[tuple[float, str]]) -> float:
    """Replace the timeline: the first status applies now, each later one
    after the given delay. Each step is (seconds after the previous step,
    status). Return the time of the last step."""
    at = now
    timeline: list[list[Any]] = []
    for index, (delay, status) in enumerate(steps):
        at += delay
        if index == 0 and delay == 0:
            set_status(record, status, now)
        else:
            timeline.append([at, status])
    record["timeline"] = timeline
    return at


def _write(conn: sqlite3.Connection, record: Record) -> None:
    next_change = record["timeline"][0][0] if record["timeline"] else None
    conn.execute(
        "UPDATE instances SET label = ?, next_change_at = ?, data = ? WHERE id = ?",
        (record["api"]["label"], next_change, json.dumps(record), record["api"]["id"]),
    )


def insert(conn: sqlite3.Connection, record: Record) -> None:
    next_change = record["timeline"][0][0] if record["timeline"] else None
    conn.execute(
        "INSERT INTO instances (id, label, next_change_at, data) VALUES (?, ?, ?, ?)",
        (record["api"]["id"], record["api"]["label"], next_change, json.dumps(record)),
    )


def save(conn: sqlite3.Connection, record: Record) -> None:
    _write(conn, record)


def load(store: Store, conn: sqlite3.Connection, linode_id: int) -> Record | None:
    """Return the settled record of one instance, or None when it does not exist."""
    settle(conn, store.now())
    row = conn.execute("SELECT data FROM instances WHERE id = ?", (linode_id,)).fetchone()
    return None if row is None else json.loads(row["data"])


def load_all(store: Store, conn: sqlite3.Connection) -> list[Record]:
    """Return every settled record, oldest id first."""
    settle(conn, store.now())
    rows = conn.execute("SELECT data FROM instances ORDER BY id").fetchall()
    return [json.loads(row["data"]) for row in rows]


def label_taken(conn: sqlite3.Connection, label: str, except_id: int | None = None) -> bool:
    row = conn.execute(
        "SELECT id FROM instances WHERE label = ? AND id != ?", (label, except_id or -1)
    ).fetchone()
    return row is not None


def count(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT COUNT(*) AS n FROM instances").fetchone()["n"])


def render(record: Record) -> dict[str, Any]:
    """Return the Linode object exactly as the API sends it."""
    return json.loads(json.dumps(record["api"]))


# -- building new records ---------------------------------------------------------


def new_record(
    *,
    linode_id: int,
    label: str,
    linode_type: dict[str, Any],
    region: dict[str, Any],
    image: dict[str, Any] | None,
    tags: list[str],
    group: str,
    private_ip: bool,
    backups_enabled: bool,
    has_user_data: bool,
    now: float,
) -> dict[str, Any]:
    """Build a new instance record; the status is set by the caller's timeline."""
    created = format_datetime(now)
    ipv4 = [public_ipv4(linode_id)]
    if private_ip:
        ipv4.append(private_ipv4(linode_id))
    api_fields = {
        "id": linode_id,
        "label": label,
        "group": group,
        "status": "offline",
        "created": created,
        "updated": created,
        "type": linode_type["id"],
        "region": region["id"],
        "image": image["id"] if image else None,
        "ipv4": ipv4,
        "ipv6": slaac_ipv6(linode_id) + "/128",
        "tags": tags,
        "hypervisor": "kvm",
        "host_uuid": uuid.uuid5(uuid.NAMESPACE_OID, f"host-{linode_id % 97}").hex,
        "has_user_data": has_user_data,
        "capabilities": [],
        "lke_cluster_id": None,
        "placement_group": None,
        "watchdog_enabled": True,
        "specs": {
            "disk": int(linode_type["disk"]),
            "memory": int(linode_type["memory"]),
            "vcpus": int(linode_type["vcpus"]),
            "gpus": int(linode_type.get("gpus", 0)),
            "transfer": int(linode_type["transfer"]),
        },
        "alerts": {
            "cpu": 90 * int(linode_type["vcpus"]),
            "io": 10000,
            "network_in": 10,
            "network_out": 10,
            "transfer_quota": 80,
        },
        "backups": {
            "enabled": backups_enabled,
            "available": False,
            "last_successful": None,
            "schedule": {"day": "Scheduling", "window": "Scheduling"},
        },
    }
    return {
        "api": api_fields,
        "timeline": [],
        "running_since": None,
        "running_periods": [],  # [start, end] of each finished run
        "uptime": 0.0,
        "created_at": now,
        "disks": [],
        "configs": [],
    }


def build_disks(
    store: Store,
    linode_type: dict[str, Any],
    image: dict[str, Any],
    swap_mb: int,
    now: float,
) -> list[dict[str, Any]]:
    """Build the image disk and the swap disk of an image deploy."""
    created = format_datetime(now)
    image_label = image.get("label", image["id"])
    main = {
        "id": store.next_id("disk"),
        "label": f"{image_label} Disk"[:48],
        "size": max(0, int(linode_type["disk"]) - swap_mb),
        "filesystem": "ext4",
        "status": "ready",
        "created": created,
        "updated": created,
    }
    swap = {
        "id": store.next_id("disk"),
        "label": f"{swap_mb} MB Swap Image",
        "size": swap_mb,
        "filesystem": "swap",
        "status": "ready",
        "created": created,
        "updated": created,
    }
    return [main, swap]


def build_config(
    store: Store, image: dict[str, Any], disks: list[dict[str, Any]]
) -> dict[str, Any]:
    """Build the config profile that boots the image disk."""
    devices: dict[str, Any] = {f"sd{letter}": None for letter in "abcdefgh"}
    for letter, disk in zip("ab", disks, strict=False):
        devices[f"sd{letter}"] = {"disk_id": disk["id"], "volume_id": None}
    return {
        "id": store.next_id("config"),
        "label": f"My {image.get('label', image['id'])} Disk Profile"[:48],
        "comments": "",
        "devices": devices,
        "helpers": {
            "devtmpfs_automount": True,
            "distro": True,
            "modules_dep": True,
            "network": True,
            "updatedb_disabled": True,
        },
        "interfaces": [],
        "kernel": "linode/grub2",
        "memory_limit": 0,
        "root_device": "/dev/sda",
        "run_level": "default",
        "virt_mode": "paravirt",
    }
