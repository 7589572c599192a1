"""Power and maintenance actions on an instance: boot, reboot, shutdown,
rebuild, password reset and resize.

Each action needs the instance `running` or `offline` (otherwise 400
"Linode busy."), sets a status timeline on the fake clock and records the
matching event.
"""

from __future__ import annotations

import logging
import sqlite3
from typing import Any

from linode_fake import events as event_log
from linode_fake import instances as store_instances
from linode_fake.api.blueprint import api
from linode_fake.api.deploy import check_deploy_fields, image_entity
from linode_fake.api.instances import load_or_404, require_settled
from linode_fake.clock import format_datetime
from linode_fake.context import FakeContext, fake, json_body
from linode_fake.errors import FieldErrors, bad_request
from linode_fake.routing import operation
from linode_fake.validation import check_bool, check_int, check_str

logger = logging.getLogger(__name__)

Record = dict[str, Any]


def _phase(context: FakeContext, name: str) -> float:
    return context.settings.scaled(context.settings.timings[name])


def _event(
    context: FakeContext,
    conn: sqlite3.Connection,
    record: Record,
    action: str,
    start: float,
    end: float,
    secondary_entity: dict[str, Any] | None = None,
) -> None:
    entity = event_log.linode_entity(record["api"]["id"], record["api"]["label"])
    event_log.record_event(
        context.store,
        conn,
        action=action,
        entity=entity,
        start=start,
        end=end,
        secondary_entity=secondary_entity,
    )


def _config_entity(record: Record, config_id: int | None) -> dict[str, Any] | None:
    for config in record["configs"]:
        if config_id is None or config["id"] == config_id:
            return {
                "id": str(config["id"]),
                "label": config["label"],
                "type": "linode_config",
                "url": f"/v4/linode/instances/{record['api']['id']}/configs/{config['id']}",
            }
    return None


def _check_config_id(record: Record) -> int | None:
    """Read the optional `config_id` of boot and reboot and check it exists."""
    body = json_body(required=False)
    errors = FieldErrors()
    config_id = check_int(errors, body, "config_id")
    errors.raise_if_any()
    if config_id is not None and not any(c["id"] == config_id for c in record["configs"]):
        raise bad_request(f"Config {config_id} not found on this Linode", "config_id")
    if not record["configs"]:
        raise bad_request("This Linode has no config profile to boot; create one first")
    return config_id


@operation(api, "/linode/instances/<int:linode_id>/boot", "POST", scope="linodes:read_write")
def boot_instance(linode_id: int) -> dict[str, Any]:
    context = fake()
    with context.store.connection() as conn:
        record = load_or_404(conn, linode_id)
        require_settled(record)
        config_id = _check_config_id(record)
        now = context.now()
        duration = _phase(context, "boot")
        if record["api"]["status"] == "offline":
            store_instances.schedule(record, now, [(0, "booting"), (duration, "running")])
        else:
            duration = 0.0  # already running: the boot job finishes at once
        store_instances.save(conn, record)
        _event(
            context,
            conn,
            record,
            "linode_boot",
            now,
            now + duration,
            _config_entity(record, config_id),
        )
    return {}


@operation(api, "/linode/instances/<int:linode_id>/reboot", "POST", scope="linodes:read_write")
def reboot_instance(linode_id: int) -> dict[str, Any]:
    context = fake()
    with context.store.connection() as conn:
        record = load_or_404(conn, linode_id)
        require_settled(record)
        config_id = _check_config_id(record)
        now = context.now()
        if record["api"]["status"] == "running":
            duration = _phase(context, "reboot")
            store_instances.schedule(record, now, [(0, "rebooting"), (duration, "running")])
        else:
            duration = _phase(context, "boot")
            store_instances.schedule(record, now, [(0, "booting"), (duration, "running")])
        store_instances.save(conn, record)
        _event(
            context,
            conn,
            record,
            "linode_reboot",
            now,
            now + duration,
            _config_entity(record, config_id),
        )
    return {}


@operation(api, "/linode/instances/<int:linode_id>/shutdown", "POST", scope="linodes:read_write")
def shutdown_instance(linode_id: int) -> dict[str, Any]:
    context = fake()
    with context.store.connection() as conn:
        record = load_or_404(conn, linode_id)
        require_settled(record)
        now = context.now()
        duration = 0.0
        if record["api"]["status"] == "running":
            duration = _phase(context, "shutdown")
            store_instances.schedule(record, now, [(0, "shutting_down"), (duration, "offline")])
            store_instances.save(conn, record)
        _event(context, conn, record, "linode_shutdown", now, now + duration)
    return {}


@operation(api, "/linode/instances/<int:linode_id>/password", "POST", scope="linodes:read_write")
def reset_root_password(linode_id: int) -> dict[str, Any]:
    context = fake()
    body = json_body()
    errors = FieldErrors()
    if body.get("root_pass") is None:
        errors.add("root_pass", "root_pass is required")
    else:
        from linode_fake.validation import check_root_pass

        check_root_pass(errors, body["root_pass"], context.settings.password_min_score)
    with context.store.connection() as conn:
        record = load_or_404(conn, linode_id)
        require_settled(record)
        errors.raise_if_any()
        if record["api"]["status"] != "offline":
            raise bad_request("Linode must be shut down to reset its root password")
        if not record["disks"]:
            raise bad_request("This Linode has no disk whose root password could be reset")
        now = context.now()
        _event(
            context, conn, record, "password_reset", now, now + _phase(context, "password_reset")
        )
    return {}


