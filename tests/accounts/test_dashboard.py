"""The dashboard, its JSON feed, cancellation and the root password reveal."""

from __future__ import annotations

import logging

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from django.core.cache import cache
from django.urls import reverse

from accounts.dashboard import REVEAL_MAX_FAILURES
from accounts.forms import CancelForm
from accounts.models import User
from provisioning.crypto import encrypt_secret
from provisioning.models import Operation, Server
from provisioning.services import request_termination
from tests.accounts.conftest import CUSTOMER_PASSWORD

ROOT_PASSWORD = "Root-Pw-7f3c9e2a-b81d"


def make_running(server: Server, **fields) -> Server:
    values = {
        "state": "running",
        "progress": 100,
        "linode_id": 4242,
        "ipv4": "192.0.2.10",
        "ipv6": "2001:db8::10/128",
        "root_password_encrypted": encrypt_secret(ROOT_PASSWORD),
    }
    values.update(fields)
    Server.objects.filter(pk=server.pk).update(**values)
    server.refresh_from_db()
    return server


@pytest.fixture
def running_server(customer):
    return make_running(customer.server)


# --- dashboard and server.json -------------------------------------------------


def test_dashboard_requires_login(client):
    response = client.get(reverse("dashboard"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_dashboard_shows_running_server(customer_client, running_server):
    response = customer_client.get(reverse("dashboard"))

    body = response.content.decode()
    assert response.status_code == 200
    assert "state-running" in body
    assert "ssh root@192.0.2.10" in body
    assert "2001:db8::10/128" in body
    assert "Starter" in body
    assert 'value="100"' in body
    assert "Reveal root password" in body
    assert ROOT_PASSWORD not in body


def test_dashboard_shows_region_label_and_time(customer_client, running_server):
    response = customer_client.get(reverse("dashboard"))

    body = response.content.decode()
    assert "Newark, NJ (us-east)" in body
    assert running_server.updated_at.strftime("%Y-%m-%d %H:%M:%S UTC") in body


def test_dashboard_suspended_names_operator(customer_client, running_server, settings):
    settings.DEFAULT_FROM_EMAIL = "support@example.net"
    Server.objects.filter(pk=running_server.pk).update(state="suspended")

    body = customer_client.get(reverse("dashboard")).content.decode()

    assert "Your server is suspended" in body
    assert 'href="mailto:support@example.net"' in body


def test_dashboard_with_ssh_key_offers_no_reveal(customer_client, customer):
    key = (
        ed25519.Ed25519PrivateKey.generate()
        .public_key()
        .public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
        .decode()
    )
    make_running(customer.server, ssh_key=key, root_password_encrypted="")

    body = customer_client.get(reverse("dashboard")).content.decode()

    assert "accepts root logins with the SSH key" in body
    assert "SHA256:" in body
    assert "Reveal root password" not in body


def test_dashboard_for_operator_without_server(client, db):
    operator = User.objects.create_superuser(email="op@example.com", password="x")
    client.force_login(operator)

    body = client.get(reverse("dashboard")).content.decode()

    assert "This account has no server" in body
    assert reverse("admin:index") in body


def test_server_json_has_status_keys(customer_client, running_server):
    response = customer_client.get(reverse("dashboard-server-json"))

    assert response.status_code == 200
    assert "no-cache" in response["Cache-Control"]
    data = response.json()
    for key in ("state", "progress", "ipv4", "ipv6", "plan", "region", "linode_id", "updated"):
        assert key in data, key
    assert data["state"] == "running"
    assert data["progress"] == 100
    assert data["ipv4"] == "192.0.2.10"
    assert data["plan"] == "starter"
    assert data["region"] == "us-east"
    assert data["linode_id"] == 4242
    assert ROOT_PASSWORD not in response.content.decode()


def test_server_json_pending_has_no_address(customer_client):
    data = customer_client.get(reverse("dashboard-server-json")).json()

    assert data["state"] == "pending"
    assert data["ipv4"] is None
    assert data["linode_id"] is None


def test_server_json_logged_out_is_401(client, customer):
    response = client.get(reverse("dashboard-server-json"))

    assert response.status_code == 401
    assert response.json() == {"error": "Log in to see your server's status."}


def test_server_json_without_server_is_404(client, db):
    user = User.objects.create_user(email="nobody@example.com", password="x")
    client.force_login(user)

    response = client.get(reverse("dashboard-server-json"))

    assert response.status_code == 404


# --- cancellation -----------------------------------------------------------------


def test_cancel_get_asks_for_confirmation(customer_client, running_server):
    response = customer_client.get(reverse("dashboard-cancel"))

    assert response.status_code == 200
    assert "Delete my server" in response.content.decode()
    assert not Operation.objects.filter(kind="terminate").exists()


def test_cancel_post_without_confirmation_does_nothing(customer_client, running_server):
    response = customer_client.post(reverse("dashboard-cancel"), {})

    assert response.status_code == 400
    assert "Tick the box to confirm" in response.content.decode()
    running_server.refresh_from_db()
    assert running_server.state == "running"
    assert not Operation.objects.filter(kind="terminate").exists()


def test_cancel_post_confirmed_starts_teardown(customer_client, customer, running_server):
    response = customer_client.post(reverse("dashboard-cancel"), {"confirm": "on"})

    assert response.status_code == 302
    running_server.refresh_from_db()
    assert running_server.state == "terminating"
    operation = Operation.objects.get(kind="terminate")
    assert operation.actor == f"customer:{customer.pk}"
    page = customer_client.get(reverse("dashboard")).content.decode()
    assert "state-terminating" in page
    assert "Your server is being deleted" in page
    assert "Cancel my server" not in page


def test_cancel_logs_once_when_requests_race(customer_client, customer, running_server, caplog):
    # A parallel cancel request commits its termination after this request checked
    # the server's state and before it requests the termination itself.
    real_is_valid = CancelForm.is_valid

    def valid_after_other_request(form):
        request_termination(running_server, actor=f"customer:{customer.pk}")
        return real_is_valid(form)

    caplog.set_level(logging.INFO, logger="accounts.dashboard")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(CancelForm, "is_valid", valid_after_other_request)
        response = customer_client.post(reverse("dashboard-cancel"), {"confirm": "on"})

    assert response.status_code == 302
    assert Operation.objects.filter(kind="terminate").count() == 1
    messages = [record.getMessage() for record in caplog.records]
    assert f"User {customer.pk} cancelled server {running_server.uuid}" not in messages
    assert any("termination was already requested" in message for message in messages)


def test_cancel_logs_the_first_request(customer_client, customer, running_server, caplog):
    caplog.set_level(logging.INFO, logger="accounts.dashboard")

    customer_client.post(reverse("dashboard-cancel"), {"confirm": "on"})

    messages = [record.getMessage() for record in caplog.records]
    assert messages.count(f"User {customer.pk} cancelled server {running_server.uuid}") == 1


def test_cancel_terminated_server_redirects(customer_client, customer):
    make_running(customer.server, state="terminated")

    response = customer_client.post(reverse("dashboard-cancel"), {"confirm": "on"})

    assert response.status_code == 302
    assert not Operation.objects.filter(kind="terminate").exists()
    page = customer_client.get(reverse("dashboard")).content.decode()
    assert "Your server was deleted" in page


def test_dashboard_terminated_hides_addresses(customer_client, customer, settings):
    settings.DEFAULT_FROM_EMAIL = "ops@reseller.example"
    make_running(customer.server, state="terminated")

    page = customer_client.get(reverse("dashboard")).content.decode()
    data = customer_client.get(reverse("dashboard-server-json")).json()

    assert "192.0.2.10" not in page
    assert "2001:db8::10" not in page
    assert "released when the server was deleted" in page
    assert "To order a new server, write to the operator at" in page
    assert 'href="mailto:ops@reseller.example"' in page
    assert data["ipv4"] is None
    assert data["ipv6"] is None


def test_dashboard_terminating_marks_addresses(customer_client, customer):
    make_running(customer.server, state="terminating")

    page = customer_client.get(reverse("dashboard")).content.decode()

    assert '<s data-field="ipv4">192.0.2.10</s> (being deleted)' in page
    assert '<s data-field="ipv6">2001:db8::10/128</s> (being deleted)' in page
    assert "To order a new server" not in page


def test_cancel_requires_login(client, running_server):
    response = client.post(reverse("dashboard-cancel"), {"confirm": "on"})

    assert response.status_code == 302
    running_server.refresh_from_db()
    assert running_server.state == "running"


# --- root password reveal ---------------------------------------------------------


def test_reveal_with_wrong_password_shows_nothing(customer_client, running_server):
    response = customer_client.post(
        reverse("dashboard-root-password"), {"password": "not my password"}
    )

    body = response.content.decode()
    assert response.status_code == 400
    assert "That is not your portal password" in body
    assert ROOT_PASSWORD not in body


def test_reveal_with_portal_password_shows_it_once(customer_client, running_server):
    response = customer_client.post(
        reverse("dashboard-root-password"), {"password": CUSTOMER_PASSWORD}
    )

    assert response.status_code == 200
    assert ROOT_PASSWORD in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    session_values = " ".join(str(value) for value in customer_client.session.values())
    assert ROOT_PASSWORD not in session_values
    # The dashboard itself still does not show it.
    assert ROOT_PASSWORD not in customer_client.get(reverse("dashboard")).content.decode()


def test_reveal_wording_matches_repeat_reveals(customer_client, running_server):
    url = reverse("dashboard-root-password")
    dashboard_body = customer_client.get(reverse("dashboard")).content.decode()

    first = customer_client.post(url, {"password": CUSTOMER_PASSWORD}).content.decode()
    second = customer_client.post(url, {"password": CUSTOMER_PASSWORD}).content.decode()

    assert ROOT_PASSWORD in first
    assert ROOT_PASSWORD in second
    assert "shown once" not in dashboard_body
    assert "reveal it again here with your portal password" in dashboard_body
    assert "shown once" not in second
    assert "reveal it again on your dashboard" in second


def test_reveal_requires_post(customer_client, running_server):
    response = customer_client.get(reverse("dashboard-root-password"))

    assert response.status_code == 405


def test_reveal_never_logs_passwords(customer_client, running_server, caplog):
    caplog.set_level(logging.DEBUG)

    customer_client.post(reverse("dashboard-root-password"), {"password": "wrong guess 123"})
    customer_client.post(reverse("dashboard-root-password"), {"password": CUSTOMER_PASSWORD})

    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "revealed the root password" in logged
    assert "wrong password" in logged
    assert ROOT_PASSWORD not in logged
    assert CUSTOMER_PASSWORD not in logged
    assert "wrong guess 123" not in logged


def test_reveal_for_ssh_key_server_redirects(customer_client, customer):
    make_running(customer.server, ssh_key="ssh-ed25519 AAAA", root_password_encrypted="")

    response = customer_client.post(
        reverse("dashboard-root-password"), {"password": CUSTOMER_PASSWORD}, follow=True
    )

    assert "There is no root password to show" in response.content.decode()


def test_reveal_of_other_customer_impossible(client, plans, running_server):
    other = User.objects.create_user(email="eve@example.com", password=CUSTOMER_PASSWORD)
    client.force_login(other)

    response = client.post(reverse("dashboard-root-password"), {"password": CUSTOMER_PASSWORD})

    assert response.status_code == 302
    assert ROOT_PASSWORD not in client.get(response["Location"]).content.decode()


def test_reveal_locks_after_repeated_failures(customer_client, running_server):
    cache.clear()
    url = reverse("dashboard-root-password")
    for attempt in range(REVEAL_MAX_FAILURES):
        response = customer_client.post(url, {"password": f"guess {attempt}"})
        assert response.status_code == 400, attempt

    locked = customer_client.post(url, {"password": CUSTOMER_PASSWORD})

    assert locked.status_code == 429
    assert "Too many wrong passwords" in locked.content.decode()
    assert ROOT_PASSWORD not in locked.content.decode()
    cache.clear()


def test_reveal_empty_password_is_no_failure(customer_client, running_server, caplog):
    cache.clear()
    url = reverse("dashboard-root-password")
    for _ in range(REVEAL_MAX_FAILURES + 1):
        response = customer_client.post(url, {"password": ""})
        assert response.status_code == 400
        assert "Enter the password you log in to the portal with" in response.content.decode()

    unlocked = customer_client.post(url, {"password": CUSTOMER_PASSWORD})

    assert "wrong password" not in caplog.text
    assert unlocked.status_code == 200
    assert ROOT_PASSWORD in unlocked.content.decode()
    cache.clear()


def test_reveal_success_resets_failures(customer_client, running_server):
    cache.clear()
    url = reverse("dashboard-root-password")
    for attempt in range(REVEAL_MAX_FAILURES - 1):
        customer_client.post(url, {"password": f"guess {attempt}"})
    customer_client.post(url, {"password": CUSTOMER_PASSWORD})
    for attempt in range(REVEAL_MAX_FAILURES - 1):
        customer_client.post(url, {"password": f"again {attempt}"})

    response = customer_client.post(url, {"password": CUSTOMER_PASSWORD})

    assert response.status_code == 200
    assert ROOT_PASSWORD in response.content.decode()
    cache.clear()


def test_reveal_undecryptable_password_explains(customer_client, customer, caplog):
    make_running(customer.server, root_password_encrypted="not-a-fernet-token")

    response = customer_client.post(
        reverse("dashboard-root-password"), {"password": CUSTOMER_PASSWORD}, follow=True
    )

    assert response.status_code == 200
    assert "Your root password cannot be shown right now" in response.content.decode()
    assert "cannot be decrypted with SECRET_KEY" in caplog.text
