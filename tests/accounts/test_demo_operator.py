"""The demo operator that `make run` creates and prints."""

from __future__ import annotations

from accounts.demo import PASSWORD_FILE_NAME, ensure_demo_operator
from accounts.models import User


def test_creates_superuser_and_keeps_password(db, tmp_path):
    login = ensure_demo_operator(tmp_path)

    user = User.objects.get(email=login.email)
    assert login.created
    assert user.is_staff
    assert user.is_superuser
    assert user.check_password(login.password)
    password_file = tmp_path / PASSWORD_FILE_NAME
    assert password_file.read_text().strip() == login.password
    assert password_file.stat().st_mode & 0o777 == 0o600


def test_second_run_prints_same_login(db, tmp_path):
    first = ensure_demo_operator(tmp_path)

    second = ensure_demo_operator(tmp_path)

    assert not second.created
    assert second.password == first.password
    assert User.objects.filter(is_superuser=True).count() == 1


def test_changed_password_is_not_printed(db, tmp_path):
    first = ensure_demo_operator(tmp_path)
    user = User.objects.get(email=first.email)
    user.set_password("the operator's own choice 42")
    user.save()

    again = ensure_demo_operator(tmp_path)

    assert again.password is None
    user.refresh_from_db()
    assert user.check_password("the operator's own choice 42")


def test_deleted_password_file_issues_new_password(db, tmp_path):
    first = ensure_demo_operator(tmp_path)
    (tmp_path / PASSWORD_FILE_NAME).unlink()

    again = ensure_demo_operator(tmp_path)

    assert again.password is not None
    assert again.password != first.password
    assert User.objects.get(email=first.email).check_password(again.password)
