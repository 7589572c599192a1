"""Helpers that wait, with a timeout, for a Linode's status or for an event to finish.

Waiting for an event works in two steps. `EventWatcher` records the id of the
newest matching event before the action is sent. After the action, `wait()`
polls for a matching event with a larger id and follows it until it finishes.
Event ids grow with time, so comparing ids finds the new event however many
older events the entity has, including events created within the same second
as the action (timestamps only have whole seconds).
NOTE: the spec does not promise increasing event ids; Linode and the fake
allocate them in order, and this module relies on that.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, TypeVar

from linode_api.errors import EventFailedError, WaitTimeoutError
from linode_api.objects.account import Event
from linode_api.objects.base import ApiObject

if TYPE_CHECKING:
    from linode_api.client import LinodeClient

logger = logging.getLogger(__name__)

O = TypeVar("O", bound=ApiObject)  # noqa: E741

DEFAULT_TIMEOUT = 600.0
DEFAULT_POLL_INTERVAL = 5.0
_EVENT_DONE_STATUSES = frozenset({"finished", "notification"})


def _check_wait_settings(timeout: float, poll_interval: float) -> None:
    if timeout <= 0:
        raise ValueError(f"timeout {timeout!r} must be a positive number of seconds")
    if poll_interval <= 0:
        raise ValueError(f"poll_interval {poll_interval!r} must be a positive number of seconds")


def wait_for_status(
    obj: O,
    status: str | Iterable[str],
    *,
    timeout: float = DEFAULT_TIMEOUT,
    poll_interval: float = DEFAULT_POLL_INTERVAL,
    progress: Callable[[str], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> O:
    """Reload `obj` (a Linode, for example) until its `status` is one of `status`.

    `progress` is called with each status seen that differs from the last.
    Raises `WaitTimeoutError` naming the last status when `timeout` seconds pass.
    """
    _check_wait_settings(timeout, poll_interval)
    expected = {status} if isinstance(status, str) else set(status)
    if not expected:
        raise ValueError("status must name at least one status, such as 'running'")
    deadline = time.monotonic() + timeout
    last: str | None = None
    while True:
        obj.reload()
        current = obj.status
        if current != last:
            logger.debug("%r has status %r", obj, current)
            if progress is not None:
                progress(current)
            last = current
        if current in expected:
            return obj
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise WaitTimeoutError(
                f"{obj!r} did not reach status {' or '.join(sorted(expected))} within "
                f"{timeout:g} s; its last status was {last!r}"
            )
        sleep(min(poll_interval, remaining))


def _entity_filter(
    entity: ApiObject | None, action: str | None, entity_id: Any, entity_type: str | None
) -> dict[str, Any]:
    conditions: dict[str, Any] = {}
    if entity is not None:
        entity_id = entity.id if entity_id is None else entity_id
        entity_type = entity_type or entity.event_entity_type
    if entity_id is not None:
        conditions["entity.id"] = entity_id
    if entity_type is not None:
        conditions["entity.type"] = entity_type
    if action is not None:
        conditions["action"] = action
    if not conditions:
        raise ValueError("name an entity, an entity id or an action to wait for")
    return conditions


def _newest_event_id(client: LinodeClient, conditions: dict[str, Any]) -> int:
    x_filter = {**conditions, "+order_by": "id", "+order": "desc"}
    body = client.transport.request(
        "GET",
        "/account/events",
        params={"page": 1, "page_size": 25},
        headers={"X-Filter": json.dumps(x_filter)},
    )
    ids = [item["id"] for item in body.get("data") or [] if isinstance(item, dict)]
    return max(ids, default=0)


class EventWatcher:
    """Finds the event an action causes and waits for it to finish.

    Create the watcher before sending the action, then call `wait()`::

        watcher = EventWatcher(client, linode, "linode_boot")
        linode.boot()
        event = watcher.wait(timeout=300)
    """

    def __init__(
        self,
        client: LinodeClient,
        entity: ApiObject | None = None,
        action: str | None = None,
        *,
        entity_id: Any = None,
        entity_type: str | None = None,
    ) -> None:
        self.client = client
        self.conditions = _entity_filter(entity, action, entity_id, entity_type)
        self.after_id = _newest_event_id(client, self.conditions)

    def wait(
        self,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        progress: Callable[[Event], None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> Event:
        """Wait for the first matching event newer than the snapshot to finish; return it."""
        return _wait(
            self.client, self.conditions, self.after_id, timeout, poll_interval, progress, sleep
        )


def wait_for_event(
    client: LinodeClient,
    entity: ApiObject | None = None,
    action: str | None = None,
    *,
    entity_id: Any = None,
    entity_type: str | None = None,
    after_id: int | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    poll_interval: float = DEFAULT_POLL_INTERVAL,
    progress: Callable[[Event], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Event:
    """Wait until an event on `entity` (with `action`, if given) finishes, and return it.

    With `after_id`, only events with a larger id count (see `EventWatcher`).
    Without it, the newest matching event counts, which suits an object that
    was just created, such as the `linode_create` event of a new Linode.
    `progress` is called with the event whenever its status or
    `percent_complete` changes. Raises `EventFailedError` when the event
    fails and `WaitTimeoutError` when `timeout` seconds pass.
    """
    conditions = _entity_filter(entity, action, entity_id, entity_type)
    return _wait(client, conditions, after_id, timeout, poll_interval, progress, sleep)


def _find_event(client: LinodeClient, conditions: dict[str, Any], after_id: int | None) -> Any:
    x_filter: dict[str, Any] = dict(conditions)
    if after_id is not None:
        x_filter["id"] = {"+gt": after_id}
    x_filter.update({"+order_by": "id", "+order": "desc"})
    body = client.transport.request(
        "GET",
        "/account/events",
        params={"page": 1, "page_size": 25},
        headers={"X-Filter": json.dumps(x_filter)},
    )
    items = [item for item in body.get("data") or [] if isinstance(item, dict)]
    if after_id is not None:
        items = [item for item in items if item.get("id", 0) > after_id]
    if not items:
        return None
    # After a snapshot the first new event is the action's; without one, the newest counts.
    choose = min if after_id is not None else max
    return choose(items, key=lambda item: item["id"])


def _wait(
    client: LinodeClient,
    conditions: dict[str, Any],
    after_id: int | None,
    timeout: float,
    poll_interval: float,
    progress: Callable[[Event], None] | None,
    sleep: Callable[[float], None],
) -> Event:
    _check_wait_settings(timeout, poll_interval)
    deadline = time.monotonic() + timeout
    event: Event | None = None
    last_state: tuple[Any, Any] | None = None
    while True:
        if event is None:
            data = _find_event(client, conditions, after_id)
            if data is not None:
                event = Event(client, data["id"])._take_data(data)
        else:
            event.reload()
        if event is not None:
            state = (event.status, event.percent_complete)
            if state != last_state:
                logger.debug("event %s (%s): %s %s%%", event.id, event.action, *state)
                if progress is not None:
                    progress(event)
                last_state = state
            if event.status in _EVENT_DONE_STATUSES:
                return event
            if event.status == "failed":
                raise EventFailedError(event.id, event.action, event.message)
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            outcome = (
                f"event {event.id} ({event.action}) stayed {event.status!r}"
                if event is not None
                else f"no event matching {conditions} appeared"
            )
            raise WaitTimeoutError(f"waited {timeout:g} s but {outcome}")
        sleep(min(poll_interval, remaining))
