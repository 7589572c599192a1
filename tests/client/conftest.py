"""Fixtures for the linode_api tests: a fresh fake per test and a client that counts requests."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from linode_api import LinodeClient
from linode_fake.testing import FakeHandle, run_fake


@dataclass
class SentRequest:
    method: str
    path: str  # below the API's base URL, without the query
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any


class RequestRecorder:
    """Records every request a client sends, through a response hook on its session."""

    def __init__(self, base_url: str) -> None:
        self.base_path = urlsplit(base_url).path.rstrip("/")
        self.sent: list[SentRequest] = []

    def hook(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        request = response.request
        parts = urlsplit(request.url or "")
        path = parts.path
        if path.startswith(self.base_path):
            path = path[len(self.base_path) :]
        body: Any = None
        if request.body:
            raw = request.body.decode() if isinstance(request.body, bytes) else request.body
            try:
                body = json.loads(raw)
            except ValueError:
                body = raw
        self.sent.append(
            SentRequest(
                request.method or "", path, parse_qs(parts.query), dict(request.headers), body
            )
        )

    def __len__(self) -> int:
        return len(self.sent)

    def clear(self) -> None:
        self.sent.clear()

    def calls(self) -> list[tuple[str, str]]:
        return [(item.method, item.path) for item in self.sent]


class CountingAdapter(requests.adapters.HTTPAdapter):
    """Counts every request handed to the connection pool, with or without a response."""

    def __init__(self) -> None:
        super().__init__()
        self.attempts: list[tuple[str, str]] = []

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> Any:
        self.attempts.append((request.method or "", urlsplit(request.url or "").path))
        return super().send(request, *args, **kwargs)


def count_attempts(client: LinodeClient) -> CountingAdapter:
    adapter = CountingAdapter()
    client.session.mount("http://", adapter)
    return adapter


@pytest.fixture
def fake() -> Iterator[FakeHandle]:
    with run_fake(speed=100.0) as handle:
        yield handle


def make_client(fake: FakeHandle, **options: Any) -> tuple[LinodeClient, RequestRecorder]:
    client = LinodeClient(fake.token, fake.api_url, **options)
    recorder = RequestRecorder(fake.api_url)
    client.session.hooks["response"].append(recorder.hook)
    return client, recorder


@pytest.fixture
def client_and_log(fake: FakeHandle) -> tuple[LinodeClient, RequestRecorder]:
    return make_client(fake)


@pytest.fixture
def client(client_and_log: tuple[LinodeClient, RequestRecorder]) -> LinodeClient:
    return client_and_log[0]


@pytest.fixture
def sent(client_and_log: tuple[LinodeClient, RequestRecorder]) -> RequestRecorder:
    return client_and_log[1]


ROOT_PASS = "Tr0ub4dor-and-3-Horses!"
