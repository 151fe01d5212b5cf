"""API Gateway's own part in front of the handler, as the deployed REST API has it: the payload limit,
the request model (infra.request_schema), the stage throttle, and the answers the gateway gives
itself, shaped by the stack's gateway responses (infra.gateway_responses)."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any, Final

from jsonschema import Draft4Validator  # type: ignore[import-untyped]  # no stubs pinned

from infra.gateway_responses import (
    CORS_ALLOW_HEADERS,
    CORS_ALLOW_METHODS,
    CORS_MAX_AGE_SECONDS,
    GATEWAY_MESSAGE,
    answer_headers,
    gateway_answer,
)
from infra.request_schema import request_schema
from local.connect_emulator.quota import RateQuota
from local.http_service import HttpResponse

MAX_PAYLOAD_BYTES: Final = 10 * 1024 * 1024  # API Gateway's payload limit (10 MB)
_JSON_MEDIA_TYPE: Final = "application/json"
_STAGE: Final = "stage"


@dataclass(frozen=True)
class GatewayRefusal:
    """One answer API Gateway gives itself: its gateway-response type, and the status, error type
    (`x-amzn-ErrorType`) and message it has before a gateway response customises it."""

    response_type: str
    status: int
    error_type: str
    message: str


# Statuses, error types and messages as API Gateway answers; the 413's error type and message are not
# documented (assumed here), and the stack's REQUEST_TOO_LARGE response replaces the message anyway.
MISSING_AUTHENTICATION_TOKEN: Final = GatewayRefusal(
    "MISSING_AUTHENTICATION_TOKEN", 403, "MissingAuthenticationTokenException", "Missing Authentication Token"
)
UNAUTHORIZED: Final = GatewayRefusal("UNAUTHORIZED", 401, "UnauthorizedException", "Unauthorized")
BAD_REQUEST_BODY: Final = GatewayRefusal(
    "BAD_REQUEST_BODY", 400, "BadRequestException", "Invalid request body"
)


def missing_parameters(names: list[str]) -> GatewayRefusal:
    """A method's required request parameters absent from the request (the request validator's answer)."""
    return GatewayRefusal(
        "BAD_REQUEST_PARAMETERS",
        400,
        "BadRequestException",
        f"Missing required request parameters: [{', '.join(names)}]",
    )


THROTTLED: Final = GatewayRefusal("THROTTLED", 429, "TooManyRequestsException", "Too Many Requests")
REQUEST_TOO_LARGE: Final = GatewayRefusal(
    "REQUEST_TOO_LARGE", 413, "RequestTooLargeException", "Request Too Long"
)
INTEGRATION_FAILURE: Final = GatewayRefusal(
    "INTEGRATION_FAILURE", 502, "InternalServerErrorException", "Internal server error"
)
INTEGRATION_TIMEOUT: Final = GatewayRefusal(
    "INTEGRATION_TIMEOUT", 504, "IntegrationTimeoutException", "Endpoint request timed out"
)


def malformed_request(message: str) -> GatewayRefusal:
    """A request whose HTTP framing cannot be read (the default 4XX gateway response, status 400)."""
    return GatewayRefusal("DEFAULT_4XX", 400, "BadRequestException", message)


def gateway_response(refusal: GatewayRefusal, desktop_origin: str | None = None) -> HttpResponse:
    """The answer as the stack's gateway responses shape it; a type the stack does not customise
    takes DEFAULT_4XX or DEFAULT_5XX, as API Gateway does."""
    try:
        answer = gateway_answer(refusal.response_type)
    except KeyError:
        answer = gateway_answer("DEFAULT_5XX" if refusal.status >= 500 else "DEFAULT_4XX")
    body = answer.body_template().replace(GATEWAY_MESSAGE, json.dumps(refusal.message))
    headers = (
        ("Content-Type", _JSON_MEDIA_TYPE),
        ("x-amzn-ErrorType", refusal.error_type),
        ("x-amzn-RequestId", str(uuid.uuid4())),
        *answer_headers(answer, desktop_origin).items(),
    )
    return HttpResponse(answer.status or refusal.status, headers, body.encode())


def cors_preflight(desktop_origin: str) -> HttpResponse:
    """The answer to a browser's CORS preflight (OPTIONS) on a route, as the stack's
    `default_cors_preflight_options` has API Gateway give it (a mock integration: no token needed)."""
    headers = (
        ("Access-Control-Allow-Origin", desktop_origin),
        ("Vary", "Origin"),
        ("Access-Control-Allow-Methods", ",".join(CORS_ALLOW_METHODS)),
        ("Access-Control-Allow-Headers", ",".join(CORS_ALLOW_HEADERS)),
        ("Access-Control-Max-Age", str(CORS_MAX_AGE_SECONDS)),
    )
    return HttpResponse(204, headers)


class RequestModel:
    """The method's request model, validated as API Gateway does (JSON Schema draft 4)."""

    def __init__(self, schema: dict[str, Any] | None = None) -> None:
        self._validator = Draft4Validator(schema if schema is not None else request_schema())

    def accepts(self, content_type: str | None, body: bytes) -> bool:
        """Whether the body passes. The model is declared for application/json (what a request without
        Content-Type is taken to be); a body of another media type has no model and is passed on."""
        media_type = (content_type or _JSON_MEDIA_TYPE).split(";", 1)[0].strip().lower()
        if media_type != _JSON_MEDIA_TYPE:
            return True
        try:
            document = json.loads(body)
        except ValueError:  # malformed JSON or not UTF-8
            return False
        return bool(self._validator.is_valid(document))


class StageThrottle:
    """The stage's token bucket: `rate` requests per second, `burst` at once (rate None: no limit)."""

    def __init__(self, rate: float | None, burst: int) -> None:
        self._quota = RateQuota(rate, burst)

    def try_acquire(self) -> bool:
        return self._quota.try_acquire(_STAGE)
