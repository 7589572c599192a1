"""Bearer-token authentication and OAuth scope checks.

Scopes are `<resource>:<level>` with levels `read_only` and `read_write`
(`read_write` includes `read_only`), `<resource>:*` for both levels, or `*`
for everything. Lists may be separated by spaces or commas.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from flask import request

from linode_fake.errors import ApiError
from linode_fake.store import Store

logger = logging.getLogger(__name__)

LEVELS = ("read_only", "read_write")


@dataclass(frozen=True)
class Caller:
    """The sender of a request: its token (None when anonymous) and the token's scopes."""

    token: str | None
    scopes: frozenset[str]

    @property
    def anonymous(self) -> bool:
        return self.token is None

    @property
    def rate_key(self) -> str:
        """Key for rate limits: per token, or per client address when anonymous."""
        if self.token is not None:
            return "token:" + self.token
        return "address:" + (request.remote_addr or "unknown")


def parse_scopes(text: str) -> frozenset[str]:
    """Split a scope string on spaces, commas or plus signs."""
    return frozenset(part for part in re.split(r"[\s,+]+", text.strip()) if part)


def scope_allows(granted: frozenset[str], required: str) -> bool:
    """Return whether `granted` covers `required` (e.g. `linodes:read_only`)."""
    if "*" in granted or required in granted:
        return True
    resource, _, level = required.partition(":")
    if f"{resource}:*" in granted:
        return True
    return level == "read_only" and f"{resource}:read_write" in granted


def bearer_token() -> str | None:
    """Return the token from `Authorization: Bearer ...`, or None when absent.

    A malformed header is a 401 because the API cannot tell who is calling.
    """
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "Invalid Token")
    return token.strip()


def authenticate(store: Store, scope: str | None, *, anonymous: bool) -> Caller:
    """Identify the caller and check the scope an operation needs.

    `scope=None` means any valid token will do. `anonymous=True` lets a call
    without a token through; a token that is sent must still be valid.
    """
    token = bearer_token()
    if token is None:
        if anonymous:
            return Caller(None, frozenset())
        raise ApiError(401, "Invalid Token")
    scopes_text = store.token_scopes(token)
    if scopes_text is None:
        raise ApiError(401, "Invalid Token")
    caller = Caller(token, parse_scopes(scopes_text))
    if scope is not None and not scope_allows(caller.scopes, scope):
        raise ApiError(403, "Your OAuth token is not authorized to use this endpoint.")
    return caller


def scopes_header(caller: Caller) -> str:
    """Format the caller's scopes for the `X-OAuth-Scopes` header."""
    return " ".join(sorted(caller.scopes))
