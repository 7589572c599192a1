"""Root password generation, deploy credential checks and timestamp parsing."""

from __future__ import annotations

import os
import string
import time
from datetime import UTC, datetime, timedelta, timezone

import pytest

from linode_api import generate_root_password
from linode_api.passwords import check_deploy_credentials
from linode_api.timestamps import format_timestamp, parse_timestamp


def test_password_is_long_and_mixed() -> None:
    passwords = {generate_root_password() for _ in range(50)}
    assert len(passwords) == 50
    for password in passwords:
        assert len(password) == 32
        assert any(c in string.ascii_lowercase for c in password)
        assert any(c in string.ascii_uppercase for c in password)
        assert any(c in string.digits for c in password)
        assert any(not c.isalnum() for c in password)
        assert not any(c.isspace() or c in "'\"\\`$" for c in password)


def test_password_length_bounds() -> None:
    assert len(generate_root_password(16)) == 16
    assert len(generate_root_password(128)) == 128
    with pytest.raises(ValueError, match="between 16 and 128"):
        generate_root_password(8)
    with pytest.raises(ValueError, match="between 16 and 128"):
        generate_root_password(129)


def test_deploy_needs_password_or_keys() -> None:
    with pytest.raises(ValueError, match="root_pass or authorized_keys"):
        check_deploy_credentials(None, None)
    with pytest.raises(ValueError, match="root_pass or authorized_keys"):
        check_deploy_credentials(None, [])
    with pytest.raises(ValueError, match="list of public keys"):
        check_deploy_credentials(None, "ssh-ed25519 AAAA")  # type: ignore[arg-type]


def test_keys_only_deploy_sends_a_throwaway_password() -> None:
    body = check_deploy_credentials(None, ["ssh-ed25519 AAAAC3 me@host"])
    assert body["authorized_keys"] == ["ssh-ed25519 AAAAC3 me@host"]
    assert len(body["root_pass"].reveal()) == 32
    assert repr(body["root_pass"]) == "<redacted>"


def test_given_password_is_sent_as_is() -> None:
    body = check_deploy_credentials("Corr3ct-Horse-Battery", None)
    assert body["root_pass"].reveal() == "Corr3ct-Horse-Battery"
    assert "Corr3ct" not in repr(body)


def test_timestamps_parse_to_aware_utc() -> None:
    parsed = parse_timestamp("2018-01-01T00:01:01")
    assert parsed == datetime(2018, 1, 1, 0, 1, 1, tzinfo=UTC)
    assert parsed.tzinfo is UTC
    assert parse_timestamp("2018-01-01T02:01:01+02:00") == parsed
    assert parse_timestamp("2018-01-01T00:01:01Z") == parsed
    assert parse_timestamp("2018-01-01T00:01:01.250").microsecond == 250000
    with pytest.raises(ValueError, match="ISO 8601"):
        parse_timestamp("yesterday")


def test_timestamps_ignore_local_time_zone() -> None:
    previous = os.environ.get("TZ")
    os.environ["TZ"] = "America/Los_Angeles"
    time.tzset()
    try:
        assert parse_timestamp("2018-06-01T12:00:00").hour == 12
        assert parse_timestamp("2018-06-01T12:00:00").utcoffset() == timedelta(0)
    finally:
        if previous is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = previous
        time.tzset()


def test_format_timestamp() -> None:
    tz = timezone(timedelta(hours=-5))
    assert format_timestamp(datetime(2024, 1, 1, 19, 0, 0, 999, tzinfo=tz)) == (
        "2024-01-02T00:00:00"
    )
    with pytest.raises(ValueError, match="no time zone"):
        format_timestamp(datetime(2024, 1, 1))
