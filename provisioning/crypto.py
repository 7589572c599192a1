"""Encryption at rest for root passwords.

Fernet (AES-128-CBC with HMAC-SHA256, from `cryptography`) with a key derived
by HKDF-SHA256 from SECRET_KEY. Keys derived from SECRET_KEY_FALLBACKS still
decrypt, so rotating SECRET_KEY does not lose stored passwords as long as the
old key stays in the fallbacks.
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

_HKDF_INFO = b"reseller-portal provisioning root password v1"


class DecryptionFailed(Exception):
    """The stored value was not encrypted with SECRET_KEY or any of its fallbacks."""


def _fernet_for(secret: str) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_HKDF_INFO).derive(
        secret.encode()
    )
    return Fernet(base64.urlsafe_b64encode(key))


def _cipher() -> MultiFernet:
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return MultiFernet([_fernet_for(secret) for secret in secrets])


def encrypt_secret(plaintext: str) -> str:
    """Return `plaintext` encrypted with the current key, as URL-safe text."""
    return _cipher().encrypt(plaintext.encode()).decode("ascii")


def decrypt_secret(token: str) -> str:
    """Return the plaintext of a value from encrypt_secret."""
    try:
        return _cipher().decrypt(token.encode("ascii")).decode()
    except (InvalidToken, ValueError):
        raise DecryptionFailed(
            "The stored secret cannot be decrypted with SECRET_KEY or SECRET_KEY_FALLBACKS; "
            "was SECRET_KEY changed without keeping the old key in SECRET_KEY_FALLBACKS?"
        ) from None
