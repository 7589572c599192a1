"""Object classes for the API's resources, one module per resource family."""

from linode_api.objects.account import Account, Event, Profile, Tag
from linode_api.objects.base import ApiObject, Field, MutableField, Nested, Record
from linode_api.objects.catalog import Image, Region, Type
from linode_api.objects.firewall import Firewall, FirewallDevice
from linode_api.objects.linode import Config, Disk, IPAddress, Linode, LinodeNetworking
from linode_api.objects.stackscript import StackScript

__all__ = [
    "Account",
    "ApiObject",
    "Config",
    "Disk",
    "Event",
    "Field",
    "Firewall",
    "FirewallDevice",
    "IPAddress",
    "Image",
    "Linode",
    "LinodeNetworking",
    "MutableField",
    "Nested",
    "Profile",
    "Record",
    "Region",
    "StackScript",
    "Tag",
    "Type",
]
