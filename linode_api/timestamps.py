"""Conversion between the API's timestamps and timezone-aware `datetime` values.

The API writes times in UTC without a zone suffix, for example
"2018-01-01T00:01:01". Parsed values are always timezone-aware UTC, whatever
the machine's local time zone.
"""

from __future__ import annotations

from datetime import UTC, datetime


def parse_timestamp(value: str) -> datetime:
    """Parse an API timestamp into an aware UTC datetime.

    A value with an explicit offset or "Z" suffix is converted to UTC; a value
    without one is taken as UTC, as the API documents.
    """
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(f"{value!r} is not an ISO 8601 timestamp") from exc
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def format_timestamp(value: datetime) -> str:
    """Format an aware datetime the way the API writes timestamps (UTC, whole seconds)."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(
            f"datetime {value.isoformat()} has no time zone: pass an aware value, "
            "for example datetime(2024, 1, 1, tzinfo=UTC)"
        )
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")
