"""Declaring API operations: path, method, OAuth scope and rate limit in one place."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, g, request

from linode_fake.auth import authenticate, scopes_header
from linode_fake.context import fake
from linode_fake.errors import ApiError

logger = logging.getLogger(__name__)

View = Callable[..., Any]


def operation(
    blueprint: Blueprint,
    rule: str,
    method: str,
    *,
    scope: str | None,
    anonymous: bool = False,
    limit: str = "default",
) -> Callable[[View], View]:
    """Register a view for one operation of the API.

    `scope` is the OAuth scope the token needs, and None accepts any valid
    token. `anonymous=True` also admits calls without a token. `limit` names
    the rate limit the call counts against.
    """

    def decorator(view: View) -> View:
        endpoint = view.__name__

        @functools.wraps(view)
        def wrapper(**kwargs: Any) -> Any:
            context = fake()
            caller = authenticate(context.store, scope, anonymous=anonymous)
            g.caller = caller
            g.accepted_scope = scope
            decision = context.limiter.hit(limit, caller.rate_key, f"{method} {rule}")
            g.rate_headers = decision.headers()
            if not decision.allowed:
                raise ApiError(429, "Too Many Requests", headers=decision.headers())
            return view(**kwargs)

        blueprint.add_url_rule(rule, endpoint=endpoint, view_func=wrapper, methods=[method])
        return wrapper

    return decorator


def add_api_headers(response: Response) -> Response:
    """Add the headers the real API sends with every response (API paths only)."""
    if not request.path.startswith("/v4/"):
        return response
    response.headers["X-Spec-Version"] = "4.189.0"
    caller = g.get("caller")
    if caller is not None and not caller.anonymous:
        response.headers["X-OAuth-Scopes"] = scopes_header(caller)
    accepted = g.get("accepted_scope")
    if accepted:
        response.headers["X-Accepted-OAuth-Scopes"] = accepted
    for name, value in (g.get("rate_headers") or {}).items():
        response.headers.setdefault(name, value)
    response.headers["Vary"] = "Authorization, X-Filter"
    return response
