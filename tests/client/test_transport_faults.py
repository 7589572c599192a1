"""Transport behaviour for HTTP faults the fake cannot produce, simulated with `responses`.

Everything here runs against the `responses` mock: lost connections before
and after sending, non-JSON bodies, 502/503/504 sequences and Retry-After
handling. Behaviour the fake can produce is tested against the fake.
"""

from __future__ import annotations

import json
import logging
import traceback

import pytest
import requests
import responses
import urllib3.exceptions

from linode_api import (
    BadRequestError,
    ConnectionFailedError,
    ForbiddenError,
    LinodeClient,
    NotFoundError,
    OutcomeUnknownError,
    RateLimitedError,
    ServerError,
    UnauthorizedError,
    UnexpectedResponseError,
)
from linode_api.transport import parse_retry_after

BASE = "http://127.0.0.1:9/v4"
TOKEN = "tok-3f9a1c77e2d54b0c8e61a9d2b7c4f058"
INSTANCES = BASE + "/linode/instances"
LINODE_1 = {"id": 1, "label": "web1", "status": "running", "region": "us-east"}


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def client(sleeps: list[float]) -> LinodeClient:
    client = LinodeClient(TOKEN, BASE, max_retries=3, backoff_factor=0.5, max_retry_after=30)
    client.transport.sleep = sleeps.append
    return client


def refused() -> requests.ConnectionError:
    """A connection error raised before anything was sent (the connection never opened)."""
    pool_error = urllib3.exceptions.NewConnectionError(None, "Connection refused")  # type: ignore[arg-type]
    return requests.ConnectionError(
        urllib3.exceptions.MaxRetryError(None, "/v4/linode/instances", pool_error)  # type: ignore[arg-type]
    )


def dropped() -> requests.ConnectionError:
    """A connection that broke after the request was sent."""
    return requests.ConnectionError(
        urllib3.exceptions.ProtocolError("Connection aborted.", ConnectionResetError(104))
    )


@responses.activate
def test_headers_and_timeout_on_every_request(client: LinodeClient) -> None:
    responses.get(INSTANCES + "/1", json=LINODE_1)

    client.transport.request("GET", "/linode/instances/1")

    sent = responses.calls[0].request
    assert sent.headers["Authorization"] == f"Bearer {TOKEN}"
    assert sent.headers["User-Agent"].startswith("linode_api/")
    assert sent.headers["Accept"] == "application/json"
    assert sent.req_kwargs["timeout"] == (5.0, 30.0)


@responses.activate
def test_custom_user_agent_and_timeout() -> None:
    client = LinodeClient(TOKEN, BASE, user_agent="portal/2.0", timeout=(1.5, 7))
    responses.get(INSTANCES + "/1", json=LINODE_1)

    client.transport.request("GET", "/linode/instances/1")

    assert responses.calls[0].request.headers["User-Agent"] == "portal/2.0"
    assert responses.calls[0].request.req_kwargs["timeout"] == (1.5, 7.0)


@responses.activate
def test_get_retries_502_503_504_then_succeeds(client: LinodeClient, sleeps: list[float]) -> None:
    for status in (502, 503, 504):
        responses.get(INSTANCES + "/1", status=status, body="<html>bad gateway</html>")
    responses.get(INSTANCES + "/1", json=LINODE_1)

    body = client.transport.request("GET", "/linode/instances/1")

    assert body["label"] == "web1"
    assert len(responses.calls) == 4
    assert len(sleeps) == 3
    # Exponential backoff with jitter: retry n waits between half and all of 0.5 * 2**n.
    for attempt, delay in enumerate(sleeps):
        ceiling = 0.5 * 2**attempt
        assert ceiling / 2 <= delay <= ceiling


@responses.activate
def test_get_gives_up_after_max_retries(client: LinodeClient, sleeps: list[float]) -> None:
    responses.get(INSTANCES, status=503, body="<html>unavailable</html>")

    with pytest.raises(ServerError) as caught:
        client.transport.request("GET", "/linode/instances")

    assert len(responses.calls) == 4  # the first attempt and 3 retries
    assert len(sleeps) == 3
    assert caught.value.status == 503
    assert "GET /linode/instances" in str(caught.value)
    assert "non-JSON body" in str(caught.value)


@responses.activate
def test_put_and_delete_retry_on_504(client: LinodeClient) -> None:
    responses.put(INSTANCES + "/1", status=504)
    responses.put(INSTANCES + "/1", json=LINODE_1)
    responses.delete(INSTANCES + "/1", status=502)
    responses.delete(INSTANCES + "/1", status=204)

    client.transport.request("PUT", "/linode/instances/1", json_body={"label": "web1"})
    assert client.transport.request("DELETE", "/linode/instances/1") == {}

    assert [call.request.method for call in responses.calls] == ["PUT", "PUT", "DELETE", "DELETE"]


