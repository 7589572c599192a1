"""Cloud Firewalls: list, create, get, update, delete, and their devices.

A Linode can sit behind one firewall only; a firewall covers many Linodes.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from typing import Any

from linode_fake import events as event_log
from linode_fake import instances as store_instances
from linode_fake.api.blueprint import api
from linode_fake.api.firewall_rules import check_rules
from linode_fake.clock import format_datetime
from linode_fake.context import fake, json_body
from linode_fake.errors import FieldErrors, bad_request, not_found
from linode_fake.filtering import FilterSpec, filter_items
from linode_fake.pagination import paginate
from linode_fake.routing import operation
from linode_fake.store import Store
from linode_fake.validation import check_label, check_tags

logger = logging.getLogger(__name__)

FIREWALL_FILTER = FilterSpec(["created", "id", "label", "tags", "updated"])
DEVICE_FILTER = FilterSpec(["created", "id", "updated"])
LABEL_MAX_LENGTH = 32


# -- devices -----------------------------------------------------------------------


def attach_device(
    store: Store,
    conn: sqlite3.Connection,
    firewall_id: int,
    entity_type: str,
    entity_id: int,
    label: str,
    now: float,
) -> dict[str, Any]:
    """Attach a Linode to a firewall; a Linode that already has one is a 400."""
    taken = conn.execute(
        "SELECT firewall_id FROM firewall_devices WHERE entity_type = ? AND entity_id = ?",
        (entity_type, entity_id),
    ).fetchone()
    if taken is not None:
        raise bad_request(
            f"Linode {entity_id} already belongs to firewall {taken['firewall_id']}; "
            "a Linode can have only one firewall",
            "id",
        )
    device_id = store.next_id("firewall_device")
    created = format_datetime(now)
    device = {
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
        (device_id, firewall_id, entity_type, entity_id, json.dumps(device)),
    )
    return device


def _devices(conn: sqlite3.Connection, firewall_id: int) -> list[dict[str, Any]]:
    rows = conn.execute(
        "SELECT data FROM firewall_devices WHERE firewall_id = ? ORDER BY id", (firewall_id,)
    ).fetchall()
    return [json.loads(row["data"]) for row in rows]


# -- firewalls -------------------------------------------------------------------------


def _load(conn: sqlite3.Connection, firewall_id: int) -> dict[str, Any]:
    row = conn.execute("SELECT data FROM firewalls WHERE id = ?", (firewall_id,)).fetchone()
    if row is None:
        raise not_found()
    return json.loads(row["data"])


def _save(conn: sqlite3.Connection, firewall: dict[str, Any]) -> None:
    conn.execute(
        "UPDATE firewalls SET label = ?, data = ? WHERE id = ?",
        (firewall["label"], json.dumps(firewall), firewall["id"]),
    )


def _event(conn: sqlite3.Connection, action: str, firewall: dict[str, Any], now: float) -> None:
    entity = {
        "id": firewall["id"],
        "label": firewall["label"],
        "type": "firewall",
        "url": f"/v4/networking/firewalls/{firewall['id']}",
    }
    event_log.record_event(fake().store, conn, action=action, entity=entity, start=now, end=now)


@operation(api, "/networking/firewalls", "GET", scope="firewall:read_only", limit="collections")
def list_firewalls() -> dict[str, Any]:
    with fake().store.connection() as conn:
        rows = conn.execute("SELECT data FROM firewalls ORDER BY id").fetchall()
    items = [json.loads(row["data"]) for row in rows]
    return paginate(filter_items(items, FIREWALL_FILTER))


@operation(api, "/networking/firewalls", "POST", scope="firewall:read_write")
def create_firewall() -> dict[str, Any]:
    context = fake()
    body = json_body()
    errors = FieldErrors()
    if body.get("label") is None:
        errors.add("label", "label is required")
    else:
        check_label(errors, body["label"], max_length=LABEL_MAX_LENGTH)
    rules = check_rules(errors, body.get("rules"))
    tags = check_tags(errors, body)
    devices = body.get("devices") or {}
    linode_ids = devices.get("linodes") or [] if isinstance(devices, dict) else None
    if linode_ids is None or not all(
        isinstance(i, int) and not isinstance(i, bool) for i in linode_ids
    ):
        errors.add("devices.linodes", "devices.linodes must be a list of Linode ids")
        linode_ids = []
    nodebalancer_ids = devices.get("nodebalancers") if isinstance(devices, dict) else None
    if nodebalancer_ids is not None:
        if not isinstance(nodebalancer_ids, list) or not all(
            isinstance(i, int) and not isinstance(i, bool) for i in nodebalancer_ids
        ):
            errors.add(
                "devices.nodebalancers", "devices.nodebalancers must be a list of NodeBalancer ids"
            )
        elif nodebalancer_ids:
            errors.add("devices.nodebalancers", "NodeBalancers are not supported by this fake")
    store = context.store
    with store.connection() as conn:
        store_instances.settle(conn, context.now())
        if (
            isinstance(body.get("label"), str)
            and conn.execute(
                "SELECT id FROM firewalls WHERE label = ?", (body["label"],)
            ).fetchone()
        ):
            errors.add("label", "Label must be unique among your Firewalls")
        linodes = []
        for linode_id in linode_ids:
            record = store_instances.load(store, conn, linode_id)
            if record is None:
                errors.add("devices.linodes", f"Linode {linode_id} not found")
            else:
                linodes.append(record)
        errors.raise_if_any()

        now = context.now()
        firewall_id = store.next_id("firewall")
        created = format_datetime(now)
        firewall = {
            "id": firewall_id,
            "label": body["label"],
            "status": "enabled",
            "tags": tags or [],
            "created": created,
            "updated": created,
            "rules": rules,
        }
        conn.execute(
            "INSERT INTO firewalls (id, label, data) VALUES (?, ?, ?)",
            (firewall_id, firewall["label"], json.dumps(firewall)),
        )
        for record in linodes:
            attach_device(
                store, conn, firewall_id, "linode", record["api"]["id"], record["api"]["label"], now
            )
        _event(conn, "firewall_create", firewall, now)
    logger.info("created firewall %d", firewall_id)
    return firewall


@operation(api, "/networking/firewalls/<int:firewall_id>", "GET", scope="firewall:read_only")
def get_firewall(firewall_id: int) -> dict[str, Any]:
    with fake().store.connection() as conn:
        return _load(conn, firewall_id)


@operation(api, "/networking/firewalls/<int:firewall_id>", "PUT", scope="firewall:read_write")
def update_firewall(firewall_id: int) -> dict[str, Any]:
    context = fake()
    body = json_body()
    errors = FieldErrors()
    with context.store.connection() as conn:
        firewall = _load(conn, firewall_id)
        if "label" in body:
            check_label(errors, body["label"], max_length=LABEL_MAX_LENGTH)
            if (
                isinstance(body["label"], str)
                and conn.execute(
                    "SELECT id FROM firewalls WHERE label = ? AND id != ?",
                    (body["label"], firewall_id),
                ).fetchone()
            ):
                errors.add("label", "Label must be unique among your Firewalls")
        if "status" in body and body["status"] not in ("enabled", "disabled"):
            errors.add("status", "status must be 'enabled' or 'disabled'")
        tags = check_tags(errors, body) if "tags" in body else None
        errors.raise_if_any()
        if "label" in body:
            firewall["label"] = body["label"]
        if "status" in body:
            firewall["status"] = body["status"]
        if tags is not None:
            firewall["tags"] = tags
        now = context.now()
        firewall["updated"] = format_datetime(now)
        _save(conn, firewall)
        _event(conn, "firewall_update", firewall, now)
    return firewall


@operation(api, "/networking/firewalls/<int:firewall_id>", "DELETE", scope="firewall:read_write")
def delete_firewall(firewall_id: int) -> dict[str, Any]:
    context = fake()
    with context.store.connection() as conn:
        firewall = _load(conn, firewall_id)
        conn.execute("DELETE FROM firewall_devices WHERE firewall_id = ?", (firewall_id,))
        conn.execute("DELETE FROM firewalls WHERE id = ?", (firewall_id,))
        _event(conn, "firewall_delete", firewall, context.now())
    return {}


@operation(
    api,
    "/networking/firewalls/<int:firewall_id>/devices",
    "GET",
    scope="firewall:read_only",
    limit="collections",
)
def list_devices(firewall_id: int) -> dict[str, Any]:
    context = fake()
    with context.store.connection() as conn:
        store_instances.settle(conn, context.now())
        _load(conn, firewall_id)
        items = _devices(conn, firewall_id)
    return paginate(filter_items(items, DEVICE_FILTER))


@operation(
    api, "/networking/firewalls/<int:firewall_id>/devices", "POST", scope="firewall:read_write"
)
def add_device(firewall_id: int) -> dict[str, Any]:
    context = fake()
    body = json_body()
    errors = FieldErrors()
    entity_id = body.get("id")
    if isinstance(entity_id, bool) or not isinstance(entity_id, int):
        errors.add("id", "id is required: the id of the Linode to add")
    if body.get("type") != "linode":
        if body.get("type") == "nodebalancer":
            errors.add("type", "NodeBalancers are not supported by this fake")
        else:
            errors.add("type", "type is required: 'linode' or 'nodebalancer'")
    store = context.store
    with store.connection() as conn:
        firewall = _load(conn, firewall_id)
        errors.raise_if_any()
        record = store_instances.load(store, conn, entity_id)
        if record is None:
            raise not_found()
        now = context.now()
        device = attach_device(
            store, conn, firewall_id, "linode", entity_id, record["api"]["label"], now
        )
        _event(conn, "firewall_device_add", firewall, now)
    return device


@operation(
    api,
    "/networking/firewalls/<int:firewall_id>/devices/<int:device_id>",
    "GET",
    scope="firewall:read_only",
)
def get_device(firewall_id: int, device_id: int) -> dict[str, Any]:
    context = fake()
    with context.store.connection() as conn:
        store_instances.settle(conn, context.now())
        _load(conn, firewall_id)
        for device in _devices(conn, firewall_id):
            if device["id"] == device_id:
                return device
    raise not_found()


@operation(
    api,
    "/networking/firewalls/<int:firewall_id>/devices/<int:device_id>",
    "DELETE",
    scope="firewall:read_write",
)
def remove_device(firewall_id: int, device_id: int) -> dict[str, Any]:
    context = fake()
    with context.store.connection() as conn:
        firewall = _load(conn, firewall_id)
        cursor = conn.execute(
            "DELETE FROM firewall_devices WHERE id = ? AND firewall_id = ?",
            (device_id, firewall_id),
        )
        if cursor.rowcount == 0:
            raise not_found()
        _event(conn, "firewall_device_remove", firewall, context.now())
    return {}
