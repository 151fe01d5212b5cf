"""Trigger 1: the agent desktop calls `POST /escalations` (API Gateway REST API, Lambda proxy, v1).

Powertools' APIGatewayRestResolver validates the body against the pydantic models (and generates the
OpenAPI document from them); exception handlers turn every outcome into a JSON answer
`{"error": CODE, "message": ...}` — 4xx for anything the caller can fix, never a 5xx for bad input.
"""

import json
import os
import re
from http import HTTPStatus
from typing import Annotated, Any, Literal, Self

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, CORSConfig, Response, content_types
from aws_lambda_powertools.event_handler.exceptions import ServiceError
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ConfigDict, Field, model_validator

from escalation import observability
from escalation.composition import components
from escalation.contract import API_PATH, EnvVar
from escalation.domain.errors import (
    ConnectCallFailed,
    EscalationError,
    EscalationInProgress,
    EscalationRefused,
)
from escalation.domain.identity import escalation_id
from escalation.domain.model import Caller, EscalationRequest, RequestedTarget, Status, Trigger
from escalation.domain.policy import Decision, Failure, Refusal
from escalation.outcomes import Subject

IDEMPOTENCY_HEADER = "Idempotency-Key"
UNSUPPORTED_MEDIA_TYPE = "UNSUPPORTED_MEDIA_TYPE"
SEND_JSON = "send the body as application/json"
RETRY_AFTER_SECONDS = {"throttled": 2, "unavailable": 5, "in_progress": 2}


class TargetChoice(BaseModel):
    model_config = ConfigDict(extra="forbid")
    queueId: Annotated[str, Field(min_length=1, max_length=256)] | None = None  # noqa: N815 - wire name
    userId: Annotated[str, Field(min_length=1, max_length=256)] | None = None  # noqa: N815 - wire name

    @model_validator(mode="after")
    def _exactly_one(self) -> Self:
        if (self.queueId is None) == (self.userId is None):
            raise ValueError("target names exactly one of queueId or userId")
        return self


class EscalationBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    contactId: Annotated[str, Field(min_length=1, max_length=256)]  # noqa: N815 - wire name
    reason: Annotated[str, Field(min_length=1, max_length=128)]
    target: TargetChoice | None = None
    note: Annotated[str, Field(max_length=1024)] | None = None


class TargetOut(BaseModel):
    type: Literal["QUEUE", "AGENT"]
    id: str


class EscalationOut(BaseModel):
    escalationId: str  # noqa: N815 - wire name
    status: Literal["TRANSFERRED", "ALREADY_TRANSFERRED"]
    contactId: str  # noqa: N815
    newContactId: str | None  # noqa: N815
    newContactArn: str | None  # noqa: N815
    target: TargetOut | None
    level: int
    fellBackToQueue: bool  # noqa: N815


class ErrorOut(BaseModel):
    error: str
    message: str


_ERROR_RESPONSES: dict[int, Any] = {
    status: {"description": text, "content": {"application/json": {"schema": ErrorOut.model_json_schema()}}}
    for status, text in (
        (400, "The body is not valid JSON or breaks the schema"),
        (401, "No caller identity (the authorizer passed no claims)"),
        (403, "The caller may not escalate this contact"),
        (404, "No such contact"),
        (409, "Not transferable: channel, ended, transfer limit, agent unavailable, or in progress"),
        (415, "The body is not application/json"),
        (422, "The routing rules allow no target for this request"),
        (429, "Connect throttled past the retry budget; retry after Retry-After seconds"),
        (502, "Connect refused for a reason an operator must fix; the escalation is dead-lettered"),
        (503, "Connect or the idempotency store is unavailable; retry after Retry-After seconds"),
    )
}


# Read here, not in config.py: the resolver is built at import, and only the API needs it.
DESKTOP_ORIGIN = os.environ.get(EnvVar.DESKTOP_ORIGIN, "").strip() or None
CORS = (
    CORSConfig(allow_origin=DESKTOP_ORIGIN, allow_headers=[IDEMPOTENCY_HEADER], max_age=600)
    if DESKTOP_ORIGIN
    else None
)
app = APIGatewayRestResolver(enable_validation=True, cors=CORS)


def _error(status: int, code: str, message: str, retry_after: int | None = None) -> Response[dict[str, str]]:
    headers = {"Retry-After": str(retry_after)} if retry_after else None
    return Response(
        status_code=status,
        content_type=content_types.APPLICATION_JSON,
        body={"error": code, "message": message},
        headers=headers,
    )


