"""OpenSSH public key validation."""

from __future__ import annotations

import base64
import os
import struct

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from accounts.ssh_keys import InvalidSSHKey, parse_public_key

# Made with `ssh-keygen -t ed25519 -C alice@laptop` (OpenSSH 9); `ssh-keygen -l`
# printed the fingerprint below.
ALICE_KEY = (
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICg4ZMeiJ1s/pCyMMC81rFYdv/KSuOlCMzjDIeT4VJob alice@laptop"
)
ALICE_FINGERPRINT = "SHA256:9UyB2P3WOSTkadHdqvlKysXUkVz6rggC3T/T+ZNsiGk"


def openssh_line(private_key) -> str:
    public = private_key.public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    )
    return public.decode("ascii")


def wire_string(data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + data


def key_line(key_type: str, *fields: bytes, comment: str = "") -> str:
    blob = b"".join(wire_string(field) for field in (key_type.encode(), *fields))
    line = f"{key_type} {base64.b64encode(blob).decode()}"
    return f"{line} {comment}" if comment else line


def ecdsa_point(curve: ec.EllipticCurve) -> bytes:
    return (
        ec.generate_private_key(curve)
        .public_key()
        .public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    )


@pytest.mark.parametrize(
    ("private_key", "key_type", "bits"),
    [
        (ed25519.Ed25519PrivateKey.generate(), "ssh-ed25519", 256),
        (rsa.generate_private_key(public_exponent=65537, key_size=2048), "ssh-rsa", 2048),
        (ec.generate_private_key(ec.SECP256R1()), "ecdsa-sha2-nistp256", 256),
        (ec.generate_private_key(ec.SECP384R1()), "ecdsa-sha2-nistp384", 384),
        (ec.generate_private_key(ec.SECP521R1()), "ecdsa-sha2-nistp521", 521),
    ],
    ids=["ed25519", "rsa-2048", "nistp256", "nistp384", "nistp521"],
)
def test_accepts_supported_types(private_key, key_type, bits):
    key = parse_public_key(openssh_line(private_key) + " me@host\n")

    assert key.key_type == key_type
    assert key.bits == bits
    assert key.comment == "me@host"
    assert key.line.startswith(key_type + " ")


def test_fingerprint_matches_ssh_keygen():
    key = parse_public_key(ALICE_KEY)

    assert key.fingerprint == ALICE_FINGERPRINT
    assert key.comment == "alice@laptop"
    assert key.line == ALICE_KEY


def test_accepts_security_key_types():
    application = b"ssh:"
    sk_ed25519 = key_line("sk-ssh-ed25519@openssh.com", os.urandom(32), application)
    sk_ecdsa = key_line(
        "sk-ecdsa-sha2-nistp256@openssh.com",
        b"nistp256",
        ecdsa_point(ec.SECP256R1()),
        application,
    )

    assert parse_public_key(sk_ed25519).key_type == "sk-ssh-ed25519@openssh.com"
    assert parse_public_key(sk_ecdsa).bits == 256


def test_rejects_short_rsa_key():
    weak = openssh_line(rsa.generate_private_key(public_exponent=65537, key_size=1024))

    with pytest.raises(InvalidSSHKey, match="RSA key is 1024 bits long; at least 2048"):
        parse_public_key(weak)


def test_rejects_type_mismatch():
    blob = ALICE_KEY.split()[1]

    with pytest.raises(InvalidSSHKey, match="starts with ssh-rsa but its data contains"):
        parse_public_key(f"ssh-rsa {blob}")


def test_rejects_wrong_curve_name():
    line = key_line("ecdsa-sha2-nistp384", b"nistp256", ecdsa_point(ec.SECP256R1()))

    with pytest.raises(InvalidSSHKey, match="names the curve 'nistp256'; it must be 'nistp384'"):
        parse_public_key(line)


def test_rejects_point_off_curve():
    point = bytearray(ecdsa_point(ec.SECP256R1()))
    point[-1] ^= 0x01
    line = key_line("ecdsa-sha2-nistp256", b"nistp256", bytes(point))

    with pytest.raises(InvalidSSHKey, match="ecdsa-sha2-nistp256 key is not a valid public key"):
        parse_public_key(line)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "The SSH key is empty"),
        ("   \n ", "The SSH key is empty"),
        ("ssh-ed25519", "has no key data after its type"),
        ("ssh-ed25519 not*base64!", "not valid base64"),
        ("ssh-dss AAAAB3NzaC1kc3M=", "DSA keys"),
        ("rsa AAAA", "Unsupported key type 'rsa'"),
        ("-----BEGIN OPENSSH PRIVATE KEY-----", "PEM block"),
        (ALICE_KEY + "\n" + ALICE_KEY, "exactly one public key"),
        ("ssh-ed25519 " + "A" * 20_000, "maximum is 16384"),
    ],
    ids=[
        "empty",
        "blank",
        "no-data",
        "bad-base64",
        "dsa",
        "unknown-type",
        "private-key",
        "two-keys",
        "too-long",
    ],
)
def test_rejects_malformed_text(text, message):
    with pytest.raises(InvalidSSHKey, match=message):
        parse_public_key(text)


def test_rejects_truncated_key():
    blob = base64.b64decode(ALICE_KEY.split()[1])
    truncated = base64.b64encode(blob[:-5]).decode()

    with pytest.raises(InvalidSSHKey, match="truncated"):
        parse_public_key(f"ssh-ed25519 {truncated}")


def test_rejects_trailing_bytes():
    blob = base64.b64decode(ALICE_KEY.split()[1]) + b"\x00\x01"
    padded = base64.b64encode(blob).decode()

    with pytest.raises(InvalidSSHKey, match="2 unexpected bytes after the key"):
        parse_public_key(f"ssh-ed25519 {padded}")


def test_rejects_short_ed25519_key():
    line = key_line("ssh-ed25519", os.urandom(31))

    with pytest.raises(InvalidSSHKey, match="Ed25519 public key is 31 bytes long"):
        parse_public_key(line)


def test_rejects_security_key_without_ssh_application():
    line = key_line("sk-ssh-ed25519@openssh.com", os.urandom(32), b"https://example.com")

    with pytest.raises(InvalidSSHKey, match="application string must start with 'ssh:'"):
        parse_public_key(line)
