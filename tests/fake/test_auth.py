"""Bearer tokens and OAuth scopes: 401, 403 and the public endpoints."""

from __future__ import annotations

import pytest
import requests

from linode_fake.testing import FakeHandle
from tests.fake.helpers import STRONG_PASSWORD, auth, create_linode, errors_by_field, get, post


def anonymous_get(fake: FakeHandle, path: str) -> requests.Response:
    return requests.get(fake.api_url + path, timeout=10)


@pytest.mark.parametrize("path", ["/linode/instances", "/profile", "/account", "/tags"])
def test_missing_token_is_401(linode_fake: FakeHandle, path: str) -> None:
    response = anonymous_get(linode_fake, path)

    assert response.status_code == 401
    assert errors_by_field(response) == {None: ["Invalid Token"]}


def test_unknown_token_is_401(linode_fake: FakeHandle) -> None:
    assert get(linode_fake, "/linode/instances", token="not-a-token").status_code == 401


def test_malformed_authorization_header_is_401(linode_fake: FakeHandle) -> None:
    headers = {"Authorization": f"Token {linode_fake.token}"}

    response = requests.get(linode_fake.api_url + "/profile", headers=headers, timeout=10)

    assert response.status_code == 401


def test_revoked_token_is_401(linode_fake: FakeHandle) -> None:
    token = linode_fake.add_token("*")
    assert get(linode_fake, "/profile", token=token).status_code == 200

    linode_fake.revoke_token(token)

    assert get(linode_fake, "/profile", token=token).status_code == 401


def test_expired_token_is_401(linode_fake: FakeHandle) -> None:
    token = linode_fake.add_token("*", expires_at=linode_fake.clock.now() + 60)
    assert get(linode_fake, "/profile", token=token).status_code == 200

    linode_fake.clock.advance(61)

    assert get(linode_fake, "/profile", token=token).status_code == 401


@pytest.mark.parametrize(
    "path", ["/regions", "/regions/us-east", "/linode/types", "/linode/types/g6-nanode-1"]
)
def test_public_endpoints_need_no_token(linode_fake: FakeHandle, path: str) -> None:
    assert anonymous_get(linode_fake, path).status_code == 200


def test_anonymous_images_are_public_only(linode_fake: FakeHandle) -> None:
    response = anonymous_get(linode_fake, "/images")

    assert response.status_code == 200
    assert response.json()["results"] > 0
    assert all(image["is_public"] for image in response.json()["data"])


def test_read_only_token_can_read_but_not_write(linode_fake: FakeHandle) -> None:
    token = linode_fake.add_token("linodes:read_only")

    assert get(linode_fake, "/linode/instances", token=token).status_code == 200
    body = {"type": "g6-nanode-1", "region": "us-east"}
    response = post(linode_fake, "/linode/instances", body, token=token)

    assert response.status_code == 403
    assert response.json()["errors"][0]["reason"]
    assert linode_fake.instances() == []


def test_read_write_includes_read_only(linode_fake: FakeHandle) -> None:
    token = linode_fake.add_token("linodes:read_write")

    assert get(linode_fake, "/linode/instances", token=token).status_code == 200


def test_resource_wildcard_scope(linode_fake: FakeHandle) -> None:
    token = linode_fake.add_token("linodes:*,events:read_only")
    body = {
        "type": "g6-nanode-1",
        "region": "us-east",
        "image": "linode/debian12",
        "root_pass": STRONG_PASSWORD,
    }

    assert post(linode_fake, "/linode/instances", body, token=token).status_code == 200
    assert get(linode_fake, "/account/events", token=token).status_code == 200
    assert get(linode_fake, "/account", token=token).status_code == 403


def test_linodes_scope_does_not_cover_events(linode_fake: FakeHandle) -> None:
    token = linode_fake.add_token("linodes:read_write")

    assert get(linode_fake, "/account/events", token=token).status_code == 403


def test_profile_accepts_any_valid_token(linode_fake: FakeHandle) -> None:
    token = linode_fake.add_token("images:read_only")

    assert get(linode_fake, "/profile", token=token).status_code == 200


def test_scope_headers_are_sent(linode_fake: FakeHandle) -> None:
    token = linode_fake.add_token("linodes:read_only")

    response = get(linode_fake, "/linode/instances", token=token)

    assert response.headers["X-OAuth-Scopes"] == "linodes:read_only"
    assert response.headers["X-Accepted-OAuth-Scopes"] == "linodes:read_only"


def test_token_never_reaches_the_log(
    linode_fake: FakeHandle, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG")
    create_linode(linode_fake)
    requests.get(linode_fake.api_url + "/profile", headers=auth(linode_fake.token), timeout=10)

    assert "GET /v4/profile 200" in caplog.text
    assert linode_fake.token not in caplog.text
    assert STRONG_PASSWORD not in caplog.text
