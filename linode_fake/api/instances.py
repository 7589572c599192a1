"""Linode instances: list, create, get, update and delete."""

from __future__ import annotations

import json
import logging
import sqlite3
from typing import Any

from flask import request

from linode_fake import events as event_log
from linode_fake import instances as store_instances
from linode_fake.api.blueprint import api
from linode_fake.api.deploy import check_deploy_fields, image_entity
from linode_fake.clock import format_datetime
from linode_fake.context import FakeContext, fake, json_body
from linode_fake.errors import FieldErrors, bad_request, not_found
from linode_fake.faults import LOSE_RESPONSE_KEY
from linode_fake.filtering import filter_items
from linode_fake.pagination import paginate
from linode_fake.routing import operation
from linode_fake.validation import (
    check_bool,
    check_int,
    check_label,
    check_str,
    check_tags,
)

logger = logging.getLogger(__name__)

LABEL_MAX_LENGTH = 64
LABEL_TAKEN_REASON = "Label must be unique among your Linodes"
BUSY_REASON = "Linode busy."
LIMIT_REASON = "Account Limit reached. Please open a support ticket."
DEFAULT_SWAP_MB = 512
CREATE_FAILED_MESSAGE = "Provisioning failed on the host; the Linode was left offline."
BACKUP_DAYS = ("Scheduling", "Sunday", "Monday", "Tuesday", "Wednesday", "Thursday")
BACKUP_DAYS += ("Friday", "Saturday")
BACKUP_WINDOWS = ("Scheduling", *(f"W{hour}" for hour in range(0, 24, 2)))
ALERT_FIELDS = ("cpu", "io", "network_in", "network_out", "transfer_quota")


# -- helpers shared with the other instance modules ---------------------------


def load_or_404(conn: sqlite3.Connection, linode_id: int) -> dict[str, Any]:
    record = store_instances.load(fake().store, conn, linode_id)
    if record is None:
        raise not_found()
    return record


def require_settled(record: dict[str, Any]) -> None:
    """Reject an action unless the instance is `running` or `offline`."""
    if record["api"]["status"] not in store_instances.SETTLED:
        raise bad_request(BUSY_REASON)


# -- list and get --------------------------------------------------------------


# Ids or labels at most that a list request looks up in SQL instead of reading every
# row; it keeps the query under the 999 parameters older SQLite builds allow.
MAX_CANDIDATES = 900


@operation(api, "/linode/instances", "GET", scope="linodes:read_only", limit="collections")
def list_instances() -> dict[str, Any]:
    context = fake()
    header = request.headers.get("X-Filter")
    spec = store_instances.INSTANCE_FILTER
    ids = spec.candidates(header, "id", _is_integer)
    labels = spec.candidates(header, "label", lambda value: isinstance(value, str))
    with context.store.connection() as conn:
        records = _load_candidates(context, conn, ids, labels)
    items = [store_instances.render(record) for record in records]
    # The full filter still runs: the candidates only spare rendering the rest.
    return paginate(filter_items(items, spec))


def _is_integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _load_candidates(
    context: FakeContext,
    conn: sqlite3.Connection,
    ids: frozenset[Any] | None,
    labels: frozenset[Any] | None,
) -> list[dict[str, Any]]:
    """Load the instances whose id and label are among the candidates (None: any)."""
    if ids is not None and len(ids) > MAX_CANDIDATES:
        ids = None
    if labels is not None and len(labels) > MAX_CANDIDATES:
        labels = None
    if ids is None and labels is None:
        return store_instances.load_all(context.store, conn)
    if ids == frozenset() or labels == frozenset():
        return []  # conditions that no id or no label can meet together
    store_instances.settle(conn, context.store.now())
    conditions = []
    arguments: list[Any] = []
    for column, values in (("id", ids), ("label", labels)):
        if values is not None:
            conditions.append(f"{column} IN ({', '.join(['?'] * len(values))})")
            arguments.extend(sorted(values))
    rows = conn.execute(
        f"SELECT data FROM instances WHERE {' AND '.join(conditions)} ORDER BY id", arguments
    ).fetchall()
    return [json.loads(row["data"]) for row in rows]


@operation(api, "/linode/instances/<int:linode_id>", "GET", scope="linodes:read_only")
def get_instance(linode_id: int) -> dict[str, Any]:
    with fake().store.connection() as conn:
        record = load_or_404(conn, linode_id)
    return store_instances.render(record)


