"""OAuth scopes: `OAuthScopes` members, parsing, serialising and containment.

A scope is "<family>:<level>" with level `read_only` or `read_write`;
`read_write` includes `read_only`. "<family>:*" grants every level of a
family and "*" grants everything. Scope strings separate scopes with spaces
(the API's documented form) or commas (the form the official library sends).
Families and levels this package does not know are kept as they are.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

LEVELS = ("read_only", "read_write")
_RANK = {"read_only": 1, "read_write": 2, "*": 3}


@dataclass(frozen=True, order=True)
class Scope:
    """One scope, such as `linodes:read_write`; `family` "*" with level "*" is every scope."""

    family: str
    level: str

    @classmethod
    def parse(cls, text: str) -> Scope:
        """Parse "linodes:read_only", "linodes:*" or "*"."""
        text = text.strip()
        if text == "*":
            return cls("*", "*")
        family, separator, level = text.partition(":")
        if not separator or not family or not level or any(c.isspace() for c in text):
            raise ValueError(
                f"OAuth scope {text!r} must look like 'linodes:read_only', 'linodes:*' or '*'"
            )
        return cls(family, level)

    def includes(self, other: Scope) -> bool:
        """Return whether holding this scope grants `other`."""
        if self.family == "*":
            return True
        if self.family != other.family:
            return False
        if self.level == other.level:
            return True
        mine, theirs = _RANK.get(self.level), _RANK.get(other.level)
        return mine is not None and theirs is not None and mine >= theirs

    def __str__(self) -> str:
        return "*" if self.family == "*" else f"{self.family}:{self.level}"


class ScopeFamily:
    """The levels of one scope family: `view`, `read_only`, `read_write`, `create`, `modify`,
    `delete` and `all`.

    `view` is `read_only`; `create`, `modify` and `delete` need `read_write`;
    `all` is "<family>:*".
    """

    def __init__(self, family: str) -> None:
        self.name = family
        self.read_only = Scope(family, "read_only")
        self.read_write = Scope(family, "read_write")
        self.view = self.read_only
        self.create = self.read_write
        self.modify = self.read_write
        self.delete = self.read_write
        self.all = Scope(family, "*")

    def __repr__(self) -> str:
        return f"ScopeFamily({self.name!r})"


class OAuthScopes:
    """Scope families of the Linode API (OpenAPI spec 4.189.0, plus `databases` of 4.173.0).

    Use `OAuthScopes.Linodes.view`, `OAuthScopes.Events.read_only`,
    `OAuthScopes.all`, and `OAuthScopes.parse("linodes:read_write events:read_only")`.
    """

    Account = ScopeFamily("account")
    Databases = ScopeFamily("databases")
    Domains = ScopeFamily("domains")
    Events = ScopeFamily("events")
    Firewall = ScopeFamily("firewall")
    Images = ScopeFamily("images")
    IPs = ScopeFamily("ips")
    Linodes = ScopeFamily("linodes")
    LKE = ScopeFamily("lke")
    Longview = ScopeFamily("longview")
    NodeBalancers = ScopeFamily("nodebalancers")
    ObjectStorage = ScopeFamily("object_storage")
    StackScripts = ScopeFamily("stackscripts")
    Volumes = ScopeFamily("volumes")
    VPC = ScopeFamily("vpc")

    all = Scope("*", "*")

    @staticmethod
    def families() -> list[ScopeFamily]:
        """Return every family listed above."""
        return [value for value in vars(OAuthScopes).values() if isinstance(value, ScopeFamily)]

    @staticmethod
    def parse(text: str | Iterable[str | Scope] | None) -> ScopeSet:
        """Parse a scope string (comma- or space-separated) or a list of scopes."""
        return ScopeSet.parse(text)

    @staticmethod
    def serialize(scopes: Iterable[Scope | str], separator: str = " ") -> str:
        """Write scopes as one string, space-separated unless `separator` is given."""
        return ScopeSet.parse(list(scopes)).serialize(separator)


class ScopeSet:
    """An immutable set of scopes whose `scope in scopes` test applies levels.

    `OAuthScopes.Linodes.view in OAuthScopes.parse("linodes:read_write")` is True.
    """

    __slots__ = ("_scopes",)

    def __init__(self, scopes: Iterable[Scope] = ()) -> None:
        self._scopes = frozenset(scopes)

    @classmethod
    def parse(cls, text: str | Iterable[str | Scope] | None) -> ScopeSet:
        """Parse "a:read_only b:read_write", "a:read_only,b:read_write" or a list."""
        if text is None:
            return cls()
        if isinstance(text, ScopeSet):
            return text
        items: list[str | Scope] = (
            [part for part in re.split(r"[\s,]+", text) if part]
            if isinstance(text, str)
            else list(text)
        )
        return cls(item if isinstance(item, Scope) else Scope.parse(item) for item in items)

    def __contains__(self, item: object) -> bool:
        if isinstance(item, str):
            item = Scope.parse(item)
        if not isinstance(item, Scope):
            return False
        return any(scope.includes(item) for scope in self._scopes)

    def includes_all(self, scopes: Iterable[Scope | str]) -> bool:
        """Return whether every scope in `scopes` is granted."""
        return all(scope in self for scope in scopes)

    def __iter__(self) -> Iterator[Scope]:
        return iter(sorted(self._scopes))

    def __len__(self) -> int:
        return len(self._scopes)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, ScopeSet):
            return self._scopes == other._scopes
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._scopes)

    def __or__(self, other: ScopeSet) -> ScopeSet:
        return ScopeSet(self._scopes | other._scopes)

    def serialize(self, separator: str = " ") -> str:
        """Write the scopes as one string; "*" alone when every scope is granted."""
        if Scope("*", "*") in self._scopes:
            return "*"
        return separator.join(str(scope) for scope in self)

    def __str__(self) -> str:
        return self.serialize()

    def __repr__(self) -> str:
        return f"ScopeSet({self.serialize()!r})"
