"""StackScripts: list, create, get, update and delete."""

from __future__ import annotations

import json
from typing import Any

from linode_fake.context import fake


def load_stackscript(stackscript_id: int) -> dict[str, Any] | None:
    """Return a stored StackScript, or None."""
    with fake().store.connection() as conn:
        row = conn.execute(
            "SELECT data FROM stackscripts WHERE id = ?", (stackscript_id,)
        ).fetchone()
    return None if row is None else json.loads(row["data"])
