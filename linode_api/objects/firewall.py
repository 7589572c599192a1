"""Cloud Firewalls and the devices they protect."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from linode_api.objects.base import ApiObject, Field, MutableField, Nested
from linode_api.paginated import PaginatedList

if TYPE_CHECKING:
    from linode_api.client import LinodeClient


class FirewallDevice(ApiObject):
    """A Linode or NodeBalancer a firewall covers: `FirewallDevice(client, id, firewall_id)`."""

    api_path = "/networking/firewalls/{firewall_id}/devices/{id}"
    parent_ids = ("firewall_id",)

    def __init__(
        self,
        client: LinodeClient,
        id: int,
        firewall_id: int,
        *,
        data: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(client, id, firewall_id, data=data)

    created = Field[datetime](timestamp=True)
    updated = Field[datetime](timestamp=True)
    entity = Field[Nested]()


class Firewall(ApiObject):
    """A Cloud Firewall; `label`, `status` and `tags` can be changed and saved."""

    api_path = "/networking/firewalls/{id}"
    event_entity_type = "firewall"

    label = MutableField[str]()
    status = MutableField[str]()
    tags = MutableField[list[str]]()
    created = Field[datetime](timestamp=True)
    updated = Field[datetime](timestamp=True)
    rules = Field[Nested]()
    entities = Field[list[Any]]()

    @property
    def devices(self) -> PaginatedList[FirewallDevice]:
        """The devices this firewall covers, fetched once until invalidate()."""
        return self._related_list(
            "devices",
            lambda: self._client._list(
                f"{self.api_url}/devices",
                lambda data: FirewallDevice(self._client, data["id"], self.id)._take_data(data),
            ),
        )

    def add_device(self, device: ApiObject | int, device_type: str = "linode") -> FirewallDevice:
        """Attach a Linode (or, with `device_type="nodebalancer"`, a NodeBalancer)."""
        if device_type not in ("linode", "nodebalancer"):
            raise ValueError(f"device_type {device_type!r} must be 'linode' or 'nodebalancer'")
        device_id = device.id if isinstance(device, ApiObject) else int(device)
        data = self._client.transport.request(
            "POST", f"{self.api_url}/devices", json_body={"id": device_id, "type": device_type}
        )
        self._collections.pop("devices", None)
        return FirewallDevice(self._client, data["id"], self.id)._take_data(data)

    def update_rules(self, rules: dict[str, Any]) -> None:
        """Replace the firewall's rules (PUT /networking/firewalls/{id}/rules)."""
        self._client.transport.request("PUT", f"{self.api_url}/rules", json_body=rules)
        self._mark_stale()
