"""Objects of the account and the token's user: profile, account, events and tags."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from linode_api.objects.base import ApiObject, Field, MutableField, Nested, Record
from linode_api.paginated import PaginatedList

if TYPE_CHECKING:
    from linode_api.client import LinodeClient


class _SingletonObject(ApiObject):
    """An object with a fixed path and no id in it, such as /profile."""

    def __init__(self, client: LinodeClient, *, data: dict[str, Any] | None = None) -> None:
        object.__setattr__(self, "_client", client)
        object.__setattr__(self, "_ids", {})
        self._reset()
        if data is not None:
            self._apply_data(data)

    def _filter_value(self) -> Any:
        return self.id


class Profile(_SingletonObject):
    """The user the token belongs to (GET /profile)."""

    api_path = "/profile"

    uid = Field[int]()
    username = Field[str]()
    email = MutableField[str]()
    restricted = MutableField[bool]()
    timezone = MutableField[str]()
    email_notifications = MutableField[bool]()
    two_factor_auth = MutableField[bool]()
    authentication_type = Field[str]()
    lish_auth_method = MutableField[str]()
    authorized_keys = MutableField[list[str] | None]()
    ip_whitelist_enabled = MutableField[bool]()
    verified_phone_number = Field[str | None]()
    referrals = Field[Nested]()

    @property
    def id(self) -> Any:
        """The user's id (`uid`)."""
        return self.uid


class Account(_SingletonObject):
    """The account's contact and billing data (GET /account)."""

    api_path = "/account"

    euuid = Field[str]()
    first_name = MutableField[str]()
    last_name = MutableField[str]()
    company = MutableField[str]()
    email = MutableField[str]()
    address_1 = MutableField[str]()
    address_2 = MutableField[str]()
    city = MutableField[str]()
    state = MutableField[str]()
    zip = MutableField[str]()
    country = MutableField[str]()
    phone = MutableField[str]()
    tax_id = MutableField[str]()
    balance = Field[float]()
    balance_uninvoiced = Field[float]()
    billing_source = Field[str]()
    capabilities = Field[list[str]]()
    credit_card = Field[Nested]()
    active_since = Field[datetime](timestamp=True)
    active_promotions = Field[list[Record]]()

    @property
    def id(self) -> Any:
        """The account's unique id (`euuid`)."""
        return self.euuid


class Event(ApiObject):
    """Something that happened on the account, such as `linode_boot` (GET /account/events/{id}).

    `entity` names the object the event is about (`entity.id`, `entity.type`,
    `entity.label`); `percent_complete` rises to 100 as the job runs.
    """

    api_path = "/account/events/{id}"

    action = Field[str]()
    created = Field[datetime](timestamp=True)
    status = Field[str]()
    percent_complete = Field[int | None]()
    duration = Field[float | None]()
    rate = Field[str | None]()
    time_remaining = Field[str | None]()
    message = Field[str | None]()
    username = Field[str | None]()
    seen = Field[bool]()
    read = Field[bool]()
    entity = Field[Nested | None]()
    secondary_entity = Field[Nested | None]()

    @property
    def done(self) -> bool:
        """Whether the event reached a final status (`finished`, `failed` or `notification`)."""
        return self.status in ("finished", "failed", "notification")

    def mark_seen(self) -> None:
        """Mark this event and every earlier one as seen."""
        self._post_action("seen")


class Tag(ApiObject):
    """A tag: `Tag(client, "reseller")`; its id is its label."""

    api_path = "/tags/{id}"
    event_entity_type = "tag"

    label = Field[str]()

    def _load(self) -> None:
        # GET /tags/{label} lists the tagged objects; the tag itself has only its label.
        self._apply_data({"label": self.id})

    @property
    def objects(self) -> PaginatedList[Any]:
        """The objects carrying this tag: `Linode` objects, and `Record`s for other types."""
        from linode_api.objects.linode import Linode

        def build(item: dict[str, Any]) -> Any:
            data = item.get("data")
            if item.get("type") == "linode" and isinstance(data, dict):
                return Linode(self._client, data["id"])._take_data(data)
            return Record(item)

        return self._related_list("objects", lambda: self._client._list(self.api_url, build))
