"""`Secret`: a string that stays out of reprs, logs and traceback locals."""

from __future__ import annotations

from typing import Any


class Secret:
    """A string that never shows itself in `repr()` or `str()`.

    Tokens, passwords and OAuth secrets travel through the client wrapped in
    one, so that an error reporter capturing the local variables of a
    traceback gets "<redacted>". The transport calls `reveal()` only while it
    encodes the request.
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """Return the plain value."""
        return self._value

    def __repr__(self) -> str:
        return "<redacted>"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Secret):
            return self._value == other._value
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._value)


def reveal_all(value: Any) -> Any:
    """Return JSON data with every `Secret` inside replaced by its plain value."""
    if isinstance(value, Secret):
        return value.reveal()
    if isinstance(value, dict):
        return {key: reveal_all(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [reveal_all(item) for item in value]
    return value
