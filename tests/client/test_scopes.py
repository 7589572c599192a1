"""OAuthScopes: members for each family, parsing, serialising and containment."""

from __future__ import annotations

import pytest

from linode_api import OAuthScopes, Scope, ScopeSet

SPEC_FAMILIES = [
    "account", "domains", "events", "firewall", "images", "ips", "linodes", "lke",
    "longview", "nodebalancers", "object_storage", "stackscripts", "volumes", "vpc",
]  # fmt: skip


def test_every_spec_family_has_a_member() -> None:
    names = {family.name for family in OAuthScopes.families()}
    assert set(SPEC_FAMILIES) <= names
    assert "databases" in names


def test_levels_of_a_family() -> None:
    assert str(OAuthScopes.Linodes.view) == "linodes:read_only"
    assert str(OAuthScopes.Linodes.read_only) == "linodes:read_only"
    assert str(OAuthScopes.Linodes.read_write) == "linodes:read_write"
    assert str(OAuthScopes.Linodes.create) == "linodes:read_write"
    assert str(OAuthScopes.Linodes.delete) == "linodes:read_write"
    assert str(OAuthScopes.Linodes.all) == "linodes:*"
    assert str(OAuthScopes.all) == "*"
    assert str(OAuthScopes.ObjectStorage.view) == "object_storage:read_only"
    assert str(OAuthScopes.VPC.read_write) == "vpc:read_write"


def test_read_write_contains_view() -> None:
    granted = OAuthScopes.parse("linodes:read_write events:read_only")
    assert OAuthScopes.Linodes.view in granted
    assert OAuthScopes.Linodes.read_write in granted
    assert OAuthScopes.Events.view in granted
    assert OAuthScopes.Events.read_write not in granted
    assert OAuthScopes.Images.view not in granted
    assert OAuthScopes.Linodes.all not in granted


def test_star_contains_everything() -> None:
    granted = OAuthScopes.parse("*")
    assert OAuthScopes.Linodes.read_write in granted
    assert Scope("widgets", "read_only") in granted
    assert granted.serialize() == "*"


def test_family_star_contains_its_levels_only() -> None:
    granted = OAuthScopes.parse("linodes:*")
    assert OAuthScopes.Linodes.read_write in granted
    assert OAuthScopes.Linodes.view in granted
    assert OAuthScopes.Volumes.view not in granted


def test_commas_and_spaces_both_parse() -> None:
    expected = {"linodes:read_write", "events:read_only", "images:read_only"}
    for text in (
        "linodes:read_write events:read_only images:read_only",
        "linodes:read_write,events:read_only,images:read_only",
        "linodes:read_write, events:read_only  images:read_only",
    ):
        assert {str(scope) for scope in OAuthScopes.parse(text)} == expected


def test_unknown_families_and_levels_are_kept() -> None:
    granted = OAuthScopes.parse("databases:read_only widgets:read_write linodes:admin")
    assert granted.serialize() == "databases:read_only linodes:admin widgets:read_write"
    assert Scope("widgets", "read_only") in granted
    assert "linodes:admin" in granted
    assert OAuthScopes.Linodes.view not in granted


def test_serialise_round_trip() -> None:
    text = "account:read_only events:read_only linodes:read_write"
    parsed = ScopeSet.parse(text)
    assert parsed.serialize() == text
    assert parsed.serialize(",") == text.replace(" ", ",")
    assert ScopeSet.parse(parsed.serialize(",")) == parsed
    assert OAuthScopes.serialize([OAuthScopes.Linodes.create, OAuthScopes.Events.view]) == (
        "events:read_only linodes:read_write"
    )


def test_string_containment_and_includes_all() -> None:
    granted = OAuthScopes.parse("linodes:read_write,account:read_only")
    assert "linodes:read_only" in granted
    assert granted.includes_all([OAuthScopes.Linodes.view, "account:read_only"])
    assert not granted.includes_all([OAuthScopes.Linodes.view, OAuthScopes.Events.view])


@pytest.mark.parametrize("text", ["linodes", "linodes:", ":read_only", "a b:read_only:x:"])
def test_malformed_scope_rejected(text: str) -> None:
    with pytest.raises(ValueError, match="must look like"):
        Scope.parse(text)


def test_empty_string_is_no_scopes() -> None:
    assert len(OAuthScopes.parse("")) == 0
    assert len(OAuthScopes.parse(None)) == 0
