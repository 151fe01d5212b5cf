"""The local bus's two AWS wire protocols, enough for unmodified boto3 clients.

- EventBridge `PutEvents`: awsJson1.1, `POST /` with `X-Amz-Target: AWSEvents.PutEvents`.
- Lambda `Invoke`: `POST /2015-03-31/functions/{name}/invocations`. `Event` queues an asynchronous
  invocation (202), `RequestResponse` runs the handler now (200, `X-Amz-Function-Error: Unhandled` when it
  raised), `DryRun` answers 204.

Not modelled: X-Amz-Log-Type tail logs, other EventBridge or Lambda operations (answered with
UnknownOperationException).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol
from urllib.parse import parse_qs, unquote

from local.http_service import HttpRequest, HttpResponse
from local.lambda_invoker import AsyncInvoker, TooManyRequestsError

MAX_PUT_EVENTS_ENTRIES = 10
_INVOKE_PREFIX = "/2015-03-31/functions/"
_INVOKE_SUFFIX = "/invocations"
_AWS_JSON = "application/x-amz-json-1.1"


class BusBackend(Protocol):
    """What the protocol layer needs from the bus behind it."""

    @property
    def invoker(self) -> AsyncInvoker: ...

    def put_events(self, entries: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]: ...

    def resolve_function(self, name: str) -> bool: ...


def json_error(status: int, error_type: str, message: str, request_id: str, **extra: str) -> HttpResponse:
    # awsJson1.1 and rest-json clients both find the code in x-amzn-ErrorType; __type is the JSON fallback.
    body = {"__type": error_type, "Type": "User", "message": message, **extra}
    headers = (("x-amzn-ErrorType", error_type), ("x-amzn-RequestId", request_id))
    return HttpResponse.json(status, body, headers, content_type=_AWS_JSON)


def internal_error() -> HttpResponse:
    return json_error(500, "ServiceException", "Internal error in the local bus", str(uuid.uuid4()))


def put_events(bus: BusBackend, body: bytes, request_id: str) -> HttpResponse:
    try:
        request = json.loads(body or b"{}")
    except ValueError:
        return json_error(400, "SerializationException", "Request body is not valid JSON", request_id)
    entries = request.get("Entries") if isinstance(request, dict) else None
    if not isinstance(entries, list) or not entries or not all(isinstance(e, dict) for e in entries):
        return json_error(
            400, "ValidationException", "Entries must be a non-empty list of objects.", request_id
        )
    if len(entries) > MAX_PUT_EVENTS_ENTRIES:
        return json_error(
            400,
            "ValidationException",
            "1 validation error detected: Value at 'entries' failed to satisfy constraint: "
            "Member must have length less than or equal to 10",
            request_id,
        )
    results = bus.put_events(entries)
    failed = sum(1 for r in results if "ErrorCode" in r)
    document = {"FailedEntryCount": failed, "Entries": results}
    return HttpResponse.json(200, document, {"x-amzn-RequestId": request_id}, content_type=_AWS_JSON)


def invoke(  # noqa: PLR0911 - one return per Lambda Invoke outcome
    bus: BusBackend, name: str, query: str, headers: Mapping[str, str], body: bytes
) -> HttpResponse:
    request_id = str(uuid.uuid4())
    qualifier = parse_qs(query).get("Qualifier", [None])[0]
    if not bus.resolve_function(name) or qualifier not in (None, "$LATEST"):
        return json_error(404, "ResourceNotFoundException", f"Function not found: {name}", request_id)
    try:
        event = json.loads(body) if body.strip() else {}
    except ValueError as exc:
        return json_error(
            400,
            "InvalidRequestContentException",
            f"Could not parse request body into json: {exc}",
            request_id,
        )
    invocation_type = headers.get("x-amz-invocation-type", "RequestResponse")
    if invocation_type == "DryRun":
        return HttpResponse(204, (("x-amzn-RequestId", request_id), ("X-Amz-Executed-Version", "$LATEST")))
    if invocation_type == "Event":
        bus.invoker.submit(event, request_id=request_id)
        return HttpResponse(202, (("x-amzn-RequestId", request_id),))
    if invocation_type != "RequestResponse":
        return json_error(400, "InvalidParameterValueException", "Unsupported InvocationType", request_id)
    try:
        result = bus.invoker.invoke(event)
    except TooManyRequestsError:
        return json_error(
            429,
            "TooManyRequestsException",
            "Rate Exceeded.",
            request_id,
            Reason="ReservedFunctionConcurrentInvocationLimitExceeded",
        )
    out = [("x-amzn-RequestId", result.request_id), ("X-Amz-Executed-Version", "$LATEST")]
    if result.error:
        out.append(("X-Amz-Function-Error", "Unhandled"))
    out.append(("Content-Type", "application/json"))
    return HttpResponse.of(200, out, json.dumps(result.payload).encode())


def bus_handle(bus: BusBackend) -> Callable[[HttpRequest], HttpResponse]:
    """The bus's `handle` for local.http_service: routes a request to PutEvents or Invoke."""

    def handle(request: HttpRequest) -> HttpResponse:
        request_id = str(uuid.uuid4())
        if request.method != "POST":
            return json_error(404, "UnknownOperationException", "Unknown route", request_id)
        headers = request.header_map()
        target = headers.get("x-amz-target", "")
        path = request.path
        if path == "/" and target == "AWSEvents.PutEvents":
            return put_events(bus, request.body, request_id)
        if path == "/" and target:
            operation = target.rsplit(".", 1)[-1]
            return json_error(
                400, "UnknownOperationException", f"{operation} is not supported locally", request_id
            )
        if path.startswith(_INVOKE_PREFIX) and path.endswith(_INVOKE_SUFFIX):
            name = unquote(path[len(_INVOKE_PREFIX) : -len(_INVOKE_SUFFIX)])
            return invoke(bus, name, request.query, headers, request.body)
        return json_error(404, "UnknownOperationException", "Unknown route", request_id)

    return handle
