"""Input validation against botocore's model, as Connect does it on the server side.

Our own walk over the input shape (rather than `botocore.validate.ParamValidator`) because the
service also enforces `max` lengths and enums, and its messages must not echo values (contact
attributes may hold personal data).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from botocore.model import ListShape, MapShape, OperationModel, Shape, StringShape, StructureShape

from .errors import ConnectError


def _length_errors(shape: Shape, size: int, where: str, unit: str) -> list[str]:
    errors = []
    minimum = shape.metadata.get("min")
    maximum = shape.metadata.get("max")
    if minimum is not None and size < minimum:
        errors.append(f"Value at '{where}' failed to satisfy constraint: {unit} at least {minimum}")
    if maximum is not None and size > maximum:
        errors.append(f"Value at '{where}' failed to satisfy constraint: {unit} at most {maximum}")
    return errors


def _type_error(where: str, expected: str) -> list[str]:
    return [f"Value at '{where}' failed to satisfy constraint: Member must be {expected}"]


def _is_timestamp(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return True
    if isinstance(value, str):
        try:
            datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return False
        return True
    return False


def _validate(shape: Shape, value: Any, where: str) -> list[str]:
    if isinstance(shape, StructureShape):
        return _validate_structure(shape, value, where)
    if isinstance(shape, StringShape):
        return _validate_string(shape, value, where)
    if isinstance(shape, ListShape):
        return _validate_list(shape, value, where)
    if isinstance(shape, MapShape):
        return _validate_map(shape, value, where)
    validate_scalar = _SCALAR_VALIDATORS.get(shape.type_name)
    return validate_scalar(shape, value, where) if validate_scalar is not None else []  # documents: any JSON


def _validate_structure(shape: StructureShape, value: Any, where: str) -> list[str]:
    if not isinstance(value, dict):
        return _type_error(where, "an object")
    prefix = f"{where}." if where else ""
    errors = [
        f"Missing required parameter '{prefix}{name}'"
        for name in shape.required_members
        if value.get(name) is None
    ]
    if shape.is_tagged_union and len([v for v in value.values() if v is not None]) != 1:
        errors.append(f"Exactly one member of '{where}' must be set")
    for name, item in value.items():
        if name in shape.members and item is not None:
            errors += _validate(shape.members[name], item, f"{prefix}{name}")
    return errors


def _validate_string(shape: StringShape, value: Any, where: str) -> list[str]:
    if not isinstance(value, str):
        return _type_error(where, "a string")
    errors = _length_errors(shape, len(value), where, "Member must have length")
    if shape.enum and value not in shape.enum:
        errors.append(
            f"Value at '{where}' failed to satisfy constraint: "
            f"Member must satisfy enum value set: [{', '.join(shape.enum)}]"
        )
    return errors


def _validate_list(shape: ListShape, value: Any, where: str) -> list[str]:
    if not isinstance(value, list):
        return _type_error(where, "a list")
    errors = _length_errors(shape, len(value), where, "Member must have length")
    for index, item in enumerate(value):
        errors += _validate(shape.member, item, f"{where}.{index + 1}.member")
    return errors


def _validate_map(shape: MapShape, value: Any, where: str) -> list[str]:
    if not isinstance(value, dict):
        return _type_error(where, "a map")
    errors = _length_errors(shape, len(value), where, "Member must have length")
    for key, item in value.items():
        errors += _validate(shape.key, key, f"{where}.key")
        errors += _validate(shape.value, item, f"{where}.{key[:40]}")
    return errors


def _validate_integer(shape: Shape, value: Any, where: str) -> list[str]:
    if isinstance(value, bool) or not isinstance(value, int):
        return _type_error(where, "an integer")
    return _length_errors(shape, value, where, "Member must have value")


def _validate_number(shape: Shape, value: Any, where: str) -> list[str]:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return _type_error(where, "a number")
    return _length_errors(shape, int(value), where, "Member must have value")


def _accepting(accepts: Callable[[Any], bool], expected: str) -> Callable[[Shape, Any, str], list[str]]:
    """A validator for a shape without constraints: only the value's type is checked."""

    def validate(shape: Shape, value: Any, where: str) -> list[str]:  # noqa: ARG001 - one signature for all
        return [] if accepts(value) else _type_error(where, expected)

    return validate


_SCALAR_VALIDATORS: dict[str, Callable[[Shape, Any, str], list[str]]] = {
    "integer": _validate_integer,
    "long": _validate_integer,
    "float": _validate_number,
    "double": _validate_number,
    "boolean": _accepting(lambda value: isinstance(value, bool), "a boolean"),
    "timestamp": _accepting(_is_timestamp, "a timestamp"),
    "blob": _accepting(lambda value: isinstance(value, str), "base64 text"),
}


def validate_input(operation: OperationModel, params: Mapping[str, Any]) -> None:
    """Raise the operation's validation error when `params` break the model's constraints.

    InvalidParameterException when the operation models it, otherwise InvalidRequestException
    (an assumption: which of the two Connect returns for schema violations is not documented).
    """
    if operation.input_shape is None:
        return
    errors = _validate(operation.input_shape, dict(params), "")
    if not errors:
        return
    noun = "error" if len(errors) == 1 else "errors"
    message = f"{len(errors)} validation {noun} detected: " + "; ".join(errors)
    modelled = {shape.name for shape in operation.error_shapes}
    code = (
        "InvalidParameterException" if "InvalidParameterException" in modelled else "InvalidRequestException"
    )
    raise ConnectError(code, message)