@operation(api, "/linode/instances/<int:linode_id>/rebuild", "POST", scope="linodes:read_write")
def rebuild_instance(linode_id: int) -> dict[str, Any]:
    context = fake()
    store = context.store
    body = json_body()
    errors = FieldErrors()

    image_id = check_str(errors, body, "image")
    image = None
    if image_id is None and not errors.has("image"):
        errors.add("image", "image is required")
    elif image_id is not None:
        image = store.catalog_item("image", image_id)
        if image is None:
            errors.add("image", f"Image {image_id!r} not found; see GET /images")
    booted = check_bool(errors, body, "booted")
    new_type = None
    type_id = check_str(errors, body, "type")
    if type_id is not None:
        new_type = store.catalog_item("type", type_id)
        if new_type is None:
            errors.add("type", f"A valid plan type by that ID was not found: {type_id!r}")

    with store.connection() as conn:
        record = load_or_404(conn, linode_id)
        region = store.catalog_item("region", record["api"]["region"])
        check_deploy_fields(context, errors, body, image, region, root_pass_required=True)
        require_settled(record)
        errors.raise_if_any()
        assert image is not None

        now = context.now()
        linode_type = new_type or store.catalog_item("type", record["api"]["type"])
        assert linode_type is not None
        if new_type is not None:
            _apply_type(record, new_type)
        record["disks"] = store_instances.build_disks(store, linode_type, image, 512, now)
        record["configs"] = [store_instances.build_config(store, image, record["disks"])]
        record["api"]["image"] = image["id"]
        if isinstance(body.get("metadata"), dict) and body["metadata"].get("user_data"):
            record["api"]["has_user_data"] = True

        rebuild = _phase(context, "rebuild")
        steps: list[tuple[float, str]] = [(0, "rebuilding")]
        if booted is not False:
            steps += [(rebuild, "booting"), (_phase(context, "boot"), "running")]
        else:
            steps.append((rebuild, "offline"))
        store_instances.schedule(record, now, steps)
        store_instances.save(conn, record)
        _event(context, conn, record, "linode_rebuild", now, now + rebuild, image_entity(image))
    logger.info("rebuilding Linode %d with %s", linode_id, image["id"])
    return store_instances.render(record)


def _apply_type(record: Record, linode_type: dict[str, Any]) -> None:
    api_fields = record["api"]
    api_fields["type"] = linode_type["id"]
    api_fields["specs"] = {
        "disk": int(linode_type["disk"]),
        "memory": int(linode_type["memory"]),
        "vcpus": int(linode_type["vcpus"]),
        "gpus": int(linode_type.get("gpus", 0)),
        "transfer": int(linode_type["transfer"]),
    }


@operation(api, "/linode/instances/<int:linode_id>/resize", "POST", scope="linodes:read_write")
def resize_instance(linode_id: int) -> dict[str, Any]:
    context = fake()
    store = context.store
    body = json_body()
    errors = FieldErrors()
    type_id = check_str(errors, body, "type")
    new_type = None
    if type_id is None and not errors.has("type"):
        errors.add("type", "type is required")
    elif type_id is not None:
        new_type = store.catalog_item("type", type_id)
        if new_type is None:
            errors.add("type", f"A valid plan type by that ID was not found: {type_id!r}")
    auto_resize = check_bool(errors, body, "allow_auto_disk_resize")
    migration_type = body.get("migration_type", "cold")
    if migration_type not in ("warm", "cold"):
        errors.add(
            "migration_type", f"migration_type must be 'warm' or 'cold', got {migration_type!r}"
        )

    with store.connection() as conn:
        record = load_or_404(conn, linode_id)
        require_settled(record)
        errors.raise_if_any()
        assert new_type is not None
        if new_type["id"] == record["api"]["type"]:
            raise bad_request("Linode is already this type", "type")
        used = sum(int(disk["size"]) for disk in record["disks"])
        if used > int(new_type["disk"]) and auto_resize is False:
            raise bad_request(
                f"The Linode's disks use {used} MB, more than the {new_type['disk']} MB of "
                f"{new_type['id']}; shrink the disks first or allow auto disk resize",
                "type",
            )
        now = context.now()
        was_running = record["api"]["status"] == "running"
        resize = _phase(context, "resize")
        _apply_type(record, new_type)
        if record["disks"] and auto_resize is not False:
            swap = sum(int(d["size"]) for d in record["disks"] if d["filesystem"] == "swap")
            record["disks"][0]["size"] = max(0, int(new_type["disk"]) - swap)
            record["disks"][0]["updated"] = format_datetime(now)
        # NOTE: warm and cold resizes take the same path here. A real warm
        # resize keeps the Linode running until the migration ends.
        steps: list[tuple[float, str]] = [(0, "migrating")]
        if was_running:
            # The resize event finishes when the migration does, before the boot.
            steps += [(resize, "booting"), (_phase(context, "boot"), "running")]
        else:
            steps.append((resize, "offline"))
        store_instances.schedule(record, now, steps)
        store_instances.save(conn, record)
        _event(context, conn, record, "linode_resize", now, now + resize)
    logger.info("resizing Linode %d to %s", linode_id, new_type["id"])
    return {}
