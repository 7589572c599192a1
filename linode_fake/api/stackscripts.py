"""StackScripts: list, create, get, update and delete.

Every StackScript here belongs to the token owner (`mine: true`). Callers
without a token see the public ones only.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from typing import Any

from flask import g

from linode_fake import events as event_log
from linode_fake.api.blueprint import api
from linode_fake.clock import format_datetime
from linode_fake.context import fake, json_body
from linode_fake.errors import ApiError, FieldErrors, not_found
from linode_fake.filtering import FilterSpec, filter_items
from linode_fake.pagination import paginate
from linode_fake.routing import operation
from linode_fake.validation import check_bool, check_str, check_str_list

logger = logging.getLogger(__name__)

STACKSCRIPT_FILTER = FilterSpec(
    ["deployments_total", "description", "is_public", "label", "mine", "rev_note"]
)
UDF_TAG = re.compile(r"<UDF\s+([^>]*?)/?>", re.IGNORECASE)
UDF_ATTRIBUTE = re.compile(r'(\w+)\s*=\s*"([^"]*)"')
UDF_KEYS = ("name", "label", "example", "default", "oneOf", "manyOf")
MAX_SCRIPT_LENGTH = 1_048_576


def load_stackscript(stackscript_id: int) -> dict[str, Any] | None:
    """Return a stored StackScript, or None."""
    with fake().store.connection() as conn:
        row = conn.execute(
            "SELECT data FROM stackscripts WHERE id = ?", (stackscript_id,)
        ).fetchone()
    return None if row is None else json.loads(row["data"])


def udf_tags(script: str) -> list[dict[str, str]]:
    """Read the attributes of each `<UDF name=... label=... />` tag of a script."""
    tags = []
    for match in UDF_TAG.finditer(script):
        attributes = dict(UDF_ATTRIBUTE.findall(match.group(1)))
        if "name" in attributes:
            tags.append(attributes)
    return tags


def parse_user_defined_fields(script: str) -> list[dict[str, str]]:
    """Build the `user_defined_fields` list: every key present, "" when the tag omits it."""
    return [{key: tag.get(key, "") for key in UDF_KEYS} for tag in udf_tags(script)]


def required_udf_names(script: str) -> list[str]:
    """Return the names of the UDFs without a default, which a deploy must supply."""
    return [tag["name"] for tag in udf_tags(script) if "default" not in tag]


def _check_fields(body: dict[str, Any], *, creating: bool) -> tuple[FieldErrors, dict[str, Any]]:
    errors = FieldErrors()
    changes: dict[str, Any] = {}
    label = check_str(errors, body, "label")
    if label is not None:
        if not 3 <= len(label) <= 128:
            errors.add("label", f"label must be 3-128 characters, got {len(label)}")
        changes["label"] = label
    elif creating and not errors.has("label"):
        errors.add("label", "label is required")

    images = check_str_list(errors, body, "images")
    if images is not None:
        if not images:
            errors.add("images", "images must name at least one image, or 'any/all'")
        for image_id in images:
            if image_id != "any/all" and fake().store.catalog_item("image", image_id) is None:
                errors.add("images", f"Image {image_id!r} not found; see GET /images")
        changes["images"] = images
    elif creating and not errors.has("images"):
        errors.add("images", "images is required")

    script = check_str(errors, body, "script")
    if script is not None:
        if not script.startswith("#!"):
            errors.add("script", "script must start with an interpreter line such as #!/bin/bash")
        elif len(script) > MAX_SCRIPT_LENGTH:
            errors.add("script", f"script must be at most {MAX_SCRIPT_LENGTH} characters")
        changes["script"] = script
    elif creating and not errors.has("script"):
        errors.add("script", "script is required")

    for name in ("description", "rev_note"):
        value = check_str(errors, body, name)
        if value is not None:
            changes[name] = value
    is_public = check_bool(errors, body, "is_public")
    if is_public is not None:
        changes["is_public"] = is_public
    return errors, changes


def _visible(script: dict[str, Any]) -> bool:
    return bool(script["is_public"]) or not g.caller.anonymous


def _all_stackscripts() -> list[dict[str, Any]]:
    with fake().store.connection() as conn:
        rows = conn.execute("SELECT data FROM stackscripts ORDER BY id").fetchall()
    return [json.loads(row["data"]) for row in rows]


@operation(
    api,
    "/linode/stackscripts",
    "GET",
    scope="stackscripts:read_only",
    anonymous=True,
    limit="stackscripts_list",
)
def list_stackscripts() -> dict[str, Any]:
    items = [script for script in _all_stackscripts() if _visible(script)]
    return paginate(filter_items(items, STACKSCRIPT_FILTER))


@operation(api, "/linode/stackscripts", "POST", scope="stackscripts:read_write")
def create_stackscript() -> dict[str, Any]:
    context = fake()
    errors, fields = _check_fields(json_body(), creating=True)
    errors.raise_if_any()
    now = context.now()
    with context.store.connection() as conn:
        stackscript_id = context.store.next_id("stackscript")
        created = format_datetime(now)
        script = {
            "id": stackscript_id,
            "label": fields["label"],
            "description": fields.get("description", ""),
            "images": fields["images"],
            "script": fields["script"],
            "is_public": fields.get("is_public", False),
            "rev_note": fields.get("rev_note", ""),
            "mine": True,
            "deployments_total": 0,
            "deployments_active": 0,
            "created": created,
            "updated": created,
            "username": event_log.USERNAME,
            "user_gravatar_id": hashlib.md5(event_log.USERNAME.encode()).hexdigest(),  # noqa: S324
            "user_defined_fields": parse_user_defined_fields(fields["script"]),
        }
        conn.execute(
            "INSERT INTO stackscripts (id, data) VALUES (?, ?)",
            (stackscript_id, json.dumps(script)),
        )
        _record(conn, "stackscript_create", script, now)
    logger.info("created StackScript %d", stackscript_id)
    return script


def _record(conn: Any, action: str, script: dict[str, Any], now: float) -> None:
    entity = {
        "id": script["id"],
        "label": script["label"],
        "type": "stackscript",
        "url": f"/v4/linode/stackscripts/{script['id']}",
    }
    event_log.record_event(fake().store, conn, action=action, entity=entity, start=now, end=now)


@operation(
    api,
    "/linode/stackscripts/<int:stackscript_id>",
    "GET",
    scope="stackscripts:read_only",
    anonymous=True,
)
def get_stackscript(stackscript_id: int) -> dict[str, Any]:
    script = load_stackscript(stackscript_id)
    if script is None or not _visible(script):
        raise not_found()
    return script


@operation(api, "/linode/stackscripts/<int:stackscript_id>", "PUT", scope="stackscripts:read_write")
def update_stackscript(stackscript_id: int) -> dict[str, Any]:
    context = fake()
    errors, changes = _check_fields(json_body(), creating=False)
    with context.store.connection() as conn:
        script = load_stackscript(stackscript_id)
        if script is None:
            raise not_found()
        if script["is_public"] and changes.get("is_public") is False:
            errors.add("is_public", "A public StackScript cannot be made private again")
        errors.raise_if_any()
        now = context.now()
        script.update(changes)
        if "script" in changes:
            script["user_defined_fields"] = parse_user_defined_fields(changes["script"])
        script["updated"] = format_datetime(now)
        conn.execute(
            "UPDATE stackscripts SET data = ? WHERE id = ?", (json.dumps(script), stackscript_id)
        )
        _record(conn, "stackscript_update", script, now)
    return script


@operation(
    api, "/linode/stackscripts/<int:stackscript_id>", "DELETE", scope="stackscripts:read_write"
)
def delete_stackscript(stackscript_id: int) -> dict[str, Any]:
    context = fake()
    with context.store.connection() as conn:
        script = load_stackscript(stackscript_id)
        if script is None:
            raise not_found()
        if script["is_public"] and script["deployments_active"] > 0:
            raise ApiError(400, "A public StackScript with active deployments cannot be deleted")
        conn.execute("DELETE FROM stackscripts WHERE id = ?", (stackscript_id,))
        _record(conn, "stackscript_delete", script, context.now())
    return {}


def count_deployment(conn: Any, stackscript_id: int) -> None:
    """Add one deployment to a StackScript's counters (a create or rebuild used it)."""
    row = conn.execute("SELECT data FROM stackscripts WHERE id = ?", (stackscript_id,)).fetchone()
    if row is None:
        return
    script = json.loads(row["data"])
    script["deployments_total"] += 1
    script["deployments_active"] += 1
    conn.execute(
        "UPDATE stackscripts SET data = ? WHERE id = ?", (json.dumps(script), stackscript_id)
    )
