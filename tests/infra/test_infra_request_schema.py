"""The gateway's request model, generated from the handler's pydantic model, refuses what it refuses."""

from __future__ import annotations

from typing import Any

import pytest
from jsonschema import Draft4Validator  # type: ignore[import-untyped]  # no stubs pinned

from infra.request_schema import DRAFT4, draft4_subset, request_schema

pytestmark = pytest.mark.infra

VALID = {"contactId": "c-1", "reason": "vip"}


def errors(body: dict[str, Any]) -> list[str]:
    validator = Draft4Validator({"$schema": DRAFT4, **request_schema()})
    return [e.message for e in validator.iter_errors(body)]


def test_schema_is_valid_draft_4_without_newer_keywords() -> None:
    schema = request_schema()
    Draft4Validator.check_schema(schema)
    text = repr(schema)
    for keyword in ("$defs", "$ref", "anyOf", "title", "default"):
        assert keyword not in text, keyword


@pytest.mark.parametrize(
    "body",
    [
        VALID,
        {**VALID, "note": "call back", "target": {"queueId": "q-1"}},
        {**VALID, "target": {"userId": "u-1"}},
        {**VALID, "note": None, "target": None},
    ],
)
def test_bodies_the_handler_accepts_pass(body: dict[str, Any]) -> None:
    assert errors(body) == []


@pytest.mark.parametrize(
    "body",
    [
        {**VALID, "priority": "high"},
        {**VALID, "target": {"queueId": "q-1", "extra": 1}},
        {"contactId": "c-1"},
        {**VALID, "contactId": ""},
        {**VALID, "contactId": "c" * 257},
        {**VALID, "reason": "r" * 129},
        {**VALID, "note": "n" * 1025},
        {**VALID, "target": {"queueId": ""}},
        {**VALID, "reason": 7},
    ],
    ids=[
        "unknown field",
        "unknown target field",
        "missing reason",
        "empty contactId",
        "contactId too long",
        "reason too long",
        "note too long",
        "empty queueId",
        "reason not a string",
    ],
)
def test_bodies_the_handler_refuses_fail(body: dict[str, Any]) -> None:
    assert errors(body) != []


def test_lengths_and_closed_objects_survive_the_conversion() -> None:
    schema = request_schema()
    assert schema["additionalProperties"] is False
    assert schema["properties"]["target"]["additionalProperties"] is False
    reason = schema["properties"]["reason"]
    assert (reason["minLength"], reason["maxLength"]) == (1, 128)
    assert schema["properties"]["note"] == {"type": ["string", "null"], "maxLength": 1024}


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "object", "properties": {"a": {"oneOf": [{"type": "string"}, {"type": "integer"}]}}},
        {"type": "object", "properties": {"a": {"anyOf": [{"type": "string"}, {"type": "integer"}]}}},
        {"type": "object", "properties": {"a": {"$ref": "#/$defs/Missing"}}},
    ],
)
def test_untranslatable_schemas_are_refused(schema: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=r"draft-4|draft 4|\$ref"):
        draft4_subset(schema)