# -- create ----------------------------------------------------------------------


@operation(api, "/linode/instances", "POST", scope="linodes:read_write", limit="linode_create")
def create_instance() -> dict[str, Any]:
    context = fake()
    body = json_body()
    errors = FieldErrors()
    store = context.store

    linode_type, region, image = _check_catalog_fields(context, errors, body)

    label = body.get("label")
    if label is not None:
        check_label(errors, label, max_length=LABEL_MAX_LENGTH)
    tags = check_tags(errors, body)
    booted = check_bool(errors, body, "booted")
    private_ip = check_bool(errors, body, "private_ip")
    backups_enabled = check_bool(errors, body, "backups_enabled")
    swap_size = check_int(errors, body, "swap_size")
    if swap_size is not None and not 0 <= swap_size <= 8192:
        errors.add("swap_size", f"swap_size must be 0-8192 MB, got {swap_size}")
    group = check_str(errors, body, "group")
    firewall_id = check_int(errors, body, "firewall_id")
    if body.get("backup_id") is not None:
        errors.add("backup_id", "Restoring from a backup is not supported by this fake")
    interfaces = _check_interfaces(errors, body.get("interfaces"))
    placement_group = body.get("placement_group")
    if placement_group is not None and not isinstance(placement_group, dict):
        errors.add("placement_group", "placement_group must be an object with an id")
    elif placement_group is not None:
        group_id = placement_group.get("id")
        if isinstance(group_id, bool) or not isinstance(group_id, int):
            errors.add("placement_group.id", "placement_group.id must be an integer")
        else:
            # The fake's account has no placement groups, so every id is unknown.
            errors.add("placement_group.id", f"Placement group {group_id} not found")
    check_deploy_fields(context, errors, body, image, region)
    if image is None and body.get("root_pass") is not None and not errors.has("image"):
        errors.add("image", "image is required when root_pass is given")

    with store.connection() as conn:
        store_instances.settle(conn, context.now())
        if firewall_id is not None and not _firewall_exists(conn, firewall_id):
            errors.add("firewall_id", f"Firewall {firewall_id} not found")
        if isinstance(label, str) and store_instances.label_taken(conn, label):
            errors.add("label", LABEL_TAKEN_REASON)
        errors.raise_if_any()
        assert linode_type is not None and region is not None

        if store_instances.count(conn) >= context.settings.instance_limit:
            raise bad_request(LIMIT_REASON)

        now = context.now()
        linode_id = store.next_id("linode")
        if label is None:
            label = _generated_label(conn, linode_id)
        record = store_instances.new_record(
            linode_id=linode_id,
            label=label,
            linode_type=linode_type,
            region=region,
            image=image,
            tags=tags or [],
            group=group or "",
            private_ip=bool(private_ip),
            backups_enabled=bool(backups_enabled),
            has_user_data=bool((body.get("metadata") or {}).get("user_data")),
            now=now,
        )
        if image is not None:
            swap_mb = DEFAULT_SWAP_MB if swap_size is None else swap_size
            record["disks"] = store_instances.build_disks(store, linode_type, image, swap_mb, now)
            record["configs"] = [store_instances.build_config(store, image, record["disks"])]
            record["configs"][0]["interfaces"] = interfaces
        _schedule_create(context, conn, record, image, booted is not False, now)
        store_instances.insert(conn, record)
        if body.get("stackscript_id") is not None:
            from linode_fake.api.stackscripts import count_deployment

            count_deployment(conn, body["stackscript_id"])
        if firewall_id is not None:
            from linode_fake.api.firewalls import attach_device

            attach_device(store, conn, firewall_id, "linode", linode_id, label, now)

    logger.info("created Linode %d (%s, %s)", linode_id, linode_type["id"], region["id"])
    rate = context.settings.faults.lose_create_response
    if rate > 0 and context.random.random() < rate:
        logger.info("losing the response of the create of Linode %d (injected fault)", linode_id)
        request.environ[LOSE_RESPONSE_KEY] = True
    return store_instances.render(record)


# Type classes sold only in regions with the matching capability.
CLASS_CAPABILITIES = {"premium": "Premium Plans", "gpu": "GPU Linodes"}


