"""Benchmark: API requests and time per tracking cycle as the servers in flight grow.

Starts the fake on loopback and the portal's Django code on a temporary SQLite
file. For each size it orders servers until that many are in flight and
provisions them through the portal's own code path (`start_provisioning`, with
Celery tasks run eagerly in this process). The fake keeps every new Linode
in `provisioning` for the whole run, so every server stays in flight. Then it
runs the tracking job `--cycles` times and reports, per cycle, the requests
the fake served, the SQL queries the portal ran and the median wall time.

    .venv/bin/python bench/tracking_cost.py --sizes 1,10,100,500 --cycles 7
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (  # noqa: E402
    add_repo_to_path,
    machine_line,
    median,
    order_servers,
    print_table,
    setup_portal,
)

add_repo_to_path()

# Large enough that no rate limit and no status change interferes with what is measured.
UNLIMITED = 1_000_000
PROVISION_SECONDS = 10_000_000.0


def parse_sizes(text: str) -> list[int]:
    try:
        sizes = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"invalid --sizes {text!r}; expected increasing integers such as 1,10,100,500"
        ) from None
    if not sizes or sizes[0] < 1 or sizes != sorted(set(sizes)):
        raise argparse.ArgumentTypeError(
            f"invalid --sizes {text!r}; expected increasing integers of at least 1"
        )
    return sizes


def provision(count: int, first_number: int) -> None:
    """Order and provision `count` more servers; each ends waiting for tracking."""
    from provisioning.models import Operation, OperationStatus, Server
    from provisioning.services import start_provisioning

    for server_id in order_servers(count, first_number=first_number):
        server = Server.objects.get(pk=server_id)
        operation = start_provisioning(server, actor="system")
        operation.refresh_from_db()
        if operation.status != OperationStatus.WAITING:
            sys.exit(
                f"server {server_id}: provision operation is {operation.status} "
                f"({operation.error!r}); expected it to wait for tracking"
            )
    assert Operation.objects.filter(status=OperationStatus.WAITING).count() >= count


class FakeLatency(logging.Handler):
    """Logging handler that adds up the server-side milliseconds the fake logs per request."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.milliseconds = 0.0

    def emit(self, record: logging.LogRecord) -> None:
        # The fake logs "METHOD PATH STATUS LATENCY ms" with the latency as the last argument.
        if isinstance(record.args, tuple) and record.args:
            self.milliseconds += float(record.args[-1])


def watch_fake_latency() -> FakeLatency:
    handler = FakeLatency()
    fake_log = logging.getLogger("linode_fake.requestlog")
    fake_log.setLevel(logging.INFO)
    fake_log.propagate = False
    fake_log.addHandler(handler)
    return handler


def measure_cycles(fake, cycles: int, latency: FakeLatency) -> dict[str, object]:
    """Run tracking `cycles` times after one warm-up cycle; return per-cycle figures."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from provisioning import tracking

    tracking.track()  # warm-up: records IP addresses and the first progress
    times, fake_times, requests, queries = [], [], [], []
    paths: Counter[str] = Counter()
    in_flight = 0
    for _ in range(cycles):
        fake.clear_request_log()
        latency.milliseconds = 0.0
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            summary = tracking.track()
            times.append(time.perf_counter() - started)
        fake_times.append(latency.milliseconds / 1000)
        log = fake.request_log
        requests.append(len(log))
        queries.append(len(captured.captured_queries))
        paths.update(f"{entry.method} {entry.path}" for entry in log)
        in_flight = summary.servers
    return {
        "in_flight": in_flight,
        "requests": requests,
        "paths": {path: count // cycles for path, count in paths.items()},
        "queries": median(queries),
        "seconds": median(times),
        "fake_seconds": median(fake_times),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes",
        type=parse_sizes,
        default=[1, 10, 100, 500],
        help="servers in flight to measure, increasing (default 1,10,100,500)",
    )
    parser.add_argument(
        "--cycles", type=int, default=7, help="tracking cycles timed per size (default 7)"
    )
    args = parser.parse_args()
    if args.cycles < 1:
        parser.error(f"--cycles must be at least 1, got {args.cycles}")

    from linode_fake.testing import run_fake

    logging.getLogger("linode_fake").setLevel(logging.WARNING)
    print(machine_line())
    with (
        tempfile.TemporaryDirectory(prefix="bench-tracking-") as work_dir,
        run_fake(
            speed=100.0,
            instance_limit=UNLIMITED,
            timings={"provision": PROVISION_SECONDS},
            rate_limits={
                "linode_create": (UNLIMITED, 15.0),
                "collections": (UNLIMITED, 60.0),
                "default": (UNLIMITED, 60.0),
            },
        ) as fake,
    ):
        setup_portal(
            Path(work_dir),
            fake.api_url,
            fake.token,
            LINODE_CREATE_LIMIT=str(UNLIMITED),
            CELERY_TASK_ALWAYS_EAGER="1",
        )
        latency = watch_fake_latency()
        rows = []
        ordered = 0
        for size in args.sizes:
            setup_started = time.perf_counter()
            provision(size - ordered, ordered)
            ordered = size
            setup_seconds = time.perf_counter() - setup_started
            result = measure_cycles(fake, args.cycles, latency)
            if result["in_flight"] != size:
                sys.exit(f"expected {size} servers in flight, tracking saw {result['in_flight']}")
            request_counts = sorted(set(result["requests"]))
            seconds = result["seconds"]
            paths = sorted(result["paths"].items())
            rows.append(
                [
                    size,
                    ", ".join(str(count) for count in request_counts),
                    "; ".join(f"{count}x {path}" for path, count in paths),
                    result["queries"],
                    f"{seconds * 1000:.0f}",
                    f"{result['fake_seconds'] * 1000:.0f}",
                    f"{(seconds - result['fake_seconds']) * 1000 / size:.2f}",
                ]
            )
            print(f"  {size} in flight: set up in {setup_seconds:.1f} s", flush=True)
    print(f"median of {args.cycles} tracking cycles per size, after one warm-up cycle")
    print_table(
        [
            "servers in flight",
            "requests per cycle",
            "requests",
            "SQL queries per cycle",
            "median ms per cycle",
            "of which the fake serving",
            "portal ms per server",
        ],
        rows,
    )


if __name__ == "__main__":
    main()
