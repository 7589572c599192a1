"""Retries, rate limits and unknown outcomes against the fake's injected faults."""

from __future__ import annotations

import logging
import traceback
from urllib.parse import urlsplit

import pytest
import requests

from linode_api import (
    ConnectionFailedError,
    LinodeClient,
    OutcomeUnknownError,
    RateLimitedError,
    ServerError,
)
from linode_fake.settings import FaultSettings
from linode_fake.testing import FakeHandle
from tests.client.conftest import ROOT_PASS, count_attempts


def quick_client(fake: FakeHandle, waits: list[float], **options: object) -> LinodeClient:
    """A client whose waits move the fake's clock instead of sleeping, and which records
    (method, path, status) of every response in `client.answers`."""
    client = LinodeClient(fake.token, fake.api_url, max_retries=3, **options)  # type: ignore[arg-type]
    answers: list[tuple[str, str, int]] = []

    def wait(seconds: float) -> None:
        waits.append(seconds)
        fake.clock.advance(seconds)

    def record(response: requests.Response, *args: object, **kwargs: object) -> None:
        path = urlsplit(response.request.url or "").path.removeprefix("/v4")
        answers.append((response.request.method or "", path, response.status_code))

    client.transport.sleep = wait
    client.session.hooks["response"].append(record)
    client.answers = answers  # type: ignore[attr-defined]
    return client


def served(client: LinodeClient, method: str, path: str) -> list[int]:
    answers: list[tuple[str, str, int]] = client.answers  # type: ignore[attr-defined]
    return [status for m, p, status in answers if m == method and p == path]


def test_429_waits_and_retries_create(fake: FakeHandle) -> None:
    waits: list[float] = []
    client = quick_client(fake, waits)
    fake.rate_limits["linode_create"] = (2, 15.0)

    for number in range(3):
        client.create_linode(
            "g6-nanode-1", "us-east", "linode/debian12", root_pass=ROOT_PASS, label=f"rl-{number}"
        )

    assert served(client, "POST", "/linode/instances") == [200, 200, 429, 200]
    assert len(waits) == 1
    assert waits[0] >= 1
    assert sorted(i["label"] for i in fake.instances()) == ["rl-0", "rl-1", "rl-2"]


def test_429_beyond_bound_raises(fake: FakeHandle) -> None:
    waits: list[float] = []
    client = quick_client(fake, waits, max_retry_after=0.5)
    fake.rate_limits["linode_create"] = (1, 600.0)
    client.create_linode("g6-nanode-1", "us-east", "linode/debian12", root_pass=ROOT_PASS)

    with pytest.raises(RateLimitedError) as caught:
        client.create_linode("g6-nanode-1", "us-east", "linode/debian12", root_pass=ROOT_PASS)

    assert caught.value.retry_after is not None
    assert caught.value.retry_after > 0.5
    assert waits == []
    assert len(fake.instances()) == 1


def test_get_retries_5xx_until_limit(fake: FakeHandle) -> None:
    waits: list[float] = []
    client = quick_client(fake, waits)
    fake.faults = FaultSettings(error_rate=1.0, error_statuses=(502, 503))

    with pytest.raises(ServerError) as caught:
        len(client.get_linodes())

    assert len(served(client, "GET", "/linode/instances")) == 4
    assert len(waits) == 3
    for attempt, wait in enumerate(waits):  # exponential backoff from 0.5 s, with jitter
        assert 0.25 * 2**attempt <= wait <= 0.5 * 2**attempt
    assert caught.value.status in (502, 503)


def test_get_500_is_not_retried(fake: FakeHandle) -> None:
    client = quick_client(fake, [])
    fake.faults = FaultSettings(error_rate=1.0, error_statuses=(500,))
    with pytest.raises(ServerError):
        client.profile().username  # noqa: B018
    assert served(client, "GET", "/profile") == [500]


def test_post_5xx_is_outcome_unknown(fake: FakeHandle) -> None:
    client = quick_client(fake, [])
    fake.faults = FaultSettings(error_rate=1.0, error_statuses=(502,))
    with pytest.raises(OutcomeUnknownError) as caught:
        client.create_linode("g6-nanode-1", "us-east", "linode/debian12", root_pass=ROOT_PASS)
    assert caught.value.status == 502
    assert served(client, "POST", "/linode/instances") == [502]


def test_lost_create_response_then_lookup_by_label(fake: FakeHandle) -> None:
    client = quick_client(fake, [])
    adapter = count_attempts(client)
    fake.faults = FaultSettings(lose_create_response=1.0)

    with pytest.raises(OutcomeUnknownError) as caught:
        client.create_linode(
            "g6-nanode-1", "us-east", "linode/debian12", root_pass=ROOT_PASS, label="cust-42"
        )

    assert caught.value.status is None
    assert adapter.attempts == [("POST", "/v4/linode/instances")]
    assert len(fake.instances()) == 1
    fake.faults = FaultSettings()
    found = client.get_linodes(label="cust-42")
    assert len(found) == 1
    assert found[0].label == "cust-42"


def test_dropped_get_retries_then_fails_without_token(
    fake: FakeHandle, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="linode_api")
    waits: list[float] = []
    client = quick_client(fake, waits)
    adapter = count_attempts(client)
    fake.faults = FaultSettings(drop_rate=1.0)

    with pytest.raises(ConnectionFailedError) as caught:
        client.account().email  # noqa: B018

    assert len(waits) == 3
    assert adapter.attempts == [("GET", "/v4/account")] * 4
    assert len([r for r in caplog.records if r.levelno == logging.WARNING]) == 3
    cause = caught.value.__cause__
    assert cause is not None
    assert cause.request is not None  # type: ignore[attr-defined]
    assert "Authorization" not in cause.request.headers  # type: ignore[attr-defined]
    assert fake.token not in "".join(traceback.format_exception(caught.value))
    assert fake.token not in caplog.text
