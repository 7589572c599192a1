"""The OAuth login client against the fake's login service."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from linode_api import (
    ApiError,
    LinodeClient,
    LinodeLoginClient,
    OAuthScopes,
    UnauthorizedError,
)
from linode_fake.testing import FakeHandle

CLIENT_ID = "portal-client"
CLIENT_SECRET = "portal-client-secret-0c5a"
REDIRECT_URI = "http://127.0.0.1:8000/oauth/callback"


def approve_in_browser(login_url: str) -> str:
    """Do what the user's browser does: open the login page, approve, return the redirect URL."""
    page = requests.get(login_url, timeout=5)
    page.raise_for_status()
    form = {key: values[0] for key, values in parse_qs(urlsplit(login_url).query).items()}
    form["decision"] = "approve"
    root = login_url.split("/oauth/", 1)[0]
    answer = requests.post(root + "/oauth/authorize", data=form, allow_redirects=False, timeout=5)
    assert answer.status_code in (302, 303), answer.text
    return answer.headers["Location"]


@pytest.fixture
def login(fake: FakeHandle) -> LinodeLoginClient:
    fake.add_oauth_client(CLIENT_ID, CLIENT_SECRET, REDIRECT_URI)
    return LinodeLoginClient(CLIENT_ID, CLIENT_SECRET, fake.login_url)


def test_login_url_parameters(login: LinodeLoginClient, fake: FakeHandle) -> None:
    url = login.generate_login_url(
        scopes=[OAuthScopes.Linodes.read_write, OAuthScopes.Events.view],
        redirect_uri=REDIRECT_URI,
        state="csrf-123",
    )
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    assert url.startswith(fake.login_url + "/oauth/authorize?")
    assert query == {
        "client_id": [CLIENT_ID],
        "response_type": ["code"],
        "scope": ["events:read_only linodes:read_write"],
        "redirect_uri": [REDIRECT_URI],
        "state": ["csrf-123"],
    }
    assert parse_qs(urlsplit(login.generate_login_url()).query)["scope"] == ["*"]


def test_full_oauth_flow(login: LinodeLoginClient, fake: FakeHandle) -> None:
    url = login.generate_login_url(
        scopes="linodes:read_write,events:read_only", redirect_uri=REDIRECT_URI, state="s1"
    )
    redirect = parse_qs(urlsplit(approve_in_browser(url)).query)
    assert redirect["state"] == ["s1"]

    before = datetime.now(UTC)
    token = login.finish_oauth(redirect["code"][0])

    assert OAuthScopes.Linodes.view in token.scopes
    assert OAuthScopes.Events.view in token.scopes
    assert OAuthScopes.Account.view not in token.scopes
    assert token.expires_at is not None
    assert token.expires_at.tzinfo is UTC
    assert timedelta(hours=1.9) < token.expires_at - before < timedelta(hours=2.1)
    assert token.refresh_token
    assert token.access_token not in repr(token)
    assert token.refresh_token not in repr(token)

    client = LinodeClient(token.access_token, fake.api_url)
    assert len(client.get_linodes()) == 0
    with pytest.raises(ApiError) as caught:
        client.account().email  # noqa: B018
    assert caught.value.status in (401, 403)

    refreshed = login.refresh_oauth_token(token.refresh_token)
    assert refreshed.access_token != token.access_token
    assert refreshed.refresh_token != token.refresh_token
    assert len(LinodeClient(refreshed.access_token, fake.api_url).get_linodes()) == 0

    login.expire_token(refreshed.access_token)
    with pytest.raises(UnauthorizedError):
        len(LinodeClient(refreshed.access_token, fake.api_url).get_linodes())


def test_bad_code_and_secret_raise(login: LinodeLoginClient, fake: FakeHandle) -> None:
    with pytest.raises(ApiError) as caught:
        login.finish_oauth("not-a-code")
    assert caught.value.status == 400
    assert "POST /oauth/token" in str(caught.value)
    assert "not-a-code" not in str(caught.value)

    wrong = LinodeLoginClient(CLIENT_ID, "wrong-secret", fake.login_url)
    with pytest.raises(ApiError) as caught:
        wrong.refresh_oauth_token("whatever")
    assert caught.value.status in (400, 401)
    assert "wrong-secret" not in str(caught.value)
    assert "wrong-secret" not in repr(wrong)


def test_login_client_needs_base_url() -> None:
    with pytest.raises(ValueError, match="https://login.linode.com"):
        LinodeLoginClient(CLIENT_ID, CLIENT_SECRET, "")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="client_secret"):
        LinodeLoginClient(CLIENT_ID, "", "http://127.0.0.1:1")


def test_user_agent_and_timeout_shared(login: LinodeLoginClient) -> None:
    assert login.transport.user_agent.startswith("linode_api/")
    assert login.transport.timeout == (5.0, 30.0)
