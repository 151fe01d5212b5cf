"""An escalation asked for by an asynchronous invocation (a breach event, a redrive of the DLQ).

What the handler returns ends the event; what it raises makes Lambda retry it (twice) and then hand it
to the on-failure destination, the DLQ. So refusals and permanent failures are recorded (dead letter,
alert) and returned; only a RETRY decision raises, and its error carries the MAC of the event it was
invoked with, which Lambda copies into the on-failure record for the redrive to verify
(escalation/record_mac.py).
"""

from collections.abc import Callable
from typing import Any

from escalation import observability
from escalation.composition import components
from escalation.dead_letter_signing import event_mac
from escalation.domain.errors import (
    ConnectCallFailed,
    EscalationRefused,
    IdempotencyKeyReused,
    OutcomeNotRecorded,
    RunAgainLater,
)
from escalation.domain.model import EscalationRequest, EscalationResult, Status, Trigger
from escalation.domain.policy import Decision
from escalation.outcomes import Subject
from escalation.record_mac import retry_error_message


class RetryLater(Exception):
    """Raised so that Lambda's asynchronous retries run (and, when they run out, the DLQ destination)."""


def retry_later(why: str, event: dict[str, Any]) -> RetryLater:
    mac = event_mac(components().authenticator, event)
    return RetryLater(retry_error_message(why, mac) if mac is not None else why)


def escalate_for_event(
    request: EscalationRequest,
    event: dict[str, Any],
    run: Callable[[], EscalationResult | dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Escalate (or `run`, which may answer early with a dict, or refuse) and map the outcome."""
    try:
        return _escalate_and_map(request, event, run)
    except OutcomeNotRecorded as unrecorded:
        # Lambda's retry writes what is missing, and no second record of what was written.
        raise retry_later(str(unrecorded), event) from unrecorded


def _escalate_and_map(
    request: EscalationRequest,
    event: dict[str, Any],
    run: Callable[[], EscalationResult | dict[str, Any]] | None,
) -> dict[str, Any]:
    recorder = components().outcomes
    try:
        outcome = run() if run is not None else components().service.escalate(request)
    except EscalationRefused as refused:
        verdict = recorder.refusal(refused, Subject.of(request, event))
        # An event's ended contact is skipped; a redriven API escalation's refusal is the ledger's.
        if request.trigger is Trigger.EVENT and verdict.event_decision is None:
            observability.count_result(Status.SKIPPED)
            return {
                "status": "SKIPPED",
                "escalationId": request.escalation_id,
                "reason": refused.reason.value,
            }
        return {"status": "REFUSED", "escalationId": request.escalation_id, "error": refused.reason.value}
    except IdempotencyKeyReused:
        return {"status": "REFUSED", "escalationId": request.escalation_id, "error": "IDEMPOTENCY_KEY_REUSED"}
    except ConnectCallFailed as failure:
        connect_verdict = recorder.connect_failure(failure, Subject.of(request, event))
        if connect_verdict.decision is Decision.RETRY:
            raise retry_later(f"{failure.error_code} after {failure.attempts} attempt(s)", event) from failure
        return {
            "status": connect_verdict.decision.value,
            "escalationId": request.escalation_id,
            "error": failure.error_code,
        }
    except RunAgainLater as busy:
        observability.count_decision(Decision.RETRY)
        raise retry_later(type(busy).__name__, event) from busy
    return outcome if isinstance(outcome, dict) else answer(request, outcome)


def answer(request: EscalationRequest, result: EscalationResult) -> dict[str, Any]:
    observability.count_result(result.status, replayed=result.replayed)
    if result.status is Status.NOT_WAITING:
        # Answered as it always was: a SKIPPED whose reason says why.
        return {
            "status": Status.SKIPPED.value,
            "escalationId": request.escalation_id,
            "reason": Status.NOT_WAITING.value,
        }
    return result.to_dict()
