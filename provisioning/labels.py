"""Linode labels and tags derived from a server's UUID.

Linode labels are unique per account, so a label derived from the server's
UUID lets a worker find a Linode it created even when the create response was
lost. Label rules (Linode OpenAPI spec 4.189.0, Linode object `label`): 3 to 64
characters of letters, digits, `-`, `_` and `.`, starting with a letter, ending
with a letter or digit, and never `--`, `__` or `..`.
"""

from __future__ import annotations

import re
import uuid

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

LABEL_PATTERN = re.compile(r"^[a-zA-Z]((?!--|__|\.\.)[a-zA-Z0-9-_.])+$")
LABEL_MIN_LENGTH = 3
LABEL_MAX_LENGTH = 64
# A prefix plus "-" plus 32 hex digits must fit in 64 characters.
PREFIX_MAX_LENGTH = LABEL_MAX_LENGTH - 33
PREFIX_PATTERN = re.compile(r"^[a-zA-Z](?:[a-zA-Z0-9]|-(?=[a-zA-Z0-9]))*$")


def is_valid_label(label: str) -> bool:
    """Return whether `label` passes the Linode label rules."""
    return (
        LABEL_MIN_LENGTH <= len(label) <= LABEL_MAX_LENGTH
        and LABEL_PATTERN.match(label) is not None
        and label[-1].isalnum()
    )


def label_prefix() -> str:
    prefix = settings.LINODE_LABEL_PREFIX
    if not prefix or len(prefix) > PREFIX_MAX_LENGTH or not PREFIX_PATTERN.match(prefix):
        raise ImproperlyConfigured(
            f"LINODE_LABEL_PREFIX={prefix!r} is invalid: use 1 to {PREFIX_MAX_LENGTH} "
            "letters, digits and single dashes, starting with a letter, e.g. 'rp'."
        )
    return prefix


def label_for_uuid(server_uuid: uuid.UUID) -> str:
    """Return the Linode label of the server with this UUID."""
    label = f"{label_prefix()}-{server_uuid.hex}"
    # A valid prefix always gives a valid label; this guards later edits of the rules.
    if not is_valid_label(label):
        raise ImproperlyConfigured(f"Derived Linode label {label!r} breaks the label rules.")
    return label


def server_tag_for_uuid(server_uuid: uuid.UUID) -> str:
    """Return the tag that marks the Linode of one server (tags are 3 to 50 characters)."""
    return f"{label_prefix()}-server-{server_uuid.hex[:16]}"


def uuid_from_label(label: str) -> uuid.UUID | None:
    """Return the server UUID a portal label encodes, or None for a foreign label."""
    prefix = label_prefix()
    if not label.startswith(prefix + "-"):
        return None
    tail = label[len(prefix) + 1 :]
    if len(tail) != 32:
        return None
    try:
        return uuid.UUID(hex=tail)
    except ValueError:
        return None
