"""Root passwords: generated here, stored only encrypted."""

from __future__ import annotations

import logging

from linode_api import generate_root_password
from provisioning.crypto import decrypt_secret, encrypt_secret
from provisioning.models import Server
from provisioning.redaction import remember_secret

logger = logging.getLogger(__name__)


def new_root_password() -> str:
    """Return a strong random root password; an operation redacts it from its error text."""
    password = generate_root_password()
    remember_secret(password)
    return password


def stored_or_new_root_password(server: Server, *, replace: bool = False) -> str:
    """Return the server's stored root password, generating and storing one when missing.

    The encrypted value is written before the password is sent to the API, so
    a retry after a lost response sends the same password that the customer is shown.
    """
    if server.root_password_encrypted and not replace:
        stored = decrypt_secret(server.root_password_encrypted)
        remember_secret(stored)
        return stored
    password = new_root_password()
    server.root_password_encrypted = encrypt_secret(password)
    Server.objects.filter(pk=server.pk).update(
        root_password_encrypted=server.root_password_encrypted
    )
    logger.info("server %s: stored a new encrypted root password", server.pk)
    return password
