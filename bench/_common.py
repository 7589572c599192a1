"""Helpers shared by the benchmark scripts: machine facts, medians and tables."""

from __future__ import annotations

import datetime
import io
import logging
import os
import platform
import secrets
import statistics
import sys
from collections.abc import Sequence
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def add_repo_to_path() -> None:
    """Make the project's packages importable when a script runs as `python bench/NAME.py`."""
    if str(REPO_ROOT) not in sys.path:
        sys.path.insert(0, str(REPO_ROOT))


def machine_line() -> str:
    """Describe the run: UTC date, CPU count, Python version and load average."""
    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    return (
        f"{now}; nproc {os.cpu_count()}; Python {platform.python_version()}; "
        f"{platform.system()} {platform.machine()}; load average {load}"
    )


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def print_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """Print rows as a Markdown table, so the output can be pasted into the docs."""
    cells = [[str(value) for value in row] for row in rows]
    widths = [max(len(headers[i]), *(len(row[i]) for row in cells)) for i in range(len(headers))]
    print("| " + " | ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)) + " |")
    print("| " + " | ".join("-" * w for w in widths) + " |")
    for row in cells:
        print("| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |")


def setup_portal(work_dir: Path, api_url: str, token: str, **settings: str) -> None:
    """Configure and start Django against a temporary SQLite file and a fake's URL.

    Environment variables carry the settings because reseller.settings reads
    them at import. Extra keyword arguments become variables too, e.g.
    `LINODE_CREATE_LIMIT="20"`. Runs the migrations, then calls
    `manage.py sync_catalog` and `seed_demo_plans` so that orders can be placed.
    """
    environment = {
        "DJANGO_SETTINGS_MODULE": "reseller.settings",
        "PORTAL_VAR_DIR": str(work_dir),
        "DATABASE_URL": f"sqlite:///{work_dir / 'portal.sqlite3'}",
        "DEMO_MODE": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "LINODE_TOKEN": token,
        "LINODE_API_URL": api_url,
        "LOG_LEVEL": "WARNING",
        **settings,
    }
    os.environ.update(environment)
    add_repo_to_path()

    import django
    from django.core.management import call_command

    django.setup()
    # The Celery app's broker connection logs a warning about its default host.
    logging.getLogger("kombu").setLevel(logging.ERROR)
    for command in ("migrate", "sync_catalog", "seed_demo_plans"):
        call_command(command, verbosity=0, stdout=io.StringIO())


def order_servers(count: int, *, first_number: int = 0) -> list[int]:
    """Place `count` orders of the `starter` plan with the portal's services; return the ids."""
    from accounts.models import User
    from provisioning.models import Plan
    from provisioning.services import place_order

    plan = Plan.objects.get(slug="starter")
    region = plan.regions[0]
    ids = []
    for number in range(first_number, first_number + count):
        customer = User.objects.create_user(f"bench{number}@example.com", password=None)
        ids.append(place_order(customer=customer, plan=plan, region=region).pk)
    return ids
