"""The wire models of `POST /escalations` and its OpenAPI response declarations.

Only pydantic and the standard library: the CDK app imports EscalationBody from here to build API
Gateway's request model, without Powertools or boto3.
"""

from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator


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
        (401, "No caller identity: not an ID token of one of the configured app clients"),
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

# Every answer of `POST /escalations`, as the OpenAPI document declares them.
RESPONSES: dict[int, Any] = {
    200: {
        "description": "Transferred (or the first result of this escalation again)",
        "content": {"application/json": {"model": EscalationOut}},
    },
    **_ERROR_RESPONSES,
}