@responses.activate
def test_post_5xx_raises_outcome_unknown_without_retry(client: LinodeClient) -> None:
    responses.post(INSTANCES, status=502, body="<html>bad gateway</html>")

    with pytest.raises(OutcomeUnknownError) as caught:
        client.create_linode("g6-nanode-1", "us-east", "linode/debian12", root_pass="x" * 20)

    assert len(responses.calls) == 1
    assert caught.value.status == 502
    assert caught.value.method == "POST"
    assert caught.value.path == "/linode/instances"


@responses.activate
def test_post_connection_lost_after_send_is_outcome_unknown(client: LinodeClient) -> None:
    responses.post(INSTANCES, body=dropped())

    with pytest.raises(OutcomeUnknownError) as caught:
        client.transport.request("POST", "/linode/instances", json_body={"type": "g6-nanode-1"})

    assert len(responses.calls) == 1
    assert caught.value.status is None
    assert "look the object up" in str(caught.value)


@responses.activate
def test_post_read_timeout_is_outcome_unknown(client: LinodeClient) -> None:
    responses.post(INSTANCES, body=requests.ReadTimeout("read timed out"))

    with pytest.raises(OutcomeUnknownError):
        client.transport.request("POST", "/linode/instances", json_body={})

    assert len(responses.calls) == 1


@responses.activate
def test_post_retried_when_connection_never_opened(
    client: LinodeClient, sleeps: list[float]
) -> None:
    responses.post(INSTANCES, body=refused())
    responses.post(INSTANCES, body=requests.ConnectTimeout("connect timed out"))
    responses.post(INSTANCES, json=LINODE_1)

    body = client.transport.request("POST", "/linode/instances", json_body={})

    assert body["id"] == 1
    assert len(responses.calls) == 3
    assert len(sleeps) == 2


@responses.activate
def test_get_connection_errors_retry_then_fail(client: LinodeClient) -> None:
    responses.get(INSTANCES, body=dropped())

    with pytest.raises(ConnectionFailedError) as caught:
        client.transport.request("GET", "/linode/instances")

    assert len(responses.calls) == 4
    assert "after 4 attempts" in str(caught.value)


@responses.activate
def test_429_waits_retry_after_and_retries_post(client: LinodeClient, sleeps: list[float]) -> None:
    responses.post(
        INSTANCES,
        status=429,
        headers={"Retry-After": "7"},
        json={"errors": [{"reason": "Too many requests"}]},
    )
    responses.post(INSTANCES, json=LINODE_1)

    body = client.transport.request("POST", "/linode/instances", json_body={})

    assert body["id"] == 1
    assert sleeps == [7.0]


@responses.activate
def test_429_longer_than_bound_raises_at_once(client: LinodeClient, sleeps: list[float]) -> None:
    responses.get(
        INSTANCES,
        status=429,
        headers={"Retry-After": "120"},
        json={"errors": [{"reason": "Too many requests"}]},
    )

    with pytest.raises(RateLimitedError) as caught:
        client.transport.request("GET", "/linode/instances")

    assert caught.value.retry_after == 120.0
    assert sleeps == []
    assert len(responses.calls) == 1
    assert "retry after 120 s" in str(caught.value)


@responses.activate
def test_429_without_retry_after_backs_off(client: LinodeClient, sleeps: list[float]) -> None:
    responses.get(INSTANCES, status=429, json={"errors": [{"reason": "Too many requests"}]})
    responses.get(INSTANCES, json={"data": [], "page": 1, "pages": 1, "results": 0})

    client.transport.request("GET", "/linode/instances")

    assert len(sleeps) == 1
    assert 0.25 <= sleeps[0] <= 0.5


def test_retry_after_http_date() -> None:
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
    assert parse_retry_after("12") == 12.0
    assert parse_retry_after("  3.5 ") == 3.5
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


@responses.activate
def test_non_json_success_body_is_unexpected(client: LinodeClient) -> None:
    responses.get(INSTANCES + "/1", body="<html>maintenance</html>", content_type="text/html")

    with pytest.raises(UnexpectedResponseError) as caught:
        client.transport.request("GET", "/linode/instances/1")

    assert "GET /linode/instances/1" in str(caught.value)
    assert "text/html" in str(caught.value)


@responses.activate
def test_json_list_body_is_unexpected(client: LinodeClient) -> None:
    responses.get(INSTANCES + "/1", json=[1, 2])

    with pytest.raises(UnexpectedResponseError):
        client.transport.request("GET", "/linode/instances/1")


@responses.activate
def test_error_statuses_map_to_classes(client: LinodeClient) -> None:
    cases = [
        (401, UnauthorizedError, "Invalid Token"),
        (403, ForbiddenError, "Unauthorized"),
        (404, NotFoundError, "Not found"),
    ]
    for status, error_class, reason in cases:
        responses.get(
            INSTANCES + f"/{status}", status=status, json={"errors": [{"reason": reason}]}
        )
        with pytest.raises(error_class) as caught:
            client.transport.request("GET", f"/linode/instances/{status}")
        assert caught.value.status == status
        assert caught.value.reasons == [reason]
        assert f"GET /linode/instances/{status} failed with HTTP {status}: {reason}" == str(
            caught.value
        )


