"""Validation of OpenSSH public keys as customers paste them.

A key line has the form ``TYPE BASE64 [COMMENT]``. The base64 part is the key
blob in the SSH wire format (RFC 4253 section 6.6, RFC 5656 section 3.1, RFC 8709
section 4, OpenSSH PROTOCOL.u2f): a length-prefixed string naming the key type,
then the type's fields. Validation decodes that blob and checks that the type
named inside it matches the type written in front of it. It then checks the
sizes of the key material. For the types the ``cryptography`` package can load,
that package checks the key itself as well (an ECDSA point must lie on its
curve, for example).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.serialization import load_ssh_public_key

MAX_KEY_LINE_LENGTH = 16_384
MIN_RSA_BITS = 2048

ED25519 = "ssh-ed25519"
RSA = "ssh-rsa"
SK_ED25519 = "sk-ssh-ed25519@openssh.com"
SK_ECDSA_P256 = "sk-ecdsa-sha2-nistp256@openssh.com"
# ECDSA key type -> (curve name inside the blob, length of an uncompressed point).
ECDSA_CURVES = {
    "ecdsa-sha2-nistp256": ("nistp256", 65),
    "ecdsa-sha2-nistp384": ("nistp384", 97),
    "ecdsa-sha2-nistp521": ("nistp521", 133),
}
SUPPORTED_TYPES = (ED25519, RSA, *ECDSA_CURVES, SK_ED25519, SK_ECDSA_P256)
# Types that OpenSSH itself no longer accepts, with the reason shown to the customer.
REJECTED_TYPES = {
    "ssh-dss": "DSA keys (ssh-dss) are disabled in current OpenSSH releases",
}


class InvalidSSHKey(ValueError):
    """The text is not an OpenSSH public key this portal accepts."""


@dataclass(frozen=True)
class SSHPublicKey:
    """A validated public key: its type, its base64 blob and its comment."""

    key_type: str
    blob_base64: str
    comment: str
    bits: int

    @property
    def line(self) -> str:
        """The key as one authorized_keys line, without options."""
        parts = [self.key_type, self.blob_base64]
        if self.comment:
            parts.append(self.comment)
        return " ".join(parts)

    @property
    def fingerprint(self) -> str:
        """The SHA256 fingerprint as `ssh-keygen -l` prints it."""
        digest = hashlib.sha256(base64.b64decode(self.blob_base64)).digest()
        return "SHA256:" + base64.b64encode(digest).decode("ascii").rstrip("=")


class _WireReader:
    """Reads length-prefixed SSH wire-format fields from a key blob."""

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._offset = 0

    def read_string(self, what: str) -> bytes:
        header_end = self._offset + 4
        if header_end > len(self._data):
            raise InvalidSSHKey(f"The key data ends before its {what}: the key is truncated.")
        length = int.from_bytes(self._data[self._offset : header_end], "big")
        end = header_end + length
        if end > len(self._data):
            raise InvalidSSHKey(f"The key data ends inside its {what}: the key is truncated.")
        self._offset = end
        return self._data[header_end:end]

    def read_mpint(self, what: str) -> int:
        return int.from_bytes(self.read_string(what), "big", signed=True)

    def expect_end(self) -> None:
        if self._offset != len(self._data):
            extra = len(self._data) - self._offset
            raise InvalidSSHKey(
                f"The key data has {extra} unexpected bytes after the key; "
                "copy the key again from the .pub file."
            )


def parse_public_key(text: str) -> SSHPublicKey:
    """Parse and validate one OpenSSH public key line.

    Raises InvalidSSHKey with a message naming what is wrong and what to do.
    """
    line = text.strip()
    if not line:
        raise InvalidSSHKey("The SSH key is empty.")
    if len(line) > MAX_KEY_LINE_LENGTH:
        raise InvalidSSHKey(
            f"The SSH key is {len(line)} characters long; the maximum is {MAX_KEY_LINE_LENGTH}."
        )
    if "\n" in line or "\r" in line:
        raise InvalidSSHKey("Paste exactly one public key, on a single line.")
    if line.startswith("-----BEGIN"):
        raise InvalidSSHKey(
            "This is a PEM block, which is either a private key or a key in another "
            "format. Paste the OpenSSH public key, the contents of the .pub file "
            "(for example ~/.ssh/id_ed25519.pub)."
        )

    fields = line.split(None, 2)
    key_type = fields[0]
    if key_type in REJECTED_TYPES:
        raise InvalidSSHKey(
            f"{REJECTED_TYPES[key_type]}. Create an Ed25519 key with "
            "`ssh-keygen -t ed25519` and paste its .pub file."
        )
    if key_type not in SUPPORTED_TYPES:
        raise InvalidSSHKey(
            f"Unsupported key type {key_type[:60]!r}. A public key line starts with one of: "
            f"{', '.join(SUPPORTED_TYPES)}. Paste the contents of the .pub file."
        )
    if len(fields) < 2:
        raise InvalidSSHKey(f"The {key_type} key has no key data after its type.")
    blob_base64 = fields[1]
    comment = fields[2].strip() if len(fields) > 2 else ""

    try:
        blob = base64.b64decode(blob_base64, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidSSHKey(
            f"The key data of the {key_type} key is not valid base64; "
            "copy the whole key again from the .pub file."
        ) from None

    reader = _WireReader(blob)
    embedded_type = reader.read_string("key type").decode("ascii", errors="replace")
    if embedded_type != key_type:
        raise InvalidSSHKey(
            f"Key type mismatch: the line starts with {key_type} but its data contains "
            f"a {embedded_type[:60]!r} key. "
            "The line was probably edited; copy it again from the .pub file."
        )

    bits = _check_key_material(key_type, reader)
    reader.expect_end()
    _check_with_cryptography(key_type, line)
    return SSHPublicKey(key_type=key_type, blob_base64=blob_base64, comment=comment, bits=bits)


def _check_key_material(key_type: str, reader: _WireReader) -> int:
    """Check the fields after the type name and return the key size in bits."""
    if key_type in (ED25519, SK_ED25519):
        public = reader.read_string("Ed25519 public key")
        if len(public) != 32:
            raise InvalidSSHKey(
                f"The Ed25519 public key is {len(public)} bytes long; it must be 32 bytes."
            )
        if key_type == SK_ED25519:
            _read_application(reader)
        return 256

    if key_type == RSA:
        exponent = reader.read_mpint("RSA exponent")
        modulus = reader.read_mpint("RSA modulus")
        if exponent < 3 or exponent % 2 == 0:
            raise InvalidSSHKey(f"The RSA public exponent {exponent} is invalid.")
        bits = modulus.bit_length()
        if bits < MIN_RSA_BITS:
            raise InvalidSSHKey(
                f"The RSA key is {bits} bits long; at least {MIN_RSA_BITS} bits are required. "
                "Create a new key with `ssh-keygen -t ed25519` (or `ssh-keygen -t rsa -b 4096`)."
            )
        return bits

    curve_type = "ecdsa-sha2-nistp256" if key_type == SK_ECDSA_P256 else key_type
    curve, point_length = ECDSA_CURVES[curve_type]
    embedded_curve = reader.read_string("curve name").decode("ascii", errors="replace")
    if embedded_curve != curve:
        raise InvalidSSHKey(
            f"The {key_type} key names the curve {embedded_curve[:40]!r}; it must be {curve!r}."
        )
    point = reader.read_string("ECDSA public point")
    if len(point) != point_length or point[0] != 0x04:
        raise InvalidSSHKey(
            f"The {key_type} public point is malformed: expected an uncompressed point "
            f"of {point_length} bytes, got {len(point)} bytes."
        )
    if key_type == SK_ECDSA_P256:
        _read_application(reader)
    return {"nistp256": 256, "nistp384": 384, "nistp521": 521}[curve]


def _read_application(reader: _WireReader) -> None:
    application = reader.read_string("security key application")
    if not application.startswith(b"ssh:"):
        raise InvalidSSHKey(
            "The security key's application string must start with 'ssh:'; "
            "create the key again with `ssh-keygen -t ed25519-sk`."
        )


def _check_with_cryptography(key_type: str, line: str) -> None:
    """Let `cryptography` load the key, which checks the key mathematically."""
    if key_type.startswith("sk-"):
        return  # cryptography does not load security-key (FIDO) public keys
    try:
        load_ssh_public_key(line.encode("ascii", errors="replace"))
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise InvalidSSHKey(f"The {key_type} key is not a valid public key: {exc}.") from None
