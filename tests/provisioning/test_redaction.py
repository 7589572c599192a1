"""Root passwords and the token stay out of error text, even when a response echoes the request."""

from __future__ import annotations

import json
import logging
import re
from io import StringIO

import pytest
import responses
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from linode_api import ServerError
from provisioning import executors, services, tasks
from provisioning.crypto import decrypt_secret, encrypt_secret
from provisioning.models import JobRun, Operation, OperationKind, Server, State, Transition
from provisioning.redaction import REDACTED, redact, remember_secret, secrets_scope

from .conftest import state_of, track_until


def echo_request(request):
    """Return a 400 error page, as a gateway that quotes the rejected request would."""
    body = request.body.decode() if isinstance(request.body, bytes) else str(request.body)
    page = f"<p>{request.headers['Authorization']} sent {body}</p>"
    return 400, {"Content-Type": "text/html"}, page


@pytest.fixture
def echoing_gateway(fake):
    """Put an echoing gateway in front of the fake's POST endpoints; other requests pass."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add_callback(
            responses.POST, re.compile(re.escape(fake.api_url) + r"/.*"), echo_request
        )
        mock.add_passthru(fake.api_url)
        yield mock


def stored_password(server: Server) -> str:
    server.refresh_from_db()
    return decrypt_secret(server.root_password_encrypted)


def assert_hidden(secret: str, texts: dict[str, str]) -> None:
    for where, text in texts.items():
        assert secret not in text, where


def test_redact_replaces_token_and_remembered(settings):
    settings.LINODE_TOKEN = "token-0123456789abcdef"
    with secrets_scope():
        remember_secret("Root-Pass-1234567")
        remember_secret("short")
        text = redact("token-0123456789abcdef then Root-Pass-1234567 then short")
    assert text == f"{REDACTED} then {REDACTED} then short"
    # Outside the scope, only the token is still known.
    assert redact("Root-Pass-1234567") == "Root-Pass-1234567"


def test_failed_create_hides_password_and_token(
    fake, catalog, plan, customer, echoing_gateway, caplog
):
    caplog.set_level(logging.DEBUG)
    server = services.place_order(customer=customer, plan=plan, region="us-east")
    operation = services.start_provisioning(server, actor="system")

    executors.execute(operation.pk)

    operation.refresh_from_db()
    server.refresh_from_db()
    assert server.state == State.FAILED
    assert "rejected the request" in operation.error
    assert REDACTED in operation.error
    transitions = " ".join(
        Transition.objects.filter(server=server).values_list("reason", flat=True)
    )
    log = caplog.text  # formatted when each record was logged
    texts = {
        "operation error": operation.error,
        "failure reason": server.failure_reason,
        "transitions": transitions,
        "log": log,
    }
    assert_hidden(stored_password(server), texts)
    assert_hidden(fake.token, texts)


def test_failed_rebuild_hides_password(fake, catalog, plan, customer, caplog):
    server = services.place_order(customer=customer, plan=plan, region="us-east")
    executors.execute(services.start_provisioning(server, actor="system").pk)
    track_until(lambda: state_of(server) == State.RUNNING)
    operation = services.request_power_action(server, OperationKind.REBUILD, actor="customer:1")
    caplog.set_level(logging.DEBUG)

    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add_callback(
            responses.POST,
            re.compile(re.escape(fake.api_url) + r"/linode/instances/\d+/rebuild"),
            echo_request,
        )
        mock.add_passthru(fake.api_url)
        executors.execute(operation.pk)

    operation.refresh_from_db()
    server.refresh_from_db()
    assert operation.status == "failed"
    assert REDACTED in operation.error
    log = caplog.text  # formatted when each record was logged
    texts = {"operation error": operation.error, "attention": server.attention, "log": log}
    assert_hidden(stored_password(server), texts)
    assert_hidden(fake.token, texts)


def test_job_error_hides_token(fake, db, settings, no_client_backoff):
    def echo_gateway_error(request):
        return 502, {"Content-Type": "text/html"}, f"<p>{request.headers['Authorization']}</p>"

    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add_callback(
            responses.GET, re.compile(re.escape(fake.api_url) + r"/.*"), echo_gateway_error
        )
        with pytest.raises(ServerError):
            tasks.reconcile_linodes()

    job = JobRun.objects.get(name="reconcile_linodes")
    assert job.last_error
    assert REDACTED in job.last_error
    assert fake.token not in job.last_error


def test_server_admin_hides_encrypted_password(admin_client, settings, plan, customer):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    encrypted = encrypt_secret("Root-Pass-123!xyz")
    server = Server.objects.create(
        customer=customer,
        plan=plan,
        region="us-east",
        state=State.RUNNING,
        root_password_encrypted=encrypted,
    )
    Operation.objects.create(server=server, kind=OperationKind.PROVISION)

    pages = [
        reverse("admin:provisioning_server_change", args=[server.pk]),
        reverse("admin:provisioning_server_changelist"),
        reverse("admin:provisioning_operation_changelist"),
        reverse("admin:provisioning_operation_change", args=[server.operations.get().pk]),
    ]
    for url in pages:
        content = admin_client.get(url).content.decode()
        assert encrypted not in content, url
        assert "Root-Pass-123!xyz" not in content, url


def test_check_linode_error_hides_token(fake, db):
    def echo_forbidden(request):
        return 403, {"Content-Type": "text/html"}, f"<p>{request.headers['Authorization']}</p>"

    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add_callback(
            responses.GET, re.compile(re.escape(fake.api_url) + r"/.*"), echo_forbidden
        )
        with pytest.raises(CommandError, match="was forbidden") as raised:
            call_command("check_linode", stdout=StringIO())

    assert REDACTED in str(raised.value)
    assert fake.token not in str(raised.value)


def test_create_outcome_unknown_hides_password(fake, catalog, plan, customer, caplog):
    def echo_in_json_error(request):
        body = request.body.decode() if isinstance(request.body, bytes) else str(request.body)
        return 502, {"Content-Type": "application/json"}, json.dumps({"errors": [{"reason": body}]})

    caplog.set_level(logging.DEBUG)
    server = services.place_order(customer=customer, plan=plan, region="us-east")
    operation = services.start_provisioning(server, actor="system")

    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add_callback(
            responses.POST,
            re.compile(re.escape(fake.api_url) + r"/linode/instances"),
            echo_in_json_error,
        )
        mock.add_passthru(fake.api_url)
        executors.execute(operation.pk)

    operation.refresh_from_db()
    assert operation.status == "queued"  # retried once the label lookup found nothing
    assert "create outcome unknown" in operation.error
    assert REDACTED in operation.error
    log = caplog.text  # formatted when each record was logged
    assert "create outcome unknown (" in log
    assert_hidden(stored_password(server), {"operation error": operation.error, "log": log})
