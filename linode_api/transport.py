"""HTTP transport shared by the API client and the OAuth login client.

One `Transport` owns one `requests.Session` (connection pooling), adds the
`Authorization`, `User-Agent` and `Accept` headers, applies a connect and read
timeout to every request, retries what is safe to retry, turns error responses
into `ApiError` subclasses and logs each request.

Retry rules:

- 429: the API rejected the request before acting on it, so any method is
  retried after `Retry-After` seconds. When `Retry-After` is longer than
  `max_retry_after`, `RateLimitedError` is raised at once instead.
- 502, 503, 504, connection errors and read timeouts: GET, HEAD, PUT and
  DELETE are retried with exponential backoff and jitter. A POST is retried
  only when the connection could not be opened (nothing was sent); otherwise
  `OutcomeUnknownError` is raised, because the API may have acted on it.
"""

from __future__ import annotations

import email.utils
import json
import logging
import random
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode, urlsplit

import requests
import urllib3.exceptions

from linode_api.errors import (
    ApiError,
    ConnectionFailedError,
    OutcomeUnknownError,
    RateLimitedError,
    UnexpectedResponseError,
    error_class_for,
    parse_error_details,
)
from linode_api.redaction import Secret, reveal_all
from linode_api.version import __version__

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT: tuple[float, float] = (5.0, 30.0)
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
RETRY_STATUSES = frozenset({502, 503, 504})
MAX_BACKOFF_SECONDS = 30.0
DEFAULT_USER_AGENT = f"linode_api/{__version__} python-requests/{requests.__version__}"

Timeout = float | tuple[float, float]


class BearerAuth(requests.auth.AuthBase):
    """Adds `Authorization: Bearer <token>` to each request; its repr hides the token."""

    def __init__(self, token: Secret) -> None:
        self._token = token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self._token.reveal()}"
        return request

    def __repr__(self) -> str:
        return "BearerAuth(token=<redacted>)"