def _caller() -> Caller | None:
    claims = app.current_event.request_context.authorizer.claims or {}
    username = claims.get("cognito:username") or claims.get("username") or claims.get("sub")
    if not username:
        return None
    user_id_claim = components().settings.caller_user_id_claim
    return Caller(username=str(username), connect_user_id=claims.get(user_id_claim), groups=_groups(claims))


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
    responses={
        200: {
            "description": "Transferred (or the first result of this escalation again)",
            "content": {"application/json": {"model": EscalationOut}},
        },
        **_ERROR_RESPONSES,
    },
)
def post_escalation(body: Annotated[EscalationBody, Body()]) -> Response[Any]:
    observability.count_requested(Trigger.API)
    caller = _caller()
    if caller is None:
        observability.count_refused()
        return _error(401, "UNAUTHENTICATED", "no caller identity in the request")
    request = _request(body, caller)
    observability.logger.append_keys(escalation_id=request.escalation_id)
    try:
        result = components().service.escalate(request)
    except EscalationError as error:
        return _failure_response(error, request)
    if result.status is Status.SKIPPED:
        # The first result of this escalation id was a breach event for a contact already ended.
        observability.count_refused()
        return _error(
            409, Refusal.CONTACT_ENDED.value, "the contact has ended; only active contacts transfer"
        )
    observability.count_result(result.status, replayed=result.replayed)
    return Response(
        status_code=HTTPStatus.OK,
        content_type=content_types.APPLICATION_JSON,
        body=EscalationOut.model_validate(result.to_dict()).model_dump(mode="json"),
    )


def _failure_response(error: EscalationError, request: EscalationRequest) -> Response[dict[str, str]]:
    recorder = components().outcomes
    event = app.current_event.raw_event
    if isinstance(error, EscalationRefused):
        verdict = recorder.refusal(error, Subject.of(request, event))
        return _error(verdict.http_status, error.refusal.value, error.message)
    if isinstance(error, ConnectCallFailed):
        connect_verdict = recorder.connect_failure(error, Subject.of(request, event))
        if connect_verdict.decision is not Decision.RETRY:
            return _error(connect_verdict.http_status, error.failure.name, connect_verdict.what_to_do)
        throttled = error.failure is Failure.THROTTLED
        return _error(
            connect_verdict.http_status,
            "THROTTLED" if throttled else "UPSTREAM_UNAVAILABLE",
            connect_verdict.what_to_do,
            RETRY_AFTER_SECONDS["throttled" if throttled else "unavailable"],
        )
    if isinstance(error, EscalationInProgress):
        return _error(
            409,
            "ESCALATION_IN_PROGRESS",
            "this escalation is being processed",
            RETRY_AFTER_SECONDS["in_progress"],
        )
    observability.count_decision(Decision.RETRY)
    return _error(
        503,
        "UPSTREAM_UNAVAILABLE",
        "the idempotency store is unavailable; nothing was transferred",
        RETRY_AFTER_SECONDS["unavailable"],
    )


def invalid_body(error: RequestValidationError) -> Response[dict[str, str]]:
    observability.count_refused()
    problems = []
    for detail in error.errors():
        # Keep field names only: list positions and the "body" root say nothing to a desktop developer.
        location = ".".join(p for p in detail.get("loc", ()) if isinstance(p, str) and p != "body")
        problems.append(f"{location or 'body'}: {detail.get('msg') or detail.get('type')}")
    return _error(400, "INVALID_BODY", "; ".join(problems)[:1000] or "invalid request body")


def unsupported_content_type(_exc: RequestUnsupportedContentType) -> Response[dict[str, str]]:
    observability.count_refused()
    return _error(415, UNSUPPORTED_MEDIA_TYPE, SEND_JSON)


def body_not_utf8(_exc: UnicodeDecodeError) -> Response[dict[str, str]]:
    observability.count_refused()
    return _error(400, "INVALID_BODY", "the body is not UTF-8 encoded JSON")


def gateway_error(error: ServiceError) -> Response[dict[str, str]]:
    # Powertools' own HTTP errors (e.g. a method the route does not serve) keep their status.
    code = re.sub(r"(?<!^)(?=[A-Z])", "_", type(error).__name__.removesuffix("Error")).upper() or "ERROR"
    return _error(error.status_code, code, error.msg if isinstance(error.msg, str) else json.dumps(error.msg))


def unexpected(error: Exception) -> Response[dict[str, str]]:
    # A bug or an unmodelled outage: the escalation is kept (DLQ) and a person is told (alert).
    components().outcomes.unexpected(error, Subject(Trigger.API, app.current_event.raw_event))
    return _error(500, "INTERNAL_ERROR", "the escalation could not be processed; it was recorded for replay")


# Registered without decorator syntax: Powertools' decorator is untyped and mypy --strict says so.
app.exception_handler(RequestValidationError)(invalid_body)
app.exception_handler(RequestUnsupportedContentType)(unsupported_content_type)
app.exception_handler(UnicodeDecodeError)(body_not_utf8)
app.exception_handler(ServiceError)(gateway_error)
app.exception_handler(Exception)(unexpected)


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
            "statusCode": 415,
            "headers": headers,
            "multiValueHeaders": {},
            "body": json.dumps({"error": UNSUPPORTED_MEDIA_TYPE, "message": SEND_JSON}),
            "isBase64Encoded": False,
        }
    return app.resolve(event, context)
