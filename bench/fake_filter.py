"""Benchmark: the fake's instance list filtered by id or label, with and without its shortcuts.

The fake runs in this process on loopback, seeded with `--count` Linodes. Each
variant sends one `GET /linode/instances` (page size 500) with an `X-Filter`
and reports the median wall time of `--repeat` requests. The fake answers an
`+or` of id equalities with one set lookup per item and loads only the rows
whose id or label the filter pins down. The "full scan" variants send the
same filter with one more `+or` child that matches nothing (a tag no Linode
carries). That child turns both shortcuts off, so those rows measure the fake
rendering every stored Linode and testing each condition on each, as it did
before the shortcuts. Both variants must return the same Linodes, or the
script exits with status 1.

    .venv/bin/python bench/fake_filter.py --count 1000 --repeat 7
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import add_repo_to_path, machine_line, median, print_table  # noqa: E402

add_repo_to_path()

NOTHING = {"tags": "no-such-tag"}


def without_shortcuts(xfilter: dict[str, Any]) -> dict[str, Any]:
    """Return a filter with the same matches that the fake must answer by a full scan."""
    conditions = dict(xfilter)
    if "+or" in conditions:
        conditions["+or"] = [*conditions["+or"], NOTHING]
    return {"+or": [conditions, NOTHING]}


def timed_list(session: Any, api_url: str, xfilter: dict[str, Any]) -> tuple[float, list[int]]:
    """Send one filtered list request; return its seconds and the ids it listed."""
    started = time.perf_counter()
    response = session.get(
        f"{api_url}/linode/instances",
        params={"page_size": 500},
        headers={"X-Filter": json.dumps(xfilter)},
        timeout=60,
    )
    seconds = time.perf_counter() - started
    response.raise_for_status()
    return seconds, [item["id"] for item in response.json()["data"]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=1000, help="Linodes to seed (default 1000)")
    parser.add_argument("--repeat", type=int, default=7, help="requests per variant (default 7)")
    args = parser.parse_args()
    if args.count < 200 or args.repeat < 1:
        parser.error(f"--count must be at least 200 and --repeat at least 1, got {args}")

    import requests

    from linode_fake.testing import run_fake

    logging.getLogger("linode_fake").setLevel(logging.WARNING)
    print(machine_line())
    with run_fake(speed=100.0) as fake:
        ids = fake.seed_instances(args.count, label_prefix="bench")
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {fake.token}"
        cases = {
            "+or of 200 ids": {"+or": [{"id": linode_id} for linode_id in ids[::-1][:200]]},
            "+or of 1 id": {"+or": [{"id": ids[len(ids) // 2]}]},
            "label equality": {"label": f"bench-{len(ids) // 3}"},
        }
        rows = []
        for name, xfilter in cases.items():
            times: dict[str, list[float]] = {"shortcuts": [], "full scan": []}
            listed: dict[str, list[int]] = {}
            for _ in range(args.repeat):
                for variant, sent in (
                    ("shortcuts", xfilter),
                    ("full scan", without_shortcuts(xfilter)),
                ):
                    seconds, listed[variant] = timed_list(session, fake.api_url, sent)
                    times[variant].append(seconds)
            if listed["shortcuts"] != listed["full scan"]:
                sys.exit(f"{name}: the shortcuts listed other Linodes than the full scan")
            fast, slow = median(times["shortcuts"]), median(times["full scan"])
            rows.append(
                [
                    name,
                    len(listed["shortcuts"]),
                    f"{slow * 1000:.1f}",
                    f"{fast * 1000:.1f}",
                    f"{slow / fast:.0f}",
                ]
            )
    print(f"{args.count} stored Linodes, median of {args.repeat} requests per variant")
    print_table(["filter", "listed", "full scan ms", "shortcuts ms", "full scan / shortcuts"], rows)


if __name__ == "__main__":
    main()
