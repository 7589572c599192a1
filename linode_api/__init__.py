"""A typed client for the Linode API v4.

    from linode_api import LinodeClient
    client = LinodeClient(token, "https://api.linode.com/v4")
    for linode in client.get_linodes(tags="reseller"):
        print(linode.label, linode.status)

See docs/linode_api.md for a guide.
"""

from linode_api.client import LinodeClient
from linode_api.errors import (
    ApiError,
    BadRequestError,
    ConnectionFailedError,
    ErrorDetail,
    EventFailedError,
    ForbiddenError,
    LinodeError,
    NotFoundError,
    OutcomeUnknownError,
    RateLimitedError,
    ServerError,
    UnauthorizedError,
    UnexpectedResponseError,
    WaitTimeoutError,
)
from linode_api.filtering import Filter, and_, or_
from linode_api.login import LinodeLoginClient, OAuthToken
from linode_api.objects import (
    Account,
    ApiObject,
    Config,
    Disk,
    Event,
    Firewall,
    FirewallDevice,
    Image,
    IPAddress,
    Linode,
    LinodeNetworking,
    Nested,
    Profile,
    Record,
    Region,
    StackScript,
    Tag,
    Type,
)
from linode_api.paginated import PaginatedList
from linode_api.passwords import generate_root_password
from linode_api.scopes import OAuthScopes, Scope, ScopeFamily, ScopeSet
from linode_api.version import __version__
from linode_api.waiting import EventWatcher, wait_for_event, wait_for_status

__all__ = [
    "Account",
    "ApiError",
    "ApiObject",
    "BadRequestError",
    "Config",
    "ConnectionFailedError",
    "Disk",
    "ErrorDetail",
    "Event",
    "EventFailedError",
    "EventWatcher",
    "Filter",
    "Firewall",
    "FirewallDevice",
    "ForbiddenError",
    "IPAddress",
    "Image",
    "Linode",
    "LinodeClient",
    "LinodeError",
    "LinodeLoginClient",
    "LinodeNetworking",
    "Nested",
    "NotFoundError",
    "OAuthScopes",
    "OAuthToken",
    "OutcomeUnknownError",
    "PaginatedList",
    "Profile",
    "RateLimitedError",
    "Record",
    "Region",
    "Scope",
    "ScopeFamily",
    "ScopeSet",
    "ServerError",
    "StackScript",
    "Tag",
    "Type",
    "UnauthorizedError",
    "UnexpectedResponseError",
    "WaitTimeoutError",
    "__version__",
    "and_",
    "generate_root_password",
    "or_",
    "wait_for_event",
    "wait_for_status",
]
