"""The API's error envelope: `{"errors": [{"reason": ..., "field": ...}]}`."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, jsonify
from werkzeug.exceptions import HTTPException

logger = logging.getLogger(__name__)

# Reasons the real API sends for errors that have no request field.
REASON_BY_STATUS = {
    400: "Bad Request",
    401: "Invalid Token",
    403: "Your OAuth token is not authorized to use this endpoint.",
    404: "Not found",
    405: "Method Not Allowed",
    413: "Request Entity Too Large",
    415: "Unsupported Media Type",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}


class ApiError(Exception):
    """An error response: an HTTP status and one or more reasons."""

    def __init__(
        self,
        status: int,
        reason: str | None = None,
        field: str | None = None,
        *,
        errors: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        if errors is None:
            entry: dict[str, Any] = {"reason": reason or REASON_BY_STATUS.get(status, "Error")}
            if field is not None:
                entry["field"] = field
            errors = [entry]
        super().__init__(f"{status}: {errors}")
        self.status = status
        self.errors = errors
        self.headers = headers or {}


def bad_request(reason: str, field: str | None = None) -> ApiError:
    """Build a 400 error for one reason, optionally naming the request field."""
    return ApiError(400, reason, field)


def not_found() -> ApiError:
    """Build the API's 404 for an unknown id."""
    return ApiError(404, "Not found")


class FieldErrors:
    """Validation failures, collected so that one response lists all of them."""

    def __init__(self) -> None:
        self.errors: list[dict[str, Any]] = []

    def add(self, field: str | None, reason: str) -> None:
        entry: dict[str, Any] = {"reason": reason}
        if field is not None:
            entry["field"] = field
        self.errors.append(entry)

    def has(self, field: str) -> bool:
        return any(entry.get("field") == field for entry in self.errors)

    def raise_if_any(self) -> None:
        """Raise a 400 ApiError with every collected failure."""
        if self.errors:
            raise ApiError(400, errors=self.errors)


def error_response(status: int, errors: list[dict[str, Any]]) -> Response:
    response = jsonify({"errors": errors})
    response.status_code = status
    return response


def register_error_handlers(app: Flask) -> None:
    """Send every error, Flask's own 404 and 405 included, in the envelope."""

    @app.errorhandler(ApiError)
    def handle_api_error(error: ApiError) -> Response:
        response = error_response(error.status, error.errors)
        for name, value in error.headers.items():
            response.headers[name] = value
        return response

    @app.errorhandler(HTTPException)
    def handle_http_exception(error: HTTPException) -> Response:
        status = error.code or 500
        response = error_response(status, [{"reason": REASON_BY_STATUS.get(status, error.name)}])
        if status == 405 and hasattr(error, "valid_methods") and error.valid_methods:
            response.headers["Allow"] = ", ".join(error.valid_methods)
        return response

    @app.errorhandler(Exception)
    def handle_unexpected(error: Exception) -> Response:
        logger.exception("unhandled error while serving a request: %s", type(error).__name__)
        return error_response(500, [{"reason": REASON_BY_STATUS[500]}])
