"""Carries out a decision of the error policy: the dead-letter record, the alert and the metrics.

Both triggers use it, so an escalation that fails is recorded the same way whichever way it came in.
"""

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from escalation import observability
from escalation.domain.errors import ConnectCallFailed, EscalationRefused
from escalation.domain.model import EscalationRequest, Trigger
from escalation.domain.policy import Decision, RefusalVerdict, Verdict, decide, decide_refusal
from escalation.domain.recorded_request import recorded_request
from escalation.ports import Alerts, AlertWindow, DeadLetters

DEAD_LETTER_KIND = "escalation-dead-letter"
# Request headers a dead-letter record keeps: enough to trace and redrive a request, never a credential
# (an allowlist, so a header added by a proxy or a browser later is dropped, not kept by default).
KEPT_HEADERS = frozenset(
    {
        "content-type",
        "idempotency-key",
        "user-agent",
        "x-amzn-trace-id",
        "x-forwarded-for",
        "x-forwarded-proto",
        "x-request-id",
        "host",
    }
)
# SQS refuses a message above 256 KiB (body and attributes); the record stays clear of it.
MAX_DEAD_LETTER_BYTES = 250_000
# How much of an oversized original event a trimmed record keeps, as JSON text.
TRIMMED_EXCERPT_CHARS = 4096
TRIMMED_MARKER = "trimmed"


def scrub(event: Mapping[str, Any]) -> dict[str, Any]:
    """The event with only the allowlisted request headers: a dead-letter record holds no credentials."""
    cleaned = dict(event)
    for key in ("headers", "multiValueHeaders"):
        headers = cleaned.get(key)
        if isinstance(headers, Mapping):
            cleaned[key] = {
                name: value for name, value in headers.items() if str(name).lower() in KEPT_HEADERS
            }
    return cleaned


def _json_text(value: Any) -> str | None:
    try:
        return json.dumps(value, default=str)
    except (RecursionError, ValueError, TypeError):
        return None  # nested too deeply, or an integer past Python's digit limit


def fit_dead_letter(record: Mapping[str, Any]) -> dict[str, Any]:
    """The record as sent: whole when SQS takes it, else with its original event trimmed and marked."""
    whole = _json_text(record)
    if whole is not None and len(whole.encode("utf-8", "surrogatepass")) <= MAX_DEAD_LETTER_BYTES:
        return dict(record)
    event_text = _json_text(record.get("originalEvent"))
    fitted = {key: value for key, value in record.items() if key != "originalEvent"}
    if _json_text(fitted) is None:  # only the event can be at fault: the rest is ours
        fitted = {key: str(value)[:1000] for key, value in fitted.items()}
    fitted["originalEvent"] = {
        TRIMMED_MARKER: True,
        "originalRecordBytes": len(whole.encode("utf-8", "surrogatepass")) if whole is not None else None,
        "originalEventBytes": len(event_text.encode("utf-8", "surrogatepass")) if event_text else None,
        "why": "too large for SQS" if whole is not None else "not serialisable as JSON (nesting or numbers)",
        "excerpt": (event_text or "")[:TRIMMED_EXCERPT_CHARS],
    }
    return fitted


class OncePerWindowAlerts:
    """Alerts, each published once per escalation id and error code within the window's span.

    Only the page is held back: the decision metrics (and so the DecisionAlert alarm) count every time.
    An alert about no known escalation is always published.
    """

    def __init__(self, alerts: Alerts, window: AlertWindow) -> None:
        self._alerts = alerts
        self._window = window

    def publish(self, subject: str, alert: Mapping[str, Any]) -> None:
        escalation_id, error_code = alert.get("escalationId"), alert.get("errorCode")
        if (
            escalation_id
            and error_code
            and not self._window.first_in_window(str(escalation_id), str(error_code))
        ):
            observability.logger.info(
                "Alert already published for this escalation and error", extra={"error_code": error_code}
            )
            return
        self._alerts.publish(subject, alert)


