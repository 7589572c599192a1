"""The whole portal as real processes, for the end-to-end test.

`PortalStack` starts the fake Linode API, migrates a database that every
process shares, loads the catalog and the demo plans, then starts a Celery
worker, Celery beat and the Django server, each on loopback. The database is a
SQLite file in a temporary folder, or a dedicated PostgreSQL database when
DATABASE_URL points at PostgreSQL. The broker is kombu's filesystem transport
in the temporary folder, or a dedicated Redis database when CELERY_BROKER_URL
points at Redis. Stopping the stack drops what it created.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import redis
from psycopg import sql

from reseller.processes import PrefixedOutput, ProcessGroup, ProcessSpec
from reseller.runner import wait_for_port

REPO_ROOT = Path(__file__).resolve().parents[2]
# The fake runs Linode status transitions this many times faster than Linode.
FAKE_SPEED = 40.0
# Redis database number the end-to-end test uses, apart from the other tests' one.
E2E_REDIS_DB = 13
STARTUP_TIMEOUT_SECONDS = 30.0
SETUP_TIMEOUT_SECONDS = 120.0
# Settings and credentials of the developer's shell that must not leak into the stack.
CLEARED_VARIABLES = (
    "LINODE_TOKEN",
    "LINODE_API_URL",
    "EMAIL_HOST",
    "EMAIL_HOST_USER",
    "EMAIL_HOST_PASSWORD",
    "PORTAL_BASE_URL",
    "CSRF_TRUSTED_ORIGINS",
    "ALLOWED_HOSTS",
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class StackError(AssertionError):
    """A stack step failed; the message ends with the processes' recent output."""


