"""Signup: the form's validation and the view that creates the user and the order."""

from __future__ import annotations

import re

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from django.core import mail
from django.urls import reverse

from accounts.forms import SignupForm
from accounts.models import User
from provisioning.models import CatalogImage, CatalogType, Server

PASSWORD = "plum tractor nineteen lantern"


def public_key_line(private_key) -> str:
    return (
        private_key.public_key()
        .public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
        .decode()
    )


def signup_data(**overrides) -> dict[str, str]:
    data = {
        "email": "Dana@Example.com",
        "password1": PASSWORD,
        "password2": PASSWORD,
        "plan": "starter",
        "region": "",
        "ssh_key": "",
    }
    data.update(overrides)
    return data


# --- the form -----------------------------------------------------------------


def test_form_offers_active_plans_and_regions(plans):
    plans["standard"].active = False
    plans["standard"].save()

    form = SignupForm()

    assert [value for value, _ in form.fields["plan"].choices] == ["starter"]
    assert ("us-east", "Newark, NJ (us-east)") in form.fields["region"].choices
    assert form.plan_regions == {"starter": ["us-east"]}


def test_form_single_region_plan_needs_no_choice(plans):
    form = SignupForm(signup_data())

    assert form.is_valid(), form.errors
    assert form.cleaned_data["region"] == "us-east"
    assert form.cleaned_data["email"] == "dana@example.com"


def test_form_multi_region_plan_needs_region(plans):
    form = SignupForm(signup_data(plan="standard"))

    assert not form.is_valid()
    assert "offered in several regions; choose one of: us-east, eu-west" in str(
        form.errors["region"]
    )


def test_form_rejects_region_outside_plan(plans):
    form = SignupForm(signup_data(region="eu-west"))

    assert not form.is_valid()
    assert "The Starter plan is not offered in eu-west" in str(form.errors["region"])


def test_form_rejects_unknown_plan(plans):
    form = SignupForm(signup_data(plan="gold"))

    assert not form.is_valid()
    assert "gold is not one of the available choices" in str(form.errors["plan"])


def test_form_rejects_different_passwords(plans):
    form = SignupForm(signup_data(password2=PASSWORD + "x"))

    assert not form.is_valid()
    assert "The two passwords differ" in str(form.errors["password2"])


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short", "too short"),
        ("password123", "too common"),
        ("4815162342", "entirely numeric"),
        ("dana.example", "too similar to the email address"),
    ],
)
def test_form_applies_password_validators(plans, password, message):
    form = SignupForm(signup_data(password1=password, password2=password))

    assert not form.is_valid()
    assert message in str(form.errors["password1"])


def test_form_rejects_duplicate_email_any_case(plans):
    User.objects.create_user(email="dana@example.com", password=PASSWORD)

    form = SignupForm(signup_data(email="DANA@example.COM"))

    assert not form.is_valid()
    assert "An account with the address dana@example.com already exists" in str(
        form.errors["email"]
    )


def test_form_normalises_valid_ssh_key(plans):
    key = public_key_line(ed25519.Ed25519PrivateKey.generate())

    form = SignupForm(signup_data(ssh_key=f"  {key}   dana@laptop \n"))

    assert form.is_valid(), form.errors
    assert form.cleaned_data["ssh_key"] == f"{key} dana@laptop"


def test_form_rejects_weak_rsa_key(plans):
    weak = public_key_line(rsa.generate_private_key(public_exponent=65537, key_size=1024))

    form = SignupForm(signup_data(ssh_key=weak))

    assert not form.is_valid()
    assert "RSA key is 1024 bits long" in str(form.errors["ssh_key"])


def test_form_rejects_plan_missing_from_catalog(plans):
    CatalogImage.objects.filter(id="linode/debian12").update(present=False)

    form = SignupForm(signup_data())

    assert not form.is_valid()
    errors = " ".join(form.non_field_errors())
    assert "This plan cannot be ordered right now" in errors
    assert "'linode/debian12'" in errors
    assert "No account was created" in errors


# --- the view -----------------------------------------------------------------


def test_signup_page_lists_plans(client, plans):
    response = client.get(reverse("accounts:signup"), {"plan": "standard"})

    assert response.status_code == 200
    body = response.content.decode()
    assert '<option value="standard" selected>' in body
    assert 'id="plan-regions"' in body
    assert "Starter: 5.00 USD per month" in body