def _check_catalog_fields(
    context: FakeContext, errors: FieldErrors, body: dict[str, Any]
) -> tuple[dict[str, Any] | None, dict[str, Any] | None, dict[str, Any] | None]:
    """Look up `type`, `region` and `image` in the catalog; return what exists."""
    store = context.store
    type_id = check_str(errors, body, "type")
    region_id = check_str(errors, body, "region")
    image_id = check_str(errors, body, "image")
    linode_type = region = image = None

    if type_id is None and not errors.has("type"):
        errors.add("type", "type is required")
    elif type_id is not None:
        linode_type = store.catalog_item("type", type_id)
        if linode_type is None:
            errors.add("type", f"A valid plan type by that ID was not found: {type_id!r}")

    if region_id is None and not errors.has("region"):
        errors.add("region", "region is required")
    elif region_id is not None:
        region = store.catalog_item("region", region_id)
        if region is None:
            errors.add("region", f"Region {region_id!r} not found; see GET /regions")

    if linode_type is not None and region is not None:
        needed = CLASS_CAPABILITIES.get(linode_type.get("class", ""))
        capabilities = region.get("capabilities", [])
        if "Linodes" not in capabilities or (needed and needed not in capabilities):
            errors.add(
                "type",
                f"Type {linode_type['id']} is not available in region {region['id']}; "
                "pick another type or region",
            )

    if image_id is not None:
        image = store.catalog_item("image", image_id)
        if image is None:
            errors.add("image", f"Image {image_id!r} not found; see GET /images")
        elif image.get("status", "available") != "available":
            errors.add("image", f"Image {image_id!r} is not available")
    return linode_type, region, image


def _firewall_exists(conn: sqlite3.Connection, firewall_id: int) -> bool:
    row = conn.execute("SELECT id FROM firewalls WHERE id = ?", (firewall_id,)).fetchone()
    return row is not None


def _generated_label(conn: sqlite3.Connection, linode_id: int) -> str:
    label = f"linode{linode_id}"
    suffix = 1
    while store_instances.label_taken(conn, label):
        suffix += 1
        label = f"linode{linode_id}-{suffix}"
    return label


