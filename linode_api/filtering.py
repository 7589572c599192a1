"""Filters for list requests, sent as the API's `X-Filter` header.

Keyword filters follow a `field__lookup=value` convention:

- `label="web1"` is equality; `tags="reseller"` matches Linodes carrying that tag.
- `label__contains="web"`, `label__neq="old"`, `created__gt=when`,
  `vcpus__gte=2`, `memory__lt=4096`, `disk__lte=81920` use the API's
  `+contains`, `+neq`, `+gt`, `+gte`, `+lt` and `+lte` operators.
- `id__in=[1, 2, 3]` becomes a `+or` of equalities; an empty list matches
  nothing, and the list call then sends no request.
- A double underscore between field names reaches a nested field:
  `entity__id=123` filters on `entity.id`.

Several keywords must all hold. `Filter` objects combine with `&` (all must
hold) and `|` (at least one holds), or with `and_()` and `or_()`, to any depth.
Values that are API objects become their id, and aware datetimes become the
API's timestamp format. Sorting (`+order_by`, `+order`) is kept outside the
conditions and added by `build_x_filter()`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from typing import Any

from linode_api.timestamps import format_timestamp

OPERATORS = {
    "contains": "+contains",
    "neq": "+neq",
    "gt": "+gt",
    "gte": "+gte",
    "lt": "+lt",
    "lte": "+lte",
}
LOOKUPS = frozenset({*OPERATORS, "in", "exact"})
ORDERS = frozenset({"asc", "desc"})


class MatchNothing:
    """Marks a filter that no object can satisfy, such as `id__in=[]`."""

    def __repr__(self) -> str:
        return "MATCH_NOTHING"


MATCH_NOTHING = MatchNothing()


@dataclass(frozen=True)
class _Condition:
    path: tuple[str, ...]
    lookup: str
    value: Any


@dataclass(frozen=True)
class _Group:
    operator: str  # "+and" or "+or"
    children: tuple[Filter, ...]


@dataclass(frozen=True)
class _Raw:
    tree: Mapping[str, Any]


class Filter:
    """A condition tree for `X-Filter`.

    `Filter(label__contains="web", region="us-east")` holds when every keyword
    holds. `Filter.raw({...})` wraps a condition already in the API's grammar.
    """

    __slots__ = ("_node",)

    def __init__(self, **conditions: Any) -> None:
        parts = [_parse_keyword(key, value) for key, value in conditions.items()]
        if len(parts) == 1:
            self._node: _Condition | _Group | _Raw = parts[0]
        else:
            self._node = _Group("+and", tuple(_wrap(part) for part in parts))

    @classmethod
    def raw(cls, tree: Mapping[str, Any]) -> Filter:
        """Wrap a condition written in the API's own grammar, used as given."""
        if not isinstance(tree, Mapping):
            raise TypeError(f"Filter.raw() takes a dict in the X-Filter grammar, not {tree!r}")
        return _wrap(_Raw(dict(tree)))

    def __and__(self, other: Filter) -> Filter:
        return and_(self, other)

    def __or__(self, other: Filter) -> Filter:
        return or_(self, other)

    def __repr__(self) -> str:
        return f"Filter({self.render()!r})"

    def render(self, aliases: Mapping[str, str] | None = None) -> dict[str, Any] | MatchNothing:
        """Return the condition as an X-Filter dict, or MATCH_NOTHING.

        `aliases` maps Python attribute names to the API's field names, for
        example "site_type" to "site-type".
        """
        return _render(self, aliases or {})


def _wrap(node: _Condition | _Group | _Raw) -> Filter:
    result = Filter.__new__(Filter)
    result._node = node
    return result


def and_(*filters: Filter) -> Filter:
    """Combine filters so that all of them must hold."""
    return _combine("+and", filters)


def or_(*filters: Filter) -> Filter:
    """Combine filters so that at least one of them must hold."""
    return _combine("+or", filters)


def _combine(operator: str, filters: Iterable[Filter]) -> Filter:
    children = tuple(filters)
    for child in children:
        if not isinstance(child, Filter):
            raise TypeError(f"{operator} combines Filter objects, not {child!r}")
    if not children:
        raise ValueError(f"{operator} needs at least one Filter")
    return _wrap(_Group(operator, children))


