"""Tests of the fake's OAuth login service (`linode_fake.oauth`).

Most tests drive the blueprint on a bare Flask app over a real in-memory
`Store`. The end-to-end tests at the bottom log in through a running fake and
use the issued tokens on its API.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient
from linode_api4 import ApiError, LinodeLoginClient

from linode_fake.oauth import (
    create_oauth_blueprint,
    normalize_scopes,
    redirect_uri_allowed,
    register_oauth_client,
)
from linode_fake.store import Store
from linode_fake.testing import FakeHandle, run_fake

CLIENT_ID = "portal-client"
CLIENT_SECRET = "s3cret-client-value"
REDIRECT_URI = "http://127.0.0.1:8000/accounts/linode/callback"


@pytest.fixture
def store() -> Iterator[Store]:
    store = Store(None)
    yield store
    store.close()


@pytest.fixture
def client(store: Store) -> FlaskClient:
    register_oauth_client(store, CLIENT_ID, CLIENT_SECRET, REDIRECT_URI)
    app = Flask("oauth-test")
    app.register_blueprint(create_oauth_blueprint(store))
    return app.test_client()


def query_of(location: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}


def fragment_of(location: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(location).fragment).items()}


def approve(client: FlaskClient, **params: str) -> str:
    """Approve a login with the given parameters and return the redirect location."""
    fields = {"client_id": CLIENT_ID, "response_type": "code", **params, "decision": "approve"}
    response = client.post("/oauth/authorize", data=fields)
    assert response.status_code == 302, response.get_data(as_text=True)
    return response.headers["Location"]


def get_code(client: FlaskClient, **params: str) -> str:
    return query_of(approve(client, **params))["code"]


def exchange(client: FlaskClient, code: str, /, **fields: str) -> Any:
    data = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "code": code, **fields}
    return client.post("/oauth/token", data=data)


def refresh(client: FlaskClient, refresh_token: str, secret: str = CLIENT_SECRET) -> Any:
    data = {
        "grant_type": "refresh_token",
        "client_id": CLIENT_ID,
        "client_secret": secret,
        "refresh_token": refresh_token,
    }
    return client.post("/oauth/token", data=data)


def expire(client: FlaskClient, token: str, path: str = "/oauth/token/expire") -> Any:
    data = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "token": token}
    return client.post(path, data=data)


# -- scopes and redirect URIs ------------------------------------------------------


@pytest.mark.parametrize(
    ("requested", "granted"),
    [
        ("linodes:read_only", "linodes:read_only"),
        ("linodes:read_write,events:read_only", "linodes:read_write events:read_only"),
        ("linodes:read_write events:read_only", "linodes:read_write events:read_only"),
        (" images:read_only , images:read_only ", "images:read_only"),
        ("linodes:*", "linodes:*"),
        ("*", "*"),
        ("linodes:read_only,*", "*"),
        ("", "*"),
    ],
)
def test_normalize_scopes_accepts(requested: str, granted: str) -> None:
    assert normalize_scopes(requested) == granted


@pytest.mark.parametrize("requested", ["linodes", "linodes:admin", "kittens:read_only", "a:b:c"])
def test_normalize_scopes_rejects(requested: str) -> None:
    with pytest.raises(Exception, match="unknown scope") as caught:
        normalize_scopes(requested)
    assert caught.value.error == "invalid_scope"  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("requested", "allowed"),
    [
        (REDIRECT_URI, True),
        (REDIRECT_URI + "/step", True),
        (REDIRECT_URI + "?next=%2Fdashboard", True),
        ("HTTP://127.0.0.1:8000/accounts/linode/callback", True),
        ("http://127.0.0.1:8000/accounts/linode/callbackevil", False),
        ("http://127.0.0.1:8000/accounts/linode", False),
        ("http://127.0.0.1:8000/accounts/linode/callback/../../admin", False),
        ("http://127.0.0.1:8000/accounts/linode/callback/%2e%2e/x", False),
        ("http://127.0.0.1:8001/accounts/linode/callback", False),
        ("https://127.0.0.1:8000/accounts/linode/callback", False),
        ("http://localhost:8000/accounts/linode/callback", False),
        (REDIRECT_URI + "#fragment", False),
        ("/accounts/linode/callback", False),
    ],
)
def test_redirect_uri_under_registered(requested: str, allowed: bool) -> None:
    assert redirect_uri_allowed(REDIRECT_URI, requested) is allowed


def test_client_without_redirect_uri(store: Store, client: FlaskClient) -> None:
    register_oauth_client(store, "cli-client", "cli-secret", "")
    base = {"client_id": "cli-client", "response_type": "code", "decision": "approve"}

    accepted = client.post(
        "/oauth/authorize", data={**base, "redirect_uri": "http://localhost:9000/cb"}
    )
    assert accepted.status_code == 302
    assert accepted.headers["Location"].startswith("http://localhost:9000/cb?code=")

    for redirect_uri in ("", "http://192.0.2.1/cb", "http://example.invalid/cb"):
        rejected = client.post("/oauth/authorize", data={**base, "redirect_uri": redirect_uri})
        assert rejected.status_code == 400, redirect_uri
        assert "Location" not in rejected.headers, redirect_uri


def test_register_client_rejects_bad_values(store: Store) -> None:
    with pytest.raises(ValueError, match="invalid redirect URI 'ftp://x/'"):
        register_oauth_client(store, "app", "secret", "ftp://x/")
    with pytest.raises(ValueError, match="invalid OAuth client id"):
        register_oauth_client(store, "two words", "secret", REDIRECT_URI)
    with pytest.raises(ValueError, match="invalid secret") as caught:
        register_oauth_client(store, "app", "bad secret", REDIRECT_URI)
    assert "bad secret" not in str(caught.value)


# -- the approve page -----------------------------------------------------------------


def test_authorize_page_lists_scopes(client: FlaskClient) -> None:
    response = client.get(
        "/oauth/authorize",
        query_string={
            "client_id": CLIENT_ID,
            "response_type": "code",
            "scopes": "linodes:read_write,events:read_only",
            "state": "xyz",
        },
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert "<li>linodes:read_write</li>" in page
    assert "<li>events:read_only</li>" in page
    assert 'name="state" value="xyz"' in page
    assert 'value="approve"' in page


def test_authorize_page_escapes_input(store: Store, client: FlaskClient) -> None:
    register_oauth_client(store, "<b>app</b>", "secret", REDIRECT_URI)
    state = '"><script>alert(1)</script>'
    response = client.get(
        "/oauth/authorize",
        query_string={"client_id": "<b>app</b>", "response_type": "code", "state": state},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<script>" not in page
    assert "<b>app</b>" not in page
    assert "&lt;b&gt;app&lt;/b&gt;" in page
    assert "&quot;&gt;&lt;script&gt;" in page


def test_authorize_unknown_client_is_not_redirected(client: FlaskClient) -> None:
    response = client.get(
        "/oauth/authorize", query_string={"client_id": "nobody", "response_type": "code"}
    )
    assert response.status_code == 400
    assert "Location" not in response.headers
    assert "Unknown OAuth client" in response.get_data(as_text=True)


def test_authorize_foreign_redirect_uri_rejected(client: FlaskClient) -> None:
    for method in ("get", "post"):
        params = {
            "client_id": CLIENT_ID,
            "response_type": "code",
            "redirect_uri": "http://127.0.0.2:8000/steal",
            "decision": "approve",
        }
        if method == "get":
            response = client.get("/oauth/authorize", query_string=params)
        else:
            response = client.post("/oauth/authorize", data=params)
        assert response.status_code == 400, method
        assert "Location" not in response.headers, method
        assert "not under the one registered" in response.get_data(as_text=True), method


def test_authorize_without_client_id(client: FlaskClient) -> None:
    response = client.get("/oauth/authorize", query_string={"response_type": "code"})
    assert response.status_code == 400
    assert "no client_id" in response.get_data(as_text=True)


def test_authorize_bad_response_type_redirects(client: FlaskClient) -> None:
    location = approve(client, response_type="id_token", state="s1")
    assert location.startswith(REDIRECT_URI + "?")
    assert query_of(location) == {"error": "unsupported_response_type", "state": "s1"}


def test_authorize_bad_scope_redirects(client: FlaskClient) -> None:
    location = approve(client, scope="linodes:everything", state="s2")
    params = query_of(location)
    assert params["error"] == "invalid_scope"
    assert params["state"] == "s2"
    assert "linodes:everything" in params["error_description"]


def test_authorize_deny_redirects(client: FlaskClient) -> None:
    response = client.post(
        "/oauth/authorize",
        data={"client_id": CLIENT_ID, "response_type": "code", "state": "s3", "decision": "deny"},
    )
    assert response.status_code == 302
    assert query_of(response.headers["Location"]) == {"error": "access_denied", "state": "s3"}


def test_authorize_keeps_redirect_query(client: FlaskClient) -> None:
    location = approve(client, redirect_uri=REDIRECT_URI + "/done?next=%2Fhome", state="s4")
    assert location.startswith(REDIRECT_URI + "/done?")
    params = query_of(location)
    assert params["next"] == "/home"
    assert params["state"] == "s4"
    assert params["code"]


# -- the code flow --------------------------------------------------------------------


def test_code_flow_issues_tokens(store: Store, client: FlaskClient) -> None:
    location = approve(client, scopes="linodes:read_write,events:read_only", state="abc")
    params = query_of(location)
    assert location.startswith(REDIRECT_URI + "?")
    assert params["state"] == "abc"

    response = exchange(client, params["code"])
    body = response.get_json()
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 7200
    assert body["scope"] == "linodes:read_write events:read_only"
    assert body["scopes"] == body["scope"]
    assert body["refresh_token"] != body["access_token"]
    assert store.token_scopes(body["access_token"]) == "linodes:read_write events:read_only"


def test_code_flow_accepts_scope_spelling(client: FlaskClient) -> None:
    code = get_code(client, scope="images:read_only account:read_only")
    body = exchange(client, code, grant_type="authorization_code").get_json()
    assert body["scopes"] == "images:read_only account:read_only"


def test_code_flow_accepts_multipart(client: FlaskClient) -> None:
    code = get_code(client, scopes="linodes:read_only")
    response = client.post(
        "/oauth/token",
        data={"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "code": code},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    assert response.get_json()["scopes"] == "linodes:read_only"


def test_code_flow_accepts_basic_auth(client: FlaskClient) -> None:
    code = get_code(client, scopes="linodes:read_only")
    credentials = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
    response = client.post(
        "/oauth/token",
        data={"code": code},
        headers={"Authorization": f"Basic {credentials}"},
    )
    assert response.status_code == 200
    assert response.get_json()["access_token"]


def test_access_token_expires_after_7200s(store: Store, client: FlaskClient) -> None:
    body = exchange(client, get_code(client, scopes="linodes:read_only")).get_json()
    store.clock.advance(7199)
    assert store.token_scopes(body["access_token"]) == "linodes:read_only"
    store.clock.advance(2)
    assert store.token_scopes(body["access_token"]) is None


def test_code_reuse_rejected(store: Store, client: FlaskClient) -> None:
    code = get_code(client, scopes="linodes:read_only")
    first = exchange(client, code).get_json()

    second = exchange(client, code)
    assert second.status_code == 400
    assert second.get_json()["error"] == "invalid_grant"
    assert "already used" in second.get_json()["error_description"]
    # A replayed code ends the grant it produced.
    assert store.token_scopes(first["access_token"]) is None
    assert refresh(client, first["refresh_token"]).status_code == 400


def test_code_expires_after_ten_minutes(store: Store, client: FlaskClient) -> None:
    code = get_code(client)
    store.clock.advance(601)
    response = exchange(client, code)
    assert response.status_code == 400
    assert response.get_json() == {
        "error": "invalid_grant",
        "error_description": "the authorization code has expired: start a new login",
    }


def test_code_within_ten_minutes_works(store: Store, client: FlaskClient) -> None:
    code = get_code(client)
    store.clock.advance(590)
    assert exchange(client, code).status_code == 200


def test_code_of_other_client_rejected(store: Store, client: FlaskClient) -> None:
    register_oauth_client(store, "other-client", "other-secret", REDIRECT_URI)
    code = get_code(client)
    response = client.post(
        "/oauth/token",
        data={"client_id": "other-client", "client_secret": "other-secret", "code": code},
    )
    assert response.status_code == 400
    assert response.get_json()["error"] == "invalid_grant"
    # The rightful client can still use it.
    assert exchange(client, code).status_code == 200


def test_code_redirect_uri_must_match(client: FlaskClient) -> None:
    code = get_code(client, redirect_uri=REDIRECT_URI + "/a")
    wrong = exchange(client, code, redirect_uri=REDIRECT_URI + "/b")
    assert wrong.status_code == 400
    assert wrong.get_json()["error"] == "invalid_grant"
    right = exchange(client, code, redirect_uri=REDIRECT_URI + "/a")
    assert right.status_code == 200


def test_unknown_code_rejected(client: FlaskClient) -> None:
    response = exchange(client, "0123456789abcdef0123")
    assert response.status_code == 400
    assert response.get_json()["error"] == "invalid_grant"


@pytest.mark.parametrize(
    ("fields", "status", "error"),
    [
        ({"client_secret": "wrong"}, 401, "invalid_client"),
        ({"client_id": "nobody"}, 401, "invalid_client"),
        ({"client_id": ""}, 400, "invalid_request"),
        ({"client_secret": ""}, 400, "invalid_request"),
        ({"code": ""}, 400, "invalid_request"),
        ({"grant_type": "password"}, 400, "unsupported_grant_type"),
    ],
)
def test_token_request_errors(
    client: FlaskClient, fields: dict[str, str], status: int, error: str
) -> None:
    code = get_code(client)
    response = exchange(client, code, **fields)
    assert response.status_code == status
    assert response.get_json()["error"] == error
    assert response.get_json()["error_description"]


def test_wrong_secret_leaves_code_usable(client: FlaskClient) -> None:
    code = get_code(client)
    response = exchange(client, code, client_secret="not-the-secret-123")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Basic")
    assert "not-the-secret-123" not in response.get_data(as_text=True)
    assert exchange(client, code).status_code == 200


# -- refresh ----------------------------------------------------------------------------


def test_refresh_rotates_tokens(store: Store, client: FlaskClient) -> None:
    first = exchange(client, get_code(client, scopes="linodes:read_only")).get_json()

    response = refresh(client, first["refresh_token"])
    second = response.get_json()
    assert response.status_code == 200
    assert second["access_token"] != first["access_token"]
    assert second["refresh_token"] != first["refresh_token"]
    assert second["expires_in"] == 7200
    assert second["scopes"] == "linodes:read_only"
    assert second["scope"] == "linodes:read_only"
    assert store.token_scopes(second["access_token"]) == "linodes:read_only"

    reused = refresh(client, first["refresh_token"])
    assert reused.status_code == 400
    assert reused.get_json()["error"] == "invalid_grant"
    assert refresh(client, second["refresh_token"]).status_code == 200


def test_refresh_needs_right_secret(client: FlaskClient) -> None:
    first = exchange(client, get_code(client)).get_json()
    response = refresh(client, first["refresh_token"], secret="wrong")
    assert response.status_code == 401
    assert response.get_json()["error"] == "invalid_client"
    assert refresh(client, first["refresh_token"]).status_code == 200


def test_refresh_with_access_token_rejected(client: FlaskClient) -> None:
    first = exchange(client, get_code(client)).get_json()
    response = refresh(client, first["access_token"])
    assert response.status_code == 400
    assert response.get_json()["error"] == "invalid_grant"


def test_refresh_without_token(client: FlaskClient) -> None:
    response = refresh(client, "")
    assert response.status_code == 400
    assert response.get_json() == {
        "error": "invalid_request",
        "error_description": "missing refresh_token",
    }


# -- implicit flow ------------------------------------------------------------------------


def test_implicit_flow_returns_fragment(store: Store, client: FlaskClient) -> None:
    location = approve(client, response_type="token", scopes="linodes:read_only", state="st")
    parts = urlsplit(location)
    params = fragment_of(location)
    assert location.startswith(REDIRECT_URI + "#")
    assert parts.query == ""
    assert params["token_type"] == "bearer"
    assert params["expires_in"] == "7200"
    assert params["scopes"] == "linodes:read_only"
    assert params["state"] == "st"
    assert "refresh_token" not in params
    assert store.token_scopes(params["access_token"]) == "linodes:read_only"


def test_implicit_token_can_be_expired(store: Store, client: FlaskClient) -> None:
    token = fragment_of(approve(client, response_type="token"))["access_token"]
    assert expire(client, token).status_code == 200
    assert store.token_scopes(token) is None


# -- expire ---------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/oauth/token/expire", "/oauth/revoke"])
def test_expire_ends_the_grant(store: Store, client: FlaskClient, path: str) -> None:
    tokens = exchange(client, get_code(client)).get_json()
    response = expire(client, tokens["access_token"], path)
    assert response.status_code == 200
    assert store.token_scopes(tokens["access_token"]) is None
    assert refresh(client, tokens["refresh_token"]).status_code == 400


def test_expire_by_refresh_token(store: Store, client: FlaskClient) -> None:
    tokens = exchange(client, get_code(client)).get_json()
    assert expire(client, tokens["refresh_token"]).status_code == 200
    assert store.token_scopes(tokens["access_token"]) is None


def test_expire_needs_right_secret(store: Store, client: FlaskClient) -> None:
    tokens = exchange(client, get_code(client)).get_json()
    response = client.post(
        "/oauth/token/expire",
        data={"client_id": CLIENT_ID, "client_secret": "nope", "token": tokens["access_token"]},
    )
    assert response.status_code == 401
    assert store.token_scopes(tokens["access_token"]) is not None


def test_expire_foreign_token_rejected(store: Store, client: FlaskClient) -> None:
    store.add_token("personal-access-token", "*")
    response = expire(client, "personal-access-token")
    assert response.status_code == 400
    assert response.get_json()["error"] == "invalid_grant"
    assert store.token_scopes("personal-access-token") == "*"


def test_expire_without_token(client: FlaskClient) -> None:
    response = expire(client, "")
    assert response.status_code == 400
    assert response.get_json()["error"] == "invalid_request"


# -- persistence ------------------------------------------------------------------------------


def test_grants_survive_restart(tmp_path: Path) -> None:
    state_path = str(tmp_path / "fake.sqlite3")
    first_store = Store(state_path)
    register_oauth_client(first_store, CLIENT_ID, CLIENT_SECRET, REDIRECT_URI)
    first_app = Flask("oauth-before-restart")
    first_app.register_blueprint(create_oauth_blueprint(first_store))
    tokens = exchange(first_app.test_client(), get_code(first_app.test_client())).get_json()
    first_store.close()

    second_store = Store(state_path)
    try:
        second_app = Flask("oauth-after-restart")
        second_app.register_blueprint(create_oauth_blueprint(second_store))
        response = refresh(second_app.test_client(), tokens["refresh_token"])
        assert response.status_code == 200
        assert second_store.token_scopes(response.get_json()["access_token"]) == "*"
        assert second_store.token_scopes(tokens["access_token"]) == "*"
    finally:
        second_store.close()


# -- secrets stay out of logs and tables ------------------------------------------------------


def test_logs_hold_no_secrets(client: FlaskClient, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    code = get_code(client, scopes="linodes:read_only")
    tokens = exchange(client, code).get_json()
    exchange(client, "bad", client_secret="wrong-secret-value")
    rotated = refresh(client, tokens["refresh_token"]).get_json()
    refresh(client, tokens["refresh_token"])
    exchange(client, code)
    expire(client, rotated["access_token"])
    implicit = fragment_of(approve(client, response_type="token"))["access_token"]

    text = caplog.text
    assert "OAuth client portal-client" in text
    for secret in (
        code,
        CLIENT_SECRET,
        "wrong-secret-value",
        tokens["access_token"],
        tokens["refresh_token"],
        rotated["access_token"],
        rotated["refresh_token"],
        implicit,
    ):
        assert secret not in text


def test_tables_hold_only_digests(store: Store, client: FlaskClient) -> None:
    code = get_code(client)
    tokens = exchange(client, code).get_json()
    with store.connection() as conn:
        dump = "\n".join(conn.iterdump())
    assert CLIENT_SECRET not in dump
    assert code not in dump
    assert tokens["refresh_token"] not in dump


# -- end to end through a running fake -------------------------------------------------------


@pytest.fixture
def fake() -> Iterator[FakeHandle]:
    with run_fake(speed=100.0) as running:
        running.add_oauth_client(CLIENT_ID, CLIENT_SECRET, REDIRECT_URI)
        yield running


def login(fake: FakeHandle, scopes: str, response_type: str = "code") -> str:
    """Open the approve page, approve it, and return the redirect location."""
    params = {
        "client_id": CLIENT_ID,
        "response_type": response_type,
        "scopes": scopes,
        "redirect_uri": REDIRECT_URI,
        "state": "e2e-state",
    }
    page = requests.get(fake.login_url + "/oauth/authorize", params=params, timeout=10)
    assert page.status_code == 200
    assert 'value="approve"' in page.text
    answer = requests.post(
        fake.login_url + "/oauth/authorize",
        data={**params, "decision": "approve"},
        allow_redirects=False,
        timeout=10,
    )
    assert answer.status_code == 302
    return answer.headers["Location"]


def api_get(fake: FakeHandle, path: str, token: str) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"}
    return requests.get(fake.api_url + path, headers=headers, timeout=10)


def test_e2e_code_flow_with_sdk(fake: FakeHandle) -> None:
    location = login(fake, "linodes:read_write,events:read_only")
    params = query_of(location)
    assert params["state"] == "e2e-state"
    sdk = LinodeLoginClient(CLIENT_ID, CLIENT_SECRET, base_url=fake.login_url)

    token, scopes, _, refresh_token = sdk.finish_oauth(params["code"])
    assert sorted(repr(scope) for scope in scopes) == ["events:read_only", "linodes:read_write"]
    assert api_get(fake, "/profile", token).status_code == 200
    assert api_get(fake, "/linode/instances", token).status_code == 200

    new_token, _, _, new_refresh_token = sdk.refresh_oauth_token(refresh_token)
    assert new_refresh_token != refresh_token
    assert api_get(fake, "/profile", new_token).status_code == 200
    with pytest.raises(ApiError):
        sdk.refresh_oauth_token(refresh_token)

    assert sdk.expire_token(new_token) is True
    assert api_get(fake, "/profile", new_token).status_code == 401


def test_e2e_code_reuse_rejected(fake: FakeHandle) -> None:
    code = query_of(login(fake, "linodes:read_only"))["code"]
    data = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "code": code}
    first = requests.post(fake.login_url + "/oauth/token", data=data, timeout=10)
    second = requests.post(fake.login_url + "/oauth/token", data=data, timeout=10)
    assert first.status_code == 200
    assert second.status_code == 400
    assert second.json()["error"] == "invalid_grant"
    assert api_get(fake, "/profile", first.json()["access_token"]).status_code == 401


def test_e2e_wrong_secret_rejected(fake: FakeHandle) -> None:
    code = query_of(login(fake, "linodes:read_only"))["code"]
    data = {"client_id": CLIENT_ID, "client_secret": "guessed-secret", "code": code}
    response = requests.post(fake.login_url + "/oauth/token", data=data, timeout=10)
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_e2e_foreign_redirect_uri_rejected(fake: FakeHandle) -> None:
    params = {
        "client_id": CLIENT_ID,
        "response_type": "code",
        "redirect_uri": "http://127.0.0.1:8000/elsewhere",
    }
    response = requests.get(
        fake.login_url + "/oauth/authorize", params=params, allow_redirects=False, timeout=10
    )
    assert response.status_code == 400
    assert "Location" not in response.headers


def test_e2e_implicit_token_works(fake: FakeHandle) -> None:
    params = fragment_of(login(fake, "linodes:read_only", response_type="token"))
    assert "refresh_token" not in params
    assert params["state"] == "e2e-state"
    assert api_get(fake, "/linode/instances", params["access_token"]).status_code == 200


def test_e2e_expire_then_401(fake: FakeHandle) -> None:
    code = query_of(login(fake, "linodes:read_only"))["code"]
    data = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "code": code}
    token = requests.post(fake.login_url + "/oauth/token", data=data, timeout=10).json()
    assert api_get(fake, "/profile", token["access_token"]).status_code == 200

    expire_data = {
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "token": token["access_token"],
    }
    response = requests.post(fake.login_url + "/oauth/token/expire", data=expire_data, timeout=10)
    assert response.status_code == 200
    assert api_get(fake, "/profile", token["access_token"]).status_code == 401


def test_e2e_token_lapses_with_clock(fake: FakeHandle) -> None:
    token = fragment_of(login(fake, "linodes:read_only", response_type="token"))["access_token"]
    fake.clock.advance(7201)
    assert api_get(fake, "/profile", token).status_code == 401


def test_e2e_read_only_token_cannot_create(fake: FakeHandle) -> None:
    code = query_of(login(fake, "linodes:read_only"))["code"]
    data = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "code": code}
    token = requests.post(fake.login_url + "/oauth/token", data=data, timeout=10).json()
    body = {"type": "g6-nanode-1", "region": "us-east", "image": "linode/debian12"}
    body["root_pass"] = "Correct-Horse-Battery-Staple-42!"
    response = requests.post(
        fake.api_url + "/linode/instances",
        json=body,
        headers={"Authorization": f"Bearer {token['access_token']}"},
        timeout=10,
    )
    assert response.status_code == 403
    assert response.json()["errors"][0]["reason"]
    assert fake.instances() == []


def test_e2e_concurrent_code_exchange_once(fake: FakeHandle) -> None:
    code = query_of(login(fake, "linodes:read_only"))["code"]
    data = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "code": code}

    def post_exchange(_: int) -> int:
        url = fake.login_url + "/oauth/token"
        return requests.post(url, data=data, timeout=10).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = sorted(pool.map(post_exchange, range(8)))
    assert statuses == [200] + [400] * 7
