"""Trigger 2: an SLA-breach event on EventBridge (`source: escalation.sla`, `Contact SLA Breached`), and
the warning an SLA timer fires (`Contact SLA Warning`), which raises an alert and moves nothing.

Lambda invokes this asynchronously. What the handler returns ends the event; what it raises makes
Lambda retry it (twice) and then hand it to the on-failure destination, the DLQ. So: bad input and
permanent failures are dead-lettered here with a reason and return; only a RETRY decision raises
(triggers/async_escalation.py, shared with the redrive).
"""

import json
from typing import Any, Self

from aws_lambda_powertools.utilities.parser import parse
from aws_lambda_powertools.utilities.parser.models import EventBridgeModel
from pydantic import ValidationError, model_validator

from escalation import observability
from escalation.composition import components
from escalation.contract import SLA_BREACH_DETAIL_TYPE, SLA_BREACH_SOURCE, SLA_WARNING_DETAIL_TYPE, Metric
from escalation.domain.errors import (
    ConnectCallFailed,
    EscalationRefused,
    IdempotencyStoreUnavailable,
    OutcomeNotRecorded,
)
from escalation.domain.model import EscalationRequest, EscalationResult, Trigger
from escalation.domain.policy import Decision, Refusal
from escalation.domain.timer_events import BusinessTimer, SlaBreachDetail, SlaWarningDetail
from escalation.outcomes import Subject
from escalation.triggers.async_escalation import RetryLater, escalate_for_event, retry_later
from escalation.usecases.sla_timers import timer_still_applies

# A breach event is a few hundred bytes; one larger than this is refused unread, and its dead-letter
# record holds its size instead of its content (EventBridge itself takes up to 256 KiB).
MAX_EVENT_BYTES = 64 * 1024


class SlaBreachEvent(EventBridgeModel):
    detail: SlaBreachDetail

    @model_validator(mode="after")
    def _is_sla_breach(self) -> Self:
        if self.source != SLA_BREACH_SOURCE or self.detail_type != SLA_BREACH_DETAIL_TYPE:
            raise ValueError(
                f"expected source {SLA_BREACH_SOURCE!r} and detail-type {SLA_BREACH_DETAIL_TYPE!r}"
            )
        return self


class SlaWarningEvent(EventBridgeModel):
    detail: SlaWarningDetail


def is_sla_warning(event: dict[str, Any]) -> bool:
    return event.get("source") == SLA_BREACH_SOURCE and event.get("detail-type") == SLA_WARNING_DETAIL_TYPE


def is_eventbridge_event(event: dict[str, Any]) -> bool:
    return "detail-type" in event and "source" in event


def _contact_id_hint(event: dict[str, Any]) -> str | None:
    detail = event.get("detail")
    value = detail.get("contactId") if isinstance(detail, dict) else None
    return value[:256] if isinstance(value, str) else None


def refuse_invalid(event: dict[str, Any], why: str) -> dict[str, Any]:
    """Dead-letter an event we cannot act on, with the reason; retrying would not help."""
    observability.count_requested(Trigger.EVENT)
    components().outcomes.refusal(
        EscalationRefused(Refusal.INVALID_EVENT, why),
        Subject(Trigger.EVENT, event, contact_id=_contact_id_hint(event)),
    )
    return {"status": "REFUSED", "error": Refusal.INVALID_EVENT.value}


def _size_problem(event: dict[str, Any]) -> str | None:
    """Why the event is refused unread (too large, or nested too deeply to serialise), else None."""
    try:
        size = len(json.dumps(event, default=str).encode("utf-8", "surrogatepass"))
    except (RecursionError, ValueError):
        return "the event is nested too deeply or holds a number too long to read"
    if size > MAX_EVENT_BYTES:
        return f"the event is {size} bytes; breach events are at most {MAX_EVENT_BYTES} bytes"
    return None


def _unread(event: dict[str, Any]) -> dict[str, Any]:
    """What a dead-letter record keeps of an event refused unread: where it came from, not its content."""
    return {key: str(event.get(key))[:256] for key in ("id", "source", "detail-type", "time") if key in event}


def _summarise(error: ValidationError) -> str:
    problems = []
    for detail in error.errors(include_url=False, include_input=False):
        location = ".".join(str(part) for part in detail["loc"])
        problems.append(f"{location}: {detail['msg']}")
    return "not a valid SLA-breach event: " + "; ".join(problems)[:900]


