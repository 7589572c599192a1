"""Finding a server's Linode by label and copying what the API reports onto the server."""

from __future__ import annotations

import logging
from typing import Any

from django.utils import timezone

from linode_api import BadRequestError, LinodeClient
from provisioning.models import Server

logger = logging.getLogger(__name__)


def find_by_label(client: LinodeClient, label: str) -> Any | None:
    """Return the Linode with this label, or None. Labels are unique per account."""
    for linode in client.get_linodes(label=label):
        if str(linode.label) == label:
            return linode
    return None


def is_label_in_use(error: BadRequestError) -> bool:
    """Return whether a 400 from create means a Linode with this label already exists.

    The API words it "Label must be unique among your Linodes" (field `label`);
    "already in use" and "already exists" are accepted too.
    """
    for detail in error.errors:
        if detail.field not in (None, "label"):
            continue
        reason = detail.reason.lower()
        if "label" in reason or detail.field == "label":
            if "unique" in reason or "already in use" in reason or "already exists" in reason:
                return True
    return False


def first_ipv4(linode: Any) -> str:
    addresses = list(getattr(linode, "ipv4", None) or [])
    public = [address for address in addresses if not _is_private_ipv4(address)]
    return (public or addresses or [""])[0]


def ipv6_address(linode: Any) -> str:
    value = getattr(linode, "ipv6", None) or ""
    return str(value).split("/", 1)[0]


def _is_private_ipv4(address: str) -> bool:
    # Linode private addresses come from 192.168.128.0/17.
    return address.startswith("192.168.")


def record_linode(server: Server, linode: Any) -> None:
    """Store the Linode's id, status and addresses on the server row and object."""
    fields = {
        "linode_id": int(linode.id),
        "linode_status": str(linode.status or ""),
        "ipv4": first_ipv4(linode),
        "ipv6": ipv6_address(linode),
        "missing_observations": 0,
        "updated_at": timezone.now(),
    }
    Server.objects.filter(pk=server.pk).update(**fields)
    for name, value in fields.items():
        setattr(server, name, value)
