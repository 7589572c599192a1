"""Keep root passwords and the Linode token out of error text.

Error text reaches logs, operation rows, failure reasons and the admin. An
API error can quote the response body, and a proxy or gateway whose error
page echoes the request would put the root password or the token there.
The executor remembers each password it sends during one operation, and
`scrub_exception` replaces those and LINODE_TOKEN in an exception's text.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings

from linode_api import ApiError
from linode_api.errors import ErrorDetail

REDACTED = "<redacted>"
# Shorter values are left alone: replacing a placeholder such as "x" would
# mangle every message. Generated root passwords have 32 characters.
MIN_SECRET_LENGTH = 8

_secrets_in_use: ContextVar[list[str] | None] = ContextVar("secrets_in_use", default=None)


@contextmanager
def secrets_scope() -> Iterator[None]:
    """Remember the secrets passed to remember_secret() inside the block, and forget them after."""
    token = _secrets_in_use.set([])
    try:
        yield
    finally:
        _secrets_in_use.reset(token)


def remember_secret(value: str) -> None:
    """Add `value` to the secrets of the current scope; outside a scope, do nothing."""
    remembered = _secrets_in_use.get()
    if remembered is not None and len(value) >= MIN_SECRET_LENGTH:
        remembered.append(value)


def redact(text: str) -> str:
    """Return `text` with LINODE_TOKEN and the remembered secrets replaced by REDACTED."""
    # NOTE: only whole secrets are replaced. A quoted body cut off in the middle of
    # a secret (linode_api keeps 200 characters of a non-JSON body) still shows its start.
    candidates = [*(_secrets_in_use.get() or []), str(getattr(settings, "LINODE_TOKEN", ""))]
    secrets = {value for value in candidates if len(value) >= MIN_SECRET_LENGTH}
    # Longest first, so a secret that contains another is replaced whole.
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    return text


def scrub_exception(exc: BaseException) -> None:
    """Redact the messages of `exc` and of the exceptions chained to it, in place.

    The string arguments (which `str(exc)` and tracebacks show) and the
    reasons of an ApiError are redacted. Other attributes are left as they are.
    """
    seen: set[int] = set()
    pending: list[BaseException | None] = [exc]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        current.args = tuple(
            redact(argument) if isinstance(argument, str) else argument for argument in current.args
        )
        if isinstance(current, ApiError):
            current.errors = [
                ErrorDetail(redact(detail.reason), detail.field) for detail in current.errors
            ]
        pending.extend([current.__cause__, current.__context__])