@dataclass(frozen=True)
class Subject:
    """What an outcome is about: the escalation (when known) and the event that asked for it."""

    trigger: Trigger
    original_event: Mapping[str, Any]
    escalation_id: str | None = None
    contact_id: str | None = None
    # An API escalation's validated request, which its dead-letter record keeps for a redrive.
    request: EscalationRequest | None = None

    @classmethod
    def of(cls, request: EscalationRequest, original_event: Mapping[str, Any]) -> "Subject":
        kept = request if request.trigger is Trigger.API else None
        return cls(request.trigger, original_event, request.escalation_id, request.contact_id, kept)

    def details(self) -> dict[str, Any]:
        return {
            "escalationId": self.escalation_id,
            "trigger": self.trigger.value,
            "contactId": self.contact_id,
        }


class OutcomeRecorder:
    def __init__(self, dead_letters: DeadLetters, alerts: Alerts) -> None:
        self._dead_letters = dead_letters
        self._alerts = alerts

    def connect_failure(self, failure: ConnectCallFailed, subject: Subject) -> Verdict:
        """Apply the error table to a Connect failure: DLQ and/or alert as it says; returns the verdict."""
        verdict = decide(failure.kind)
        observability.count_connect_error(failure.kind)
        observability.count_decision(verdict.decision)
        observability.logger.warning(
            "Connect call failed",
            extra={
                "operation": failure.operation,
                "error_code": failure.error_code,
                "failure": failure.kind.value,
                "decision": verdict.decision.value,
                "attempts": failure.attempts,
            },
        )
        details = {
            **subject.details(),
            "decision": verdict.decision.value,
            "errorCode": failure.error_code,
            "failure": failure.kind.value,
            "operation": failure.operation,
            "errorMessage": failure.message,
            "attempts": failure.attempts,
            "whatToDo": verdict.what_to_do,
        }
        if verdict.dead_letter:
            self._dead_letters.send(self._dead_letter_record(details, subject))
        if verdict.alert:
            self._alerts.publish(f"Escalation {verdict.decision.value}: {failure.error_code}", details)
        return verdict

    def refusal(self, refused: EscalationRefused, subject: Subject) -> RefusalVerdict:
        """Apply the refusal table: an event is dead-lettered (or skipped); the API only answers 4xx."""
        verdict = decide_refusal(refused.reason)
        observability.count_refused()
        observability.logger.info("Escalation refused", extra={"refusal": refused.reason.value})
        details = {
            **subject.details(),
            "errorCode": refused.reason.value,
            "errorMessage": refused.message,
            "attempts": 0,
        }
        decision = verdict.event_decision if subject.trigger is Trigger.EVENT else None
        if decision is not None:
            observability.count_decision(decision)
            self._dead_letters.send(
                self._dead_letter_record({**details, "decision": decision.value}, subject)
            )
        if verdict.alert:
            if decision is not Decision.ALERT:
                observability.count_decision(Decision.ALERT)
            self._alerts.publish(
                f"Escalation refused: {refused.reason.value}", {**details, "whatToDo": refused.message}
            )
        return verdict

    def unexpected(self, error: Exception, subject: Subject) -> None:
        """A bug or an outage we did not model: keep the escalation (DLQ) and tell a person (alert)."""
        observability.count_decision(Decision.ALERT)
        observability.logger.exception("Unexpected error while escalating")
        details = {
            **subject.details(),
            "decision": Decision.ALERT.value,
            "errorCode": type(error).__name__,
            "errorMessage": str(error)[:500],
            "attempts": 1,
            "whatToDo": "An unexpected error; inspect the logs and the dead-letter record, then redrive.",
        }
        self._dead_letters.send(self._dead_letter_record(details, subject))
        self._alerts.publish(f"Escalation failed unexpectedly: {type(error).__name__}", details)

    @staticmethod
    def _dead_letter_record(details: Mapping[str, Any], subject: Subject) -> dict[str, Any]:
        return fit_dead_letter(
            {
                "kind": DEAD_LETTER_KIND,
                "version": 1,
                **details,
                "failedAt": datetime.now(UTC).isoformat(),
                "originalEvent": scrub(subject.original_event),
                # What a redrive replays: never the HTTP event, whose claims it would not check again.
                **({"request": recorded_request(subject.request)} if subject.request else {}),
            }
        )
