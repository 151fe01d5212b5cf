"""Connect's rest-json wire protocol, driven by botocore's own service model.

Routing, request parsing and output/error serialization (and input validation, in `validation`) all
read the bundled `connect` model, so an unmodified boto3 client and the emulator agree on paths,
member names and types by construction.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qs, unquote

import botocore.session
from botocore.model import (
    ListShape,
    MapShape,
    OperationModel,
    ServiceModel,
    Shape,
    StructureShape,
)

from local.http_service import HttpResponse

from .errors import ConnectError, invalid_request

SERVICE_NAMESPACE = "com.amazonaws.connect"
JSON_CONTENT_TYPE = "application/json"


@lru_cache(maxsize=1)
def service_model() -> ServiceModel:
    """The `connect` model bundled with the installed botocore (loaded once per process)."""
    return botocore.session.get_session().get_service_model("connect")


@dataclass(frozen=True)
class Route:
    operation: OperationModel
    method: str
    pattern: re.Pattern[str]
    labels: tuple[str, ...]
    required_query: tuple[str, ...]
    # More literal characters = more specific; checked first so `/contacts/{Id}/x` beats `/contacts/{Id}/{Y}`.
    specificity: tuple[int, int]


@dataclass(frozen=True)
class RouteMatch:
    operation: OperationModel
    labels: dict[str, str]


_LABEL = re.compile(r"\{([A-Za-z0-9_]+)(\+?)\}")


def _compile_route(operation: OperationModel) -> Route:
    request_uri: str = operation.http["requestUri"]
    path, _, literal_query = request_uri.partition("?")
    regex = ""
    labels: list[str] = []
    literal_chars = 0
    greedy = 0
    position = 0
    for found in _LABEL.finditer(path):
        literal = path[position : found.start()]
        regex += re.escape(literal)
        literal_chars += len(literal)
        labels.append(found.group(1))
        if found.group(2):
            greedy += 1
            regex += f"(?P<{found.group(1)}>.+)"
        else:
            regex += f"(?P<{found.group(1)}>[^/]+)"
        position = found.end()
    regex += re.escape(path[position:])
    literal_chars += len(path) - position
    required_query = tuple(
        part.split("=", 1)[0] for part in literal_query.split("&") if part and "{" not in part
    )
    return Route(
        operation=operation,
        method=operation.http["method"].upper(),
        pattern=re.compile(f"^{regex}/?$" if regex != "/" else "^/$"),
        labels=tuple(labels),
        required_query=required_query,
        specificity=(literal_chars + 10 * len(required_query), -greedy),
    )


@lru_cache(maxsize=1)
def _routes() -> tuple[Route, ...]:
    model = service_model()
    routes = [_compile_route(model.operation_model(name)) for name in model.operation_names]
    return tuple(sorted(routes, key=lambda route: route.specificity, reverse=True))


def match_route(method: str, raw_path: str, query: Mapping[str, list[str]]) -> RouteMatch | None:
    """The Connect operation for this method and (still percent-encoded) path, or None."""
    for route in _routes():
        if route.method != method.upper():
            continue
        found = route.pattern.match(raw_path)
        if found is None or any(key not in query for key in route.required_query):
            continue
        labels = {name: unquote(found.group(name)) for name in route.labels}
        return RouteMatch(operation=route.operation, labels=labels)
    return None


def parse_query(raw_query: str) -> dict[str, list[str]]:
    return parse_qs(raw_query, keep_blank_values=True)


# ---------------------------------------------------------------------------------------------
# Requests


def _scalar_from_text(shape: Shape, text: str) -> Any:
    """A URI/query/header value converted to the member's type; left as text when it does not
    convert, so validation reports the type error instead of this function."""
    kind = shape.type_name
    if kind in ("integer", "long"):
        try:
            return int(text)
        except ValueError:
            return text
    if kind in ("float", "double"):
        try:
            return float(text)
        except ValueError:
            return text
    if kind == "boolean":
        return {"true": True, "false": False}.get(text.lower(), text)
    return text


def _from_wire(shape: Shape, value: Any) -> Any:
    """JSON body value -> Python value keyed by member name (wire names may differ)."""
    if isinstance(shape, StructureShape) and isinstance(value, dict):
        by_wire = {
            member.serialization.get("name", name): (name, member)
            for name, member in shape.members.items()
            if not member.serialization.get("location")
        }
        result: dict[str, Any] = {}
        for wire_name, item in value.items():
            if wire_name in by_wire:  # unknown members are ignored, as the service does
                name, member = by_wire[wire_name]
                result[name] = _from_wire(member, item)
        return result
    if isinstance(shape, ListShape) and isinstance(value, list):
        return [_from_wire(shape.member, item) for item in value]
    if isinstance(shape, MapShape) and isinstance(value, dict):
        return {key: _from_wire(shape.value, item) for key, item in value.items()}
    return value


def _located_value(  # noqa: PLR0911 - one return per location
    member: Shape,
    wire_name: str,
    labels: Mapping[str, str],
    query: Mapping[str, list[str]],
    lower_headers: Mapping[str, str],
) -> Any:
    """A URI, query-string or header member's value, or None when the request does not carry it."""
    location = member.serialization.get("location")
    if location == "uri":
        return _scalar_from_text(member, labels[wire_name]) if wire_name in labels else None
    if location == "querystring":
        if isinstance(member, MapShape):
            return {key: values[-1] for key, values in query.items()}
        if wire_name not in query:
            return None
        if isinstance(member, ListShape):
            return [_scalar_from_text(member.member, item) for item in query[wire_name]]
        return _scalar_from_text(member, query[wire_name][-1])
    if location == "header" and wire_name.lower() in lower_headers:
        return _scalar_from_text(member, lower_headers[wire_name.lower()])
    return None


