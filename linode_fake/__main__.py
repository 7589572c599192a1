"""Command line: `python -m linode_fake --port 8765 --state var/linode-fake.sqlite3 ...`."""

from __future__ import annotations

import argparse
import logging
import secrets
import sys

from linode_fake.oauth import register_oauth_client
from linode_fake.seeding import seed_catalog
from linode_fake.server import FakeServer
from linode_fake.settings import (
    DEFAULT_RATE_LIMITS,
    DEFAULT_TIMINGS,
    FakeSettings,
    FaultSettings,
    parse_rate_limit,
)
from linode_fake.store import Store

logger = logging.getLogger("linode_fake")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m linode_fake",
        description="Serve a local stand-in for the Linode API v4 (at /v4 and /v4beta) "
        "and its OAuth login service (at /oauth) on a loopback address.",
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="loopback address to bind (default %(default)s)"
    )
    parser.add_argument(
        "--port", type=int, default=8765, help="TCP port; 0 picks a free one (default %(default)s)"
    )
    parser.add_argument(
        "--state",
        default="var/linode-fake.sqlite3",
        help="SQLite file that keeps the state across restarts; ':memory:' keeps nothing "
        "(default %(default)s)",
    )
    parser.add_argument(
        "--speed",
        type=float,
        default=1.0,
        help="speed factor: status transitions and rate-limit windows take their real "
        "duration divided by this (default %(default)s)",
    )
    parser.add_argument(
        "--token",
        action="append",
        default=[],
        metavar="TOKEN[:SCOPES]",
        help="accept this bearer token, with comma-separated OAuth scopes (default '*'); "
        "repeatable. Without any, a random token with scopes '*' is made and printed",
    )
    parser.add_argument(
        "--oauth-client",
        action="append",
        default=[],
        metavar="ID:SECRET[:REDIRECT_URI]",
        help="register an OAuth client for the login service; repeatable",
    )
    parser.add_argument(
        "--enable-fault-endpoints",
        action="store_true",
        help="serve /__fake__/ endpoints that change faults, speed, limits and the clock",
    )
    parser.add_argument(
        "--instance-limit",
        type=int,
        default=100,
        help="maximum number of Linodes on the account (default %(default)s)",
    )
    limits = ", ".join(
        f"{name}={count}/{int(sec)}" for name, (count, sec) in DEFAULT_RATE_LIMITS.items()
    )
    parser.add_argument(
        "--rate-limit",
        action="append",
        default=[],
        metavar="NAME=COUNT/SECONDS",
        help="override one rate limit (per token, seconds at speed 1); repeatable. "
        f"Defaults: {limits}",
    )
    parser.add_argument(
        "--error-rate",
        type=float,
        default=0.0,
        help="share (0-1) of API requests that get a 500, 502 or 503 response",
    )
    parser.add_argument(
        "--latency", type=float, default=0.0, help="seconds added to every API request"
    )
    parser.add_argument(
        "--drop-rate",
        type=float,
        default=0.0,
        help="share (0-1) of API requests whose connection is dropped",
    )
    parser.add_argument(
        "--lose-create-response",
        type=float,
        default=0.0,
        help="share (0-1) of Linode creates that commit but drop the connection "
        "instead of responding",
    )
    timings = ", ".join(f"{name}={seconds:g}" for name, seconds in DEFAULT_TIMINGS.items())
    parser.add_argument(
        "--create-failure-rate",
        type=float,
        default=0.0,
        help="share (0-1) of accepted Linode creates whose provisioning fails: the "
        "linode_create event ends 'failed' and the Linode 'offline'",
    )
    parser.add_argument(
        "--timing",
        action="append",
        default=[],
        metavar="PHASE=SECONDS",
        help="override how long one phase of an instance operation takes at speed 1; "
        f"repeatable. Defaults: {timings}",
    )
    parser.add_argument(
        "--password-min-score",
        type=int,
        default=3,
        choices=range(5),
        help="minimum zxcvbn score (0-4) a root password needs besides its 11 characters "
        "(default %(default)s)",
    )
    parser.add_argument(
        "--reseed-catalog",
        action="store_true",
        help="replace the stored regions, types and images with the ones this version "
        "ships (by default they are stored on first start only)",
    )
    parser.add_argument("--log-level", default="INFO", help="logging level (default %(default)s)")
    return parser


def settings_from_args(args: argparse.Namespace) -> FakeSettings:
    settings = FakeSettings(
        instance_limit=args.instance_limit, fault_endpoints=args.enable_fault_endpoints
    )
    settings.set_speed(args.speed)
    for text in args.rate_limit:
        name, count, seconds = parse_rate_limit(text)
        settings.set_rate_limit(name, count, seconds)
    for text in args.timing:
        phase, _, seconds = text.partition("=")
        if phase not in settings.timings:
            raise ValueError(f"unknown timing {phase!r}; known: {', '.join(settings.timings)}")
        try:
            settings.timings[phase] = float(seconds)
        except ValueError:
            raise ValueError(f"invalid timing {text!r}; expected PHASE=SECONDS") from None
    settings.password_min_score = args.password_min_score
    settings.faults = FaultSettings(
        error_rate=args.error_rate,
        latency=args.latency,
        drop_rate=args.drop_rate,
        lose_create_response=args.lose_create_response,
        create_failure_rate=args.create_failure_rate,
    )
    settings.faults.validate()
    return settings


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        settings = settings_from_args(args)
    except ValueError as error:
        parser.error(str(error))

    state_path = None if args.state == ":memory:" else args.state
    store = Store(state_path)
    seed_catalog(store, replace=args.reseed_catalog)

    tokens = list(args.token) or [secrets.token_hex(32) + ":*"]
    accepted = []
    for entry in tokens:
        token, _, scopes = entry.partition(":")
        scopes = scopes or "*"
        store.add_token(token, scopes)
        accepted.append((token, scopes))
    for entry in args.oauth_client:
        client_id, _, rest = entry.partition(":")
        secret, _, redirect_uri = rest.partition(":")
        if not client_id or not secret:
            parser.error(f"invalid --oauth-client {entry!r}; expected ID:SECRET[:REDIRECT_URI]")
        try:
            register_oauth_client(store, client_id, secret, redirect_uri)
        except ValueError as error:
            parser.error(str(error))

    try:
        server = FakeServer(store, settings, host=args.host, port=args.port)
    except (ValueError, OSError) as error:
        parser.error(str(error))
    # The fake is a test tool, so it prints the tokens it accepts.
    root = server.root_url
    print(f"linode_fake serving the API at {root}/v4 (also /v4beta), OAuth at {root}/oauth")
    for token, scopes in accepted:
        print(f"accepted token: {token} (scopes: {scopes})")
    sys.stdout.flush()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        logger.info("stopping on interrupt")
    finally:
        store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
