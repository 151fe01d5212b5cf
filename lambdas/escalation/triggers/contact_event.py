"""Trigger 3: Connect's contact events (`aws.connect`, `Amazon Connect Contact Event`) arm and cancel SLA
timers; the warning a timer fires (`escalation.sla`, `Contact SLA Warning`) raises an alert.

Contact events are best-effort, unordered and carry fields of Connect's choosing: unknown fields and
event types are ignored, and an event that cannot be read is logged and dropped (a timer is never
the only thing that decides an escalation). A Scheduler failure raises, so Lambda retries the event.
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
    SLA_BREACH_SOURCE,
    SLA_WARNING_DETAIL_TYPE,
    Metric,
)
from escalation.domain.errors import ConnectCallFailed, EscalationRefused
from escalation.domain.sla import ContactEvent
from escalation.usecases.sla_timers import timer_still_applies

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


class SlaWarningDetail(_Lenient):
    contactId: Text  # noqa: N815
    slaPolicy: Text | None = None  # noqa: N815
    slaSeconds: int | None = None  # noqa: N815
    warnAtPercent: int | None = None  # noqa: N815
    queueId: Text | None = None  # noqa: N815
    channel: Annotated[str, Field(max_length=16)] | None = None
    breachedAt: datetime | None = None  # noqa: N815


class SlaWarningEvent(EventBridgeModel):
    detail: SlaWarningDetail


def is_contact_event(event: dict[str, Any]) -> bool:
    return (
        event.get("source") == CONTACT_EVENT_SOURCE and event.get("detail-type") == CONTACT_EVENT_DETAIL_TYPE
    )


def is_sla_warning(event: dict[str, Any]) -> bool:
    return event.get("source") == SLA_BREACH_SOURCE and event.get("detail-type") == SLA_WARNING_DETAIL_TYPE


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
    changes = service.on_contact_event(parsed.detail.domain())
    observability.count(Metric.SLA_TIMER_ARMED, changes.armed)
    observability.count(Metric.SLA_TIMER_CANCELLED, changes.cancelled)
    return {"status": changes.outcome.value, "armed": changes.armed, "cancelled": changes.cancelled}


def handle_warning(event: dict[str, Any]) -> dict[str, Any]:
    """An alert while the contact still waits: nothing is moved, and a stale warning says nothing."""
    try:
        warning = parse(event=event, model=SlaWarningEvent).detail
    except ValidationError:
        return {"status": "IGNORED", "why": "not a readable SLA warning"}
    try:
        waiting = timer_still_applies(components().contact_center, warning.contactId)
    except (EscalationRefused, ConnectCallFailed):
        waiting = False  # a warning is advice: when Connect cannot confirm it, it is not sent
    if not waiting:
        observability.logger.info("SLA warning for a contact no longer waiting; not sent")
        return {"status": "SKIPPED", "contactId": warning.contactId}
    observability.count(Metric.SLA_WARNING)
    components().alerts.publish(
        f"SLA warning: contact {warning.contactId[:64]}",
        {"kind": "sla-warning", **warning.model_dump(mode="json", exclude_none=True)},
    )
    return {"status": "WARNED", "contactId": warning.contactId}
