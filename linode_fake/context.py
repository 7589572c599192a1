"""The objects every view needs, kept on the Flask app."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from typing import Any

from flask import current_app, request

from linode_fake.errors import ApiError
from linode_fake.ratelimit import RateLimiter
from linode_fake.requestlog import RequestLog
from linode_fake.settings import FakeSettings
from linode_fake.store import Store

EXTENSION_KEY = "linode_fake"


@dataclass
class FakeContext:
    store: Store
    settings: FakeSettings
    limiter: RateLimiter
    request_log: RequestLog
    random: random.Random = field(default_factory=random.Random)

    def now(self) -> float:
        return self.store.now()


def fake() -> FakeContext:
    """Return the context of the app serving the current request."""
    context: FakeContext = current_app.extensions[EXTENSION_KEY]
    return context


def json_body(*, required: bool = True) -> dict[str, Any]:
    """Parse the request body as a JSON object.

    An empty body is `{}` when the operation's body is optional. Malformed
    JSON and anything but an object are 400s.
    """
    raw = request.get_data(cache=True)
    if not raw.strip():
        if required:
            raise ApiError(400, "A request body is required; send a JSON object")
        return {}
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "Invalid JSON in request body; send a JSON object") from None
    if not isinstance(body, dict):
        raise ApiError(400, "The request body must be a JSON object")
    return body
