"""The `X-Filter` header: filtering and sorting a collection.

The header holds a JSON object. Each key is a filterable field (dotted for
nested fields, e.g. `entity.id`) or an operator: `+and` and `+or` take lists
of filter objects; a field's value is a scalar for equality or an object with
one of `+gt`, `+gte`, `+lt`, `+lte`, `+contains`, `+neq`. `+order_by` and
`+order` sort the result. On list fields such as `tags` equality means
"contains this element". Every error is a 400 with `field: "X-Filter"`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from typing import Any

from flask import request

from linode_fake.errors import ApiError

logger = logging.getLogger(__name__)

FIELD = "X-Filter"
COMPARISONS = ("+gt", "+gte", "+lt", "+lte")
FIELD_OPERATORS = (*COMPARISONS, "+contains", "+neq")

Item = dict[str, Any]
Predicate = Callable[[Item], bool]

_MISSING = object()


def _error(reason: str) -> ApiError:
    return ApiError(400, reason, FIELD)


def field_value(item: Item, path: str) -> Any:
    """Return the value at a dotted path, or a sentinel when a part is missing."""
    value: Any = item
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return _MISSING
        value = value[part]
    return value


def _compare(operator: str, actual: Any, expected: Any) -> bool:
    if actual is None or actual is _MISSING:
        return False
    numeric = isinstance(expected, int | float) and not isinstance(expected, bool)
    if numeric and isinstance(actual, int | float) and not isinstance(actual, bool):
        pass
    elif isinstance(expected, str) and isinstance(actual, str):
        pass  # datetimes in the API's format sort as strings
    else:
        raise _error("Could not apply filter")
    if operator == "+gt":
        return bool(actual > expected)
    if operator == "+gte":
        return bool(actual >= expected)
    if operator == "+lt":
        return bool(actual < expected)
    return bool(actual <= expected)


def _equals(actual: Any, expected: Any) -> bool:
    if isinstance(actual, list):
        return expected in actual
    if isinstance(actual, bool) or isinstance(expected, bool):
        return actual is expected
    return bool(actual == expected)


def _contains(actual: Any, expected: Any) -> bool:
    if not isinstance(expected, str):
        raise _error("+contains needs a string")
    if isinstance(actual, list):
        return any(isinstance(element, str) and expected in element for element in actual)
    return isinstance(actual, str) and expected in actual


def _field_predicate(field: str, condition: Any) -> Predicate:
    if isinstance(condition, list):
        raise _error(f"{field.capitalize()} filter must be a string or dict")
    if not isinstance(condition, dict):
        return lambda item: _equals(field_value(item, field), condition)
    if len(condition) != 1:
        raise _error(f"Filter on {field} must have exactly one operator")
    operator, expected = next(iter(condition.items()))
    if operator in COMPARISONS:
        if isinstance(expected, bool) or not isinstance(expected, int | float | str):
            raise _error(f"{operator} needs a number")
        return lambda item: _compare(operator, field_value(item, field), expected)
    if operator == "+contains":
        return lambda item: _contains(field_value(item, field), expected)
    if operator == "+neq":
        return lambda item: not _equals(field_value(item, field), expected)
    raise _error(f"Unknown filter operator {operator!r} on {field}")


class FilterSpec:
    """The fields of one collection that may be filtered and sorted on."""

    def __init__(
        self,
        filterable: Iterable[str],
        *,
        unsortable: Iterable[str] = (),
        aliases: dict[str, str] | None = None,
    ) -> None:
        self.filterable = frozenset(filterable)
        self.unsortable = frozenset(unsortable)
        self.aliases = aliases or {}

    def resolve(self, field: str) -> str:
        """Map an alias to its field name and reject fields that are not filterable."""
        field = self.aliases.get(field, field)
        if field not in self.filterable:
            raise _error(f"Cannot filter on {field}")
        return field

    def predicate(self, node: Any) -> Predicate:
        """Compile one filter object into a predicate over items."""
        if not isinstance(node, dict):
            raise _error("Filter must be a JSON object")
        parts: list[Predicate] = []
        for key, value in node.items():
            if key in ("+order_by", "+order"):
                raise _error(f"{key} is only allowed at the top level of the filter")
            if key in ("+and", "+or"):
                if not isinstance(value, list) or not value:
                    raise _error(f"{key} needs a non-empty list of filter objects")
                children = [self.predicate(child) for child in value]
                if key == "+and":
                    parts.append(lambda item, cs=children: all(c(item) for c in cs))
                else:
                    parts.append(lambda item, cs=children: any(c(item) for c in cs))
                continue
            if key in FIELD_OPERATORS or key.startswith("+"):
                raise _error(f"Operator {key} must be applied to a field")
            parts.append(_field_predicate(self.resolve(key), value))
        return lambda item: all(part(item) for part in parts)

    def apply(self, items: list[Item], header: str | None) -> list[Item]:
        """Filter and sort `items` by an `X-Filter` header value (None: unchanged)."""
        if header is None or not header.strip():
            return items
        try:
            tree = json.loads(header)
        except ValueError:
            raise _error("X-Filter must be valid JSON") from None
        if not isinstance(tree, dict):
            raise _error("X-Filter must be a JSON object")
        tree = dict(tree)
        order_by = tree.pop("+order_by", None)
        order = tree.pop("+order", "asc")
        if order not in ("asc", "desc"):
            raise _error(f"+order must be 'asc' or 'desc', got {order!r}")

        predicate = self.predicate(tree)
        result = [item for item in items if predicate(item)]

        if order_by is not None:
            if not isinstance(order_by, str):
                raise _error("+order_by must be a field name")
            sort_field = self.resolve(order_by)
            if sort_field in self.unsortable:
                raise _error(f"Cannot order by {sort_field}")
            result = _sorted(result, sort_field, descending=order == "desc")
        return result


def _sorted(items: list[Item], field: str, *, descending: bool) -> list[Item]:
    def key(item: Item) -> tuple[int, Any]:
        value = field_value(item, field)
        if value is None or value is _MISSING:
            return (0, 0)
        if isinstance(value, list):
            return (1, ",".join(map(str, value)))
        return (1, value)

    try:
        return sorted(items, key=key, reverse=descending)
    except TypeError:
        raise _error(f"Cannot order by {field}") from None


def filter_items(items: list[Item], spec: FilterSpec) -> list[Item]:
    """Apply the current request's `X-Filter` header to `items`."""
    return spec.apply(items, request.headers.get("X-Filter"))
