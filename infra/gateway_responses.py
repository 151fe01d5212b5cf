"""The answers API Gateway gives itself, before the Lambda runs, in the API's own error shape.

Without these, the gateway answers `{"message": "Unauthorized"}` and the like. Plain data (no CDK) so
the local API can give the same answers. Codes follow the API's error table (docs/api.md).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Final

# API Gateway's JSON-quoted, JSON-escaped error message (`$context.error.message` is neither).
GATEWAY_MESSAGE: Final = "$context.error.messageString"

# The stage's throttle, past which the gateway answers THROTTLED. Supervisors and agents click; this is
# far above human rates and far below what would exhaust the Lambda's reserved concurrency for long.
THROTTLE_RATE: Final = 10
THROTTLE_BURST: Final = 20
# The answer headers the desktop may read cross-origin.
CORS_EXPOSE_HEADERS: Final = ["Retry-After"]
# The CORS preflight the stack configures for the desktop's origin (the local API answers the same).
CORS_ALLOW_HEADERS: Final = ["Authorization", "Content-Type", "Idempotency-Key"]  # besides the simple ones
CORS_ALLOW_METHODS: Final = ["GET", "POST", "OPTIONS"]
CORS_MAX_AGE_SECONDS: Final = 3600


@dataclass(frozen=True)
class GatewayAnswer:
    """One gateway response: its `ResponseType`, the status it sets (None: keep the gateway's own),
    the error code, a fixed message (None: the gateway's message), and a Retry-After in seconds."""

    response_type: str
    status: int | None
    code: str
    message: str | None = None
    retry_after: int | None = None

    def body_template(self) -> str:
        """The mapping template API Gateway renders into the body `{"error": CODE, "message": ...}`."""
        code = json.dumps(self.code)
        message = json.dumps(self.message) if self.message is not None else GATEWAY_MESSAGE
        return f'{{"error": {code}, "message": {message}}}'


GATEWAY_ANSWERS: Final[tuple[GatewayAnswer, ...]] = (
    GatewayAnswer(
        "BAD_REQUEST_BODY",
        400,
        "INVALID_BODY",
        "The body breaks the request schema: see the API's field table (unknown fields are refused).",
    ),
    # A required query or path parameter is missing; the gateway's message names it.
    GatewayAnswer("BAD_REQUEST_PARAMETERS", 400, "INVALID_PARAMETERS"),
    GatewayAnswer(
        "UNAUTHORIZED", 401, "UNAUTHENTICATED", "Send a valid Cognito ID token: Authorization: Bearer ..."
    ),
    GatewayAnswer("ACCESS_DENIED", 403, "FORBIDDEN", "The caller may not call this API."),
    GatewayAnswer("THROTTLED", 429, "THROTTLED", "Too many requests to the API; retry later.", retry_after=1),
    GatewayAnswer(
        "REQUEST_TOO_LARGE", 413, "PAYLOAD_TOO_LARGE", "The request is larger than the API accepts."
    ),
    # Every other gateway refusal (unknown route, missing token on an unknown method, ...) keeps its
    # status and the gateway's message.
    GatewayAnswer("DEFAULT_4XX", None, "REQUEST_REFUSED"),
    GatewayAnswer("DEFAULT_5XX", None, "GATEWAY_ERROR"),
)


def gateway_answer(response_type: str) -> GatewayAnswer:
    """The customised answer for a response type; DEFAULT_4XX/DEFAULT_5XX for types not listed."""
    for answer in GATEWAY_ANSWERS:
        if answer.response_type == response_type:
            return answer
    raise KeyError(response_type)


def answer_headers(answer: GatewayAnswer, desktop_origin: str | None) -> dict[str, str]:
    """The headers a gateway response adds, as plain values (CloudFormation takes them single-quoted).
    With a desktop origin they make the answer readable cross-origin; otherwise the desktop sees an
    opaque network error instead of the 401 or 400."""
    cors = (
        {
            "Access-Control-Allow-Origin": desktop_origin,
            "Access-Control-Expose-Headers": ",".join(CORS_EXPOSE_HEADERS),
            "Vary": "Origin",
        }
        if desktop_origin
        else {}
    )
    retry = {"Retry-After": str(answer.retry_after)} if answer.retry_after else {}
    return {**cors, **retry}
