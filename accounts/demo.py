"""The demo operator account that `make run` creates and prints."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from pathlib import Path

from accounts.models import User

logger = logging.getLogger(__name__)

DEMO_OPERATOR_EMAIL = "operator@example.com"
PASSWORD_FILE_NAME = "demo-operator-password"


@dataclass(frozen=True)
class DemoLogin:
    email: str
    # None when someone changed the password after it was generated.
    password: str | None
    created: bool


def ensure_demo_operator(var_dir: Path, email: str = DEMO_OPERATOR_EMAIL) -> DemoLogin:
    """Create the demo operator (a staff superuser) unless it exists, and return its login.

    The generated password is kept in `var_dir/demo-operator-password` (mode
    0600) so that later runs print the same login. When the stored password no
    longer matches, because the operator changed it, the password is None.
    """
    password_file = var_dir / PASSWORD_FILE_NAME
    stored = password_file.read_text().strip() if password_file.exists() else ""

    user = User.objects.filter(email__iexact=email).first()
    if user is not None and stored:
        if user.check_password(stored):
            return DemoLogin(email=user.email, password=stored, created=False)
        return DemoLogin(email=user.email, password=None, created=False)

    password = secrets.token_urlsafe(12)
    password_file.write_text(password + "\n")
    password_file.chmod(0o600)
    if user is None:
        User.objects.create_superuser(email=email, password=password)
        logger.info("Created the demo operator %s", email)
        return DemoLogin(email=email, password=password, created=True)

    # The account exists but its password file was deleted: issue a new password.
    user.set_password(password)
    user.is_staff = True
    user.is_superuser = True
    user.save(update_fields=["password", "is_staff", "is_superuser"])
    logger.info("Set a new password for the demo operator %s", email)
    return DemoLogin(email=user.email, password=password, created=False)
