"""Claim mapping: which Zona units and roles the identity provider's claims give a person.

A rule names a claim (a dotted path reaches into objects: ``realm_access.roles``), the value
it must hold (a claim holding a list matches when any element is that value) and the unit
code and role it gives. Without ``value`` any value matches; a unit of ``"{value}"`` is the
claim's own value (an organisation code that *is* the Zona unit code: one rule for a
thousand units). Pure: the service reads the YAML file and looks the unit codes up.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

VALUE_PLACEHOLDER = "{value}"


@dataclass(frozen=True)
class Rule:
    claim: str
    unit: str
    role: str
    value: str | None = None  # None: any value


def claim_values(claims: Mapping[str, Any], path: str) -> list[str]:
    """The claim's values as text (a list's elements, a single value as one), or none."""
    current: Any = claims
    for part in path.split("."):
        if not isinstance(current, Mapping) or part not in current:
            return []
        current = current[part]
    items = current if isinstance(current, list | tuple) else [current]
    values = []
    for item in items:
        if isinstance(item, bool) or item is None or isinstance(item, dict | list):
            continue  # only plain text and numbers name a group or an organisation
        text = str(item).strip()
        if text:
            values.append(text)
    return values


def grants(rules: Iterable[Rule], claims: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(unit code, role) pairs the claims give, each once, in the order of the rules."""
    found: list[tuple[str, str]] = []
    for rule in rules:
        for value in claim_values(claims, rule.claim):
            if rule.value is not None and value != rule.value:
                continue
            unit = value if rule.unit == VALUE_PLACEHOLDER else rule.unit
            pair = (unit, rule.role)
            if pair not in found:
                found.append(pair)
    return found
