"""The wire model of `GET /escalation-options` and its OpenAPI response declarations (pydantic only)."""

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from escalation.triggers.api_models import error_response, ok_response


class QueueRefOut(BaseModel):
    id: str
    name: str | None  # None: Connect could not name it


class NamedTargetOut(BaseModel):
    type: Literal["QUEUE", "AGENT"]
    id: str
    name: str | None  # None: Connect could not name it


class InQueueOut(BaseModel):
    """An escalation in place: the waiting contact moves up its queue."""

    type: Literal["IN_QUEUE"]
    label: str


class BlockedOut(BaseModel):
    error: str  # the code POST /escalations would answer
    message: str


class ReasonOut(BaseModel):
    code: str
    label: str
    destination: Annotated[NamedTargetOut | InQueueOut, Field(discriminator="type")] | None


class EscalationOptionsOut(BaseModel):
    contactId: str  # noqa: N815 - wire name
    channel: Literal["TASK", "EMAIL", "VOICE", "CHAT"]
    queue: QueueRefOut | None
    level: int  # the chain's current level (0: never escalated)
    canEscalate: bool  # noqa: N815
    blockedBy: BlockedOut | None  # noqa: N815
    reasons: list[ReasonOut]
    targets: list[NamedTargetOut]


OPTIONS_RESPONSES: dict[int, Any] = {
    200: ok_response("What the caller can do for this contact now", EscalationOptionsOut),
    400: error_response(
        "INVALID_PARAMETERS: the contactId query parameter is missing, empty or longer than 256 characters"
    ),
    401: error_response("No caller identity: not an ID token of one of the configured app clients"),
    403: error_response(
        "FORBIDDEN: the caller is neither the contact's agent nor a supervisor (whether or not the "
        "contact exists)"
    ),
    404: error_response("CONTACT_NOT_FOUND: no such contact (answered to supervisors only)"),
    409: error_response("INVALID_REQUEST: Connect refused DescribeContact as invalid"),
    429: error_response("THROTTLED: Connect throttled DescribeContact; retry after Retry-After seconds"),
    502: error_response(
        "ACCESS_DENIED or OTHER: Connect refused DescribeContact for a reason an operator must fix"
    ),
    503: error_response(
        "UPSTREAM_UNAVAILABLE: Connect or the ledger is unavailable; retry after Retry-After seconds"
    ),
}