def _parse_keyword(key: str, value: Any) -> _Condition:
    parts = key.split("__")
    lookup = "exact"
    if len(parts) > 1 and parts[-1] in LOOKUPS:
        lookup = parts.pop()
    if not parts or any(not part for part in parts):
        raise ValueError(f"filter keyword {key!r} is not a field name such as 'label__contains'")
    if lookup == "in":
        if isinstance(value, str | bytes) or not isinstance(value, Iterable):
            raise ValueError(f"filter {key}={value!r} needs a list of values, such as [1, 2]")
        values = tuple(_filter_value(key, item) for item in value)
        return _Condition(tuple(parts), lookup, values)
    if isinstance(value, list | tuple | set | frozenset):
        raise ValueError(
            f"filter {key}={value!r} takes one value; "
            f"use {parts[0]}__in=[...] to match any of several"
        )
    return _Condition(tuple(parts), lookup, _filter_value(key, value))


def _filter_value(key: str, value: Any) -> Any:
    filter_value = getattr(value, "_filter_value", None)
    if callable(filter_value):
        return filter_value()
    if isinstance(value, datetime):
        return format_timestamp(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if value is None or isinstance(value, bool | int | float | str):
        return value
    raise ValueError(
        f"filter {key}={value!r} has an unsupported value type {type(value).__name__}: "
        "pass a string, number, boolean, datetime or API object"
    )


def _field_name(path: tuple[str, ...], aliases: Mapping[str, str]) -> str:
    return ".".join(aliases.get(part, part) for part in path)


def _render(node_filter: Filter, aliases: Mapping[str, str]) -> dict[str, Any] | MatchNothing:
    node = node_filter._node
    if isinstance(node, _Raw):
        return dict(node.tree)
    if isinstance(node, _Condition):
        field = _field_name(node.path, aliases)
        if node.lookup == "exact":
            return {field: node.value}
        if node.lookup == "in":
            if not node.value:
                return MATCH_NOTHING
            if len(node.value) == 1:
                return {field: node.value[0]}
            return {"+or": [{field: item} for item in node.value]}
        return {field: {OPERATORS[node.lookup]: node.value}}

    rendered = [_render(child, aliases) for child in node.children]
    if node.operator == "+and":
        if any(part is MATCH_NOTHING for part in rendered):
            return MATCH_NOTHING
        trees = [part for part in rendered if isinstance(part, dict)]
        return _merge_and(trees)
    trees = [part for part in rendered if isinstance(part, dict)]
    if not trees:
        return MATCH_NOTHING
    if len(trees) == 1:
        return trees[0]
    return {"+or": trees}


def _merge_and(trees: list[dict[str, Any]]) -> dict[str, Any]:
    """AND the trees: one dict when their keys differ, otherwise an explicit `+and`."""
    if len(trees) == 1:
        return trees[0]
    merged: dict[str, Any] = {}
    for tree in trees:
        if any(key in merged for key in tree):
            return {"+and": trees}
        merged.update(tree)
    return merged


def build_x_filter(
    conditions: Iterable[Filter] = (),
    keywords: Mapping[str, Any] | None = None,
    *,
    order_by: str | None = None,
    order: str | None = None,
    aliases: Mapping[str, str] | None = None,
) -> dict[str, Any] | MatchNothing | None:
    """Build the X-Filter value for a list call.

    Returns None when there is nothing to filter or sort on, and MATCH_NOTHING
    when no object can match (the caller then sends no request). `order_by`
    may start with "-" for descending order; `order` is "asc" or "desc".
    """
    aliases = aliases or {}
    filters = list(conditions)
    for item in filters:
        if not isinstance(item, Filter):
            raise TypeError(f"positional filters must be Filter objects, not {item!r}")
    if keywords:
        filters.append(Filter(**keywords))

    tree: dict[str, Any] = {}
    if filters:
        rendered = and_(*filters).render(aliases)
        if isinstance(rendered, MatchNothing):
            return MATCH_NOTHING
        tree = dict(rendered)

    if order is not None and order not in ORDERS:
        raise ValueError(f"order {order!r} must be 'asc' or 'desc'")
    if order_by is not None:
        if not isinstance(order_by, str) or not order_by.strip("-"):
            raise ValueError(f"order_by {order_by!r} must name a field, such as 'created'")
        if order_by.startswith("-"):
            if order == "asc":
                raise ValueError(f"order_by {order_by!r} asks for descending order but order='asc'")
            order_by, order = order_by[1:], "desc"
        if "+order_by" in tree or "+order" in tree:
            raise ValueError(
                "pass sorting either as order_by/order or inside Filter.raw(), not both"
            )
        tree["+order_by"] = _field_name(tuple(order_by.split("__")), aliases)
        tree["+order"] = order or "asc"
    elif order is not None:
        raise ValueError(f"order={order!r} needs order_by, the field to sort on")
    return tree or None
