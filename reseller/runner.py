"""`python -m reseller.runner` (`make run`): the whole portal in one terminal.

It migrates the database, creates the demo operator, starts the fake Linode
API in demo mode, fills the catalog (and, in demo mode, the demo plans), then
starts a Celery worker, Celery beat and the web server on
127.0.0.1:PORTAL_PORT. Every line the children print appears with the child's
name in front, mails from the console email backend included. The
recipient, subject and links of each such mail are repeated on lines that
start with `mail   | >>>`. Ctrl-C or
SIGTERM stops every child; when one child exits on its own, the runner prints
which one and stops the rest.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

from reseller.processes import (
    Cancelled,
    ManagedProcess,
    PrefixedOutput,
    ProcessGroup,
    ProcessSpec,
)

BASE_DIR = Path(__file__).resolve().parent.parent
# The fake moves Linodes through their states this many times faster than Linode does.
DEMO_FAKE_SPEED = 5.0
STARTUP_TIMEOUT_SECONDS = 30.0
SETUP_COMMAND_TIMEOUT_SECONDS = 300.0


# Processes that send mail, and the lines of a console-backend mail worth repeating.
MAIL_SENDERS = frozenset({"web", "worker"})
MAIL_LINE_STARTS = ("To: ", "Subject: ")
MAIL_LINK_PATHS = ("/accounts/verify/", "/accounts/password/reset/")


def highlight_mail(name: str, line: str) -> str | None:
    """Return `>>> line` for a mail's recipient, subject or portal link, else None."""
    if name not in MAIL_SENDERS:
        return None
    text = line.strip()
    if text.startswith(MAIL_LINE_STARTS) or any(path in text for path in MAIL_LINK_PATHS):
        return f">>> {text}"
    return None


