"""Run every ```python block of docs/linode_api.md, in order, against the fake.

The blocks share one namespace that starts with the names the guide's table
lists: API_URL, TOKEN, LOGIN_URL, CLIENT_ID, CLIENT_SECRET, REDIRECT_URI,
approve_in_browser and POLL_INTERVAL.
"""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

from linode_fake.testing import FakeHandle
from tests.client.test_login import approve_in_browser

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "linode_api.md"
BLOCK = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)


def test_guide_has_code_for_each_topic() -> None:
    text = GUIDE.read_text()
    for heading in (
        "## Connecting with a single user's token",
        "## The OAuth workflow",
        "## Objects",
        "## Derived objects",
        "## Lists and filtering",
    ):
        section = text.split(heading, 1)[1].split("\n## ", 1)[0]
        assert "```python" in section, heading


def test_guide_code_runs_against_fake(fake: FakeHandle) -> None:
    fake.add_oauth_client("docs-app", "docs-app-secret", "http://127.0.0.1:8000/oauth/callback")
    namespace: dict[str, object] = {
        "__name__": "linode_api_guide",
        "API_URL": fake.api_url,
        "TOKEN": fake.token,
        "LOGIN_URL": fake.login_url,
        "CLIENT_ID": "docs-app",
        "CLIENT_SECRET": "docs-app-secret",
        "REDIRECT_URI": "http://127.0.0.1:8000/oauth/callback",
        "approve_in_browser": approve_in_browser,
        "POLL_INTERVAL": 0.1,
    }
    blocks = BLOCK.findall(GUIDE.read_text())
    assert len(blocks) >= 10

    output = io.StringIO()
    for number, block in enumerate(blocks, start=1):
        code = compile(block, f"{GUIDE.name} block {number}", "exec")
        with contextlib.redirect_stdout(output):
            exec(code, namespace)  # noqa: S102 - the guide's own examples

    printed = output.getvalue()
    assert fake.token not in printed
    assert "docs-app-secret" not in printed
    assert "Not found" in printed
    assert "finished" in printed
    assert not [
        i
        for i in fake.instances()
        if i["label"].startswith("docs-") and i["status"] not in ("deleting",)
    ]
