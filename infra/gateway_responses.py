"""The answers API Gateway gives itself, before the Lambda runs, in the API's own error shape.

Without these, the gateway answers `{"message": "Unauthorized"}` and the like. Plain data (no CDK) so
the local API can give the same answers. Codes follow the README's error table.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Final

# API Gateway's JSON-quoted, JSON-escaped error message (`$context.error.message` is neither).
GATEWAY_MESSAGE: Final = "$context.error.messageString"


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
