"""Root password encryption at rest, label rules, and no secrets in logs."""

from __future__ import annotations

import logging
import uuid

import pytest
from django.core.exceptions import ImproperlyConfigured

from provisioning import executors, services
from provisioning.crypto import DecryptionFailed, decrypt_secret, encrypt_secret
from provisioning.labels import is_valid_label, label_for_uuid, uuid_from_label


def test_encryption_round_trip_and_opaque():
    token = encrypt_secret("Root-Pass-123!")
    assert "Root-Pass" not in token
    assert decrypt_secret(token) == "Root-Pass-123!"
    assert encrypt_secret("Root-Pass-123!") != token  # random IV per value


def test_decryption_needs_same_secret_key(settings):
    token = encrypt_secret("Root-Pass-123!")
    settings.SECRET_KEY = "another-secret-key-entirely"
    with pytest.raises(DecryptionFailed, match="SECRET_KEY_FALLBACKS"):
        decrypt_secret(token)


def test_rotated_key_still_decrypts_with_fallback(settings):
    old_key = settings.SECRET_KEY
    token = encrypt_secret("Root-Pass-123!")
    settings.SECRET_KEY = "the-new-secret-key"
    settings.SECRET_KEY_FALLBACKS = [old_key]
    assert decrypt_secret(token) == "Root-Pass-123!"


def test_labels_follow_linode_rules():
    for _ in range(50):
        label = label_for_uuid(uuid.uuid4())
        assert is_valid_label(label)
        assert len(label) <= 64


@pytest.mark.parametrize("label", ["1abc", "ab", "a--b", "a__b", "a..b", "abc-", "x" * 65, "ab c"])
def test_invalid_labels_rejected(label):
    assert not is_valid_label(label)


def test_label_round_trips_to_uuid():
    server_uuid = uuid.uuid4()
    assert uuid_from_label(label_for_uuid(server_uuid)) == server_uuid
    assert uuid_from_label("web-1") is None


def test_bad_label_prefix_named_in_error(settings):
    settings.LINODE_LABEL_PREFIX = "9bad"
    with pytest.raises(ImproperlyConfigured, match="LINODE_LABEL_PREFIX='9bad'"):
        label_for_uuid(uuid.uuid4())


def test_no_password_or_token_in_logs(fake, catalog, plan, customer, caplog):
    caplog.set_level(logging.DEBUG)
    server = services.place_order(customer=customer, plan=plan, region="us-east")
    executors.execute(services.start_provisioning(server, actor="customer:1").pk)

    password = services.reveal_root_password(server)
    assert password
    text = "\n".join(record.getMessage() for record in caplog.records)
    assert f"server {server.pk}" in text
    assert password not in text
    assert fake.token not in text
    assert password not in repr(server.__dict__.get("root_password_encrypted"))
