"""Fields shared by create and rebuild: credentials, StackScript, user data."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from linode_fake.context import FakeContext
from linode_fake.errors import FieldErrors
from linode_fake.validation import check_int, check_root_pass, check_str_list

SSH_KEY_TYPES = (
    "ssh-rsa",
    "ssh-dss",
    "ssh-ed25519",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "sk-ssh-ed25519@openssh.com",
    "sk-ecdsa-sha2-nistp256@openssh.com",
)


def is_ssh_public_key(text: str) -> bool:
    """Return whether `text` looks like an OpenSSH public key line: a known
    key type, then base64 data that starts with the same type name."""
    parts = text.strip().split()
    if len(parts) < 2 or parts[0] not in SSH_KEY_TYPES:
        return False
    data = parts[1] + "=" * (-len(parts[1]) % 4)  # tolerate missing padding
    try:
        blob = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        return False
    return blob[4 : 4 + len(parts[0])] == parts[0].encode()


def image_entity(image: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": image["id"],
        "label": image.get("label", image["id"]),
        "type": "image",
        "url": f"/v4/images/{image['id']}",
    }


def check_deploy_fields(
    context: FakeContext,
    errors: FieldErrors,
    body: dict[str, Any],
    image: dict[str, Any] | None,
    region: dict[str, Any] | None,
    *,
    root_pass_required: bool = False,
) -> None:
    """Check what an image deploy needs (create and rebuild): credentials,
    StackScript and user data.

    Create accepts `authorized_keys` instead of `root_pass`; rebuild always
    needs `root_pass` (`root_pass_required=True`).
    """
    root_pass = body.get("root_pass")
    keys = check_str_list(errors, body, "authorized_keys")
    for index, key in enumerate(keys or []):
        if not is_ssh_public_key(key):
            errors.add(
                "authorized_keys",
                f"authorized_keys[{index}] is not a valid SSH public key; "
                "expected e.g. 'ssh-ed25519 AAAA... comment'",
            )
    check_str_list(errors, body, "authorized_users")
    if root_pass is not None:
        check_root_pass(errors, root_pass, context.settings.password_min_score)
    elif root_pass_required:
        errors.add("root_pass", "root_pass is required")
    elif image is not None and not keys:
        errors.add("root_pass", "root_pass is required when deploying an image")

    stackscript_id = check_int(errors, body, "stackscript_id")
    if stackscript_id is not None:
        _check_stackscript(context, errors, body, stackscript_id, image)
    elif body.get("stackscript_data") is not None and not isinstance(
        body["stackscript_data"], dict
    ):
        errors.add("stackscript_data", "stackscript_data must be an object of UDF values")

    metadata = body.get("metadata")
    if metadata is not None:
        if not isinstance(metadata, dict):
            errors.add("metadata", "metadata must be an object")
        else:
            _check_user_data(errors, metadata.get("user_data"), image, region)


def _check_stackscript(
    context: FakeContext,
    errors: FieldErrors,
    body: dict[str, Any],
    stackscript_id: int,
    image: dict[str, Any] | None,
) -> None:
    from linode_fake.api.stackscripts import load_stackscript, required_udf_names

    script = load_stackscript(stackscript_id)
    if script is None:
        errors.add("stackscript_id", f"StackScript {stackscript_id} not found")
        return
    if image is None:
        errors.add("image", "image is required when deploying a StackScript")
    elif "any/all" not in script["images"] and image["id"] not in script["images"]:
        errors.add(
            "image",
            f"Image {image['id']} is not compatible with StackScript {stackscript_id}; "
            f"use one of {', '.join(script['images'])}",
        )
    data = body.get("stackscript_data")
    if data is not None and not isinstance(data, dict):
        errors.add("stackscript_data", "stackscript_data must be an object of UDF values")
        return
    data = data or {}
    for name in required_udf_names(script["script"]):
        if name not in data:
            errors.add(f"stackscript_data.{name}", f"{name} is required by the StackScript")


def _check_user_data(
    errors: FieldErrors,
    user_data: Any,
    image: dict[str, Any] | None,
    region: dict[str, Any] | None,
) -> None:
    field = "metadata.user_data"
    if user_data is None:
        return
    if not isinstance(user_data, str):
        errors.add(field, "user_data must be a base64-encoded string")
        return
    try:
        base64.b64decode(user_data, validate=True)
    except (binascii.Error, ValueError):
        errors.add(field, "user_data must be valid base64")
        return
    if len(user_data) > 65535:
        errors.add(field, "user_data must be at most 65535 characters")
    if image is not None and "cloud-init" not in image.get("capabilities", []):
        errors.add(field, f"Image {image['id']} does not support cloud-init user data")
    if region is not None and "Metadata" not in region.get("capabilities", []):
        errors.add(field, f"Region {region['id']} does not support the Metadata service")
