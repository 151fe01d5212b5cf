"""Trigger 1: the agent desktop calls `POST /escalations` (API Gateway REST API, Lambda proxy, v1).

Powertools' APIGatewayRestResolver validates the body against the wire models (api_models.py, which
also generate the OpenAPI document); every error is answered by its handler in api_errors.py.
"""

import json
import os
from http import HTTPStatus
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, CORSConfig, Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Body, Header
from aws_lambda_powertools.utilities.typing import LambdaContext

from escalation import observability
from escalation.composition import components
from escalation.contract import API_PATH, EnvVar
from escalation.domain.errors import ConnectCallFailed, EscalationError, EscalationRefused
from escalation.domain.identity import MAX_IDEMPOTENCY_KEY_LENGTH, request_fingerprint
from escalation.domain.model import (
    NO_CONTROL_CHARACTERS,
    Caller,
    EscalationRequest,
    EscalationResult,
    RequestedTarget,
    Status,
    Trigger,
    has_control_character,
)
from escalation.domain.policy import Refusal, decide_refusal
from escalation.outcomes import Subject
from escalation.triggers import api_guard
from escalation.triggers.api_caller import request_caller
from escalation.triggers.api_errors import (
    INVALID_IDEMPOTENCY_KEY,
    UNAUTHENTICATED,
    connect_failure_response,
    error_response,
    refusal_response,
    register_error_handlers,
    unexpected_response,
)
from escalation.triggers.api_ledger_routes import register_ledger_routes
from escalation.triggers.api_models import RESPONSES, EscalationBody, EscalationOut
from escalation.triggers.api_options import register_options_route

IDEMPOTENCY_HEADER = "Idempotency-Key"
# Counted as Python counts a str: Unicode code points (a non-ASCII character is one, whatever its bytes).
IDEMPOTENCY_KEY_RULE = (
    f"{IDEMPOTENCY_HEADER} is at most {MAX_IDEMPOTENCY_KEY_LENGTH} characters (Unicode code points, "
    "not bytes) and holds no control characters"
)
RETRY_AFTER_HEADER = "Retry-After"

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
# The body is parsed once, by the resolver, with the guard's bounded parser.
app = APIGatewayRestResolver(
    enable_validation=True, cors=CORS, json_body_deserializer=api_guard.parse_json_object
)
register_error_handlers(app)


def _fingerprint(body: EscalationBody, target: RequestedTarget | None) -> str:
    queue_id, user_id = (target.queue_id, target.user_id) if target else (None, None)
    return request_fingerprint(body.contactId, body.reason, queue_id, user_id, body.note)


def _request(body: EscalationBody, caller: Caller, key: str | None) -> EscalationRequest:
    target = RequestedTarget(body.target.queueId, body.target.userId) if body.target else None
    return EscalationRequest(
        trigger=Trigger.API,
        escalation_id=components().escalation_ids.of(body.contactId, body.reason, key),
        contact_id=body.contactId,
        reason=body.reason,
        requested_target=target,
        note=body.note,
        caller=caller,
        fingerprint=_fingerprint(body, target) if key else None,
    )


def _escalate(request: EscalationRequest) -> EscalationResult | Response[Any]:
    """The use case's result, or the answer to its failure (recorded with the request, for a redrive)."""
    subject = Subject.of(request, app.current_event.raw_event)
    try:
        return components().service.escalate(request)
    except EscalationRefused as refused:
        return refusal_response(refused, subject)
    except ConnectCallFailed as failure:
        return connect_failure_response(failure, subject)
    except EscalationError:
        raise  # each answered by its handler (api_errors.register_error_handlers)
    except Exception as error:  # the 500 path: a bug or an unmodelled outage
        return unexpected_response(error, subject)


@app.post(
    API_PATH,
    summary="Escalate a contact",
    description=(
        "Moves a TASK or EMAIL contact to the queue or agent the routing rules pick, or moves a contact "
        "of any channel up where it waits in its queue (an `inQueue` rule)."
    ),
    responses=RESPONSES,
)
def post_escalation(
    body: Annotated[EscalationBody, Body()],
    # Its length is checked below, so that a long key is INVALID_IDEMPOTENCY_KEY, not INVALID_BODY.
    idempotency_key: Annotated[
        str | None,
        Header(
            alias=IDEMPOTENCY_HEADER,
            description=(
                "Makes retries of one request one escalation (IETF Idempotency-Key draft): "
                f"{IDEMPOTENCY_KEY_RULE}; reusing a key for another request is refused."
            ),
            json_schema_extra={"maxLength": MAX_IDEMPOTENCY_KEY_LENGTH, "pattern": NO_CONTROL_CHARACTERS},
        ),
    ] = None,
) -> Response[Any]:
    observability.count_requested(Trigger.API)
    caller = request_caller(app.current_event, components().settings)
    if caller is None:
        observability.count_refused()
        return error_response(UNAUTHENTICATED, "no caller identity in the request")
    key = idempotency_key or None
    if key is not None and (len(key) > MAX_IDEMPOTENCY_KEY_LENGTH or has_control_character(key)):
        observability.count_refused()
        return error_response(INVALID_IDEMPOTENCY_KEY, IDEMPOTENCY_KEY_RULE)
    request = _request(body, caller, key)
    observability.logger.append_keys(escalation_id=request.escalation_id)
    result = _escalate(request)
    if isinstance(result, Response):
        return result
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
        # The result's JSON form, as much of it as EscalationOut declares (its flow id is not answered).
        body={name: value for name, value in result.to_dict().items() if name in EscalationOut.model_fields},
    )


register_ledger_routes(app)
register_options_route(app)


def _refusal(refused: api_guard.Refused) -> dict[str, Any]:
    observability.count_refused()
    headers = {"Content-Type": "application/json"}
    if DESKTOP_ORIGIN:
        headers["Access-Control-Allow-Origin"] = DESKTOP_ORIGIN
    return {
        "statusCode": refused.answer.status,
        "headers": headers,
        "multiValueHeaders": {},
        "body": json.dumps({"error": refused.answer.code, "message": refused.message}),
        "isBase64Encoded": False,
    }


def handle(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    observability.logger.set_correlation_id(event["requestContext"].get("requestId"))
    headers = event.get("headers")
    media_type = api_guard.declared_media_type(headers if isinstance(headers, dict) else {})
    if media_type and media_type != api_guard.JSON_MEDIA_TYPE:
        # Refused before Powertools parses the body: it also reads form and multipart bodies, and
        # a malformed one of those raises plain ValueErrors that would look like our own bugs.
        return _refusal(api_guard.Refused(api_guard.UNSUPPORTED_MEDIA_TYPE, api_guard.SEND_JSON))
    refused = api_guard.check_body(event)
    if refused is not None:
        return _refusal(refused)
    return app.resolve(api_guard.canonical_content_type(event) if media_type else event, context)