def parse_request(
    operation: OperationModel,
    labels: Mapping[str, str],
    query: Mapping[str, list[str]],
    headers: Mapping[str, str],
    body: bytes,
) -> dict[str, Any]:
    """The operation's input as boto3 would have passed it (member names, Python values)."""
    shape = operation.input_shape
    if shape is None:
        return {}
    params: dict[str, Any] = {}
    lower_headers = {key.lower(): value for key, value in headers.items()}
    payload_name = shape.serialization.get("payload")
    body_members = False
    for name, member in shape.members.items():
        if member.serialization.get("location") is None:
            body_members = body_members or name != payload_name
            continue
        wire_name = member.serialization.get("name", name)
        value = _located_value(member, wire_name, labels, query, lower_headers)
        if value is not None:
            params[name] = value
    if payload_name is not None and body:
        params[payload_name] = _parse_json(body)
    elif body_members and body.strip():
        document = _parse_json(body)
        if not isinstance(document, dict):
            raise invalid_request("The request body must be a JSON object.")
        params.update(_from_wire(shape, document))
    return params


def _parse_json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise invalid_request(f"The request body is not valid JSON: {error}") from None


# ---------------------------------------------------------------------------------------------
# Responses


def _to_wire(shape: Shape, value: Any) -> Any:
    kind = shape.type_name
    if isinstance(shape, StructureShape):
        out: dict[str, Any] = {}
        for name, member in shape.members.items():
            item = value.get(name)
            if item is None or member.serialization.get("location"):
                continue
            out[member.serialization.get("name", name)] = _to_wire(member, item)
        return out
    if isinstance(shape, ListShape):
        return [_to_wire(shape.member, item) for item in value]
    if isinstance(shape, MapShape):
        return {str(key): _to_wire(shape.value, item) for key, item in value.items()}
    if kind == "timestamp":
        # rest-json bodies carry epoch seconds; keep millisecond precision like the service.
        seconds = value.timestamp() if isinstance(value, datetime) else float(value)
        return round(seconds, 3)
    if kind == "blob" and isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    return value


def serialize_output(operation: OperationModel, result: Mapping[str, Any]) -> HttpResponse:
    shape = operation.output_shape
    headers = {"Content-Type": JSON_CONTENT_TYPE}
    status = 200
    if shape is None:
        return HttpResponse.of(status, headers, b"{}")
    for name, member in shape.members.items():
        location = member.serialization.get("location")
        if result.get(name) is None:
            continue
        if location == "header":
            headers[member.serialization.get("name", name)] = str(result[name])
        elif location == "statusCode":
            status = int(result[name])
    body = json.dumps(_to_wire(shape, result), separators=(",", ":")).encode()
    return HttpResponse.of(status, headers, body)


def error_status(code: str) -> int:
    """The HTTP status the model gives an error code (400 for codes outside the model)."""
    try:
        shape = service_model().shape_for(code)
    except Exception:  # botocore raises NoShapeFoundError for codes outside the model
        return 400
    status: int = shape.metadata.get("error", {}).get("httpStatusCode", 400)
    return status


def serialize_error(error: ConnectError) -> HttpResponse:
    status = error.status if error.status is not None else error_status(error.code)
    body: dict[str, Any] = {"__type": f"{SERVICE_NAMESPACE}#{error.code}", "Message": error.message}
    if error.reason is not None:
        body["Reason"] = error.reason
    headers = {"Content-Type": JSON_CONTENT_TYPE, "x-amzn-ErrorType": error.code}
    return HttpResponse.of(status, headers, json.dumps(body).encode())
