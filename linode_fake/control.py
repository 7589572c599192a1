"""Run-time control at /__fake__/, mounted only with --enable-fault-endpoints.

GET or PUT /__fake__/faults, /__fake__/speed, /__fake__/rate-limits and
/__fake__/instance-limit; POST /__fake__/clock/advance {"seconds": N}.
These paths take no token: they exist only on a fake started for testing.
"""

from __future__ import annotations

import logging
from dataclasses import asdict
from typing import Any

from flask import Blueprint

from linode_fake.context import fake, json_body
from linode_fake.errors import ApiError
from linode_fake.settings import FaultSettings

logger = logging.getLogger(__name__)

control = Blueprint("fake_control", __name__)


def _invalid(error: Exception) -> ApiError:
    return ApiError(400, str(error))


@control.get("/faults")
def get_faults() -> dict[str, Any]:
    return asdict(fake().settings.faults)


@control.put("/faults")
def put_faults() -> dict[str, Any]:
    context = fake()
    body = json_body()
    current = asdict(context.settings.faults)
    unknown = sorted(set(body) - set(current))
    if unknown:
        raise ApiError(400, f"Unknown fault setting(s): {', '.join(unknown)}", unknown[0])
    current.update(body)
    try:
        faults = FaultSettings(
            error_rate=float(current["error_rate"]),
            error_statuses=tuple(int(status) for status in current["error_statuses"]),
            latency=float(current["latency"]),
            drop_rate=float(current["drop_rate"]),
            lose_create_response=float(current["lose_create_response"]),
            create_failure_rate=float(current["create_failure_rate"]),
        )
        faults.validate()
    except (TypeError, ValueError) as error:
        raise _invalid(error) from None
    context.settings.faults = faults
    logger.info("faults set to %s", asdict(faults))
    return asdict(faults)


@control.get("/speed")
def get_speed() -> dict[str, Any]:
    return {"speed": fake().settings.speed}


@control.put("/speed")
def put_speed() -> dict[str, Any]:
    context = fake()
    try:
        context.settings.set_speed(float(json_body().get("speed", 0)))
    except (TypeError, ValueError) as error:
        raise _invalid(error) from None
    return {"speed": context.settings.speed}


@control.get("/rate-limits")
def get_rate_limits() -> dict[str, Any]:
    limits = fake().settings.rate_limits
    return {name: {"count": count, "seconds": seconds} for name, (count, seconds) in limits.items()}


@control.put("/rate-limits")
def put_rate_limits() -> dict[str, Any]:
    context = fake()
    for name, value in json_body().items():
        try:
            context.settings.set_rate_limit(name, int(value["count"]), float(value["seconds"]))
        except (KeyError, TypeError, ValueError) as error:
            raise ApiError(400, f"Invalid rate limit {name}: {error}", name) from None
    context.limiter.reset()
    return get_rate_limits()


@control.put("/instance-limit")
def put_instance_limit() -> dict[str, Any]:
    context = fake()
    value = json_body().get("instance_limit")
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ApiError(400, "instance_limit must be a non-negative integer", "instance_limit")
    context.settings.instance_limit = value
    return {"instance_limit": value}


@control.post("/clock/advance")
def advance_clock() -> dict[str, Any]:
    context = fake()
    seconds = json_body().get("seconds")
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds < 0:
        raise ApiError(400, "seconds must be a non-negative number", "seconds")
    return {"now": context.store.clock.advance(float(seconds))}
