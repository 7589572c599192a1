"""Small HTTP helpers for the fake's own tests."""

from __future__ import annotations

import json
from typing import Any

import requests

from linode_fake.testing import FakeHandle

STRONG_PASSWORD = "Vq7#tLm2$wPz9!rB"


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def get(
    fake: FakeHandle, path: str, *, token: str | None = None, xfilter: Any = None, **params: Any
) -> requests.Response:
    headers = auth(token or fake.token)
    if xfilter is not None:
        headers["X-Filter"] = xfilter if isinstance(xfilter, str) else json.dumps(xfilter)
    return requests.get(fake.api_url + path, headers=headers, params=params, timeout=10)


def post(
    fake: FakeHandle, path: str, body: Any = None, *, token: str | None = None
) -> requests.Response:
    return requests.post(
        fake.api_url + path, headers=auth(token or fake.token), json=body, timeout=10
    )


def put(fake: FakeHandle, path: str, body: Any) -> requests.Response:
    return requests.put(fake.api_url + path, headers=auth(fake.token), json=body, timeout=10)


def delete(fake: FakeHandle, path: str) -> requests.Response:
    return requests.delete(fake.api_url + path, headers=auth(fake.token), timeout=10)


def create_linode(fake: FakeHandle, **fields: Any) -> requests.Response:
    body = {
        "type": "g6-nanode-1",
        "region": "us-east",
        "image": "linode/debian12",
        "root_pass": STRONG_PASSWORD,
    }
    body.update(fields)
    return post(fake, "/linode/instances", {k: v for k, v in body.items() if v is not None})


def errors_by_field(response: requests.Response) -> dict[str | None, list[str]]:
    result: dict[str | None, list[str]] = {}
    for error in response.json()["errors"]:
        result.setdefault(error.get("field"), []).append(error["reason"])
    return result
