"""Exceptions raised by the client.

Every exception derives from `LinodeError`. Exceptions that carry an HTTP
request or response keep copies whose `Authorization` header has been removed,
so that neither a traceback nor an error reporter can reveal the token.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import requests


class LinodeError(Exception):
    """Base class of every error raised by `linode_api`."""


@dataclass(frozen=True)
class ErrorDetail:
    """One entry of the API's `errors` list: a reason and, when one field is at fault, its name."""

    reason: str
    field: str | None = None

    def __str__(self) -> str:
        if self.field:
            return f"{self.field}: {self.reason}"
        return self.reason


class ApiError(LinodeError):
    """The API responded to a request with an error status.

    `status` is the HTTP status, `method` and `path` name the request (the path
    is relative to the client's base URL), and `errors` contains the reasons the
    API gave. `request_id` is the API's `X-Request-Id` header when it sent one.
    """

    def __init__(
        self,
        status: int,
        method: str,
        path: str,
        errors: Sequence[ErrorDetail] = (),
        *,
        request_id: str | None = None,
        response: requests.Response | None = None,
    ) -> None:
        self.status = status
        self.method = method
        self.path = path
        self.errors = list(errors)
        self.request_id = request_id
        self.response = response
        super().__init__(self._message())

    def _message(self) -> str:
        reasons = "; ".join(str(error) for error in self.errors) or "no reason given"
        return f"{self.method} {self.path} failed with HTTP {self.status}: {reasons}"

    @property
    def reasons(self) -> list[str]:
        """The API's reasons, in the order it listed them."""
        return [error.reason for error in self.errors]


class BadRequestError(ApiError):
    """HTTP 400: the request was invalid, for example a field failed validation."""

    @property
    def field_errors(self) -> dict[str, list[str]]:
        """Reasons grouped by the request field they name; errors without a field are left out."""
        grouped: dict[str, list[str]] = {}
        for error in self.errors:
            if error.field:
                grouped.setdefault(error.field, []).append(error.reason)
        return grouped


class UnauthorizedError(ApiError):
    """HTTP 401: the token is missing, invalid, expired or revoked."""


class ForbiddenError(ApiError):
    """HTTP 403: the token's scopes or the user's grants do not allow the request."""


class NotFoundError(ApiError):
    """HTTP 404: the object does not exist or the user cannot see it."""


class RateLimitedError(ApiError):
    """HTTP 429 that the client did not retry.

    `retry_after` is the number of seconds the API asked the caller to wait,
    or None when the response had no `Retry-After` header.
    """

    def __init__(
        self,
        status: int,
        method: str,
        path: str,
        errors: Sequence[ErrorDetail] = (),
        *,
        retry_after: float | None = None,
        request_id: str | None = None,
        response: requests.Response | None = None,
    ) -> None:
        self.retry_after = retry_after
        super().__init__(status, method, path, errors, request_id=request_id, response=response)

    def _message(self) -> str:
        message = super()._message()
        if self.retry_after is not None:
            message += f" (retry after {self.retry_after:g} s)"
        return message


class ServerError(ApiError):
    """HTTP 5xx: the API failed to handle the request."""


class UnexpectedResponseError(LinodeError):
    """The API responded with a body that is not the JSON it documents."""

    def __init__(self, message: str, *, method: str, path: str, status: int | None = None) -> None:
        self.method = method
        self.path = path
        self.status = status
        super().__init__(f"{method} {path}: {message}")


class ConnectionFailedError(LinodeError):
    """The request could not reach the API, even after the retries the client allows."""

    def __init__(self, message: str, *, method: str, path: str) -> None:
        self.method = method
        self.path = path
        super().__init__(f"{method} {path}: {message}")


class OutcomeUnknownError(LinodeError):
    """A POST may or may not have taken effect.

    The connection broke after the request was sent, the read timed out, or the
    API responded with a 5xx status. The client never retries such a request,
    because a second POST could create a second object: look the object up
    (for example by its label) before sending the request again. `status` is
    the HTTP status when the API responded, otherwise None.
    """

    def __init__(self, message: str, *, method: str, path: str, status: int | None = None) -> None:
        self.method = method
        self.path = path
        self.status = status
        super().__init__(f"{method} {path}: {message}")


class WaitTimeoutError(LinodeError):
    """A wait helper gave up because its timeout passed before the expected state arrived."""


class EventFailedError(LinodeError):
    """The event a wait helper followed ended with status `failed`."""

    def __init__(self, event_id: int, action: str, message: str | None) -> None:
        self.event_id = event_id
        self.action = action
        self.event_message = message
        detail = message or "the API gave no message"
        super().__init__(f"event {event_id} ({action}) failed: {detail}")


ERROR_CLASSES: dict[int, type[ApiError]] = {
    400: BadRequestError,
    401: UnauthorizedError,
    403: ForbiddenError,
    404: NotFoundError,
    429: RateLimitedError,
}


def error_class_for(status: int) -> type[ApiError]:
    """Return the `ApiError` subclass for an HTTP status."""
    if status in ERROR_CLASSES:
        return ERROR_CLASSES[status]
    if status >= 500:
        return ServerError
    return ApiError


def parse_error_details(body: Any) -> list[ErrorDetail]:
    """Read the API's error envelope, or an OAuth error body, into `ErrorDetail` entries."""
    details: list[ErrorDetail] = []
    if not isinstance(body, dict):
        return details
    errors = body.get("errors")
    if isinstance(errors, list):
        for entry in errors:
            if isinstance(entry, dict):
                reason = str(entry.get("reason") or "no reason given")
                field = entry.get("field")
                details.append(ErrorDetail(reason, str(field) if field else None))
            else:
                details.append(ErrorDetail(str(entry)))
    elif isinstance(body.get("error"), str):
        # OAuth endpoints respond in the RFC 6749 shape instead of the API's envelope.
        description = body.get("error_description")
        reason = f"{body['error']}: {description}" if description else body["error"]
        details.append(ErrorDetail(str(reason)))
    return details
