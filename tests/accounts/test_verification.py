"""Email verification links: following one verifies the address and starts provisioning."""

from __future__ import annotations

import re
import time

from django.core import mail, signing
from django.urls import reverse

from accounts.models import User
from accounts.verification import make_token, send_verification_email
from provisioning.models import Operation, Server


def link_path(user: User) -> str:
    return reverse("accounts:verify-email", kwargs={"token": make_token(user)})


def test_mail_contains_working_link(client, customer):
    send_verification_email(customer)

    body = mail.outbox[0].body
    url = re.search(r"http://testserver(/accounts/verify/\S+/)", body)
    assert url is not None, body
    response = client.get(url.group(1))

    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.email_verified_at is not None


def test_link_verifies_and_starts_provisioning(customer_client, customer):
    response = customer_client.get(link_path(customer))

    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard")
    customer.refresh_from_db()
    assert customer.email_verified
    server = Server.objects.get(customer=customer)
    assert server.state == "provisioning"
    operation = Operation.objects.get(server=server)
    assert operation.kind == "provision"
    assert operation.actor == f"customer:{customer.pk}"


def test_link_followed_twice_starts_one_build(client, customer):
    first = client.get(link_path(customer))
    second = client.get(link_path(customer))

    assert first.status_code == 302
    assert second.status_code == 302
    assert Operation.objects.filter(server__customer=customer).count() == 1


def test_link_of_other_account_says_so(client, customer):
    other = User.objects.create_user(email="bob@example.com", password="bob password 9876")
    client.force_login(other)

    response = client.get(link_path(customer), follow=True)

    body = response.content.decode()
    customer.refresh_from_db()
    assert customer.email_verified
    assert not User.objects.get(pk=other.pk).email_verified
    assert response.redirect_chain[-1][0] == reverse("dashboard")
    assert "That link belongs to another account, which is now verified" in body
    assert "logged in as bob@example.com" in body
    assert "Your server is being built" not in body
    assert "carol@example.com" not in body


def test_link_of_own_account_names_address(customer_client, customer):
    response = customer_client.get(link_path(customer), follow=True)

    assert "The address carol@example.com is verified" in response.content.decode()


def test_link_when_logged_out_goes_to_login(client, customer):
    response = client.get(link_path(customer))

    assert response["Location"] == reverse("accounts:login")


def test_expired_link_is_rejected(client, customer, settings, monkeypatch):
    settings.EMAIL_VERIFICATION_MAX_AGE_SECONDS = 60
    # Sign the token 61 seconds in the past; the signer reads the clock through time.time.
    now = time.time()
    monkeypatch.setattr(signing.time, "time", lambda: now - 61)
    path = link_path(customer)
    monkeypatch.setattr(signing.time, "time", lambda: now)

    response = client.get(path)

    assert response.status_code == 400
    assert "This verification link has expired" in response.content.decode()
    customer.refresh_from_db()
    assert customer.email_verified_at is None


def test_tampered_link_is_rejected(client, customer):
    token = make_token(customer)
    tampered = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")

    response = client.get(reverse("accounts:verify-email", kwargs={"token": tampered}))

    assert response.status_code == 400
    assert "This verification link is invalid" in response.content.decode()
    customer.refresh_from_db()
    assert customer.email_verified_at is None


def test_link_for_changed_address_is_rejected(client, customer):
    path = link_path(customer)
    User.objects.filter(pk=customer.pk).update(email="carol.new@example.com")

    response = client.get(path)

    assert response.status_code == 400
    assert "no longer on an active account" in response.content.decode()


def test_resend_sends_new_mail(customer_client, customer):
    response = customer_client.post(reverse("accounts:resend-verification"))

    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [customer.email]


def test_resend_is_rate_limited(customer_client):
    customer_client.post(reverse("accounts:resend-verification"))
    response = customer_client.post(reverse("accounts:resend-verification"), follow=True)

    assert len(mail.outbox) == 1
    assert "A link was sent moments ago" in response.content.decode()


def test_resend_requires_post(customer_client):
    response = customer_client.get(reverse("accounts:resend-verification"))

    assert response.status_code == 405
    assert mail.outbox == []


def test_dashboard_offers_resend_until_verified(customer_client, customer):
    before = customer_client.get(reverse("dashboard")).content.decode()
    customer_client.get(link_path(customer))
    after = customer_client.get(reverse("dashboard")).content.decode()

    assert "Send the link again" in before
    assert "Send the link again" not in after


def test_link_after_cancelling_builds_nothing(customer_client, customer):
    customer_client.post(reverse("dashboard-cancel"), {"confirm": "on"})

    response = customer_client.get(link_path(customer))

    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.email_verified
    server = Server.objects.get(customer=customer)
    assert server.state in ("terminating", "terminated")
    assert not Operation.objects.filter(server=server, kind="provision").exists()


def test_link_for_server_without_history_still_verifies(client, customer):
    # A server moved out of pending by hand has no operation to report back.
    Server.objects.filter(customer=customer).update(state="terminated")

    response = client.get(link_path(customer))

    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.email_verified
    assert not Operation.objects.filter(server__customer=customer).exists()
