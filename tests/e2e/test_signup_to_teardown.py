"""End to end: a customer signs up over HTTP, gets one running Linode, cancels it.

Every part runs as a real process: the fake Linode API, a Celery worker and
beat on the configured broker, and the Django server, sharing one database.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.e2e.stack import PortalStack

pytestmark = pytest.mark.e2e

PASSWORD = "orbit lemon cascade 5521"
# Upper bounds for each phase; with the fake at high speed each takes a few seconds.
MAIL_TIMEOUT_SECONDS = 15.0
RUNNING_TIMEOUT_SECONDS = 90.0
TERMINATED_TIMEOUT_SECONDS = 60.0
HTTP_TIMEOUT_SECONDS = 10.0


def wait_for(
    stack: PortalStack, what: str, timeout: float, probe: Callable[[], Any], interval: float = 0.5
) -> Any:
    """Call `probe` until it returns a truthy value; fail with the logs after `timeout`."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        stack.check_alive()
        last = probe()
        if last:
            return last
        time.sleep(interval)
    raise stack.fail(f"timed out after {timeout:g} s waiting for {what}; last value: {last!r}")


def post_form(session: requests.Session, url: str, data: dict[str, str]) -> requests.Response:
    """GET the page for its CSRF cookie, then POST the form with the token."""
    page = session.get(url, timeout=HTTP_TIMEOUT_SECONDS)
    page.raise_for_status()
    payload = {"csrfmiddlewaretoken": session.cookies["csrftoken"], **data}
    return session.post(url, data=payload, timeout=HTTP_TIMEOUT_SECONDS, allow_redirects=False)


def verification_link(mail_dir: Path, base_url: str) -> str | None:
    pattern = re.compile(re.escape(base_url) + r"/accounts/verify/[^/\s]+/")
    if not mail_dir.is_dir():
        return None
    for message in sorted(mail_dir.iterdir()):
        found = pattern.search(message.read_text())
        if found:
            return found.group(0)
    return None


def server_status(stack: PortalStack, session: requests.Session) -> dict[str, Any]:
    response = session.get(f"{stack.base_url}/dashboard/server.json", timeout=HTTP_TIMEOUT_SECONDS)
    if response.status_code != 200:
        raise stack.fail(f"server.json returned {response.status_code}: {response.text[:300]}")
    return response.json()


def fake_linodes(stack: PortalStack, tag: str) -> list[dict[str, Any]]:
    """Return the fake's Linodes carrying `tag`, filtered by the API and checked here."""
    response = requests.get(
        f"{stack.api_url}/linode/instances",
        headers={
            "Authorization": f"Bearer {stack.fake_token_argument()}",
            "X-Filter": json.dumps({"tags": tag}),
        },
        timeout=HTTP_TIMEOUT_SECONDS,
    )
    response.raise_for_status()
    filtered = response.json()["data"]
    everything = requests.get(
        f"{stack.api_url}/linode/instances",
        headers={"Authorization": f"Bearer {stack.fake_token_argument()}"},
        timeout=HTTP_TIMEOUT_SECONDS,
    )
    everything.raise_for_status()
    tagged = [linode for linode in everything.json()["data"] if tag in linode["tags"]]
    assert [linode["id"] for linode in filtered] == [linode["id"] for linode in tagged]
    return tagged


def test_signup_to_running_to_teardown(portal_stack: PortalStack):
    stack = portal_stack
    session = requests.Session()
    email = "erin@example.com"

    # Sign up for the starter plan.
    response = post_form(
        session,
        f"{stack.base_url}/accounts/signup/",
        {
            "email": email,
            "password1": PASSWORD,
            "password2": PASSWORD,
            "plan": "starter",
            "region": "us-east",
            "ssh_key": "",
        },
    )
    if response.status_code != 302:
        raise stack.fail(f"signup returned {response.status_code}: {response.text[:2000]}")
    assert response.headers["Location"] == "/dashboard/"
    status = server_status(stack, session)
    assert status["state"] == "pending"
    assert status["linode_id"] is None

    # Follow the link from the mail; provisioning starts.
    link = wait_for(
        stack,
        "the verification mail",
        MAIL_TIMEOUT_SECONDS,
        lambda: verification_link(stack.mail_dir, stack.base_url),
    )
    verified = session.get(link, timeout=HTTP_TIMEOUT_SECONDS, allow_redirects=False)
    assert verified.status_code == 302, verified.text[:2000]
    assert verified.headers["Location"] == "/dashboard/"

    def running_status() -> dict[str, Any] | None:
        current = server_status(stack, session)
        if current["state"] == "failed":
            raise stack.fail(f"provisioning failed: {current}")
        return current if current["state"] == "running" and current["ipv4"] else None

    status = wait_for(stack, "state running with an IPv4", RUNNING_TIMEOUT_SECONDS, running_status)
    assert status["progress"] == 100
    assert status["plan"] == "starter"
    assert status["region"] == "us-east"
    assert status["linode_id"] is not None

    # The fake has exactly one Linode with this server's tag, the one the portal shows.
    linodes = fake_linodes(stack, status["tag"])
    assert len(linodes) == 1, linodes
    linode = linodes[0]
    assert linode["id"] == status["linode_id"]
    assert linode["label"] == status["label"]
    assert linode["status"] == "running"
    assert status["ipv4"] in linode["ipv4"]

    dashboard = session.get(f"{stack.base_url}/dashboard/", timeout=HTTP_TIMEOUT_SECONDS)
    assert f"ssh root@{status['ipv4']}" in dashboard.text

    # Cancel; the portal tears the Linode down.
    cancelled = post_form(session, f"{stack.base_url}/dashboard/cancel/", {"confirm": "on"})
    assert cancelled.status_code == 302, cancelled.text[:2000]

    def terminated_status() -> dict[str, Any] | None:
        current = server_status(stack, session)
        return current if current["state"] == "terminated" else None

    wait_for(stack, "state terminated", TERMINATED_TIMEOUT_SECONDS, terminated_status)
    assert fake_linodes(stack, status["tag"]) == []
    gone = requests.get(
        f"{stack.api_url}/linode/instances/{status['linode_id']}",
        headers={"Authorization": f"Bearer {stack.fake_token_argument()}"},
        timeout=HTTP_TIMEOUT_SECONDS,
    )
    assert gone.status_code == 404, gone.text
    dashboard = session.get(f"{stack.base_url}/dashboard/", timeout=HTTP_TIMEOUT_SECONDS)
    assert "Your server was deleted" in dashboard.text
