"""The customer list in the Django admin."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import User


@pytest.fixture
def operator_client(client, db):
    operator = User.objects.create_superuser(email="op@example.com", password="op-pass-123")
    client.force_login(operator)
    return client


def test_changelist_shows_customer_and_server_state(operator_client, customer):
    response = operator_client.get(reverse("admin:accounts_user_changelist"))

    body = response.content.decode()
    assert response.status_code == 200
    assert "carol@example.com" in body
    assert "pending" in body


def test_changelist_search_by_email(operator_client, customer):
    User.objects.create_user(email="zed@example.com", password="x")

    response = operator_client.get(reverse("admin:accounts_user_changelist"), {"q": "carol"})

    body = response.content.decode()
    assert "carol@example.com" in body
    assert "zed@example.com" not in body


def test_changelist_filters_unverified(operator_client, customer):
    User.objects.create_user(
        email="verified@example.com", password="x", email_verified_at=timezone.now()
    )

    response = operator_client.get(
        reverse("admin:accounts_user_changelist"), {"email_verified_at__isempty": "1"}
    )

    body = response.content.decode()
    assert "carol@example.com" in body
    assert "verified@example.com" not in body


def test_add_user_by_email(operator_client):
    response = operator_client.post(
        reverse("admin:accounts_user_add"),
        {
            "email": "new.operator@example.com",
            "usable_password": "true",
            "password1": "quiet meadow 8841",
            "password2": "quiet meadow 8841",
        },
    )

    assert response.status_code == 302, response.content.decode()[:3000]
    user = User.objects.get(email="new.operator@example.com")
    assert user.check_password("quiet meadow 8841")


def test_change_page_renders(operator_client, customer):
    response = operator_client.get(reverse("admin:accounts_user_change", args=[customer.pk]))

    assert response.status_code == 200
    assert "email_verified_at" in response.content.decode()
