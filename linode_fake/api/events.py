"""Account events: list, get, mark seen and mark read."""

from __future__ import annotations

from typing import Any

from linode_fake import events as event_log
from linode_fake.api.blueprint import api
from linode_fake.context import fake
from linode_fake.errors import not_found
from linode_fake.filtering import filter_items
from linode_fake.pagination import paginate
from linode_fake.routing import operation


@operation(api, "/account/events", "GET", scope="events:read_only", limit="collections")
def list_events() -> dict[str, Any]:
    context = fake()
    items = event_log.visible_events(context.store, context.now())
    return paginate(filter_items(items, event_log.EVENT_FILTER))


@operation(api, "/account/events/<int:event_id>", "GET", scope="events:read_only")
def get_event(event_id: int) -> dict[str, Any]:
    context = fake()
    event = event_log.load_event(context.store, event_id, context.now())
    if event is None:
        raise not_found()
    return event


@operation(api, "/account/events/<int:event_id>/seen", "POST", scope="events:read_only")
def mark_event_seen(event_id: int) -> dict[str, Any]:
    context = fake()
    if event_log.load_event(context.store, event_id, context.now()) is None:
        raise not_found()
    event_log.mark_seen(context.store, event_id)
    return {}


@operation(api, "/account/events/<int:event_id>/read", "POST", scope="events:read_only")
def mark_event_read(event_id: int) -> dict[str, Any]:
    context = fake()
    if event_log.load_event(context.store, event_id, context.now()) is None:
        raise not_found()
    event_log.mark_read(context.store, event_id)
    return {}
