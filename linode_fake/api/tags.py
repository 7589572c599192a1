"""Tags: the account's tags, gathered from its Linodes and firewalls."""

from __future__ import annotations

import json
from typing import Any

from linode_fake import instances as store_instances
from linode_fake.api.blueprint import api
from linode_fake.context import fake
from linode_fake.filtering import FilterSpec, filter_items
from linode_fake.pagination import paginate
from linode_fake.routing import operation

# The spec marks no Tag field filterable.
TAG_FILTER = FilterSpec([])


@operation(api, "/tags", "GET", scope="account:read_only", limit="collections")
def list_tags() -> dict[str, Any]:
    # NOTE: a tag exists here only while an object carries it. The real API
    # also keeps tags made with POST /tags, which this fake does not serve.
    context = fake()
    labels: set[str] = set()
    with context.store.connection() as conn:
        for record in store_instances.load_all(context.store, conn):
            labels.update(record["api"]["tags"])
        for row in conn.execute("SELECT data FROM firewalls").fetchall():
            labels.update(json.loads(row["data"])["tags"])
    items = [{"label": label} for label in sorted(labels)]
    return paginate(filter_items(items, TAG_FILTER))
