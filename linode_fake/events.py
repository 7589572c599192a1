"""Account events: what happened to which entity, with progress over time.

An event stores its start and end on the fake clock. Its `status` and
`percent_complete` are worked out when it is read: `started` with a share of
100 while the clock is between the two, `finished` and 100 afterwards. An
event is hidden until its start, so the `linode_boot` that follows a create
appears when provisioning ends.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from typing import Any

from linode_fake.clock import format_datetime
from linode_fake.filtering import FilterSpec
from linode_fake.store import Store

logger = logging.getLogger(__name__)

# The API keeps events for 90 days.
RETENTION_SECONDS = 90 * 24 * 3600

EVENT_FILTER = FilterSpec(["action", "created", "entity.id", "entity.type", "id", "read"])

USERNAME = "fake-operator"
FAILED_PERCENT = 50


def linode_entity(linode_id: int, label: str) -> dict[str, Any]:
    return {
        "id": linode_id,
        "label": label,
        "type": "linode",
        "url": f"/v4/linode/instances/{linode_id}",
    }


def record_event(
    store: Store,
    conn: sqlite3.Connection,
    *,
    action: str,
    entity: dict[str, Any] | None,
    start: float,
    end: float | None,
    secondary_entity: dict[str, Any] | None = None,
    message: str | None = None,
    failed: bool = False,
) -> int:
    """Store one event; `end=None` makes it a one-off `notification`, and
    `failed=True` makes it end `failed` instead of `finished`."""
    event_id = store.next_id("event")
    data = {
        "id": event_id,
        "action": action,
        "start": start,
        "end": end,
        "entity": entity,
        "secondary_entity": secondary_entity,
        "message": message,
        "failed": failed,
        "seen": False,
        "read": False,
        "username": USERNAME,
    }
    conn.execute(
        "INSERT INTO events (id, created, data) VALUES (?, ?, ?)",
        (event_id, start, json.dumps(data)),
    )
    return event_id


def cancel_future_events(
    conn: sqlite3.Connection, entity_type: str, entity_id: int, now: float
) -> None:
    """Delete the entity's events that have not started yet, e.g. the boot
    that would follow a create when the Linode is deleted first."""
    conn.execute(
        "DELETE FROM events WHERE created > ? AND json_extract(data, '$.entity.type') = ? "
        "AND json_extract(data, '$.entity.id') = ?",
        (now, entity_type, entity_id),
    )


def render_event(data: dict[str, Any], now: float) -> dict[str, Any]:
    """Build the API's Event object as it reads at time `now`."""
    start, end = data["start"], data["end"]
    if end is None:
        status, percent, duration = "notification", None, 0.0
    elif now >= end and data.get("failed"):
        # A failed job keeps the progress it had; the fake puts it at half way.
        status, percent, duration = "failed", FAILED_PERCENT, end - start
    elif now >= end:
        status, percent, duration = "finished", 100, end - start
    elif now < start:
        status, percent, duration = "scheduled", 0, 0.0
    else:
        share = (now - start) / (end - start) if end > start else 1.0
        status, percent, duration = "started", min(99, int(share * 100)), now - start
    return {
        "id": data["id"],
        "action": data["action"],
        "created": format_datetime(start),
        "duration": round(duration, 2),
        "entity": data["entity"],
        "secondary_entity": data["secondary_entity"],
        "message": data["message"],
        "percent_complete": percent,
        "rate": None,
        "read": data["read"],
        "seen": data["seen"],
        "status": status,
        "time_remaining": None,
        "username": data["username"],
    }


def visible_events(store: Store, now: float) -> list[dict[str, Any]]:
    """Return the events of the last 90 days that have started, newest first."""
    with store.connection() as conn:
        rows = conn.execute(
            "SELECT data FROM events WHERE created <= ? AND created >= ? ORDER BY id DESC",
            (now, now - RETENTION_SECONDS),
        ).fetchall()
    return [render_event(json.loads(row["data"]), now) for row in rows]


def load_event(store: Store, event_id: int, now: float) -> dict[str, Any] | None:
    """Return one visible event, or None when it is unknown or not started."""
    with store.connection() as conn:
        row = conn.execute(
            "SELECT data FROM events WHERE id = ? AND created <= ?", (event_id, now)
        ).fetchone()
    return None if row is None else render_event(json.loads(row["data"]), now)


def mark_seen(store: Store, event_id: int) -> None:
    """Mark the event and every earlier one as seen."""
    with store.connection() as conn:
        rows = conn.execute("SELECT id, data FROM events WHERE id <= ?", (event_id,)).fetchall()
        for row in rows:
            data = json.loads(row["data"])
            if not data["seen"]:
                data["seen"] = True
                conn.execute(
                    "UPDATE events SET data = ? WHERE id = ?", (json.dumps(data), row["id"])
                )


def mark_read(store: Store, event_id: int) -> None:
    """Mark one event as read."""
    with store.connection() as conn:
        row = conn.execute("SELECT data FROM events WHERE id = ?", (event_id,)).fetchone()
        if row is not None:
            data = json.loads(row["data"])
            data["read"] = True
            conn.execute("UPDATE events SET data = ? WHERE id = ?", (json.dumps(data), event_id))