class PortalStack:
    def __init__(self, work_dir: Path, environ: dict[str, str] | None = None) -> None:
        self.work_dir = work_dir
        self.environ = dict(os.environ if environ is None else environ)
        self.output = PrefixedOutput(None, tail_lines=400)
        self.group = ProcessGroup(self.output, grace_seconds=10.0)
        self.fake_port = free_port()
        self.web_port = free_port()
        self.base_url = f"http://127.0.0.1:{self.web_port}"
        self.api_url = f"http://127.0.0.1:{self.fake_port}/v4"
        self.mail_dir = work_dir / "mail"
        self.database_label = ""
        self.broker_label = ""
        self._postgres_admin_url = ""
        self._postgres_database = ""
        self._redis_url = ""
        self.env: dict[str, str] = {}

    # --- database and broker ---------------------------------------------------

    def _database_url(self) -> str:
        configured = self.environ.get("DATABASE_URL", "")
        if not configured.startswith(("postgres://", "postgresql://")):
            self.database_label = "SQLite"
            return f"sqlite:///{self.work_dir / 'portal.sqlite3'}"

        self._postgres_admin_url = configured
        self._postgres_database = f"e2e_{secrets.token_hex(6)}"
        with psycopg.connect(configured, autocommit=True) as conn:
            conn.execute(
                sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self._postgres_database))
            )
        parts = urlsplit(configured)
        self.database_label = f"PostgreSQL database {self._postgres_database}"
        return urlunsplit(parts._replace(path=f"/{self._postgres_database}"))

    def _drop_database(self) -> None:
        if not self._postgres_database:
            return
        with psycopg.connect(self._postgres_admin_url, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                    sql.Identifier(self._postgres_database)
                )
            )
        self._postgres_database = ""

    def _broker_url(self) -> str:
        configured = self.environ.get("CELERY_BROKER_URL", "")
        if not configured.startswith(("redis://", "rediss://")):
            self.broker_label = "filesystem"
            return "filesystem://"

        parts = urlsplit(configured)
        self._redis_url = urlunsplit(parts._replace(path=f"/{E2E_REDIS_DB}"))
        self._purge_redis()
        self.broker_label = f"Redis database {E2E_REDIS_DB}"
        return self._redis_url

    def _purge_redis(self) -> None:
        if self._redis_url:
            client = redis.Redis.from_url(self._redis_url, socket_timeout=5)
            try:
                client.flushdb()
            finally:
                client.close()

    # --- processes --------------------------------------------------------------

    def _build_env(self) -> dict[str, str]:
        env = {key: value for key, value in self.environ.items() if key not in CLEARED_VARIABLES}
        env.update(
            {
                "DJANGO_SETTINGS_MODULE": "reseller.settings",
                "PYTHONUNBUFFERED": "1",
                "PORTAL_VAR_DIR": str(self.work_dir / "var"),
                "SECRET_KEY": secrets.token_urlsafe(50),
                "DEBUG": "0",
                "DEMO_MODE": "1",
                "SESSION_COOKIE_SECURE": "0",
                "LINODE_FAKE_PORT": str(self.fake_port),
                "LINODE_API_URL": self.api_url,
                "PORTAL_PORT": str(self.web_port),
                "PORTAL_BASE_URL": self.base_url,
                "DATABASE_URL": self._database_url(),
                "CELERY_BROKER_URL": self._broker_url(),
                "CELERY_FILESYSTEM_DIR": str(self.work_dir / "broker"),
                "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
                "EMAIL_FILE_PATH": str(self.mail_dir),
                "PROVISIONING_TRACK_INTERVAL": "0.5",
                "PROVISIONING_SWEEP_INTERVAL": "1",
                "LOG_LEVEL": "INFO",
            }
        )
        return env

    def _spec(self, name: str, argv: list[str]) -> ProcessSpec:
        return ProcessSpec(name, argv, env=self.env, cwd=str(REPO_ROOT))

    def _manage(self, *args: str) -> list[str]:
        return [sys.executable, str(REPO_ROOT / "manage.py"), *args]

    def fail(self, message: str) -> StackError:
        return StackError(f"{message}\n\nRecent output of the processes:\n{self.output.report()}")

    def _setup_command(self, name: str, argv: list[str]) -> None:
        try:
            code = self.group.run_to_completion(
                self._spec(name, argv), timeout=SETUP_TIMEOUT_SECONDS
            )
        except subprocess.TimeoutExpired:
            raise self.fail(f"{name} did not finish within {SETUP_TIMEOUT_SECONDS:g} s") from None
        if code != 0:
            raise self.fail(f"{name} failed with exit code {code}")

    def _start_and_wait(self, name: str, argv: list[str], port: int) -> None:
        process = self.group.start(self._spec(name, argv))
        if not wait_for_port(port, timeout=STARTUP_TIMEOUT_SECONDS, alive=process.is_running):
            raise self.fail(
                f"{name} did not accept connections on 127.0.0.1:{port} within "
                f"{STARTUP_TIMEOUT_SECONDS:g} s"
            )

    def start(self) -> None:
        (self.work_dir / "var").mkdir(parents=True, exist_ok=True)
        self.env = self._build_env()
        fake = [
            sys.executable,
            "-m",
            "linode_fake",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.fake_port),
            "--state",
            str(self.work_dir / "linode-fake.sqlite3"),
            "--token",
            self.fake_token_argument(),
            "--speed",
            str(FAKE_SPEED),
        ]
        self._start_and_wait("fake", fake, self.fake_port)
        self._setup_command("migrate", self._manage("migrate", "--noinput"))
        self._setup_command("catalog", self._manage("sync_catalog"))
        self._setup_command("plans", self._manage("seed_demo_plans"))

        celery = [sys.executable, "-m", "celery", "-A", "reseller"]
        self.group.start(
            self._spec("worker", [*celery, "worker", "--loglevel", "INFO", "--concurrency", "2"])
        )
        schedule = str(self.work_dir / "celerybeat-schedule")
        self.group.start(
            self._spec("beat", [*celery, "beat", "--loglevel", "INFO", "--schedule", schedule])
        )
        web = self._manage("runserver", f"127.0.0.1:{self.web_port}", "--noreload")
        self._start_and_wait("web", web, self.web_port)

    def fake_token_argument(self) -> str:
        # The portal in demo mode sends settings.LINODE_FAKE_TOKEN; the fake accepts it.
        from django.conf import settings

        return str(settings.LINODE_FAKE_TOKEN)

    def check_alive(self) -> None:
        """Raise with the logs when a long-running process has exited."""
        if self.group.unexpected_exit.is_set():
            crashed = self.group.first_unexpected
            name = crashed.name if crashed else "a process"
            raise self.fail(f"{name} exited unexpectedly")

    def stop(self) -> None:
        try:
            self.group.stop_all()
        finally:
            try:
                self._drop_database()
            finally:
                self._purge_redis()