def test_signup_creates_user_order_and_mail(client, plans):
    response = client.post(
        reverse("accounts:signup"), signup_data(plan="standard", region="eu-west")
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard")
    user = User.objects.get(email="dana@example.com")
    assert user.check_password(PASSWORD)
    assert user.email_verified_at is None
    server = Server.objects.get(customer=user)
    assert server.state == "pending"
    assert server.plan.slug == "standard"
    assert server.region == "eu-west"
    assert server.ssh_key == ""
    assert int(client.session["_auth_user_id"]) == user.pk

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["dana@example.com"]
    assert re.search(r"http://testserver/accounts/verify/[^/\s]+/", message.body)
    assert PASSWORD not in message.body


def test_signup_stores_ssh_key_on_server(client, plans):
    key = public_key_line(ed25519.Ed25519PrivateKey.generate())

    client.post(reverse("accounts:signup"), signup_data(ssh_key=key))

    server = Server.objects.get(customer__email="dana@example.com")
    assert server.ssh_key == key


def test_signup_error_keeps_entered_values(client, plans):
    data = signup_data(plan="standard", region="", ssh_key="ssh-ed25519 broken!")

    response = client.post(reverse("accounts:signup"), data)

    assert response.status_code == 400
    body = response.content.decode()
    assert 'value="Dana@Example.com"' in body
    assert '<option value="standard" selected>' in body
    assert "ssh-ed25519 broken!" in body
    assert "not valid base64" in body
    assert "offered in several regions" in body
    assert PASSWORD not in body
    assert not User.objects.exists()


def test_signup_plan_problem_creates_no_user(client, plans):
    CatalogType.objects.filter(id="g6-nanode-1").delete()

    response = client.post(reverse("accounts:signup"), signup_data())

    assert response.status_code == 400
    assert "The server size &#x27;g6-nanode-1&#x27;" in response.content.decode()
    assert not User.objects.exists()
    assert not Server.objects.exists()
    assert mail.outbox == []


def test_signup_rejected_order_rolls_back_user(client, plans, monkeypatch):
    # The form's check passes, then the catalog changes before the order is placed:
    # place_order rejects it and the user created in the same transaction must go.
    monkeypatch.setattr("accounts.forms.plan_problems", lambda plan, region: [])
    CatalogImage.objects.filter(id="linode/debian12").delete()

    response = client.post(reverse("accounts:signup"), signup_data())

    assert response.status_code == 400
    assert "No account was created" in response.content.decode()
    assert not User.objects.exists()
    assert not Server.objects.exists()


def test_signup_racing_same_email_rerenders_form(client, plans, monkeypatch):
    # Another signup with the same address commits after this form's clean_email
    # checked the address and before this request inserts its user.
    real_is_valid = SignupForm.is_valid

    def valid_then_taken(form):
        valid = real_is_valid(form)
        User.objects.create_user(email="dana@example.com", password="other password 777")
        return valid

    monkeypatch.setattr(SignupForm, "is_valid", valid_then_taken)
    key = public_key_line(ed25519.Ed25519PrivateKey.generate())
    data = signup_data(plan="standard", region="eu-west", ssh_key=key)

    response = client.post(reverse("accounts:signup"), data)

    body = response.content.decode()
    assert response.status_code == 400
    assert "An account with the address dana@example.com already exists" in body
    assert 'value="Dana@Example.com"' in body
    assert '<option value="standard" selected>' in body
    assert '<option value="eu-west" selected>' in body
    assert key in body
    assert PASSWORD not in body
    assert User.objects.count() == 1
    assert not Server.objects.exists()
    assert mail.outbox == []
    assert "_auth_user_id" not in client.session


def test_signup_redirects_logged_in_user(customer_client):
    response = customer_client.get(reverse("accounts:signup"))

    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard")


def test_home_lists_plans_with_signup_links(client, plans):
    response = client.get("/")

    body = response.content.decode()
    assert response.status_code == 200
    assert "Starter" in body
    assert "<strong>24.00 USD</strong> per month" in body
    assert f"{reverse('accounts:signup')}?plan=standard" in body


def test_signup_post_when_logged_in_creates_nothing(customer_client, plans):
    response = customer_client.post(reverse("accounts:signup"), signup_data())

    assert response.status_code == 302
    assert not User.objects.filter(email="dana@example.com").exists()
