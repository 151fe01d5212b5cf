"""Trigger 1: the agent desktop calls `POST /escalations` (API Gateway REST API, Lambda proxy, v1).

Powertools' APIGatewayRestResolver validates the body against the wire models (api_models.py, which
also generate the OpenAPI document); every error is answered by its handler in api_errors.py.
"""

import json
import os
from http import HTTPStatus
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, CORSConfig, Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.utilities.typing import LambdaContext

from escalation import observability
from escalation.composition import components
from escalation.contract import API_PATH, EnvVar
from escalation.domain.identity import escalation_id
from escalation.domain.model import Caller, EscalationRequest, RequestedTarget, Status, Trigger
from escalation.domain.policy import Refusal, decide_refusal
from escalation.triggers.api_errors import (
    REQUEST_CONTEXT_KEY,
    SEND_JSON,
    UNAUTHENTICATED,
    UNSUPPORTED_MEDIA_TYPE,
    error_response,
    register_error_handlers,
)
from escalation.triggers.api_ledger_routes import register_ledger_routes
from escalation.triggers.api_models import RESPONSES, EscalationBody, EscalationOut

IDEMPOTENCY_HEADER = "Idempotency-Key"
RETRY_AFTER_HEADER = "Retry-After"
# Cognito puts this in an ID token; an access token says "access" and carries no `aud`.
ID_TOKEN_USE = "id"  # noqa: S105 - a claim value, not a secret

# Read here, not in config.py: the resolver is built at import, and only the API needs it.
DESKTOP_ORIGIN = os.environ.get(EnvVar.DESKTOP_ORIGIN, "").strip() or None
CORS = (
    CORSConfig(
        allow_origin=DESKTOP_ORIGIN,
        allow_headers=[IDEMPOTENCY_HEADER],
        # Without it a browser hides Retry-After from the desktop's code.
        expose_headers=[RETRY_AFTER_HEADER],
        max_age=600,
    )
    if DESKTOP_ORIGIN
    else None
)
app = APIGatewayRestResolver(enable_validation=True, cors=CORS)
register_error_handlers(app)


def _caller() -> Caller | None:
    """The caller named by a Cognito ID token issued to one of the configured app clients, else None."""
    claims = app.current_event.request_context.authorizer.claims or {}
    settings = components().settings
    if claims.get("token_use") != ID_TOKEN_USE or claims.get("aud") not in settings.caller_client_ids:
        return None
    username = claims.get("cognito:username") or claims.get("username") or claims.get("sub")
    if not username:
        return None
    return Caller(
        username=str(username),
        connect_user_id=claims.get(settings.caller_user_id_claim),
        groups=_groups(claims),
    )


def _groups(claims: dict[str, Any]) -> frozenset[str]:
    # API Gateway hands Cognito's groups over as a list, "a,b" or "[a b]" depending on the path taken.
    raw = claims.get("cognito:groups", "")
    if isinstance(raw, list):
        return frozenset(str(group) for group in raw)
    return frozenset(part for part in str(raw).strip("[]").replace(",", " ").split() if part)


def _request(body: EscalationBody, caller: Caller) -> EscalationRequest:
    key = app.current_event.headers.get(IDEMPOTENCY_HEADER) or app.current_event.headers.get(
        IDEMPOTENCY_HEADER.lower()
    )
    target = RequestedTarget(body.target.queueId, body.target.userId) if body.target else None
    return EscalationRequest(
        trigger=Trigger.API,
        escalation_id=escalation_id(
            components().settings.connect_instance_id, body.contactId, body.reason, (key or "")[:256] or None
        ),
        contact_id=body.contactId,
        reason=body.reason,
        requested_target=target,
        note=body.note,
        caller=caller,
    )


@app.post(
    API_PATH,
    summary="Escalate a contact",
    description="Moves a TASK or EMAIL contact to the queue or agent the routing rules pick.",
    responses=RESPONSES,
)
def post_escalation(body: Annotated[EscalationBody, Body()]) -> Response[Any]:
    observability.count_requested(Trigger.API)
    caller = _caller()
    if caller is None:
        observability.count_refused()
        return error_response(UNAUTHENTICATED, "no caller identity in the request")
    request = _request(body, caller)
    observability.logger.append_keys(escalation_id=request.escalation_id)
    app.context[REQUEST_CONTEXT_KEY] = request  # the error handlers' subject
    result = components().service.escalate(request)
    if result.status is Status.SKIPPED:
        # The first result of this escalation id was a breach event for a contact already ended.
        observability.count_refused()
        return error_response(
            decide_refusal(Refusal.CONTACT_ENDED).api, "the contact has ended; only active contacts transfer"
        )
    observability.count_result(result.status, replayed=result.replayed)
    return Response(
        status_code=HTTPStatus.OK,
        content_type=content_types.APPLICATION_JSON,
        body=EscalationOut.model_validate(result.to_dict()).model_dump(mode="json"),
    )


register_ledger_routes(app, _caller)


def _declared_media_type(event: dict[str, Any]) -> str:
    headers = event.get("headers") or {}
    if not isinstance(headers, dict):
        return ""
    value = next((v for k, v in headers.items() if str(k).lower() == "content-type"), "")
    return str(value).split(";", 1)[0].strip().lower()


def handle(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    observability.logger.set_correlation_id(event["requestContext"].get("requestId"))
    media_type = _declared_media_type(event)
    if media_type and media_type != "application/json":
        # Refused before Powertools parses the body: it also reads form and multipart bodies, and
        # a malformed one of those raises plain ValueErrors that would look like our own bugs.
        observability.count_refused()
        headers = {"Content-Type": "application/json"}
        if DESKTOP_ORIGIN:
            headers["Access-Control-Allow-Origin"] = DESKTOP_ORIGIN
        return {
            "statusCode": UNSUPPORTED_MEDIA_TYPE.status,
            "headers": headers,
            "multiValueHeaders": {},
            "body": json.dumps({"error": UNSUPPORTED_MEDIA_TYPE.code, "message": SEND_JSON}),
            "isBase64Encoded": False,
        }
    return app.resolve(event, context)
