"""Catalog rows, plans and customers for the account and dashboard tests."""

from __future__ import annotations

from decimal import Decimal

import pytest

from accounts.models import User
from provisioning.models import CatalogImage, CatalogRegion, CatalogType, Plan, Server

CUSTOMER_PASSWORD = "correct horse battery staple 42"


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # PBKDF2 at full strength costs a noticeable fraction of a second per login.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.PORTAL_BASE_URL = "http://testserver"


@pytest.fixture
def catalog(db):
    for type_id in ("g6-nanode-1", "g6-standard-2"):
        CatalogType.objects.create(id=type_id, label=type_id)
    CatalogRegion.objects.create(id="us-east", label="Newark, NJ", capabilities=["Linodes"])
    CatalogRegion.objects.create(id="eu-west", label="London, UK", capabilities=["Linodes"])
    CatalogImage.objects.create(id="linode/debian12", label="Debian 12", status="available")


@pytest.fixture
def plans(catalog):
    starter = Plan.objects.create(
        name="Starter",
        slug="starter",
        linode_type="g6-nanode-1",
        regions=["us-east"],
        image="linode/debian12",
        price_monthly=Decimal("5.00"),
    )
    standard = Plan.objects.create(
        name="Standard",
        slug="standard",
        linode_type="g6-standard-2",
        regions=["us-east", "eu-west"],
        image="linode/debian12",
        price_monthly=Decimal("24.00"),
    )
    return {"starter": starter, "standard": standard}


@pytest.fixture
def customer(plans):
    user = User.objects.create_user(email="carol@example.com", password=CUSTOMER_PASSWORD)
    Server.objects.create(customer=user, plan=plans["starter"], region="us-east")
    return user


@pytest.fixture
def customer_client(client, customer):
    client.force_login(customer)
    return client
