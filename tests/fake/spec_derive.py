"""Test cases derived from the spec: filterable fields and values that break a schema."""

from __future__ import annotations

import re
from typing import Any

from openapi_schema_validator import OAS30Validator, oas30_format_checker

from tests.fake.spec_check import Schema, response_schemas

# The run of `__Word__` markers, separated by commas, that opens a field's description.
DESCRIPTION_MARKERS = re.compile(r"(?:__[A-Za-z -]+__,?\s*)+")


def filterable_fields(operation: dict[str, Any]) -> list[str]:
    """List the dotted names of the fields a list operation's items mark `__Filterable__`.

    The spec has no `x-linode-filterable` extension; a field is filterable when the
    markers that open its description (`__Deprecated__, __Filterable__, ...`) include
    `__Filterable__`. Fields inside arrays of objects
    (such as a config's `interfaces[].label`) are left out because X-Filter has no syntax
    for them.
    """
    top = next(response_schemas(operation), None)
    items = (top or {}).get("properties", {}).get("data", {}).get("items")
    found: list[str] = []
    _collect_filterable(items, "", found)
    return found


def _collect_filterable(schema: Any, prefix: str, found: list[str]) -> None:
    if not isinstance(schema, dict):
        return
    for name, child in schema.get("properties", {}).items():
        if not isinstance(child, dict):
            continue
        markers = DESCRIPTION_MARKERS.match(str(child.get("description", "")))
        if markers and "__Filterable__" in markers.group(0):
            found.append(prefix + name)
        if child.get("type") == "object" or "properties" in child:
            _collect_filterable(child, f"{prefix}{name}.", found)


def invalid_values(schema: Schema) -> list[tuple[str, Any]]:
    """Return (label, value) pairs that break one rule of a property's schema each.

    Covers the JSON type, `enum`, `minLength`/`maxLength`, `pattern`,
    `minimum`/`maximum` and `minItems`/`maxItems`, and the type of string items.
    Only values that the schema really rejects are returned.
    """
    candidates: list[tuple[str, Any]] = []
    json_type = schema.get("type")
    wrong_type = {
        "string": 12345,
        "integer": "not-a-number",
        "number": "not-a-number",
        "boolean": "yes",
        "array": "not-a-list",
        "object": "not-an-object",
    }
    if json_type in wrong_type:
        candidates.append(("wrong-type", wrong_type[json_type]))
    if json_type == "string":
        if "enum" in schema:
            candidates.append(("not-in-enum", "not-an-enum-value"))
        if schema.get("minLength", 0) > 1:
            candidates.append(("too-short", "a" * (schema["minLength"] - 1)))
        if "maxLength" in schema:
            candidates.append(("too-long", "a" * (schema["maxLength"] + 1)))
        if "pattern" in schema:
            candidates.append(("bad-pattern", "9-starts-with-a-digit"))
    if json_type == "integer":
        if "minimum" in schema:
            candidates.append(("too-small", schema["minimum"] - 1))
        if "maximum" in schema:
            candidates.append(("too-large", schema["maximum"] + 1))
    if json_type == "array":
        items = schema.get("items", {})
        if items.get("type") == "string":
            candidates.append(("item-wrong-type", [12345]))
        if schema.get("minItems", 0) > 0:
            candidates.append(("too-few", []))
    validator = OAS30Validator(schema, format_checker=oas30_format_checker)
    return [(label, value) for label, value in candidates if not validator.is_valid(value)]
