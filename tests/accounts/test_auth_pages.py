"""Login, logout, password reset, password change and the profile page."""

from __future__ import annotations

import re

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from django.core import mail
from django.core.cache import cache
from django.urls import reverse

from accounts.login import LOGIN_ACCOUNT_LIMIT, LOGIN_ADDRESS_LIMIT
from accounts.ssh_keys import parse_public_key
from provisioning.models import Server
from tests.accounts.conftest import CUSTOMER_PASSWORD

NEW_PASSWORD = "violet harbour seventy kettle"


def test_login_by_email_any_case(client, customer):
    response = client.post(
        reverse("accounts:login"),
        {"username": "CAROL@Example.com", "password": CUSTOMER_PASSWORD},
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard")
    assert int(client.session["_auth_user_id"]) == customer.pk


def test_login_wrong_password_keeps_email(client, customer):
    response = client.post(
        reverse("accounts:login"), {"username": "carol@example.com", "password": "nope"}
    )

    body = response.content.decode()
    assert response.status_code == 200
    assert "Please enter a correct email address and password" in body
    assert 'value="carol@example.com"' in body
    assert "_auth_user_id" not in client.session


@pytest.fixture
def empty_cache():
    cache.clear()
    yield
    cache.clear()


def login(client, email: str, password: str, address: str = "127.0.0.1"):
    return client.post(
        reverse("accounts:login"), {"username": email, "password": password}, REMOTE_ADDR=address
    )


def test_login_locks_account_after_failures(client, customer, empty_cache):
    for attempt in range(LOGIN_ACCOUNT_LIMIT.max_failures):
        # Each try comes from another address, so only the account's count can lock.
        response = login(client, "Carol@Example.com", f"guess {attempt}", f"198.51.100.{attempt}")
        assert response.status_code == 200, attempt

    locked = login(client, "CAROL@example.com", CUSTOMER_PASSWORD, "198.51.100.99")

    body = locked.content.decode()
    assert locked.status_code == 429
    assert "Too many failed logins" in body
    assert "Try again in 15 minutes" in body
    assert 0 < int(locked["Retry-After"]) <= LOGIN_ACCOUNT_LIMIT.window_seconds
    assert "_auth_user_id" not in client.session
    assert login(client, "dana@example.com", "anything", "198.51.100.99").status_code == 200


def test_login_locks_address_after_failures(client, customer, empty_cache):
    for attempt in range(LOGIN_ADDRESS_LIMIT.max_failures):
        response = login(client, f"user{attempt}@example.com", "wrong password")
        assert response.status_code == 200, attempt

    locked = login(client, "carol@example.com", CUSTOMER_PASSWORD)

    assert locked.status_code == 429
    assert "Too many failed logins" in locked.content.decode()
    assert "_auth_user_id" not in client.session
    assert login(client, "carol@example.com", CUSTOMER_PASSWORD, "203.0.113.5").status_code == 302


def test_login_success_clears_account_failures(client, customer, empty_cache):
    for attempt in range(LOGIN_ACCOUNT_LIMIT.max_failures - 1):
        login(client, "carol@example.com", f"guess {attempt}", f"198.51.100.{attempt}")
    assert login(client, "Carol@example.com", CUSTOMER_PASSWORD).status_code == 302
    client.post(reverse("accounts:logout"))
    for attempt in range(LOGIN_ACCOUNT_LIMIT.max_failures - 1):
        login(client, "carol@example.com", f"again {attempt}", f"198.51.100.{attempt}")

    response = login(client, "carol@example.com", CUSTOMER_PASSWORD, "203.0.113.5")

    assert response.status_code == 302


def test_login_empty_password_is_no_failure(client, customer, empty_cache):
    for _ in range(LOGIN_ACCOUNT_LIMIT.max_failures + 1):
        assert login(client, "carol@example.com", "").status_code == 200

    assert login(client, "carol@example.com", CUSTOMER_PASSWORD).status_code == 302


def test_logout_requires_post(customer_client):
    assert customer_client.get(reverse("accounts:logout")).status_code == 405

    response = customer_client.post(reverse("accounts:logout"))

    assert response.status_code == 302
    assert "_auth_user_id" not in customer_client.session


def test_password_reset_flow(client, customer):
    client.post(reverse("accounts:password_reset"), {"email": "carol@example.com"})

    assert len(mail.outbox) == 1
    link = re.search(r"http://testserver(/accounts/password/reset/\S+/)", mail.outbox[0].body)
    assert link is not None, mail.outbox[0].body
    form_page = client.get(link.group(1), follow=True)
    assert "Choose a new password" in form_page.content.decode()
    set_url = form_page.redirect_chain[-1][0]
    response = client.post(set_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:password_reset_complete")
    customer.refresh_from_db()
    assert customer.check_password(NEW_PASSWORD)


def test_password_reset_unknown_address_sends_nothing(client, customer):
    response = client.post(reverse("accounts:password_reset"), {"email": "who@example.com"})

    assert response.status_code == 302
    assert mail.outbox == []


def test_password_change(customer_client, customer):
    response = customer_client.post(
        reverse("accounts:password_change"),
        {
            "old_password": CUSTOMER_PASSWORD,
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )

    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.check_password(NEW_PASSWORD)


def test_profile_shows_email_and_key(customer_client, customer):
    key = (
        ed25519.Ed25519PrivateKey.generate()
        .public_key()
        .public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
        .decode()
    )
    Server.objects.filter(customer=customer).update(ssh_key=f"{key} carol@desk")

    body = customer_client.get(reverse("accounts:profile")).content.decode()

    assert "carol@example.com" in body
    assert parse_public_key(key).fingerprint in body
    assert "carol@desk" in body
    assert "The key is installed when the server is built" in body
    assert reverse("accounts:password_change") in body


def test_profile_without_key_mentions_password(customer_client):
    body = customer_client.get(reverse("accounts:profile")).content.decode()

    assert "You gave no SSH key at signup" in body
    assert "The key is installed" not in body


def test_profile_requires_login(client, db):
    response = client.get(reverse("accounts:profile"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