@responses.activate
def test_bad_request_field_errors(client: LinodeClient) -> None:
    responses.post(
        INSTANCES,
        status=400,
        headers={"X-Request-Id": "req-77"},
        json={
            "errors": [
                {"reason": "Password does not meet strength requirement", "field": "root_pass"},
                {"reason": "Label must be unique", "field": "label"},
                {"reason": "Something general"},
            ]
        },
    )

    with pytest.raises(BadRequestError) as caught:
        client.transport.request("POST", "/linode/instances", json_body={})

    error = caught.value
    assert error.field_errors == {
        "root_pass": ["Password does not meet strength requirement"],
        "label": ["Label must be unique"],
    }
    assert error.request_id == "req-77"
    assert "root_pass: Password does not meet strength requirement" in str(error)
    assert "Something general" in str(error)


@responses.activate
def test_token_absent_from_errors_and_their_requests(
    client: LinodeClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="linode_api")
    responses.get(INSTANCES + "/1", status=404, json={"errors": [{"reason": "Not found"}]})
    responses.post(INSTANCES, body=dropped())
    responses.get(INSTANCES + "/2", body=dropped())

    caught: list[BaseException] = []
    for method, path in (
        ("GET", "/linode/instances/1"),
        ("POST", "/linode/instances"),
        ("GET", "/linode/instances/2"),
    ):
        try:
            client.transport.request(method, path)
        except Exception as exc:  # noqa: BLE001 - collected for inspection below
            caught.append(exc)

    assert len(caught) == 3
    texts = [repr(client), repr(client.transport), caplog.text]
    for exc in caught:
        texts.append(str(exc))
        texts.append(repr(exc))
        texts.append("".join(traceback.format_exception(exc)))
        for attached in (exc, exc.__cause__):
            request = getattr(attached, "request", None)
            response = getattr(attached, "response", None)
            for prepared in (request, getattr(response, "request", None)):
                if prepared is not None:
                    assert "Authorization" not in prepared.headers
                    texts.append(json.dumps(dict(prepared.headers)))
    for text in texts:
        assert TOKEN not in text


@responses.activate
def test_debug_log_per_request_and_warning_per_retry(
    client: LinodeClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="linode_api")
    responses.get(INSTANCES + "/1", status=503)
    responses.get(INSTANCES + "/1", json=LINODE_1, headers={"X-Request-Id": "abc-123"})

    client.transport.request("GET", "/linode/instances/1")

    debug = [r for r in caplog.records if r.levelno == logging.DEBUG]
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(debug) == 2
    assert "GET /linode/instances/1 -> 503" in debug[0].getMessage()
    assert "GET /linode/instances/1 -> 200" in debug[1].getMessage()
    assert " ms" in debug[1].getMessage()
    assert "request id abc-123" in debug[1].getMessage()
    assert len(warnings) == 1
    assert "Retrying GET /linode/instances/1 after HTTP 503" in warnings[0].getMessage()
    assert all(r.name.startswith("linode_api") for r in caplog.records)


@pytest.mark.parametrize("base_url", [None, "", "api.linode.com/v4", "ftp://127.0.0.1/v4"])
def test_base_url_is_required_and_checked(base_url: object) -> None:
    with pytest.raises(ValueError) as caught:
        LinodeClient(TOKEN, base_url)  # type: ignore[arg-type]
    assert "https://api.linode.com/v4" in str(caught.value)


@pytest.mark.parametrize("token", ["", "  ", "two words", None])
def test_bad_token_rejected_without_echo(token: object) -> None:
    with pytest.raises(ValueError) as caught:
        LinodeClient(token, BASE)  # type: ignore[arg-type]
    assert "token" in str(caught.value)


@pytest.mark.parametrize("timeout", [0, -1, (5, 0), "5", (1, 2, 3), True])
def test_bad_timeout_rejected(timeout: object) -> None:
    with pytest.raises(ValueError, match="timeout"):
        LinodeClient(TOKEN, BASE, timeout=timeout)  # type: ignore[arg-type]


@pytest.mark.parametrize("page_size", [0, 24, 501, 2.5])
def test_bad_page_size_rejected(page_size: object) -> None:
    with pytest.raises(ValueError, match="page_size"):
        LinodeClient(TOKEN, BASE, page_size=page_size)  # type: ignore[arg-type]


@responses.activate
def test_redirect_is_not_followed(client: LinodeClient) -> None:
    responses.post(
        INSTANCES, status=301, headers={"Location": "https://127.0.0.1:9/v4/linode/instances"}
    )

    with pytest.raises(UnexpectedResponseError) as caught:
        client.transport.request("POST", "/linode/instances", json_body={})

    assert len(responses.calls) == 1
    assert "redirected with HTTP 301" in str(caught.value)
    assert "base_url" in str(caught.value)
