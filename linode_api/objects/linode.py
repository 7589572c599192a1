"""Linode instances and the objects derived from them: disks, configs and IP addresses."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from linode_api.objects.base import ApiObject, Field, MutableField, Nested, Record
from linode_api.objects.catalog import (
    Image,
    Region,
    Type,
    image_from_id,
    region_from_id,
    type_from_id,
)
from linode_api.paginated import PaginatedList
from linode_api.passwords import check_deploy_credentials
from linode_api.redaction import Secret

if TYPE_CHECKING:
    from linode_api.client import LinodeClient


class Disk(ApiObject):
    """A disk of a Linode: `Disk(client, disk_id, linode_id)`."""

    api_path = "/linode/instances/{linode_id}/disks/{id}"
    parent_ids = ("linode_id",)
    event_entity_type = "disks"

    def __init__(
        self, client: LinodeClient, id: int, linode_id: int, *, data: dict[str, Any] | None = None
    ) -> None:
        super().__init__(client, id, linode_id, data=data)

    label = MutableField[str]()
    size = Field[int]()
    filesystem = Field[str]()
    status = Field[str]()
    created = Field[datetime](timestamp=True)
    updated = Field[datetime](timestamp=True)

    @property
    def linode_id(self) -> int:
        """The id of the Linode this disk belongs to."""
        value: int = self._ids["linode_id"]
        return value


class Config(ApiObject):
    """A configuration profile of a Linode: `Config(client, config_id, linode_id)`."""

    api_path = "/linode/instances/{linode_id}/configs/{id}"
    parent_ids = ("linode_id",)

    def __init__(
        self, client: LinodeClient, id: int, linode_id: int, *, data: dict[str, Any] | None = None
    ) -> None:
        super().__init__(client, id, linode_id, data=data)

    label = MutableField[str]()
    comments = MutableField[str | None]()
    kernel = MutableField[str]()
    memory_limit = MutableField[int]()
    root_device = MutableField[str]()
    run_level = MutableField[str]()
    virt_mode = MutableField[str]()
    helpers = MutableField[Nested]()
    devices = MutableField[Nested]()
    interfaces = MutableField[list[dict[str, Any]]]()

    @property
    def linode_id(self) -> int:
        """The id of the Linode this config belongs to."""
        value: int = self._ids["linode_id"]
        return value


class IPAddress(ApiObject):
    """An IP address: `IPAddress(client, "203.0.113.10")`; `rdns` can be changed and saved."""

    api_path = "/networking/ips/{id}"
    event_entity_type = "ipaddress"

    address = Field[str]()
    gateway = Field[str | None]()
    subnet_mask = Field[str]()
    prefix = Field[int]()
    type = Field[str]()
    public = Field[bool]()
    rdns = MutableField[str | None]()
    linode_id = Field[int]()
    region = Field[Region](related=region_from_id)
    vpc_nat_1_1 = Field[Nested | None]()


class IPv4Addresses:
    """The IPv4 addresses of a Linode, grouped as the API groups them."""

    def __init__(self, client: LinodeClient, data: dict[str, Any]) -> None:
        def addresses(key: str) -> list[IPAddress]:
            return [
                IPAddress(client, item["address"], data=item)
                for item in data.get(key) or []
                if isinstance(item, dict) and item.get("address")
            ]

        self.public = addresses("public")
        self.private = addresses("private")
        self.shared = addresses("shared")
        self.reserved = addresses("reserved")
        self.vpc = [Record(item) for item in data.get("vpc") or [] if isinstance(item, dict)]

    def __repr__(self) -> str:
        return f"IPv4Addresses(public={[ip.id for ip in self.public]!r})"


class IPv6Addresses:
    """The IPv6 addresses of a Linode: SLAAC, link-local and global ranges."""

    def __init__(self, client: LinodeClient, data: dict[str, Any]) -> None:
        def address(key: str) -> IPAddress | None:
            item = data.get(key)
            if isinstance(item, dict) and item.get("address"):
                return IPAddress(client, item["address"], data=item)
            return None

        self.slaac = address("slaac")
        self.link_local = address("link_local")
        self.global_ranges = [Record(item) for item in data.get("global") or []]


class LinodeNetworking:
    """The addresses returned by GET /linode/instances/{id}/ips."""

    def __init__(self, client: LinodeClient, data: dict[str, Any]) -> None:
        self.ipv4 = IPv4Addresses(client, data.get("ipv4") or {})
        self.ipv6 = IPv6Addresses(client, data.get("ipv6") or {})


class Linode(ApiObject):
    """A Linode instance: `Linode(client, 123)` sends nothing until an attribute is read."""

    api_path = "/linode/instances/{id}"
    event_entity_type = "linode"

    label = MutableField[str]()
    tags = MutableField[list[str]]()
    group = MutableField[str]()
    watchdog_enabled = MutableField[bool]()
    alerts = MutableField[Nested]()
    region = Field[Region](related=region_from_id)
    type = Field[Type](related=type_from_id)
    image = Field[Image | None](related=image_from_id)
    status = Field[str]()
    ipv4 = Field[list[str]]()
    ipv6 = Field[str | None]()
    created = Field[datetime](timestamp=True)
    updated = Field[datetime](timestamp=True)
    hypervisor = Field[str]()
    host_uuid = Field[str]()
    has_user_data = Field[bool]()
    capabilities = Field[list[str]]()
    lke_cluster_id = Field[int | None]()
    specs = Field[Nested]()
    backups = Field[Nested](timestamps=("last_successful",), mutable_paths=("schedule",))
    placement_group = Field[Nested | None]()

    # Related collections, fetched once until invalidate().

    @property
    def disks(self) -> PaginatedList[Disk]:
        """The Linode's disks."""
        return self._related_list(
            "disks",
            lambda: self._client._list(
                f"{self.api_url}/disks",
                lambda data: Disk(self._client, data["id"], self.id)._take_data(data),
            ),
        )

    @property
    def configs(self) -> PaginatedList[Config]:
        """The Linode's configuration profiles."""
        return self._related_list(
            "configs",
            lambda: self._client._list(
                f"{self.api_url}/configs",
                lambda data: Config(self._client, data["id"], self.id)._take_data(data),
            ),
        )

    @property
    def ips(self) -> LinodeNetworking:
        """The Linode's IPv4 and IPv6 addresses."""
        return self._related_list(
            "ips",
            lambda: LinodeNetworking(
                self._client, self._client.transport.request("GET", f"{self.api_url}/ips")
            ),
        )

    # Actions. Each one changes the status, so the loaded data is marked stale.

    def boot(self, config: Config | int | None = None) -> None:
        """Boot the Linode, with the given config or the one the API chooses."""
        self._post_action("boot", _config_body(config))
        self._mark_stale()

    def reboot(self, config: Config | int | None = None) -> None:
        """Reboot the Linode."""
        self._post_action("reboot", _config_body(config))
        self._mark_stale()

    def shutdown(self) -> None:
        """Shut the Linode down."""
        self._post_action("shutdown")
        self._mark_stale()

    def rebuild(
        self,
        image: Image | str,
        root_pass: str | None = None,
        authorized_keys: Sequence[str] | None = None,
        *,
        booted: bool | None = None,
        stackscript: Any = None,
        stackscript_data: dict[str, Any] | None = None,
        user_data: str | bytes | None = None,
    ) -> None:
        """Delete every disk and deploy `image` again.

        Raises ValueError before sending anything when neither `root_pass` nor
        `authorized_keys` is given. With keys only, a strong random root
        password is sent and not kept, so root logs in with the keys.
        """
        from linode_api.client import encode_user_data, object_id

        body: dict[str, Any] = {"image": object_id(image)}
        body.update(check_deploy_credentials(root_pass, authorized_keys))
        del root_pass  # the body contains it as a Secret; keep it out of traceback locals
        if booted is not None:
            body["booted"] = booted
        if stackscript is not None:
            body["stackscript_id"] = object_id(stackscript)
        if stackscript_data is not None:
            body["stackscript_data"] = stackscript_data
        if user_data is not None:
            body["metadata"] = {"user_data": encode_user_data(user_data)}
        data = self._post_action("rebuild", body)
        self._collections.clear()
        if data:
            self._apply_data(data, owned=True)
        else:
            self._mark_stale()

    def reset_root_password(self, password: str) -> None:
        """Set a new root password; the API requires the Linode to be shut down."""
        if not isinstance(password, str) or not password:
            raise ValueError("password must be a non-empty string")
        secret = Secret(password)
        del password  # keep the plain password out of traceback locals
        self._post_action("password", {"root_pass": secret})

    def resize(
        self,
        type: Type | str,
        *,
        allow_auto_disk_resize: bool = True,
        migration_type: str | None = None,
    ) -> None:
        """Move the Linode to another plan type; the migration is cold unless given "warm"."""
        from linode_api.client import object_id

        if migration_type not in (None, "cold", "warm"):
            raise ValueError(f"migration_type {migration_type!r} must be 'cold' or 'warm'")
        body: dict[str, Any] = {
            "type": object_id(type),
            "allow_auto_disk_resize": allow_auto_disk_resize,
        }
        if migration_type:
            body["migration_type"] = migration_type
        self._post_action("resize", body)
        self._mark_stale()

    def transfer(self) -> Record:
        """Return this month's network transfer: `used` (bytes), `quota` and `billable` (GB)."""
        return Record(self._client.transport.request("GET", f"{self.api_url}/transfer"))

    def stats(self) -> Record:
        """Return the last 24 hours of CPU, IO and network statistics."""
        return Record(self._client.transport.request("GET", f"{self.api_url}/stats"))


def _config_body(config: Config | int | None) -> dict[str, Any] | None:
    if config is None:
        return None
    return {"config_id": config.id if isinstance(config, Config) else int(config)}
