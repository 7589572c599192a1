"""Benchmark: list every Linode with `linode_api` and with the official SDK `linode_api4`.

The fake runs in this process on loopback, seeded with `--count` Linodes. For
each client the script reports the requests the fake served for one full
listing (from its request log), the median wall time of `--repeat` listings
and the peak memory (tracemalloc) of one listing. Every listing iterates all
objects and reads one attribute (`label`) of each. A baseline row fetches
the same pages with plain `requests` and parses the JSON without building
objects: the floor that any client pays for the fake's work and the transfer.
A second table times building the objects of one page of 500 from parsed
JSON, with the data copied and with the data owned by the object.

Timing and memory are measured in a child process that has no fake threads,
so the fake's own work neither competes with the client for the GIL nor shows
up in tracemalloc. The child alternates the clients in every round, so a
load spike on this shared machine hits all of them alike.

    .venv/bin/python bench/list_linodes.py --count 1201 --repeat 7
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import add_repo_to_path, machine_line, median, print_table  # noqa: E402

add_repo_to_path()

TOKEN_VARIABLE = "BENCH_FAKE_TOKEN"
BASELINE = "requests + json only"
CLIENTS = ("linode_api", "linode_api4 page_size=500", "linode_api4 default page size", BASELINE)


def list_all(client_name: str, api_url: str, token: str) -> int:
    """List every Linode with a fresh client, read each label, return how many there were."""
    if client_name == BASELINE:
        return read_pages_raw(api_url, token)
    if client_name == "linode_api":
        import linode_api

        ours = linode_api.LinodeClient(token, api_url)
        linodes = ours.get_linodes()
    else:
        import linode_api4

        page_size = 500 if "500" in client_name else None
        sdk = linode_api4.LinodeClient(token, base_url=api_url, page_size=page_size)
        linodes = sdk.linode.instances()
    count = 0
    for linode in linodes:
        if linode.label:
            count += 1
    return count


def read_pages_raw(api_url: str, token: str) -> int:
    """Fetch and parse every page of 500 with plain `requests`: the floor for any client."""
    import requests

    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    count, page, pages = 0, 1, 1
    while page <= pages:
        response = session.get(
            f"{api_url}/linode/instances", params={"page": page, "page_size": 500}, timeout=30
        )
        response.raise_for_status()
        body = response.json()
        pages = body["pages"]
        count += sum(1 for item in body["data"] if item["label"])
        page += 1
    return count


def time_object_building(api_url: str, token: str, repeat: int) -> dict[str, list[float]]:
    """Time building `Linode` objects from one parsed page of 500, with and without a copy.

    "copied" passes the page item as `data=`, which deep-copies it as
    `linode_api` did for every listed object before. "owned" is what a page
    or a GET does now: the object keeps the freshly parsed JSON. Each round
    parses the page's text again outside the timer, so both start from JSON
    that nothing else holds.
    """
    import requests

    import linode_api

    client = linode_api.LinodeClient(token, api_url)
    response = requests.get(
        f"{api_url}/linode/instances",
        params={"page": 1, "page_size": 500},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    response.raise_for_status()
    text = response.text
    times: dict[str, list[float]] = {"copied": [], "owned": []}
    for _ in range(repeat):
        for variant in times:
            items = json.loads(text)["data"]
            started = time.perf_counter()
            for item in items:
                if variant == "copied":
                    linode = linode_api.Linode(client, item["id"], data=item)
                else:
                    linode = linode_api.Linode(client, item["id"])._take_data(item)
                assert linode.label
            times[variant].append(time.perf_counter() - started)
    return times


def measure(action: Callable[[], int], *, trace_memory: bool) -> tuple[float, int | None, int]:
    """Run `action` once; return its seconds, peak traced bytes (or None) and result."""
    if trace_memory:
        tracemalloc.start()
    started = time.perf_counter()
    result = action()
    seconds = time.perf_counter() - started
    peak = None
    if trace_memory:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return seconds, peak, result


def run_child(api_url: str, repeat: int) -> None:
    """Time and trace the clients against a fake that another process serves."""
    token = os.environ[TOKEN_VARIABLE]
    times: dict[str, list[float]] = {name: [] for name in CLIENTS}
    peaks: dict[str, int] = {}
    counts: dict[str, int] = {}
    for name in CLIENTS:  # warm-up: imports, connection pools and the fake's first requests
        list_all(name, api_url, token)
    for round_number in range(repeat):
        # Rotate the order each round so no client always runs first.
        shift = round_number % len(CLIENTS)
        for name in CLIENTS[shift:] + CLIENTS[:shift]:
            seconds, _, counts[name] = measure(
                lambda name=name: list_all(name, api_url, token), trace_memory=False
            )
            times[name].append(seconds)
    for name in CLIENTS:
        _, peak, _ = measure(lambda name=name: list_all(name, api_url, token), trace_memory=True)
        assert peak is not None
        peaks[name] = peak
    building = time_object_building(api_url, token, repeat)
    print(json.dumps({"times": times, "peaks": peaks, "counts": counts, "building": building}))


def count_requests(fake, name: str) -> tuple[int, int]:
    """List once in this process; return (requests the fake served, objects listed)."""
    fake.clear_request_log()
    listed = list_all(name, fake.api_url, fake.token)
    return len(fake.request_log), listed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=1201, help="Linodes to seed (default 1201)")
    parser.add_argument(
        "--repeat", type=int, default=7, help="timed listings per client (default 7)"
    )
    parser.add_argument("--child", metavar="API_URL", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.count < 1 or args.repeat < 1:
        parser.error(f"--count and --repeat must be at least 1, got {args.count}, {args.repeat}")
    if args.child:
        run_child(args.child, args.repeat)
        return

    from linode_fake.testing import run_fake

    logging.getLogger("linode_fake").setLevel(logging.WARNING)
    print(machine_line())
    with run_fake(speed=100.0) as fake:
        seed_started = time.perf_counter()
        fake.seed_instances(args.count)
        print(f"seeded {args.count} Linodes in {time.perf_counter() - seed_started:.2f} s")
        requests_sent = {name: count_requests(fake, name) for name in CLIENTS}
        expected = math.ceil(args.count / 500)
        if requests_sent["linode_api"] != (expected, args.count):
            sys.exit(
                f"linode_api sent {requests_sent['linode_api'][0]} requests and listed "
                f"{requests_sent['linode_api'][1]} Linodes; expected {expected} requests "
                f"for {args.count} Linodes"
            )
        child = subprocess.run(
            [sys.executable, __file__, "--child", fake.api_url, "--repeat", str(args.repeat)],
            env={**os.environ, TOKEN_VARIABLE: fake.token},
            capture_output=True,
            text=True,
            check=False,
        )
    if child.returncode != 0:
        sys.exit(f"the measuring process failed:\n{child.stderr}")
    result = json.loads(child.stdout)

    ours = median(result["times"]["linode_api"])
    ours_peak = result["peaks"]["linode_api"]
    rows = []
    for name in CLIENTS:
        requests, listed = requests_sent[name]
        seconds = median(result["times"][name])
        peak = result["peaks"][name]
        rows.append(
            [
                name,
                listed,
                requests,
                f"{seconds * 1000:.0f}",
                f"{seconds / ours:.2f}",
                f"{peak / 1e6:.1f}",
                f"{peak / ours_peak:.2f}",
            ]
        )
    print(f"{args.count} Linodes, median of {args.repeat} interleaved listings per client")
    print_table(
        [
            "client",
            "objects",
            "requests",
            "median ms",
            "time vs linode_api",
            "peak MB",
            "memory vs linode_api",
        ],
        rows,
    )
    building = {name: median(values) for name, values in result["building"].items()}
    items = min(args.count, 500)
    print(f"building {items} Linode objects from one parsed page, median of {args.repeat}")
    print_table(
        ["object data", "median ms", "time vs owned"],
        [
            [name, f"{seconds * 1000:.1f}", f"{seconds / building['owned']:.2f}"]
            for name, seconds in building.items()
        ],
    )


if __name__ == "__main__":
    main()