def _check_interfaces(errors: FieldErrors, value: Any) -> list[dict[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list) or not 1 <= len(value) <= 3:
        errors.add("interfaces", "interfaces must be a list of 1 to 3 interface objects")
        return []
    result = []
    for index, interface in enumerate(value):
        field = f"interfaces[{index}].purpose"
        if not isinstance(interface, dict):
            errors.add(f"interfaces[{index}]", "each interface must be an object")
            continue
        purpose = interface.get("purpose")
        if purpose not in ("public", "vlan", "vpc"):
            errors.add(field, f"purpose must be 'public', 'vlan' or 'vpc', got {purpose!r}")
            continue
        if purpose == "vlan" and not interface.get("label"):
            errors.add(f"interfaces[{index}].label", "label is required for a vlan interface")
        result.append(
            {
                "id": 1000 + index,
                "purpose": purpose,
                "label": interface.get("label"),
                "ipam_address": interface.get("ipam_address"),
                "primary": bool(interface.get("primary", False)),
                "active": False,
                "subnet_id": interface.get("subnet_id"),
                "vpc_id": None,
                "ip_ranges": interface.get("ip_ranges"),
                "ipv4": interface.get("ipv4") or {"nat_1_1": None, "vpc": None},
            }
        )
    if sum(1 for item in result if item["purpose"] == "public") > 1:
        errors.add("interfaces", "Only one public interface is allowed")
    return result


def _schedule_create(
    context: FakeContext,
    conn: sqlite3.Connection,
    record: dict[str, Any],
    image: dict[str, Any] | None,
    booted: bool,
    now: float,
) -> None:
    """Set the create's status timeline and record its events."""
    settings = context.settings
    linode_id, label = record["api"]["id"], record["api"]["label"]
    entity = event_log.linode_entity(linode_id, label)
    if image is None:
        # An empty Linode has nothing to provision and stays offline.
        store_instances.set_status(record, "offline", now)
        event_log.record_event(
            context.store, conn, action="linode_create", entity=entity, start=now, end=now
        )
        return

    failure_rate = settings.faults.create_failure_rate
    failed = failure_rate > 0 and context.random.random() < failure_rate
    if failed:
        logger.info("provisioning of Linode %d will fail (injected fault)", linode_id)
    provision = settings.scaled(settings.timings["provision"])
    boot = settings.scaled(settings.timings["boot"])
    steps: list[tuple[float, str]] = [(0, "provisioning")]
    if booted and not failed:
        steps += [(provision, "booting"), (boot, "running")]
    else:
        steps.append((provision, "offline"))
    store_instances.schedule(record, now, steps)

    event_log.record_event(
        context.store,
        conn,
        action="linode_create",
        entity=entity,
        start=now,
        end=now + provision,
        secondary_entity=image_entity(image),
        message=CREATE_FAILED_MESSAGE if failed else None,
        failed=failed,
    )
    if booted and not failed:
        event_log.record_event(
            context.store,
            conn,
            action="linode_boot",
            entity=entity,
            start=now + provision,
            end=now + provision + boot,
        )


# -- update and delete -----------------------------------------------------------


@operation(api, "/linode/instances/<int:linode_id>", "PUT", scope="linodes:read_write")
def update_instance(linode_id: int) -> dict[str, Any]:
    context = fake()
    body = json_body()
    errors = FieldErrors()
    with context.store.connection() as conn:
        record = load_or_404(conn, linode_id)
        api_fields = record["api"]
        changes: dict[str, Any] = {}

        if "label" in body:
            label = body["label"]
            check_label(errors, label, max_length=LABEL_MAX_LENGTH)
            if isinstance(label, str) and store_instances.label_taken(conn, label, linode_id):
                errors.add("label", LABEL_TAKEN_REASON)
            changes["label"] = label
        if "tags" in body:
            changes["tags"] = check_tags(errors, body)
        if "group" in body:
            changes["group"] = check_str(errors, body, "group") or ""
        if "watchdog_enabled" in body:
            changes["watchdog_enabled"] = check_bool(errors, body, "watchdog_enabled")
        alerts = _check_alerts(errors, body.get("alerts"))
        schedule = _check_backup_schedule(errors, body.get("backups"))
        errors.raise_if_any()

        api_fields.update({key: value for key, value in changes.items() if value is not None})
        api_fields["alerts"].update(alerts)
        api_fields["backups"]["schedule"].update(schedule)
        now = context.now()
        api_fields["updated"] = format_datetime(now)
        store_instances.save(conn, record)
        event_log.record_event(
            context.store,
            conn,
            action="linode_update",
            entity=event_log.linode_entity(linode_id, api_fields["label"]),
            start=now,
            end=None,
        )
    return store_instances.render(record)


def _check_alerts(errors: FieldErrors, value: Any) -> dict[str, int]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        errors.add("alerts", "alerts must be an object")
        return {}
    result = {}
    for name in ALERT_FIELDS:
        if name in value:
            number = value[name]
            if isinstance(number, bool) or not isinstance(number, int) or number < 0:
                errors.add(f"alerts.{name}", f"alerts.{name} must be a non-negative integer")
            else:
                result[name] = number
    return result


def _check_backup_schedule(errors: FieldErrors, value: Any) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        errors.add("backups", "backups must be an object")
        return {}
    schedule = value.get("schedule")
    if schedule is not None and not isinstance(schedule, dict):
        errors.add("backups.schedule", "backups.schedule must be an object")
    if not isinstance(schedule, dict):
        return {}
    result = {}
    if "day" in schedule:
        if schedule["day"] not in BACKUP_DAYS:
            errors.add("backups.schedule.day", f"Invalid backup day {schedule['day']!r}")
        else:
            result["day"] = schedule["day"]
    if "window" in schedule:
        if schedule["window"] not in BACKUP_WINDOWS:
            errors.add("backups.schedule.window", f"Invalid backup window {schedule['window']!r}")
        else:
            result["window"] = schedule["window"]
    return result


@operation(api, "/linode/instances/<int:linode_id>", "DELETE", scope="linodes:read_write")
def delete_instance(linode_id: int) -> dict[str, Any]:
    context = fake()
    settings = context.settings
    with context.store.connection() as conn:
        record = load_or_404(conn, linode_id)
        if record["api"]["status"] == "deleting":
            raise bad_request(BUSY_REASON)
        now = context.now()
        duration = settings.scaled(settings.timings["delete"])
        store_instances.schedule(record, now, [(0, "deleting"), (duration, store_instances.GONE)])
        event_log.cancel_future_events(conn, "linode", linode_id, now)
        store_instances.save(conn, record)
        event_log.record_event(
            context.store,
            conn,
            action="linode_delete",
            entity=event_log.linode_entity(linode_id, record["api"]["label"]),
            start=now,
            end=now + duration,
        )
    logger.info("deleting Linode %d", linode_id)
    return {}
