"""Trigger 3: Connect's contact events (`aws.connect`, `Amazon Connect Contact Event`) arm and cancel SLA
timers (what the timers fire is handled in sla_event.py).

Contact events are best-effort, unordered and carry fields of Connect's choosing: unknown fields and
event types are ignored, and an event that cannot be read is logged and dropped (a timer is never
the only thing that decides an escalation). A Scheduler failure raises, so Lambda retries the event.
A business-clock calendar that cannot be read is decided by the error table (domain/policy.py); a
calendar with no open time within 90 days arms nothing, says so in the log and counts SlaNoBusinessHours.
"""

from datetime import UTC, datetime
from typing import Annotated, Any

from aws_lambda_powertools.utilities.parser import parse
from aws_lambda_powertools.utilities.parser.models import EventBridgeModel
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from escalation import observability
from escalation.composition import components
from escalation.contract import (
    CONTACT_EVENT_DETAIL_TYPE,
    CONTACT_EVENT_SOURCE,
    Metric,
)
from escalation.domain.contact_events import ContactEvent
from escalation.domain.errors import ConnectCallFailed
from escalation.domain.model import Trigger
from escalation.domain.policy import Decision
from escalation.outcomes import Subject
from escalation.usecases.sla_timers import TimerOutcome

Text = Annotated[str, Field(min_length=1, max_length=512)]


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore")


class QueueInfo(_Lenient):
    queueArn: Text | None = None  # noqa: N815 - wire name
    enqueueTimestamp: datetime | None = None  # noqa: N815


class ContactEventDetail(_Lenient):
    eventType: Annotated[str, Field(min_length=1, max_length=64)]  # noqa: N815
    contactId: Text  # noqa: N815
    instanceArn: Text  # noqa: N815
    channel: Annotated[str, Field(max_length=16)] = ""
    previousContactId: Text | None = None  # noqa: N815
    initiationMethod: Annotated[str, Field(max_length=64)] | None = None  # noqa: N815
    queueInfo: QueueInfo | None = None  # noqa: N815

    def domain(self) -> ContactEvent:
        queue = self.queueInfo or QueueInfo()
        enqueued_at = queue.enqueueTimestamp
        if enqueued_at is not None and enqueued_at.tzinfo is None:
            enqueued_at = enqueued_at.replace(tzinfo=UTC)  # Connect's timestamps are UTC
        return ContactEvent(
            event_type=self.eventType.upper(),
            contact_id=self.contactId,
            instance_arn=self.instanceArn,
            channel=self.channel.upper(),
            queue=queue.queueArn,
            enqueued_at=enqueued_at,
            previous_contact_id=self.previousContactId,
            initiation_method=self.initiationMethod,
        )


class ContactEventModel(EventBridgeModel):
    detail: ContactEventDetail


def is_contact_event(event: dict[str, Any]) -> bool:
    return (
        event.get("source") == CONTACT_EVENT_SOURCE and event.get("detail-type") == CONTACT_EVENT_DETAIL_TYPE
    )


def handle(event: dict[str, Any]) -> dict[str, Any]:
    service = components().sla_timers
    if service is None:
        return {"status": "IGNORED", "why": "SLA timers are off"}
    try:
        parsed = parse(event=event, model=ContactEventModel)
    except ValidationError as error:
        observability.logger.warning(
            "Contact event not readable; ignored",
            extra={"errors": error.error_count(), "id": event.get("id")},
        )
        return {"status": "IGNORED", "why": "not a readable contact event"}
    contact_event = parsed.detail.domain()
    try:
        changes = service.on_contact_event(contact_event)
    except ConnectCallFailed as failure:  # the business clock's calendar
        subject = Subject(Trigger.EVENT, event, contact_id=contact_event.contact_id)
        verdict = components().outcomes.connect_failure(failure, subject)
        if verdict.decision is Decision.RETRY:
            raise
        return {"status": verdict.decision.value, "error": failure.error_code}
    if changes.outcome is TimerOutcome.NO_BUSINESS_HOURS:
        observability.logger.warning(
            "No business hours within 90 days of enqueue: no SLA timer armed",
            extra={"contact_id": contact_event.contact_id, "queue": contact_event.queue},
        )
        observability.count(Metric.SLA_NO_BUSINESS_HOURS)
    observability.count(Metric.SLA_TIMER_ARMED, changes.armed)
    observability.count(Metric.SLA_TIMER_CANCELLED, changes.cancelled)
    return {"status": changes.outcome.value, "armed": changes.armed, "cancelled": changes.cancelled}
