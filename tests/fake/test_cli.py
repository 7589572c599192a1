"""`python -m linode_fake`: it starts, prints its URL and tokens, and keeps state."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def fake_process(*args: str) -> Iterator[tuple[str, list[str]]]:
    """Start the CLI on a free port; yield its root URL and the lines printed before serving."""
    process = subprocess.Popen(
        [sys.executable, "-m", "linode_fake", "--port", "0", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        match = re.search(r"(http://127\.0\.0\.1:\d+)/v4", first)
        assert match, f"unexpected first line: {first!r}"
        lines = [first, process.stdout.readline()]
        yield match.group(1), lines
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_cli_serves_and_prints_tokens(tmp_path: Path) -> None:
    state = str(tmp_path / "cli.sqlite3")
    with fake_process("--state", state, "--token", "cli-token:linodes:read_only") as (url, lines):
        assert "accepted token: cli-token (scopes: linodes:read_only)" in lines[1]
        headers = {"Authorization": "Bearer cli-token"}

        listed = requests.get(url + "/v4/linode/instances", headers=headers, timeout=10)
        regions = requests.get(url + "/v4beta/regions", timeout=10)

        assert listed.status_code == 200
        assert regions.json()["results"] > 0
    assert Path(state).exists()


def test_cli_rejects_non_loopback_host() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "linode_fake", "--host", "0.0.0.0", "--state", ":memory:"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
    )

    assert result.returncode == 2
    assert "loopback" in result.stderr


def test_cli_help_documents_options() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "linode_fake", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
    )

    for option in ("--speed", "--token", "--oauth-client", "--rate-limit", "--instance-limit"):
        assert option in result.stdout


def test_cli_registers_oauth_client() -> None:
    client = "portal-client:portal-secret:http://127.0.0.1:9000/callback"
    with fake_process("--state", ":memory:", "--oauth-client", client) as (url, _):
        params = {
            "client_id": "portal-client",
            "response_type": "code",
            "scopes": "linodes:read_only",
            "redirect_uri": "http://127.0.0.1:9000/callback",
        }
        known = requests.get(url + "/oauth/authorize", params=params, timeout=10)
        unknown = requests.get(
            url + "/oauth/authorize", params={**params, "client_id": "other"}, timeout=10
        )

    assert known.status_code == 200
    assert unknown.status_code >= 400
