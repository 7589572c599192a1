"""`/healthz`: HTTP 200 when the database, the broker and the Linode API respond, 503 otherwise."""

from __future__ import annotations

import socket

import pytest
from django.urls import reverse

from accounts.models import User
from reseller.health import describe_error, run_checks


@pytest.fixture
def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def healthy_api(settings, linode_fake):
    settings.LINODE_API_URL = linode_fake.api_url
    settings.LINODE_TOKEN = linode_fake.token
    return linode_fake


@pytest.fixture
def staff_client(client, db):
    operator = User.objects.create_user(
        email="ops@example.com", password="staff password 4711", is_staff=True
    )
    client.force_login(operator)
    return client


def test_healthz_all_answer(client, db, healthy_api):
    response = client.get(reverse("healthz"))

    assert response.status_code == 200, response.content
    data = response.json()
    assert data["status"] == "ok"
    assert set(data["checks"]) == {"database", "broker", "linode_api"}
    for name, check in data["checks"].items():
        assert check["ok"] is True, (name, check)
        assert check["latency_ms"] >= 0
    assert "no-cache" in response["Cache-Control"]


def test_healthz_api_down_is_503(staff_client, db, settings, closed_port):
    settings.LINODE_API_URL = f"http://127.0.0.1:{closed_port}/v4"

    response = staff_client.get(reverse("healthz"))

    assert response.status_code == 503
    data = response.json()
    assert data["status"] == "error"
    assert data["checks"]["database"]["ok"] is True
    assert data["checks"]["linode_api"]["ok"] is False
    assert data["checks"]["linode_api"]["error"].startswith("ConnectionFailedError")


def test_healthz_rejected_token_is_503_without_token(staff_client, healthy_api, settings):
    settings.LINODE_TOKEN = "not-a-valid-token-0123456789abcdef"

    response = staff_client.get(reverse("healthz"))

    assert response.status_code == 503
    check = response.json()["checks"]["linode_api"]
    assert check["ok"] is False
    assert "UnauthorizedError" in check["error"]
    assert "not-a-valid-token-0123456789abcdef" not in response.content.decode()


def test_healthz_broker_down_is_503(client, db, healthy_api, settings, closed_port):
    settings.CELERY_BROKER_URL = f"redis://:broker-secret@127.0.0.1:{closed_port}/0"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {}

    response = client.get(reverse("healthz"))

    assert response.status_code == 503
    data = response.json()
    assert data["checks"]["broker"]["ok"] is False
    assert data["checks"]["linode_api"]["ok"] is True
    assert "broker-secret" not in response.content.decode()


def test_healthz_missing_broker_folder_is_503(staff_client, healthy_api, settings, tmp_path):
    settings.CELERY_BROKER_URL = "filesystem://"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(tmp_path / "missing"),
        "data_folder_out": str(tmp_path / "missing"),
    }

    response = staff_client.get(reverse("healthz"))

    assert response.status_code == 503
    error = response.json()["checks"]["broker"]["error"]
    assert "broker folder data_folder_in is missing or not writable" in error


@pytest.mark.parametrize("as_customer", [False, True])
def test_healthz_failure_details_staff_only(client, db, settings, closed_port, as_customer):
    api_url = f"http://127.0.0.1:{closed_port}/v4"
    settings.LINODE_API_URL = api_url
    if as_customer:
        customer = User.objects.create_user(email="kim@example.com", password="x9 plum lantern")
        client.force_login(customer)

    response = client.get(reverse("healthz"))

    assert response.status_code == 503
    data = response.json()
    assert data["status"] == "error"
    assert data["checks"]["linode_api"]["ok"] is False
    for name, check in data["checks"].items():
        assert set(check) == {"ok", "latency_ms"}, name
    assert "127.0.0.1" not in response.content.decode()
    assert "ConnectionFailedError" not in response.content.decode()


def test_healthz_rejects_post(client, db):
    assert client.post(reverse("healthz")).status_code == 405


def test_describe_error_hides_credentials(settings):
    settings.LINODE_TOKEN = "tok-abcdef123456"
    error = ConnectionError(
        "could not reach postgres://portal:hunter2@127.0.0.1:5432/db with tok-abcdef123456"
    )

    text = describe_error(error)

    assert text.startswith("ConnectionError: could not reach postgres://portal:[hidden]@")
    assert "hunter2" not in text
    assert "tok-abcdef123456" not in text


def test_run_checks_times_out_slow_api(db, healthy_api):
    healthy_api.faults = {"latency": 2.0}

    results = run_checks(timeout=0.5)

    assert results["linode_api"] == {
        "ok": False,
        "error": "timed out after 0.5 s",
        "latency_ms": 500.0,
    }
    assert results["database"]["ok"] is True
