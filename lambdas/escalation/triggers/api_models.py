"""The wire models of `POST /escalations` and its OpenAPI response declarations.

Only pydantic, the standard library and pure-Python modules of this package: the CDK app imports
EscalationBody from here to build API Gateway's request model, without Powertools or boto3.
"""

import copy
from typing import Annotated, Any, Final, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from escalation.domain.identity import MAX_IDEMPOTENCY_KEY_LENGTH
from escalation.domain.model import NO_CONTROL_CHARACTERS
from escalation.triggers.api_guard import MAX_BODY_BYTES


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
    reason: Annotated[str, Field(min_length=1, max_length=128, pattern=NO_CONTROL_CHARACTERS)]
    target: TargetChoice | None = None
    note: Annotated[str, Field(max_length=1024)] | None = None


class TransferTargetOut(BaseModel):
    type: Literal["QUEUE", "AGENT"]
    id: str


class InQueuePriorityOut(BaseModel):
    """Moved up where it waits: the queue priority it has now (lower is served first)."""

    type: Literal["IN_QUEUE"]
    priority: int


class InQueueAgeOut(BaseModel):
    """Moved up where it waits: the seconds added to its routing age."""

    type: Literal["IN_QUEUE"]
    ageSeconds: int  # noqa: N815 - wire name


TargetOut = TransferTargetOut | InQueuePriorityOut | InQueueAgeOut


class EscalationOut(BaseModel):
    escalationId: str  # noqa: N815 - wire name
    # PRIORITIZED: moved up in its queue (an `inQueue` rule; no transfer, so no new contact).
    status: Literal["TRANSFERRED", "ALREADY_TRANSFERRED", "PRIORITIZED"]
    contactId: str  # noqa: N815
    newContactId: str | None  # noqa: N815
    newContactArn: str | None  # noqa: N815
    target: TargetOut | None
    level: int
    fellBackToQueue: bool  # noqa: N815


class ErrorOut(BaseModel):
    error: str
    message: str


# Generated once at import: every error response of every route declares it (a cold-start cost).
_ERROR_SCHEMA: Final = ErrorOut.model_json_schema()


def ok_response(text: str, model: type[BaseModel]) -> dict[str, Any]:
    """An OpenAPI response declaration with `text` and a body of `model`."""
    return {"description": text, "content": {"application/json": {"model": model}}}


def error_response(text: str) -> dict[str, Any]:
    """An OpenAPI response declaration with `text` and an ErrorOut body."""
    return {"description": text, "content": {"application/json": {"schema": copy.deepcopy(_ERROR_SCHEMA)}}}


_ERROR_RESPONSES: dict[int, Any] = {
    status: error_response(text)
    for status, text in (
        (
            400,
            "INVALID_BODY: the body is not a JSON object, breaks the schema, nests too deeply or holds a "
            "number too long; INVALID_IDEMPOTENCY_KEY: the Idempotency-Key is longer than "
            f"{MAX_IDEMPOTENCY_KEY_LENGTH} characters",
        ),
        (401, "No caller identity: not an ID token of one of the configured app clients"),
        (
            403,
            "FORBIDDEN: the caller is neither the contact's agent nor a supervisor (whether or not the "
            "contact exists)",
        ),
        (404, "CONTACT_NOT_FOUND: no such contact (answered to supervisors only)"),
        (
            409,
            "Not escalable now: CHANNEL_NOT_SUPPORTED (a voice or chat contact whose rule names a queue or "
            "agent: only an `inQueue` rule moves it), CONTACT_NOT_QUEUED (an in-queue escalation of a "
            "contact no longer waiting), CONTACT_ENDED, TRANSFER_LIMIT_REACHED, AGENT_UNAVAILABLE, "
            "QUOTA_EXCEEDED, INVALID_REQUEST, or ESCALATION_IN_PROGRESS",
        ),
        (413, f"PAYLOAD_TOO_LARGE: the body is larger than {MAX_BODY_BYTES} bytes"),
        (415, "The body is not application/json"),
        (
            422,
            "NO_ROUTE or TARGET_NOT_ALLOWED: the routing rules allow no target for this request "
            "(an ARN must be one of this instance's); IDEMPOTENCY_KEY_REUSED: the Idempotency-Key was "
            "first used for another request",
        ),
        (429, "Connect throttled past the retry budget; retry after Retry-After seconds"),
        (500, "INTERNAL_ERROR: an unexpected fault; the escalation is dead-lettered and an operator alerted"),
        (
            502,
            "Connect refused for a reason an operator must fix (TARGET_NOT_FOUND, ACCESS_DENIED, "
            "INVALID_ACTIVE_REGION, OTHER); the escalation is dead-lettered",
        ),
        (503, "Connect or the idempotency store is unavailable; retry after Retry-After seconds"),
    )
}

# Every answer of `POST /escalations`, as the OpenAPI document declares them.
RESPONSES: dict[int, Any] = {
    200: ok_response(
        "Transferred, or moved up in its queue (PRIORITIZED), or the first result of this escalation again",
        EscalationOut,
    ),
    **_ERROR_RESPONSES,
}
