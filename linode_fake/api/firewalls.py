"""Cloud Firewalls: list, create, get, delete and devices."""

from __future__ import annotations

import json
import sqlite3

from linode_fake.clock import format_datetime
from linode_fake.store import Store


def attach_device(
    store: Store,
    conn: sqlite3.Connection,
    firewall_id: int,
    entity_type: str,
    entity_id: int,
    label: str,
    now: float,
) -> int:
    device_id = store.next_id("firewall_device")
    created = format_datetime(now)
    data = {
        "id": device_id,
        "created": created,
        "updated": created,
        "entity": {
            "id": entity_id,
            "label": label,
            "type": entity_type,
            "url": f"/v4/linode/instances/{entity_id}",
        },
    }
    conn.execute(
        "INSERT INTO firewall_devices (id, firewall_id, entity_type, entity_id, data) "
        "VALUES (?, ?, ?, ?, ?)",
        (device_id, firewall_id, entity_type, entity_id, json.dumps(data)),
    )
    return device_id
