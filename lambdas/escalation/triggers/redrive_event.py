"""Trigger 4: tools.redrive replays a recorded API escalation (`{"escalationRedrive": {...}}`).

The dead-letter record kept the validated request and the requester it was authorised for
(domain/recorded_request.py); the redrive verified the record's MAC before invoking. The escalation
runs again as that request, with that requester (checked again against the contact as it is now),
and the ledger records the operator who redrove it. Invoking the function directly needs
lambda:InvokeFunction on it, which only operators hold (README, Security).
"""

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from escalation import observability
from escalation.contract import REDRIVE_EVENT_KEY
from escalation.domain.model import Caller, EscalationRequest, RequestedTarget, Trigger
from escalation.triggers.async_escalation import escalate_for_event
from escalation.triggers.sla_event import refuse_invalid

Text = Annotated[str, Field(min_length=1, max_length=1024)]


class RecordedTarget(BaseModel):
    queueId: Text | None = None  # noqa: N815 - wire name
    userId: Text | None = None  # noqa: N815 - wire name


class RecordedRequester(BaseModel):
    username: Text
    groups: Annotated[list[Text], Field(max_length=100)]
    connectUserId: Text | None = None  # noqa: N815 - wire name


class RecordedRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    escalationId: Text  # noqa: N815 - wire name
    contactId: Annotated[str, Field(min_length=1, max_length=256)]  # noqa: N815
    reason: Annotated[str, Field(min_length=1, max_length=128)]
    target: RecordedTarget | None = None
    note: Annotated[str, Field(max_length=1024)] | None = None
    fingerprint: Text | None = None
    requester: RecordedRequester


class Redrive(BaseModel):
    model_config = ConfigDict(extra="forbid")
    request: RecordedRequest
    operator: Annotated[str, Field(min_length=1, max_length=256)]


def handle(event: dict[str, Any]) -> dict[str, Any]:
    try:
        redrive = Redrive.model_validate(event.get(REDRIVE_EVENT_KEY))
    except ValidationError as error:
        return refuse_invalid(event, f"not a valid redrive: {error.error_count()} problem(s)")
    recorded = redrive.request
    target = recorded.target
    request = EscalationRequest(
        trigger=Trigger.API,
        escalation_id=recorded.escalationId,
        contact_id=recorded.contactId,
        reason=recorded.reason,
        requested_target=RequestedTarget(target.queueId, target.userId) if target else None,
        note=recorded.note,
        caller=Caller(
            username=recorded.requester.username,
            connect_user_id=recorded.requester.connectUserId,
            groups=frozenset(recorded.requester.groups),
        ),
        fingerprint=recorded.fingerprint,
        redriven_by=redrive.operator,
    )
    observability.count_requested(Trigger.API)
    observability.logger.append_keys(escalation_id=request.escalation_id, redrive=True)
    return escalate_for_event(request, event)
