"""A small EventBridge event-pattern matcher, enough for the rule the stack deploys.

Supported: nested objects; leaf arrays of exact values (strings, numbers, booleans, null), any of which
may match; an event field that is an array matches when any element matches; the content filters
`{"prefix": "..."}`, `{"equals-ignore-case": "..."}` (a string equal but for case) and
`{"exists": true|false}`. Any other content filter (anything-but, numeric,
suffix, wildcard, ...) raises ValueError when the pattern is checked, so a pattern this matcher cannot
evaluate faithfully fails loudly instead of matching wrongly.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

_MISSING = object()
_STRING_FILTERS = frozenset({"prefix", "equals-ignore-case"})
_SUPPORTED_FILTERS = _STRING_FILTERS | {"exists"}


def validate_pattern(pattern: Mapping[str, Any]) -> None:
    """Raise ValueError when the pattern uses something this matcher does not implement."""
    if not isinstance(pattern, Mapping) or not pattern:
        raise ValueError("an event pattern is a non-empty JSON object")
    for key, rule in pattern.items():
        if isinstance(rule, Mapping):
            validate_pattern(rule)
        elif isinstance(rule, list):
            if not rule:
                raise ValueError(f"pattern field {key!r} has an empty array")
            for matcher in rule:
                _validate_matcher(key, matcher)
        else:
            raise ValueError(f"pattern field {key!r} must be an array or an object")


def _validate_matcher(key: str, matcher: Any) -> None:
    if isinstance(matcher, Mapping):
        unknown = set(matcher) - _SUPPORTED_FILTERS
        if unknown or len(matcher) != 1:
            raise ValueError(f"unsupported content filter in {key!r}: {dict(matcher)!r}")
        (name, value), *_ = matcher.items()
        if name in _STRING_FILTERS and not isinstance(value, str):
            raise ValueError(f"{name} in {key!r} takes a string")
    elif isinstance(matcher, list):
        raise ValueError(f"nested array in pattern field {key!r}")


def matches(pattern: Mapping[str, Any], event: Mapping[str, Any]) -> bool:
    """Whether the event matches the pattern (every field in the pattern must match)."""
    for key, rule in pattern.items():
        value = event.get(key, _MISSING)
        if isinstance(rule, Mapping):
            if not isinstance(value, Mapping) or not matches(rule, value):
                return False
        elif not _leaf_matches(rule, value):
            return False
    return True


def _same(expected: Any, actual: Any) -> bool:
    # JSON semantics: true is not 1, but 5 equals 5.0.
    if isinstance(expected, bool) or isinstance(actual, bool):
        return isinstance(expected, bool) and isinstance(actual, bool) and expected is actual
    if isinstance(expected, int | float) and isinstance(actual, int | float):
        return float(expected) == float(actual)
    return type(expected) is type(actual) and bool(expected == actual)


def _leaf_matches(rule: list[Any], value: Any) -> bool:
    candidates: list[Any] = [] if value is _MISSING else value if isinstance(value, list) else [value]
    for matcher in rule:
        if isinstance(matcher, Mapping):
            if "exists" in matcher:
                if bool(matcher["exists"]) == (value is not _MISSING):
                    return True
            elif "equals-ignore-case" in matcher:
                expected = matcher["equals-ignore-case"].casefold()
                if any(isinstance(c, str) and c.casefold() == expected for c in candidates):
                    return True
            elif "prefix" in matcher:
                prefix = matcher["prefix"]
                if any(isinstance(c, str) and c.startswith(prefix) for c in candidates):
                    return True
            else:
                raise ValueError(f"unsupported content filter: {dict(matcher)!r}")
        elif any(_same(matcher, c) for c in candidates):
            return True
    return False
