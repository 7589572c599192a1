"""The token owner's profile and account."""

from __future__ import annotations

from typing import Any

from linode_fake.api.blueprint import api
from linode_fake.clock import format_datetime
from linode_fake.context import fake
from linode_fake.events import USERNAME
from linode_fake.routing import operation

PROFILE: dict[str, Any] = {
    "uid": 1001,
    "username": USERNAME,
    "email": "operator@example.com",
    "restricted": False,
    "timezone": "UTC",
    "email_notifications": True,
    "two_factor_auth": True,
    "authentication_type": "password",
    "lish_auth_method": "keys_only",
    "authorized_keys": None,
    "ip_whitelist_enabled": False,
    "verified_phone_number": None,
    "referrals": {
        "code": "fa4e0c1d9b2a",
        "url": "https://www.example.com/?r=fa4e0c1d9b2a",
        "total": 0,
        "completed": 0,
        "pending": 0,
        "credit": 0,
    },
}

ACCOUNT_SINCE_KEY = "account_active_since"


@operation(api, "/profile", "GET", scope=None)
def get_profile() -> dict[str, Any]:
    return PROFILE


@operation(api, "/account", "GET", scope="account:read_only")
def get_account() -> dict[str, Any]:
    store = fake().store
    since = store.get_meta(ACCOUNT_SINCE_KEY)
    if since is None:
        since = store.now()
        store.set_meta(ACCOUNT_SINCE_KEY, since)
    return {
        "active_since": format_datetime(since),
        "active_promotions": [],
        "address_1": "1 Example Street",
        "address_2": "",
        "balance": 0,
        "balance_uninvoiced": 0,
        "billing_source": "akamai",
        "capabilities": ["Linodes", "Block Storage", "Cloud Firewall", "Metadata"],
        "city": "Philadelphia",
        "company": "Example Reseller",
        "country": "US",
        "credit_card": {"expiry": "12/2030", "last_four": "1111"},
        "email": PROFILE["email"],
        "euuid": "E1AF5EEC-526F-487D-B317EBEB34C87D71",
        "first_name": "Fake",
        "last_name": "Operator",
        "phone": "215-555-0100",
        "state": "PA",
        "tax_id": "",
        "zip": "19102",
    }
