"""Root passwords for new and rebuilt Linodes."""

from __future__ import annotations

import secrets
import string
from collections.abc import Sequence
from typing import Any

from linode_api.redaction import Secret

# Punctuation that survives shells, URLs and config files without quoting trouble.
_SYMBOLS = "-_.,:;!@#%^*+=~"
_CLASSES = (string.ascii_lowercase, string.ascii_uppercase, string.digits, _SYMBOLS)
MIN_LENGTH = 16
MAX_LENGTH = 128  # the API's limit for root_pass


def generate_root_password(length: int = 32) -> str:
    """Return a random password (from `secrets`) mixing cases, digits and symbols.

    At 32 characters from 77 symbols it carries about 200 bits of entropy,
    far above the API's strength check.
    """
    if isinstance(length, bool) or not isinstance(length, int):
        raise TypeError(f"length must be an integer, not {type(length).__name__}")
    if not MIN_LENGTH <= length <= MAX_LENGTH:
        raise ValueError(f"length {length} must be between {MIN_LENGTH} and {MAX_LENGTH}")
    alphabet = "".join(_CLASSES)
    while True:
        password = "".join(secrets.choice(alphabet) for _ in range(length))
        if all(any(char in group for char in password) for group in _CLASSES):
            return password


def check_deploy_credentials(
    root_pass: str | None, authorized_keys: Sequence[str] | None
) -> dict[str, Any]:
    """Return the credential fields of an image deploy, or raise ValueError when there are none.

    The password in the result is wrapped in a `Secret`.

    The API requires `root_pass` whenever an image is deployed. When only
    SSH keys are given, a random password is generated and sent but never
    returned or logged, so that root can log in with the keys only.
    """
    keys = list(authorized_keys or [])
    if isinstance(authorized_keys, str):
        raise ValueError("authorized_keys must be a list of public keys, not one string")
    if any(not isinstance(key, str) or not key.strip() for key in keys):
        raise ValueError("authorized_keys must contain non-empty public key strings")
    if root_pass is not None and (not isinstance(root_pass, str) or not root_pass):
        raise ValueError("root_pass must be a non-empty string, or None when keys are given")
    if not root_pass and not keys:
        raise ValueError(
            "deploying an image needs root_pass or authorized_keys: pass a password "
            "(see generate_root_password()) or at least one public SSH key"
        )
    body: dict[str, Any] = {"root_pass": Secret(root_pass or generate_root_password())}
    if keys:
        body["authorized_keys"] = keys
    return body