def validate_base_url(base_url: object, example: str) -> str:
    """Return `base_url` without a trailing slash, or raise ValueError saying what to pass."""
    if not isinstance(base_url, str) or not base_url.strip():
        raise ValueError(f"base_url is required: pass the API's root URL, for example {example!r}")
    parts = urlsplit(base_url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(
            f"base_url {base_url!r} is not an http(s) URL: pass the API's root URL, "
            f"for example {example!r}"
        )
    if parts.query or parts.fragment:
        raise ValueError(f"base_url {base_url!r} must not contain a query or fragment")
    return base_url.strip().rstrip("/")


def validate_timeout(timeout: object) -> Timeout:
    """Return a valid requests timeout: one number or a (connect, read) pair, all positive."""
    if isinstance(timeout, bool):
        raise ValueError(f"timeout {timeout!r} must be seconds, not a boolean")
    if isinstance(timeout, int | float):
        if timeout <= 0:
            raise ValueError(f"timeout {timeout!r} must be a positive number of seconds")
        return float(timeout)
    if (
        isinstance(timeout, tuple)
        and len(timeout) == 2
        and all(isinstance(part, int | float) and not isinstance(part, bool) for part in timeout)
        and all(part > 0 for part in timeout)
    ):
        return (float(timeout[0]), float(timeout[1]))
    raise ValueError(
        f"timeout {timeout!r} must be a positive number of seconds or a "
        "(connect, read) pair such as (5.0, 30.0)"
    )


def scrub_request(request: requests.PreparedRequest | None) -> requests.PreparedRequest | None:
    """Return a copy of `request` without its `Authorization` header and its body.

    The body goes too because it can hold a root password or an OAuth client
    secret (a create, a rebuild, a token exchange).
    """
    if request is None:
        return None
    clean = request.copy()
    clean.headers.pop("Authorization", None)
    clean.body = None
    clean.headers.pop("Content-Length", None)
    return clean


def scrub_response(response: requests.Response | None) -> requests.Response | None:
    """Scrub the requests a response keeps, redirects included (see `scrub_request`)."""
    if response is None:
        return None
    for item in [*response.history, response]:
        if isinstance(item.request, requests.PreparedRequest):
            item.request = scrub_request(item.request)  # type: ignore[assignment]
    return response


def scrub_exception(exc: requests.RequestException) -> None:
    """Strip the token from a requests exception and the exceptions chained to it.

    The request and response it carries lose their `Authorization` header.
    The tracebacks of the chain are dropped, because frames inside requests
    and urllib3 keep the headers in local variables that error reporters can
    capture. The messages stay.
    """
    if isinstance(exc.request, requests.PreparedRequest):
        exc.request = scrub_request(exc.request)
    scrub_response(exc.response)
    seen: set[int] = set()
    pending: list[BaseException | None] = [exc]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        current.__traceback__ = None
        pending.extend([current.__cause__, current.__context__])


def parse_retry_after(value: str | None) -> float | None:
    """Parse a `Retry-After` header (seconds or an HTTP date) into seconds from now."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _was_request_sent(exc: requests.RequestException) -> bool:
    """Tell whether a failed request may have reached the server.

    Only a failure to open the connection (refused, unreachable, connect
    timeout, name resolution) proves that nothing was sent.
    NOTE: a pooled keep-alive connection that the server closed just before
    reuse also counts as "may have been sent", so such a POST raises
    OutcomeUnknownError although the API never received it. This is rare,
    because urllib3 discards most closed connections before reuse.
    """
    if isinstance(exc, requests.ConnectTimeout):
        return False
    if isinstance(exc, requests.ConnectionError) and exc.args:
        reason = exc.args[0]
        if isinstance(reason, urllib3.exceptions.MaxRetryError):
            reason = reason.reason
        if isinstance(reason, urllib3.exceptions.NewConnectionError):
            return False
    return True


class Transport:
    """Sends requests to one base URL with retries, timeouts and logging.

    `request()` returns the decoded JSON object of a successful response, or an
    empty dict when the response has no body.
    """

    def __init__(
        self,
        base_url: str,
        *,
        token: Secret | None = None,
        user_agent: str | None = None,
        timeout: Timeout = DEFAULT_TIMEOUT,
        max_retries: int = 5,
        max_retry_after: float = 60.0,
        backoff_factor: float = 0.5,
        session: requests.Session | None = None,
        base_url_example: str = "https://api.linode.com/v4",
    ) -> None:
        self.base_url = validate_base_url(base_url, base_url_example)
        self.timeout = validate_timeout(timeout)
        if isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0:
            raise ValueError(f"max_retries {max_retries!r} must be an integer of 0 or more")
        if max_retry_after < 0:
            raise ValueError(f"max_retry_after {max_retry_after!r} must be 0 or more seconds")
        if backoff_factor < 0:
            raise ValueError(f"backoff_factor {backoff_factor!r} must be 0 or more seconds")
        self.max_retries = max_retries
        self.max_retry_after = float(max_retry_after)
        self.backoff_factor = float(backoff_factor)
        self.user_agent = user_agent or DEFAULT_USER_AGENT
        self.session = session or requests.Session()
        self._auth = BearerAuth(token) if token is not None else None
        # Replaced by tests to record the waits instead of sleeping.
        self.sleep: Callable[[float], None] = time.sleep

    def __repr__(self) -> str:
        # base_url is missing while __init__ is still checking its arguments.
        return f"Transport(base_url={self.__dict__.get('base_url')!r})"

    def url_for(self, path: str) -> str:
        """Join a path such as "/linode/instances" to the base URL."""
        if not path.startswith("/"):
            path = "/" + path
        return self.base_url + path

    def backoff_delay(self, attempt: int) -> float:
        """Return the wait before retry number `attempt + 1`: exponential, with jitter."""
        ceiling = min(MAX_BACKOFF_SECONDS, self.backoff_factor * float(2**attempt))
        return ceiling / 2 + random.uniform(0, ceiling / 2)

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        form: Mapping[str, str | Secret] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        """Send one API request, retrying as the module docstring describes; return its JSON."""
        method = method.upper()
        response = self.send(
            method, path, params=params, json_body=json_body, form=form, headers=headers
        )
        return self._parse(method, path, response)

    def send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        form: Mapping[str, str | Secret] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> requests.Response:
        """Send one API request with retries and return the successful response.

        Error statuses raise `ApiError` subclasses (or `OutcomeUnknownError`
        for a POST that gets a 5xx response). The response's request has no
        `Authorization` header.
        """
        method = method.upper()
        url = self.url_for(path)
        shown_path = path + ("?" + urlencode(params) if params else "")
        all_headers = {"User-Agent": self.user_agent, "Accept": "application/json"}
        if json_body is not None:
            all_headers["Content-Type"] = "application/json"
        all_headers.update(headers or {})
        attempt = 0
        while True:
            started = time.monotonic()
            try:
                response = self.session.request(
                    method,
                    url,
                    params=params,
                    data=_encode_body(json_body, form),
                    headers=all_headers,
                    timeout=self.timeout,
                    auth=self._auth,
                    # A followed redirect would turn a POST into a GET and could send the
                    # token elsewhere. The API does not redirect, so a 3xx is an error.
                    allow_redirects=False,
                )
            except (
                requests.ConnectionError,
                requests.Timeout,
                requests.exceptions.ChunkedEncodingError,
            ) as exc:
                scrub_exception(exc)
                elapsed_ms = (time.monotonic() - started) * 1000
                logger.debug("%s %s failed after %.1f ms: %s", method, shown_path, elapsed_ms, exc)
                sent = _was_request_sent(exc)
                if sent and method not in IDEMPOTENT_METHODS:
                    raise OutcomeUnknownError(
                        f"the connection failed after the request was sent ({exc}); the API "
                        "may have acted on it, so look the object up before sending it again",
                        method=method,
                        path=path,
                    ) from exc
                if attempt >= self.max_retries:
                    raise ConnectionFailedError(
                        f"could not reach {self.base_url} after {attempt + 1} attempts: {exc}",
                        method=method,
                        path=path,
                    ) from exc
                delay = self.backoff_delay(attempt)
                self._log_retry(method, shown_path, type(exc).__name__, attempt, delay)
                self.sleep(delay)
                attempt += 1
                continue
            except requests.RequestException as exc:
                scrub_exception(exc)
                raise ConnectionFailedError(str(exc), method=method, path=path) from exc

            scrub_response(response)
            self._log_response(method, shown_path, response, started)
            delay_or_none = self._retry_delay(method, path, response, attempt)
            if delay_or_none is None:
                self._check(method, path, response)
                return response
            self._log_retry(
                method, shown_path, f"HTTP {response.status_code}", attempt, delay_or_none
            )
            self.sleep(delay_or_none)
            attempt += 1

    def _retry_delay(
        self, method: str, path: str, response: requests.Response, attempt: int
    ) -> float | None:
        """Return how long to wait before retrying `response`, or None to handle it now."""
        status = response.status_code
        if attempt >= self.max_retries:
            return None
        if status == 429:
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            if retry_after is None:
                return self.backoff_delay(attempt)
            if retry_after > self.max_retry_after:
                return None
            return retry_after
        if status in RETRY_STATUSES and method in IDEMPOTENT_METHODS:
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            if retry_after is not None and retry_after <= self.max_retry_after:
                return max(retry_after, self.backoff_delay(attempt))
            return self.backoff_delay(attempt)
        return None

    def _check(self, method: str, path: str, response: requests.Response) -> None:
        """Raise the error an error status stands for; return for a success status."""
        status = response.status_code
        if 300 <= status < 400:
            location = response.headers.get("Location", "no Location header")
            raise UnexpectedResponseError(
                f"the API redirected with HTTP {status} to {location}; check that base_url "
                f"{self.base_url!r} is the API's root URL",
                method=method,
                path=path,
                status=status,
            )
        if status >= 500 and method not in IDEMPOTENT_METHODS:
            details = "; ".join(str(e) for e in parse_error_details(_json_or_none(response)))
            raise OutcomeUnknownError(
                f"the API responded with HTTP {status} ({details or 'no reason given'}); it may "
                "have acted on the request, so look the object up before sending it again",
                method=method,
                path=path,
                status=status,
            )
        if status >= 400:
            raise self._error_for(method, path, response)

    def _parse(self, method: str, path: str, response: requests.Response) -> dict[str, Any]:
        """Decode a successful response's JSON object; an empty body gives an empty dict."""
        status = response.status_code
        if not response.content or status == 204:
            return {}
        body = _json_or_none(response)
        if not isinstance(body, dict):
            content_type = response.headers.get("Content-Type", "no Content-Type")
            snippet = response.text[:200].strip()
            raise UnexpectedResponseError(
                f"expected a JSON object, got HTTP {status} with {content_type}: {snippet!r}",
                method=method,
                path=path,
                status=status,
            )
        warnings = body.get("warnings")
        if isinstance(warnings, list):
            for warning in warnings:
                logger.warning("%s %s: the API warned: %s", method, path, warning)
        return body

    def _error_for(self, method: str, path: str, response: requests.Response) -> ApiError:
        body = _json_or_none(response)
        details = parse_error_details(body)
        if not details and body is None and response.content:
            content_type = response.headers.get("Content-Type", "no Content-Type")
            snippet = response.text[:200].strip()
            details = parse_error_details(
                {"errors": [{"reason": f"non-JSON body ({content_type}): {snippet!r}"}]}
            )
        request_id = response.headers.get("X-Request-Id")
        error_class = error_class_for(response.status_code)
        if error_class is RateLimitedError:
            return RateLimitedError(
                response.status_code,
                method,
                path,
                details,
                retry_after=parse_retry_after(response.headers.get("Retry-After")),
                request_id=request_id,
                response=response,
            )
        return error_class(
            response.status_code, method, path, details, request_id=request_id, response=response
        )

    def _log_response(
        self, method: str, shown_path: str, response: requests.Response, started: float
    ) -> None:
        if not logger.isEnabledFor(logging.DEBUG):
            return
        elapsed_ms = (time.monotonic() - started) * 1000
        request_id = response.headers.get("X-Request-Id")
        suffix = f" (request id {request_id})" if request_id else ""
        logger.debug(
            "%s %s -> %s in %.1f ms%s",
            method,
            shown_path,
            response.status_code,
            elapsed_ms,
            suffix,
        )

    def _log_retry(
        self, method: str, shown_path: str, cause: str, attempt: int, delay: float
    ) -> None:
        logger.warning(
            "Retrying %s %s after %s in %.2f s (retry %d of %d)",
            method,
            shown_path,
            cause,
            delay,
            attempt + 1,
            self.max_retries,
        )


def _encode_body(json_body: Any, form: Mapping[str, Any] | None) -> bytes | dict[str, Any] | None:
    """Encode the request body, revealing `Secret` values only here (never in a local)."""
    if json_body is not None:
        return json.dumps(reveal_all(json_body)).encode("utf-8")
    if form is not None:
        return {key: reveal_all(value) for key, value in form.items()}
    return None


def _json_or_none(response: requests.Response) -> Any:
    try:
        return response.json()
    except (ValueError, json.JSONDecodeError):
        return None
