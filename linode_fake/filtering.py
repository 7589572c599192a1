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


def _is_set_value(value: Any) -> bool:
    """Return True when equality with `value` matches exactly what a set lookup of it matches."""
    return value is None or (isinstance(value, str | int | float) and not isinstance(value, bool))


def _one_of_values(children: list[Any]) -> tuple[str, frozenset[Any]] | None:
    """Return (field, values) when every child of an `+or` is `{field: value}`, else None."""
    field: str | None = None
    values = []
    for child in children:
        if not isinstance(child, dict) or len(child) != 1:
            return None
        key, value = next(iter(child.items()))
        if key.startswith("+") or (field is not None and key != field):
            return None
        if not _is_set_value(value):
            return None
        field = key
        values.append(value)
    return None if field is None else (field, frozenset(values))


def _equals_any(actual: Any, values: frozenset[Any]) -> bool:
    """`_equals(actual, value)` for any value in `values`, none of them a bool."""
    if isinstance(actual, list):
        return any(_is_hashable(element) and element in values for element in actual)
    if isinstance(actual, bool) or not _is_hashable(actual):
        return False
    return actual in values


def _is_hashable(value: Any) -> bool:
    return not isinstance(value, dict | list)


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
                one_of = _one_of_values(value) if key == "+or" else None
                if one_of is not None:
                    # Same result as testing each child, at one set lookup per item.
                    field, values = one_of
                    parts.append(self._membership(field, values))
                elif key == "+and":
                    parts.append(lambda item, cs=children: all(c(item) for c in cs))
                else:
                    parts.append(lambda item, cs=children: any(c(item) for c in cs))
                continue
            if key in FIELD_OPERATORS or key.startswith("+"):
                raise _error(f"Operator {key} must be applied to a field")
            parts.append(_field_predicate(self.resolve(key), value))
        return lambda item: all(part(item) for part in parts)

    def _membership(self, field: str, values: frozenset[Any]) -> Predicate:
        path = self.resolve(field)
        return lambda item: _equals_any(field_value(item, path), values)

    def candidates(
        self, header: str | None, field: str, accepts: Callable[[Any], bool]
    ) -> frozenset[Any] | None:
        """Return values one of which `field` must equal for an item to match, or None.

        None means the filter does not narrow `field` down to a set of values
        that `accepts` (or the header is not valid: `apply` then raises the
        error). A caller may load only the items whose `field` is in the set
        and still pass them through `apply`, which gives the same result as
        filtering every item.
        """
        if header is None or not header.strip():
            return None
        try:
            tree = json.loads(header)
        except ValueError:
            return None
        if not isinstance(tree, dict):
            return None
        return self._node_candidates(tree, field, accepts)

    def _node_candidates(
        self, node: Any, field: str, accepts: Callable[[Any], bool]
    ) -> frozenset[Any] | None:
        if not isinstance(node, dict):
            return None
        # Every key of an object must hold, so each key that pins `field` down narrows the set.
        found: frozenset[Any] | None = None
        for key, value in node.items():
            narrowed: frozenset[Any] | None = None
            if key == "+and" and isinstance(value, list):
                for child in value:
                    child_values = self._node_candidates(child, field, accepts)
                    if child_values is not None:
                        narrowed = child_values if narrowed is None else narrowed & child_values
            elif key == "+or" and isinstance(value, list) and value:
                options = [self._node_candidates(child, field, accepts) for child in value]
                if all(option is not None for option in options):
                    narrowed = frozenset().union(*(o for o in options if o is not None))
            elif self.aliases.get(key, key) == field and not isinstance(value, dict | list):
                if accepts(value):
                    narrowed = frozenset((value,))
            if narrowed is not None:
                found = narrowed if found is None else found & narrowed
        return found

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
