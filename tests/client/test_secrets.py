"""The token appears in no log, repr, exception or traceback (locals included)."""

from __future__ import annotations

import logging
import traceback

import pytest

from linode_api import (
    ApiError,
    Linode,
    LinodeClient,
    LinodeError,
    OAuthScopes,
    UnauthorizedError,
)
from linode_fake.settings import FaultSettings
from linode_fake.testing import FakeHandle
from tests.client.conftest import ROOT_PASS


def _drop_test_frames(summary: traceback.TracebackException) -> None:
    summary.stack = traceback.StackSummary.from_list(
        [frame for frame in summary.stack if "/tests/" not in frame.filename]
    )
    for chained in (summary.__cause__, summary.__context__):
        if chained is not None:
            _drop_test_frames(chained)


def rendered(exc: BaseException) -> str:
    """The exception as a traceback with local variables, as error reporters capture it.

    The test's own frames are left out, because they hold the token on purpose.
    """
    summary = traceback.TracebackException.from_exception(exc, capture_locals=True)
    _drop_test_frames(summary)
    return "".join(summary.format()) + str(exc) + repr(exc)


def test_token_absent_everywhere(fake: FakeHandle, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    client = LinodeClient(fake.token, fake.api_url, max_retries=1, backoff_factor=0.01)
    texts = [repr(client), repr(client.transport), repr(client.session.auth), str(client)]

    linode = client.create_linode(
        "g6-nanode-1", "us-east", "linode/debian12", root_pass=ROOT_PASS, label="secret-test"
    )
    linodes = client.get_linodes()
    texts += [repr(linode), repr(linodes), repr(list(linodes)), repr(linode.specs)]

    errors: list[BaseException] = []
    try:
        Linode(client, 424242).label  # noqa: B018
    except ApiError as exc:
        errors.append(exc)
    fake.faults = FaultSettings(drop_rate=1.0)
    for action in (
        lambda: client.account().email,
        lambda: client.create_linode(
            "g6-nanode-1", "us-east", "linode/debian12", root_pass=ROOT_PASS
        ),
    ):
        try:
            action()
        except LinodeError as exc:
            errors.append(exc)
    fake.faults = FaultSettings()
    revoked = fake.add_token()
    revoked_client = LinodeClient(revoked, fake.api_url)
    fake.revoke_token(revoked)
    try:
        revoked_client.profile().username  # noqa: B018
    except UnauthorizedError as exc:
        errors.append(exc)

    assert len(errors) == 4
    texts += [rendered(exc) for exc in errors]
    texts.append(caplog.text)
    assert "GET /linode/instances" in caplog.text  # the DEBUG request log is on
    for text in texts:
        assert fake.token not in text
        assert revoked not in text
        assert ROOT_PASS not in text


def test_login_secrets_absent_from_tracebacks(fake: FakeHandle) -> None:
    from linode_api import LinodeLoginClient

    secret = "client-secret-never-shown-7d1f"
    fake.add_oauth_client("secret-test", secret, "http://127.0.0.1:8000/cb")
    login = LinodeLoginClient("secret-test", secret, fake.login_url, max_retries=0)
    refresh = "refresh-token-never-shown-a91c"
    fake.faults = FaultSettings(drop_rate=1.0)  # /oauth is not an API path, so not dropped
    with pytest.raises(ApiError) as caught:
        login.refresh_oauth_token(refresh)
    text = rendered(caught.value) + repr(login)
    assert secret not in text
    assert refresh not in text


def test_bad_base_url_traceback_has_no_token() -> None:
    token = "tok-never-shown-5b2e71c9d04f4a8e"
    with pytest.raises(ValueError) as caught:
        LinodeClient(token, "not a url")
    assert token not in rendered(caught.value)


def test_token_scopes_from_header(fake: FakeHandle) -> None:
    narrow = fake.add_token(scopes="linodes:read_write events:read_only")
    scopes = LinodeClient(narrow, fake.api_url).token_scopes()
    assert OAuthScopes.Linodes.view in scopes
    assert OAuthScopes.Events.view in scopes
    assert OAuthScopes.Account.view not in scopes
    assert OAuthScopes.all in LinodeClient(fake.token, fake.api_url).token_scopes()


def test_root_password_absent_from_rejected_create(fake: FakeHandle) -> None:
    client = LinodeClient(fake.token, fake.api_url, max_retries=1, backoff_factor=0.01)

    with pytest.raises(ApiError) as caught:
        client.create_linode(
            "g6-nanode-1", "no-such-region", "linode/debian12", root_pass=ROOT_PASS
        )

    exc = caught.value
    assert exc.status == 400
    assert ROOT_PASS not in rendered(exc)
    assert exc.response is not None
    assert exc.response.request.body is None
    assert "Authorization" not in exc.response.request.headers
