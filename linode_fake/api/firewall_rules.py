"""Validation of a firewall's `rules`: policies, rules, addresses and ports.

A `ports` value is a port, a low-high range, or a comma list of both. Ports
are 1-65535 without leading zeros. A list has at most 15 pieces, and a range
counts as two. Only TCP and UDP rules may name ports.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import re
from typing import Any

from linode_fake.errors import FieldErrors

POLICIES = ("ACCEPT", "DROP")
PROTOCOLS = ("TCP", "UDP", "ICMP", "IPENCAP")
MAX_RULES = 25
MAX_ADDRESSES = 255
MAX_PORT_PIECES = 15
PORT = r"[1-9][0-9]{0,4}"
PORT_ITEM = re.compile(rf"^({PORT})(?:-({PORT}))?$")


def _check_ports(errors: FieldErrors, field: str, ports: str) -> None:
    pieces = 0
    for item in ports.split(","):
        item = item.strip()
        match = PORT_ITEM.match(item)
        if match is None:
            errors.add(field, f"Invalid port or range {item!r}; use e.g. '22', '80-90'")
            return
        low = int(match.group(1))
        high = int(match.group(2) or low)
        if high > 65535 or low > 65535:
            errors.add(field, f"Port {item!r} is out of range; ports are 1-65535")
            return
        if high < low:
            errors.add(field, f"Range {item!r} must run from low to high")
            return
        pieces += 2 if match.group(2) else 1
    if pieces > MAX_PORT_PIECES:
        errors.add(field, f"ports may list at most {MAX_PORT_PIECES} pieces (a range counts 2)")


def _check_addresses(errors: FieldErrors, field: str, addresses: Any) -> None:
    """Check `{"ipv4": [...], "ipv6": [...]}`: CIDR strings of the right family."""
    if not isinstance(addresses, dict) or not (addresses.get("ipv4") or addresses.get("ipv6")):
        errors.add(field, "addresses needs a non-empty ipv4 or ipv6 list")
        return
    total = 0
    for family, version in (("ipv4", 4), ("ipv6", 6)):
        values = addresses.get(family)
        if values is None:
            continue
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            errors.add(f"{field}.{family}", f"{family} must be a list of strings")
            continue
        for value in values:
            try:
                network = ipaddress.ip_network(value, strict=False)
            except ValueError:
                network = None
            if network is None or network.version != version:
                errors.add(f"{field}.{family}", f"{value!r} is not an {family} address or CIDR")
        total += len(values)
    if total > MAX_ADDRESSES:
        errors.add(field, f"at most {MAX_ADDRESSES} addresses per rule")


def _check_rule(errors: FieldErrors, field: str, rule: Any) -> dict[str, Any] | None:
    if not isinstance(rule, dict):
        errors.add(field, "each rule must be an object")
        return None
    checked: dict[str, Any] = {}
    if rule.get("action") not in POLICIES:
        errors.add(f"{field}.action", "action must be 'ACCEPT' or 'DROP'")
    if rule.get("protocol") not in PROTOCOLS:
        errors.add(f"{field}.protocol", f"protocol must be one of {', '.join(PROTOCOLS)}")
    _check_addresses(errors, f"{field}.addresses", rule.get("addresses"))

    ports = rule.get("ports")
    if ports is not None:
        if rule.get("protocol") not in ("TCP", "UDP"):
            errors.add(f"{field}.ports", "ports are allowed only for TCP and UDP rules")
        elif not isinstance(ports, str):
            errors.add(f"{field}.ports", "ports must be a string such as '22, 80-90'")
        else:
            _check_ports(errors, f"{field}.ports", ports)
    label = rule.get("label")
    if label is not None and (not isinstance(label, str) or not 3 <= len(label) <= 32):
        errors.add(f"{field}.label", "label must be 3-32 characters")
    description = rule.get("description")
    if description is not None and (
        not isinstance(description, str) or not 1 <= len(description) <= 100
    ):
        errors.add(f"{field}.description", "description must be 1-100 characters")
    for key in ("action", "protocol", "addresses", "ports", "label", "description"):
        if key in rule:
            checked[key] = rule[key]
    return checked


def check_rules(errors: FieldErrors, rules: Any) -> dict[str, Any]:
    """Check a firewall's `rules` object and return it with `version` and `fingerprint`."""
    if not isinstance(rules, dict):
        errors.add("rules", "rules is required: an object with inbound_policy and outbound_policy")
        return {}
    result: dict[str, Any] = {}
    for policy in ("inbound_policy", "outbound_policy"):
        if rules.get(policy) not in POLICIES:
            errors.add(f"rules.{policy}", f"{policy} must be 'ACCEPT' or 'DROP'")
        result[policy] = rules.get(policy)
    count = 0
    for direction in ("inbound", "outbound"):
        items = rules.get(direction) or []
        if not isinstance(items, list):
            errors.add(f"rules.{direction}", f"{direction} must be a list of rules")
            items = []
        checked = [_check_rule(errors, f"rules.{direction}[{i}]", r) for i, r in enumerate(items)]
        result[direction] = [rule for rule in checked if rule is not None]
        count += len(items)
    if count > MAX_RULES:
        errors.add("rules", f"A firewall may have at most {MAX_RULES} rules in total")
    text = json.dumps(result, sort_keys=True)
    result["fingerprint"] = hashlib.sha256(text.encode()).hexdigest()[:8]
    result["version"] = 1
    return result
