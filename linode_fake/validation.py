"""Checks for request fields, each reporting through FieldErrors with `field` set."""

from __future__ import annotations

import re
from typing import Any

from zxcvbn import zxcvbn

from linode_fake.errors import FieldErrors

# The Linode label pattern from the spec (4.189.0). The spec's prose also
# states that a label ends with a letter or digit, which the pattern does not check.
LABEL_PATTERN = re.compile(r"^[a-zA-Z]((?!--|__|\.\.)[a-zA-Z0-9-_.])+$")

ROOT_PASS_MIN_LENGTH = 11  # Linode's documented minimum since 2023
ROOT_PASS_MAX_LENGTH = 128
WEAK_PASSWORD_REASON = "Password does not meet strength requirement"


def check_label(
    errors: FieldErrors, value: Any, *, field: str = "label", min_length: int = 3, max_length: int
) -> None:
    """Check a Linode or firewall label: length, pattern and alphanumeric end."""
    if not isinstance(value, str):
        errors.add(field, f"{field} must be a string")
        return
    if not min_length <= len(value) <= max_length:
        errors.add(field, f"{field} must be {min_length}-{max_length} characters, got {len(value)}")
        return
    if not LABEL_PATTERN.match(value) or not value[-1].isalnum():
        errors.add(
            field,
            f"{field} {value!r} is invalid: it must start with a letter, end with a letter or "
            "digit, and contain only letters, digits, '-', '_' and '.', never two of "
            "'-', '_' or '.' in a row",
        )


def check_root_pass(
    errors: FieldErrors, value: Any, min_score: int, field: str = "root_pass"
) -> None:
    """Check a root password: 11-128 characters and a zxcvbn score of `min_score`.

    The reasons never echo the password.
    """
    if not isinstance(value, str):
        errors.add(field, f"{field} must be a string")
        return
    if len(value) > ROOT_PASS_MAX_LENGTH:
        errors.add(field, f"{field} must be at most {ROOT_PASS_MAX_LENGTH} characters")
        return
    if len(value) < ROOT_PASS_MIN_LENGTH:
        errors.add(field, WEAK_PASSWORD_REASON)
        return
    if zxcvbn(value)["score"] < min_score:
        errors.add(field, WEAK_PASSWORD_REASON)


def check_bool(errors: FieldErrors, body: dict[str, Any], field: str) -> bool | None:
    value = body.get(field)
    if value is None:
        return None
    if not isinstance(value, bool):
        errors.add(field, f"{field} must be true or false, got {value!r}")
        return None
    return value


def check_int(errors: FieldErrors, body: dict[str, Any], field: str) -> int | None:
    value = body.get(field)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        errors.add(field, f"{field} must be an integer, got {value!r}")
        return None
    return value


def check_str(errors: FieldErrors, body: dict[str, Any], field: str) -> str | None:
    value = body.get(field)
    if value is None:
        return None
    if not isinstance(value, str):
        errors.add(field, f"{field} must be a string, got {value!r}")
        return None
    return value


def check_str_list(errors: FieldErrors, body: dict[str, Any], field: str) -> list[str] | None:
    value = body.get(field)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        errors.add(field, f"{field} must be a list of strings")
        return None
    return list(value)


def check_tags(errors: FieldErrors, body: dict[str, Any], field: str = "tags") -> list[str] | None:
    """Check a tag list: strings of 3 to 50 characters; duplicates are dropped."""
    tags = check_str_list(errors, body, field)
    if tags is None:
        return None
    for tag in tags:
        if not 3 <= len(tag) <= 50:
            errors.add(field, f"Tag {tag!r} must be 3-50 characters")
    return list(dict.fromkeys(tags))
