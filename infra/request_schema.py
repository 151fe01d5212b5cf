"""The gateway's request model, generated from the handler's pydantic body model (no CDK here).

API Gateway validates bodies against JSON Schema draft 4. pydantic emits draft 2020-12 with `$defs`,
`$ref` and `anyOf [..., null]` for optional fields; `draft4_subset` rewrites those into the draft-4
keywords API Gateway accepts and refuses anything it cannot translate, so the gateway and the handler
refuse the same shapes (unknown fields included). Cross-field rules (exactly one of queueId/userId)
stay with the handler, which explains them in its own error body.
"""

from __future__ import annotations

from typing import Any, Final

from escalation.triggers.api_models import EscalationBody

DRAFT4: Final = "http://json-schema.org/draft-04/schema#"
# Keywords carried over as they are; `title` and `default` are documentation only and dropped.
_KEPT: Final = frozenset(
    {
        "type",
        "required",
        "additionalProperties",
        "minLength",
        "maxLength",
        "pattern",
        "enum",
        "minimum",
        "maximum",
        "minItems",
        "maxItems",
        "description",
    }
)
_DROPPED: Final = frozenset({"title", "default"})


def request_schema() -> dict[str, Any]:
    """The draft-4 schema of `POST /escalations` bodies (without `$schema`)."""
    return draft4_subset(EscalationBody.model_json_schema())


def draft4_subset(schema: dict[str, Any]) -> dict[str, Any]:
    return _convert(schema, schema.get("$defs", {}))


def _convert(node: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in node:
        name = str(node["$ref"]).removeprefix("#/$defs/")
        if name not in defs:
            raise ValueError(f"unresolvable $ref {node['$ref']!r}")
        return _convert(defs[name], defs)
    if "anyOf" in node:
        return _nullable(node, defs)
    converted: dict[str, Any] = {}
    for keyword, value in node.items():
        if keyword in _DROPPED or keyword == "$defs":
            continue
        if keyword == "properties":
            converted[keyword] = {name: _convert(sub, defs) for name, sub in value.items()}
        elif keyword == "items":
            converted[keyword] = _convert(value, defs)
        elif keyword in _KEPT:
            converted[keyword] = value
        else:
            raise ValueError(f"JSON Schema keyword {keyword!r} has no draft-4 translation here")
    return converted


def _nullable(node: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    """`anyOf [X, {"type": "null"}]` (pydantic's `X | None`) as X whose type also admits null."""
    branches = node["anyOf"]
    others = [branch for branch in branches if branch != {"type": "null"}]
    if len(branches) != 2 or len(others) != 1:
        raise ValueError(f"only `X | None` unions translate to draft 4, got {branches!r}")
    converted = _convert(others[0], defs)
    kind = converted.get("type")
    if not isinstance(kind, str):
        raise ValueError(f"a nullable schema needs one type, got {kind!r}")
    converted["type"] = [kind, "null"]
    extra = {k: v for k, v in node.items() if k != "anyOf" and k not in _DROPPED}
    return {**converted, **_convert(extra, defs)}
