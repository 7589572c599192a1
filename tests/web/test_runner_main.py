"""`python -m reseller.runner` as `make run` starts it: up, healthy, stopped by SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

from reseller.runner import port_is_free
from tests.e2e.stack import CLEARED_VARIABLES, REPO_ROOT, free_port

pytestmark = pytest.mark.e2e

READY_TIMEOUT_SECONDS = 90.0
STOP_TIMEOUT_SECONDS = 30.0


def test_runner_serves_and_stops_on_sigterm(tmp_path: Path):
    web_port = free_port()
    fake_port = free_port()
    env = {key: value for key, value in os.environ.items() if key not in CLEARED_VARIABLES}
    env.update(
        {
            "PORTAL_VAR_DIR": str(tmp_path / "var"),
            "PORTAL_PORT": str(web_port),
            "LINODE_FAKE_PORT": str(fake_port),
            # The runner must not touch the databases and broker the other tests use.
            "DATABASE_URL": f"sqlite:///{tmp_path / 'portal.sqlite3'}",
            "CELERY_BROKER_URL": "filesystem://",
            "EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend",
        }
    )
    env.pop("DEMO_MODE", None)
    runner = subprocess.Popen(
        [sys.executable, "-m", "reseller.runner"],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    lines: list[str] = []
    ready = threading.Event()

    def collect() -> None:
        assert runner.stdout is not None
        for line in runner.stdout:
            lines.append(line.rstrip("\n"))
            if "The portal is running at" in line:
                ready.set()

    reader = threading.Thread(target=collect, daemon=True)
    reader.start()
    try:
        assert ready.wait(READY_TIMEOUT_SECONDS), "runner not ready:\n" + "\n".join(lines)
        health = requests.get(f"http://127.0.0.1:{web_port}/healthz", timeout=10)
        assert health.status_code == 200, health.text
        time.sleep(1)

        runner.send_signal(signal.SIGTERM)
        code = runner.wait(timeout=STOP_TIMEOUT_SECONDS)
        reader.join(timeout=10)
    finally:
        # On a failure above, let the runner stop its children before killing it.
        if runner.poll() is None:
            runner.send_signal(signal.SIGTERM)
            try:
                runner.wait(timeout=STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                os.killpg(runner.pid, signal.SIGKILL)
                runner.wait()

    output = "\n".join(lines)
    assert code == 0, output
    assert "running in demo mode" in output.lower()
    assert "Operator login:         operator@example.com / " in output
    for name in ("migrate", "fake", "catalog", "plans", "worker", "beat", "web", "runner"):
        assert any(line.startswith(f"{name} ") for line in lines), f"no {name} lines:\n{output}"
    assert lines[-1].endswith("| Stopped."), output
    assert port_is_free(web_port)
    assert port_is_free(fake_port)
    password_file = tmp_path / "var" / "demo-operator-password"
    assert password_file.stat().st_mode & 0o777 == 0o600