class RunnerError(Exception):
    """A step before the services run failed; the message names the step and the cause."""


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def wait_for_port(
    port: int,
    *,
    timeout: float,
    alive: Callable[[], bool] = lambda: True,
    host: str = "127.0.0.1",
) -> bool:
    """Wait until something accepts connections on host:port; False on timeout or death."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not alive():
            return False
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.2)
    return False


def child_environment() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("DJANGO_SETTINGS_MODULE", "reseller.settings")
    env["PYTHONUNBUFFERED"] = "1"
    return env


def manage(*args: str) -> list[str]:
    return [sys.executable, str(BASE_DIR / "manage.py"), *args]


class Runner:
    """One run of the portal: setup steps, then the services until a stop."""

    def __init__(self, settings: Any, output: PrefixedOutput | None = None) -> None:
        self.settings = settings
        self.output = output or PrefixedOutput(sys.stdout, highlight=highlight_mail)
        # Registering every name up front gives all prefixes one width from the first line.
        names = ("runner", "migrate", "fake", "catalog", "plans", "worker", "beat", "web", "mail")
        for name in names:
            self.output.register(name)
        self.group = ProcessGroup(self.output)
        self.stop_requested = threading.Event()
        self.env = child_environment()

    def say(self, message: str) -> None:
        for line in message.splitlines() or [""]:
            self.output.write("runner", line)

    # --- setup ----------------------------------------------------------------

    def check_ports(self) -> None:
        ports = {"PORTAL_PORT": self.settings.PORTAL_PORT}
        if self.settings.DEMO_MODE:
            ports["LINODE_FAKE_PORT"] = self.settings.LINODE_FAKE_PORT
        for name, port in ports.items():
            if not port_is_free(port):
                raise RunnerError(
                    f"Port {port} on 127.0.0.1 is in use ({name}). Stop what is using it, or "
                    f"choose another port, for example: {name}={port + 1} make run"
                )

    def setup_command(self, name: str, argv: list[str]) -> None:
        try:
            code = self.group.run_to_completion(
                ProcessSpec(name, argv, env=self.env, cwd=str(BASE_DIR)),
                timeout=SETUP_COMMAND_TIMEOUT_SECONDS,
                cancel=self.stop_requested,
            )
        except subprocess.TimeoutExpired:
            raise RunnerError(
                f"{name} did not finish within {SETUP_COMMAND_TIMEOUT_SECONDS:g} s."
            ) from None
        if code != 0:
            raise RunnerError(f"{name} failed with exit code {code}; its output is above.")

    def create_demo_operator(self) -> str:
        from django.db import connections

        from accounts.demo import ensure_demo_operator

        login = ensure_demo_operator(Path(self.settings.VAR_DIR))
        connections.close_all()
        if login.password is None:
            return (
                f"{login.email} (password changed since it was generated; delete "
                f"{Path(self.settings.VAR_DIR) / 'demo-operator-password'} to get a new one)"
            )
        return f"{login.email} / {login.password}"

    def start_fake(self) -> None:
        port = self.settings.LINODE_FAKE_PORT
        argv = [
            sys.executable,
            "-m",
            "linode_fake",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--state",
            str(Path(self.settings.VAR_DIR) / "linode-fake.sqlite3"),
            "--token",
            self.settings.LINODE_FAKE_TOKEN,
            "--speed",
            str(DEMO_FAKE_SPEED),
        ]
        fake = self.group.start(ProcessSpec("fake", argv, env=self.env, cwd=str(BASE_DIR)))
        if not wait_for_port(port, timeout=STARTUP_TIMEOUT_SECONDS, alive=fake.is_running):
            raise RunnerError(
                f"The fake Linode API did not accept connections on 127.0.0.1:{port} "
                f"within {STARTUP_TIMEOUT_SECONDS:g} s; its output is above."
            )

    def start_services(self) -> ManagedProcess:
        """Start the worker, beat and the web server; return the web server's process."""
        celery = [sys.executable, "-m", "celery", "-A", "reseller"]
        schedule = str(Path(self.settings.VAR_DIR) / "celerybeat-schedule")
        specs = [
            ProcessSpec("worker", [*celery, "worker", "--loglevel", "INFO"]),
            ProcessSpec("beat", [*celery, "beat", "--loglevel", "INFO", "--schedule", schedule]),
            ProcessSpec(
                "web",
                manage("runserver", f"127.0.0.1:{self.settings.PORTAL_PORT}", "--noreload"),
            ),
        ]
        started = []
        for spec in specs:
            spec.env = self.env
            spec.cwd = str(BASE_DIR)
            started.append(self.group.start(spec))
        return started[-1]

    # --- the run ----------------------------------------------------------------

    def run(self) -> int:
        """Set up, serve until a stop, then stop everything; return the exit code."""
        operator_login = ""
        try:
            operator_login = self.set_up()
        except RunnerError as exc:
            self.say(f"error: {exc}")
            self.say("Stopping.")
            self.group.stop_all()
            return 1
        except Cancelled:
            pass
        if self.stop_requested.is_set():
            self.say("Stopping.")
            self.group.stop_all()
            return 0
        self.announce(operator_login)
        return self.serve()

    def set_up(self) -> str:
        settings = self.settings
        self.check_ports()
        if settings.DEMO_MODE:
            self.say("Running in demo mode: LINODE_TOKEN is not set, so the portal uses the")
            self.say(
                f"fake Linode API that this runner starts on 127.0.0.1:{settings.LINODE_FAKE_PORT}."
            )
        else:
            self.say(f"Using the Linode API at {settings.LINODE_API_URL} with LINODE_TOKEN.")
        self.setup_command("migrate", manage("migrate", "--noinput"))
        operator_login = self.create_demo_operator()
        if settings.DEMO_MODE:
            self.start_fake()
        self.setup_command("catalog", manage("sync_catalog"))
        if settings.DEMO_MODE:
            # Against a real account the operator creates the plans in the admin.
            self.setup_command("plans", manage("seed_demo_plans"))
        web = self.start_services()
        port = settings.PORTAL_PORT
        if not wait_for_port(port, timeout=STARTUP_TIMEOUT_SECONDS, alive=web.is_running):
            raise RunnerError(
                f"The web server did not accept connections on 127.0.0.1:{port} within "
                f"{STARTUP_TIMEOUT_SECONDS:g} s; its output is above."
            )
        return operator_login

    def announce(self, operator_login: str) -> None:
        base_url = self.settings.PORTAL_BASE_URL
        lines = [
            "",
            "=" * 64,
            f"The portal is running at {base_url}/",
            f"  Sign up as a customer:  {base_url}/accounts/signup/",
            f"  Operator admin:         {base_url}/admin/",
            f"  Operator login:         {operator_login}",
            f"  Health:                 {base_url}/healthz",
        ]
        if self.settings.DEMO_MODE:
            lines.append(
                "  Demo mode: mails are printed below; their links are on lines starting 'mail'."
            )
        lines += ["Press Ctrl-C to stop everything.", "=" * 64, ""]
        self.say("\n".join(lines))

    def serve(self) -> int:
        while not self.stop_requested.is_set() and not self.group.unexpected_exit.is_set():
            self.stop_requested.wait(0.5)
        code = 0
        crashed = self.group.first_unexpected
        if crashed is not None and not self.stop_requested.is_set():
            self.say(f"{crashed.name} exited with code {crashed.returncode}; stopping the others.")
            code = 1
        else:
            self.say("Stopping every process.")
        self.group.stop_all()
        self.say("Stopped.")
        return code

    def request_stop(self, signum: int, frame: FrameType | None) -> None:
        if self.stop_requested.is_set():
            self.say("Received a second stop signal; killing every process now.")
            self.group.kill_all()
            return
        self.say(f"Received {signal.Signals(signum).name}.")
        self.stop_requested.set()


class OutputHandler(logging.Handler):
    """Sends the runner's own log records through the prefixed output."""

    def __init__(self, output: PrefixedOutput, process_name: str = "runner") -> None:
        super().__init__()
        self.output = output
        self.process_name = process_name

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.output.write(self.process_name, self.format(record))
        except Exception:  # noqa: BLE001 - logging must never raise
            self.handleError(record)


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "reseller.settings")
    import django
    from django.conf import settings

    django.setup()
    runner = Runner(settings)
    handler = OutputHandler(runner.output)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    logging.getLogger().handlers = [handler]
    signal.signal(signal.SIGINT, runner.request_stop)
    signal.signal(signal.SIGTERM, runner.request_stop)
    return runner.run()


if __name__ == "__main__":
    sys.exit(main())
