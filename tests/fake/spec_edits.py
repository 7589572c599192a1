"""Edits of the loaded spec for the places where it is wrong about the real API.

A `SpecCorrection` names operations, an edit built by one of the functions below, and the
reason. `apply_corrections` applies a set of them to a spec loaded by `spec_check`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from tests.fake.spec_check import Schema, Spec, iter_schemas, operations_by_id, response_schemas


@dataclass(frozen=True)
class SpecCorrection:
    """One place where the spec disagrees with the real API, and how to fix the loaded spec.

    `operations` are operationIds, or `("*",)` for every operation. `edit` changes one
    node and returns True when it applied. With `target="responses"` it is called on
    every schema node of the operations' response bodies, with `target="request"` on
    every schema node of their request bodies, and with `target="operation"` on each
    operation object. Each correction must apply at least once, so one that no longer
    matches the spec (say, after an update) fails loudly instead of hiding.
    """

    operations: tuple[str, ...]
    edit: Callable[[Schema], bool]
    reason: str
    target: Literal["responses", "request", "operation"] = "responses"


def rename_property(old: str, new: str) -> Callable[[Schema], bool]:
    """Build an edit that renames property `old` to `new` wherever an object declares it."""

    def edit(schema: Schema) -> bool:
        properties = schema.get("properties")
        if not isinstance(properties, dict) or old not in properties:
            return False
        properties[new] = properties.pop(old)
        if old in schema.get("required", []):
            schema["required"] = [new if name == old else name for name in schema["required"]]
        return True

    return edit


def make_nullable(*names: str) -> Callable[[Schema], bool]:
    """Build an edit that allows `null` for the named properties of any object."""

    def edit(schema: Schema) -> bool:
        properties = schema.get("properties")
        if not isinstance(properties, dict):
            return False
        applied = False
        for name in names:
            if name in properties:
                properties[name]["nullable"] = True
                applied = True
        return applied

    return edit


def require_only(*names: str) -> Callable[[Schema], bool]:
    """Build an edit that sets `required` to `names` on objects that declare all of them."""

    def edit(schema: Schema) -> bool:
        properties = schema.get("properties")
        if not isinstance(properties, dict) or not set(names) <= set(properties):
            return False
        schema["required"] = list(names)
        return True

    return edit


def make_optional(*names: str) -> Callable[[Schema], bool]:
    """Build an edit that lets objects declaring all of `names` leave those out.

    The object's other documented properties stay required.
    """

    def edit(schema: Schema) -> bool:
        properties = schema.get("properties")
        if not isinstance(properties, dict) or not set(names) <= set(properties):
            return False
        current = schema.get("required", list(properties))
        schema["required"] = [name for name in current if name not in names]
        return True

    return edit


def drop_keyword(keyword: str, *names: str) -> Callable[[Schema], bool]:
    """Build an edit that removes `keyword` (e.g. `format`) from the named properties."""

    def edit(schema: Schema) -> bool:
        properties = schema.get("properties")
        if not isinstance(properties, dict):
            return False
        hits = [properties[name].pop(keyword, None) for name in names if name in properties]
        return any(hit is not None for hit in hits)

    return edit


def merge_all_of() -> Callable[[Schema], bool]:
    """Build an edit that folds `allOf` object parts into one object schema.

    JSON Schema checks `additionalProperties: false` in an `allOf` part against that part's
    own properties only, so a body that uses fields from two parts can never be valid.
    Merging gives the rule the spec's authors meant: the union of the parts' properties
    and nothing else.
    """

    def edit(schema: Schema) -> bool:
        parts = schema.get("allOf")
        if not parts or not any(part.get("additionalProperties") is False for part in parts):
            return False
        schema.pop("allOf")
        properties = schema.setdefault("properties", {})
        required = set(schema.get("required", []))
        for part in parts:
            properties.update(part.get("properties", {}))
            required.update(part.get("required", []))
        if required:
            schema["required"] = sorted(required)
        schema["additionalProperties"] = False
        schema["type"] = "object"
        return True

    return edit


def add_error_response(example_operation: Schema) -> Callable[[Schema], bool]:
    """Build an operation edit that adds the `default` error response of `example_operation`.

    Every operation in the spec documents its errors as `default`, except a few that
    list only their 200 response.
    """
    default = example_operation["responses"]["default"]

    def edit(operation: Schema) -> bool:
        responses = operation.setdefault("responses", {})
        if "default" in responses:
            return False
        responses["default"] = json.loads(json.dumps(default))
        return True

    return edit


def nullable_into_all_of() -> Callable[[Schema], bool]:
    """Build an edit that copies `nullable: true` into the `allOf` parts beside it.

    OpenAPI 3.0.3 states that `nullable` only widens the `type` of its own schema, so
    `{nullable: true, allOf: [{type: string}]}` still rejects null, because the allOf
    part does.
    """

    def edit(schema: Schema) -> bool:
        parts = schema.get("allOf")
        if not schema.get("nullable") or not parts:
            return False
        for part in parts:
            part["nullable"] = True
        return True

    return edit


def replace_format(old: str, new: str) -> Callable[[Schema], bool]:
    """Build an edit that changes a schema's `format` from `old` to `new`."""

    def edit(schema: Schema) -> bool:
        if schema.get("format") != old:
            return False
        schema["format"] = new
        return True

    return edit


def drop_operation_servers() -> Callable[[Schema], bool]:
    """Build an operation edit that removes an operation-level `servers` list."""

    def edit(operation: Schema) -> bool:
        return operation.pop("servers", None) is not None

    return edit


def apply_corrections(spec: Spec, corrections: dict[str, SpecCorrection]) -> None:
    """Apply each correction to its operations (or their response schemas), in place."""
    operations = operations_by_id(spec)
    for name, correction in corrections.items():
        hits = 0
        targets = operations if correction.operations == ("*",) else correction.operations
        for operation_id in targets:
            if operation_id not in operations:
                raise KeyError(f"spec correction {name!r}: no operation {operation_id!r}")
            _path, _method, operation = operations[operation_id]
            if correction.target == "operation":
                hits += int(correction.edit(operation))
                continue
            if correction.target == "request":
                content = operation.get("requestBody", {}).get("content", {})
                top = content.get("application/json", {}).get("schema")
                hits += sum(1 for node in iter_schemas(top) if correction.edit(node))
                continue
            for status in operation.get("responses", {}):
                for top in response_schemas(operation, status):
                    hits += sum(1 for node in iter_schemas(top) if correction.edit(node))
        if hits == 0:
            raise ValueError(f"spec correction {name!r} matched nothing; remove or update it")
