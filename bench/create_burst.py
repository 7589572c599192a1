"""Benchmark: a burst of orders provisioned under the API's create limit.

Starts the fake on loopback with the documented create limit (20 creates per
15 s per token) and the portal's Django code on a temporary SQLite file, both
sped up by `--speed` (windows of 15 / speed seconds). It orders `--servers`
servers at once, starts provisioning each, and lets `--workers` threads run
the portal's `provisioning.run_operation` task on every due operation, as
Celery workers do. The threads poll the database for due operations in place
of the broker and the periodic sweep.

Each scenario sets the portal's own limit (`LINODE_CREATE_LIMIT` per window).
With 20 the portal should stay inside the API's limit; with more it must
absorb the API's 429 responses. The script reports the creates and 429s the
fake served, checks that every server got exactly one Linode, and compares
the total time with the minimum: creates beyond the first window's 20 must
wait, so the last batch can start no earlier than (ceil(servers / 20) - 1)
windows after the first create.

    .venv/bin/python bench/create_burst.py --servers 60 --speed 3 --portal-limits 20,40
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import random
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (  # noqa: E402
    add_repo_to_path,
    machine_line,
    order_servers,
    print_table,
    setup_portal,
)

add_repo_to_path()

API_CREATE_LIMIT = 20
API_CREATE_WINDOW_SECONDS = 15.0
POLL_SECONDS = 0.02


def run_workers(
    count: int, stop: threading.Event, executions: list[int], errors: list[str]
) -> list[threading.Thread]:
    """Start `count` threads that run every due operation until `stop` is set.

    A thread that crashes records the error in `errors` and sets `stop`.
    """
    from django.db import connection
    from django.db.models import Q
    from django.utils import timezone

    from provisioning.models import Operation, OperationStatus
    from provisioning.tasks import run_operation

    def work() -> None:
        try:
            while not stop.is_set():
                due = list(
                    Operation.objects.filter(status=OperationStatus.QUEUED)
                    .filter(Q(not_before__isnull=True) | Q(not_before__lte=timezone.now()))
                    .values_list("id", flat=True)
                )
                if not due:
                    time.sleep(POLL_SECONDS)
                    continue
                random.shuffle(due)  # workers contend for the same operations
                for operation_id in due:
                    if run_operation(operation_id) is not None:
                        executions.append(operation_id)
        except Exception as exc:
            errors.append(f"{threading.current_thread().name}: {exc!r}")
            stop.set()
        finally:
            connection.close()

    threads = [threading.Thread(target=work, name=f"worker-{n}") for n in range(count)]
    for thread in threads:
        thread.start()
    return threads


def run_scenario(servers: int, workers: int, speed: float, portal_limit: int) -> dict:
    """Provision `servers` servers against a fresh fake and database; return the figures."""
    from linode_fake.testing import run_fake

    window = API_CREATE_WINDOW_SECONDS / speed
    with (
        tempfile.TemporaryDirectory(prefix="bench-burst-") as work_dir,
        run_fake(
            speed=speed,
            instance_limit=servers + 10,
            rate_limits={"linode_create": (API_CREATE_LIMIT, API_CREATE_WINDOW_SECONDS)},
        ) as fake,
    ):
        setup_portal(
            Path(work_dir),
            fake.api_url,
            fake.token,
            LINODE_CREATE_LIMIT=str(portal_limit),
            LINODE_CREATE_WINDOW_SECONDS=str(window),
            CELERY_BROKER_URL="memory://",
        )
        from provisioning.models import Operation, OperationStatus, Server
        from provisioning.services import start_provisioning

        server_ids = order_servers(servers)
        for server in Server.objects.filter(pk__in=server_ids):
            start_provisioning(server, actor="system")
        fake.clear_request_log()

        stop = threading.Event()
        executions: list[int] = []
        errors: list[str] = []
        started = time.perf_counter()
        threads = run_workers(workers, stop, executions, errors)
        # Three times the minimum plus a margin, so a stuck run ends with its figures.
        deadline = started + 3 * window * math.ceil(servers / API_CREATE_LIMIT) + 30
        open_statuses = (OperationStatus.QUEUED, OperationStatus.RUNNING)
        while Operation.objects.filter(status__in=open_statuses).exists():
            if time.perf_counter() > deadline or stop.is_set():
                break
            time.sleep(POLL_SECONDS)
        total = time.perf_counter() - started
        stop.set()
        for thread in threads:
            thread.join()

        log = fake.request_log
        creates = [
            entry
            for entry in log
            if entry.method == "POST" and entry.path.endswith("/linode/instances")
        ]
        instances = fake.instances()
        labels = [instance["label"] for instance in instances]
        linode_ids = {instance["label"]: instance["id"] for instance in instances}
        expected = {server.label: server.linode_id for server in Server.objects.all()}
        failed = list(
            Operation.objects.exclude(status=OperationStatus.WAITING).values_list(
                "id", "status", "error"
            )
        )
    # Exactly one Linode per server: no label twice, no stray Linode, and each
    # server records the id of the Linode that carries its label.
    one_each = sorted(labels) == sorted(expected) and linode_ids == expected
    return {
        "portal_limit": portal_limit,
        "servers": servers,
        "creates_201": sum(1 for entry in creates if entry.status == 200),
        "creates_429": sum(1 for entry in creates if entry.status == 429),
        "creates_other": sorted({entry.status for entry in creates} - {200, 429}),
        "requests": len(log),
        "runs": len(executions),
        "linodes": len(labels),
        "one_linode_each": one_each,
        "not_waiting": failed,
        "worker_errors": errors,
        "seconds": total,
        "window": window,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--servers", type=int, default=60, help="servers ordered (default 60)")
    parser.add_argument("--workers", type=int, default=4, help="worker threads (default 4)")
    parser.add_argument(
        "--speed",
        type=float,
        default=3.0,
        help="speed factor of the fake and the portal's window: 15 s / speed (default 3)",
    )
    parser.add_argument(
        "--portal-limits",
        default="20,40",
        help="the portal's LINODE_CREATE_LIMIT per window, one scenario each (default 20,40)",
    )
    parser.add_argument("--scenario", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.servers < 1 or args.workers < 1 or args.speed <= 0:
        parser.error("--servers and --workers must be at least 1 and --speed positive")
    logging.getLogger("linode_fake").setLevel(logging.WARNING)

    if args.scenario is not None:
        result = run_scenario(args.servers, args.workers, args.speed, args.scenario)
        print(json.dumps(result))
        return

    try:
        limits = [int(part) for part in args.portal_limits.split(",")]
    except ValueError:
        parser.error(f"invalid --portal-limits {args.portal_limits!r}; expected e.g. 20,40")
    print(machine_line())
    rows = []
    problems = 0
    for limit in limits:
        # Django reads its settings once per process, so each scenario gets its own.
        child = subprocess.run(
            [
                sys.executable,
                __file__,
                "--servers",
                str(args.servers),
                "--workers",
                str(args.workers),
                "--speed",
                str(args.speed),
                "--scenario",
                str(limit),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if child.returncode != 0:
            sys.exit(f"scenario with portal limit {limit} failed:\n{child.stderr}")
        result = json.loads(child.stdout.strip().splitlines()[-1])
        window = result["window"]
        batches = math.ceil(args.servers / API_CREATE_LIMIT)
        minimum = (batches - 1) * window
        rows.append(
            [
                f"{limit} per window",
                result["creates_201"],
                result["creates_429"],
                result["runs"],
                result["requests"],
                f"{result['linodes']} ({'yes' if result['one_linode_each'] else 'NO'})",
                len(result["not_waiting"]),
                f"{result['seconds']:.1f}",
                f"{result['seconds'] / window:.2f}",
                f"{result['seconds'] / minimum:.2f}" if minimum else "-",
            ]
        )
        if not result["one_linode_each"] or result["not_waiting"] or result["worker_errors"]:
            problems += 1
        for error in result["worker_errors"]:
            print(f"  limit {limit}: worker crashed: {error}")
        if result["not_waiting"] or result["creates_other"]:
            unfinished, other = result["not_waiting"], result["creates_other"]
            print(f"  limit {limit}: unfinished {unfinished}, other create statuses {other}")
    window = API_CREATE_WINDOW_SECONDS / args.speed
    print(
        f"{args.servers} servers, {args.workers} workers, API limit {API_CREATE_LIMIT} creates "
        f"per {window:g} s window (15 s at speed {args.speed:g}); minimum "
        f"{(math.ceil(args.servers / API_CREATE_LIMIT) - 1) * window:g} s"
    )
    print_table(
        [
            "portal limit",
            "creates",
            "429s",
            "task runs",
            "API requests",
            "Linodes (one each)",
            "unfinished",
            "total s",
            "windows",
            "vs minimum",
        ],
        rows,
    )
    if problems:
        sys.exit(f"{problems} scenario(s) did not give every server exactly one Linode")


if __name__ == "__main__":
    main()