def handle(event: dict[str, Any]) -> dict[str, Any]:
    try:
        return _handle(event)
    except OutcomeNotRecorded as unrecorded:
        # Lambda's retry of this invocation writes what is missing, and no second record of what was
        # written (the marks are per invocation); the alert it could not publish pages then.
        raise retry_later(str(unrecorded), event) from unrecorded


def _handle(event: dict[str, Any]) -> dict[str, Any]:
    observability.logger.set_correlation_id(str(event.get("id", ""))[:128] or None)
    too_large = _size_problem(event)
    if too_large is not None:
        return refuse_invalid(_unread(event), too_large)
    try:
        breach = parse(event=event, model=SlaBreachEvent)
    except ValidationError as error:
        return refuse_invalid(event, _summarise(error))
    observability.count_requested(Trigger.EVENT)

    config = components().settings
    detail = breach.detail
    try:
        escalation = components().escalation_ids.of(detail.contactId, detail.reason)
    except IdempotencyStoreUnavailable as busy:
        raise retry_later(type(busy).__name__, event) from busy
    request = EscalationRequest(
        trigger=Trigger.EVENT,
        escalation_id=escalation,
        contact_id=detail.contactId,
        reason=detail.reason,
        # A timer's breach (it names its policy) is escalated only while the contact still waits.
        only_while_waiting=detail.slaPolicy is not None,
    )
    observability.logger.append_keys(escalation_id=request.escalation_id)

    def same_instance() -> None:
        # An ARN must be this instance's in full (partition, Region, account, id); an id, this id.
        named = detail.instanceId
        configured = (
            config.connect_instance_arn if named and named.startswith("arn:") else config.connect_instance_id
        )
        if named and named != configured:
            raise EscalationRefused(
                Refusal.FOREIGN_INSTANCE, "the event names another Connect instance than the configured one"
            )

    def escalate() -> EscalationResult | dict[str, Any]:
        same_instance()
        rearmed = _rearmed(BusinessTimer.of(detail), event)
        if rearmed is not None:  # a business-clock timer whose deadline moved later: nothing moved
            return {"status": "REARMED", "escalationId": request.escalation_id, "fireAt": rearmed}
        return components().service.escalate(request)

    return escalate_for_event(request, event, escalate)


def _rearmed(fired: BusinessTimer | None, event: dict[str, Any]) -> str | None:
    """When a business-clock timer fired before its deadline as the hours are now: re-arm it and say
    when it fires (None: it acts now). Raises ConnectCallFailed when the calendar cannot be read."""
    timers = components().sla_timers
    if fired is None or timers is None:
        return None
    rearmed = timers.rearm_if_moved(fired, event)
    if rearmed is None:
        return None
    observability.count(Metric.SLA_TIMER_REARMED)
    observability.logger.info(
        "Business hours changed since the timer was armed: re-armed",
        extra={"fire_at": rearmed.fire_at.isoformat(), "rearms": fired.rearms + 1},
    )
    return rearmed.fire_at.isoformat()


def handle_warning(event: dict[str, Any]) -> dict[str, Any]:
    """An alert while the contact still waits: nothing is moved, and a stale warning says nothing."""
    try:
        warning = parse(event=event, model=SlaWarningEvent).detail
    except ValidationError:
        return {"status": "IGNORED", "why": "not a readable SLA warning"}
    try:
        rearmed = _rearmed(BusinessTimer.of(warning), event)
    except ConnectCallFailed as failure:  # the calendar: the error table decides
        subject = Subject(Trigger.EVENT, event, contact_id=warning.contactId)
        verdict = components().outcomes.connect_failure(failure, subject)
        if verdict.decision is Decision.RETRY:
            raise retry_later(f"{failure.error_code} after {failure.attempts} attempt(s)", event) from failure
        return {"status": verdict.decision.value, "contactId": warning.contactId, "error": failure.error_code}
    if rearmed is not None:
        return {"status": "REARMED", "contactId": warning.contactId, "fireAt": rearmed}
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


# Raised by this trigger (Lambda then retries the event); tests and callers import it from here.
__all__ = [
    "RetryLater",
    "handle",
    "handle_warning",
    "is_eventbridge_event",
    "is_sla_warning",
    "refuse_invalid",
]
