"""The wire models of the ledger's read routes and their OpenAPI response declarations."""

from typing import Any, Literal

from pydantic import BaseModel

from escalation.triggers.api_models import TargetOut, error_response, ok_response


class AttemptOut(BaseModel):
    at: str
    outcome: str
    errorCode: str | None  # noqa: N815 - wire name


class EscalationRecordOut(BaseModel):
    chainId: str  # noqa: N815 - wire name
    escalationId: str  # noqa: N815
    contactId: str  # noqa: N815
    trigger: Literal["API", "EVENT"]
    reason: str
    requester: str
    status: Literal["PENDING", "TRANSFERRED", "PRIORITIZED", "FAILED", "REFUSED", "SKIPPED"]
    level: int | None
    target: TargetOut | None
    targetFlowId: str | None  # noqa: N815
    fellBack: bool  # noqa: N815
    newContactId: str | None  # noqa: N815
    attempts: list[AttemptOut]
    createdAt: str  # noqa: N815
    updatedAt: str  # noqa: N815
    note: str | None
    redrivenBy: str | None = None  # noqa: N815 - the operator whose redrive replayed it from the DLQ


class ChainOut(BaseModel):
    chainId: str  # noqa: N815 - wire name
    escalations: list[EscalationRecordOut]


_COMMON_ERRORS: dict[int, Any] = {
    401: error_response("No caller identity: not an ID token of one of the configured app clients"),
    503: error_response("The ledger or Connect is unavailable; retry after Retry-After seconds"),
}

ESCALATION_RESPONSES: dict[int, Any] = {
    200: ok_response("The escalation", EscalationRecordOut),
    **_COMMON_ERRORS,
    403: error_response(
        "Only a supervisor or the agent who asked for it may read this escalation; an unknown id is "
        "answered the same to anyone but a supervisor"
    ),
    404: error_response("No escalation with this id (ESCALATION_NOT_FOUND; answered to supervisors only)"),
}

CHAIN_RESPONSES: dict[int, Any] = {
    200: ok_response("The escalations of the contact's chain, oldest first", ChainOut),
    **_COMMON_ERRORS,
    403: error_response(
        "Only a supervisor, or the agent now handling this contact (not ended), may read its chain; an "
        "unknown contact is answered the same to anyone but a supervisor"
    ),
    404: error_response("No such contact (CONTACT_NOT_FOUND; answered to supervisors only)"),
    409: error_response("Connect refused DescribeContact as invalid (INVALID_REQUEST)"),
    429: error_response("Connect throttled DescribeContact; retry after Retry-After seconds"),
    502: error_response("Connect refused DescribeContact for a reason an operator must fix"),
}
