"""SQLite-backed state of the fake: tokens, catalog, instances, events and more.

One connection serves every thread. `connection()` holds a re-entrant lock for
the whole block and commits when the outermost block ends, so each request's
reads and writes form one transaction. With a file path the state survives a
restart, the fake clock's offset included.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from linode_fake.clock import FakeClock

logger = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS tokens (
    token TEXT PRIMARY KEY,
    scopes TEXT NOT NULL,
    expires_at REAL,
    revoked INTEGER NOT NULL DEFAULT 0,
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS catalog (
    kind TEXT NOT NULL,
    id TEXT NOT NULL,
    position INTEGER NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (kind, id)
);
CREATE TABLE IF NOT EXISTS instances (
    id INTEGER PRIMARY KEY,
    label TEXT NOT NULL UNIQUE,
    next_change_at REAL,
    data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS instances_next_change ON instances (next_change_at);
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY,
    created REAL NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_created ON events (created);
CREATE TABLE IF NOT EXISTS stackscripts (
    id INTEGER PRIMARY KEY,
    data TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS firewalls (
    id INTEGER PRIMARY KEY,
    label TEXT NOT NULL UNIQUE,
    data TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS firewall_devices (
    id INTEGER PRIMARY KEY,
    firewall_id INTEGER NOT NULL,
    entity_type TEXT NOT NULL,
    entity_id INTEGER NOT NULL,
    data TEXT NOT NULL,
    UNIQUE (entity_type, entity_id)
);
"""

# First id handed out per kind, so ids look like the real API's large integers.
ID_STARTS = {
    "linode": 61000001,
    "event": 800000001,
    "disk": 110000001,
    "config": 65000001,
    "stackscript": 1400001,
    "firewall": 900001,
    "firewall_device": 500001,
}

CLOCK_OFFSET_KEY = "clock_offset"


class Store:
    """The fake's persistent state in one SQLite database.

    `path=None` keeps the database in memory (gone when the process ends).
    """

    def __init__(self, path: str | None = None) -> None:
        self.path = path
        if path:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._depth = 0
        self._conn = sqlite3.connect(
            path or ":memory:", check_same_thread=False, isolation_level="DEFERRED"
        )
        self._conn.row_factory = sqlite3.Row
        if path:
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.executescript(SCHEMA)
        self._conn.commit()
        offset = float(self.get_meta(CLOCK_OFFSET_KEY, 0.0))
        self.clock = FakeClock(offset, on_change=self._save_clock_offset)

    # -- connection and transactions --------------------------------------

    @contextmanager
    def connection(self) -> Iterator[sqlite3.Connection]:
        """Yield the connection under the store's lock as one transaction.

        Blocks nest: only the outermost one commits, or rolls back on error.
        """
        with self._lock:
            self._depth += 1
            try:
                yield self._conn
            except BaseException:
                if self._depth == 1:
                    self._conn.rollback()
                raise
            else:
                if self._depth == 1:
                    self._conn.commit()
            finally:
                self._depth -= 1

    def close(self) -> None:
        """Close the database connection."""
        with self._lock:
            self._conn.close()

    def now(self) -> float:
        """Return the fake clock's time in epoch seconds."""
        return self.clock.now()

    def _save_clock_offset(self, offset: float) -> None:
        self.set_meta(CLOCK_OFFSET_KEY, offset)

    # -- meta values and ids ------------------------------------------------

    def get_meta(self, key: str, default: Any = None) -> Any:
        """Return the JSON value stored under `key`, or `default`."""
        with self.connection() as conn:
            row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return default if row is None else json.loads(row["value"])

    def set_meta(self, key: str, value: Any) -> None:
        """Store a JSON-serialisable value under `key`."""
        with self.connection() as conn:
            conn.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, json.dumps(value)),
            )

    def next_id(self, kind: str) -> int:
        """Allocate the next integer id for `kind` (a key of ID_STARTS)."""
        key = f"next_id:{kind}"
        with self.connection():
            value = int(self.get_meta(key, ID_STARTS[kind]))
            self.set_meta(key, value + 1)
        return value

    # -- tokens ---------------------------------------------------------------

    def add_token(self, token: str, scopes: str, expires_at: float | None = None) -> None:
        """Accept `token` with the given space- or comma-separated scopes."""
        if not token or any(ch.isspace() for ch in token):
            raise ValueError("a token must be a non-empty string without whitespace")
        with self.connection() as conn:
            conn.execute(
                "INSERT INTO tokens (token, scopes, expires_at, revoked, created) "
                "VALUES (?, ?, ?, 0, ?) ON CONFLICT (token) DO UPDATE SET "
                "scopes = excluded.scopes, expires_at = excluded.expires_at, revoked = 0",
                (token, scopes, expires_at, self.now()),
            )

    def revoke_token(self, token: str) -> bool:
        """Revoke `token`; return whether it existed."""
        with self.connection() as conn:
            cursor = conn.execute("UPDATE tokens SET revoked = 1 WHERE token = ?", (token,))
        return cursor.rowcount > 0

    def token_scopes(self, token: str) -> str | None:
        """Return the scopes of a live token, or None when it is unknown,
        revoked or expired."""
        with self.connection() as conn:
            row = conn.execute(
                "SELECT scopes, expires_at, revoked FROM tokens WHERE token = ?", (token,)
            ).fetchone()
        if row is None or row["revoked"]:
            return None
        if row["expires_at"] is not None and row["expires_at"] <= self.now():
            return None
        return str(row["scopes"])

    # -- catalog (regions, types, images) -----------------------------------

    def catalog_is_empty(self) -> bool:
        """Return whether no region, type or image has been stored yet."""
        with self.connection() as conn:
            row = conn.execute("SELECT COUNT(*) AS n FROM catalog").fetchone()
        return int(row["n"]) == 0

    def replace_catalog(self, kind: str, items: Iterable[dict[str, Any]]) -> int:
        """Replace every catalog item of `kind` ("region", "type" or "image")."""
        count = 0
        with self.connection() as conn:
            conn.execute("DELETE FROM catalog WHERE kind = ?", (kind,))
            for position, item in enumerate(items):
                conn.execute(
                    "INSERT INTO catalog (kind, id, position, data) VALUES (?, ?, ?, ?)",
                    (kind, item["id"], position, json.dumps(item)),
                )
                count += 1
        return count

    def catalog_items(self, kind: str) -> list[dict[str, Any]]:
        """Return the catalog items of `kind` in their stored order."""
        with self.connection() as conn:
            rows = conn.execute(
                "SELECT data FROM catalog WHERE kind = ? ORDER BY position", (kind,)
            ).fetchall()
        return [json.loads(row["data"]) for row in rows]

    def catalog_item(self, kind: str, item_id: str) -> dict[str, Any] | None:
        """Return one catalog item, or None when `item_id` is unknown."""
        with self.connection() as conn:
            row = conn.execute(
                "SELECT data FROM catalog WHERE kind = ? AND id = ?", (kind, item_id)
            ).fetchone()
        return None if row is None else json.loads(row["data"])
