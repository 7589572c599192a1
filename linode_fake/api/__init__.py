"""The API's operations, one module per resource group.

Importing this package registers every operation on `api`, which the app
mounts at both `/v4` and `/v4beta`.
"""

from linode_fake.api import (  # noqa: F401  (imported to register their routes)
    account,
    catalog,
    events,
    firewalls,
    instance_actions,
    instance_details,
    instances,
    stackscripts,
    tags,
)
from linode_fake.api.blueprint import api

__all__ = ["api"]
