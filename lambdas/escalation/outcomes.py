"""Carries out a decision of the error policy: the dead-letter record, the alert and the metrics.

Both triggers use it, so an escalation that fails is recorded the same way whichever way it came in.
"""

import json
from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from escalation import observability
from escalation.contract import Metric
from escalation.domain.errors import (
    AlertNotPublished,
    ConnectCallFailed,
    DeadLetterNotWritten,
    EscalationRefused,
    OutcomeNotRecorded,
)
from escalation.domain.model import EscalationRequest, Trigger
from escalation.domain.policy import (
    UNEXPECTED_ANSWER,
    ApiAnswer,
    Decision,
    RefusalVerdict,
    Verdict,
    decide,
    decide_refusal,
)
from escalation.domain.recorded_request import recorded_request
from escalation.ports import Alerts, AlertWindow, DeadLetterMarks, DeadLetters

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
DEAD_LETTER_WRITE_FAILED_FLAG = "deadLetterWriteFailed"
# Added to an alert when the failure's dead-letter record could not be written.
NOT_DEAD_LETTERED = (
    "The dead-letter record could not be written to the DLQ: it is in the handler's log "
    "(ERROR 'Dead-letter record not written'); redrive it from there."
)


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
    """Alerts, each published once per contact chain and error code within the window's span.

    However many escalation ids the callers invent (a new Idempotency-Key per click), one chain failing
    for one reason pages once. The window's claim is kept only once SNS took the alert: a failed
    publish releases it, so the retry pages. Only the page is held back: the decision metrics (and so
    the DecisionAlert alarm) count every time. An alert about no known contact is always published.
    """

    def __init__(self, alerts: Alerts, window: AlertWindow) -> None:
        self._alerts = alerts
        self._window = window

    def publish(self, subject: str, alert: Mapping[str, Any]) -> None:
        about = alert.get("chainId") or alert.get("contactId") or alert.get("escalationId")
        error_code = alert.get("errorCode")
        if not (about and error_code):
            self._alerts.publish(subject, alert)
            return
        claimed = self._window.first_in_window(str(about), str(error_code))
        # A record that exists only in the logs is announced every time, never held back.
        if not claimed and not alert.get(DEAD_LETTER_WRITE_FAILED_FLAG):
            observability.logger.info(
                "Alert already published for this contact chain and error", extra={"error_code": error_code}
            )
            return
        try:
            self._alerts.publish(subject, alert)
        except AlertNotPublished:
            if claimed:
                self._window.release(str(about), str(error_code))
            raise
        if claimed:
            self._window.confirm(str(about), str(error_code))


# The Lambda request id of the invocation being served: Lambda's retries of an asynchronous invocation
# keep it, a redrive is a new invocation. Set per invocation by the composition root (a context
# variable, since the local stack serves invocations on threads of one process).
current_request_id: ContextVar[str] = ContextVar("current_request_id", default="")


class FailureChannels:
    """Delivers a failure to the dead-letter queue and the alert topic, each independently of the other.

    A record is written once per escalation, error code and invocation: a retry of the same invocation
    after a partial failure finds its mark. Whatever did not go through is logged at ERROR (the
    record itself, trimmed as it would have been sent) and counted; then OutcomeNotRecorded is raised
    so that the trigger can answer truthfully (and an event is retried).
    """

    def __init__(
        self, dead_letters: DeadLetters, alerts: Alerts, marks: DeadLetterMarks | None = None
    ) -> None:
        self._dead_letters = dead_letters
        self._alerts = alerts
        self._marks = marks

    def deliver(
        self,
        record: Mapping[str, Any] | None,
        alert: tuple[str, Mapping[str, Any]] | None,
        answer: tuple[ApiAnswer, str],
    ) -> None:
        dead_letter_failed = record is not None and not self._write(record)
        alert_failed = False
        if dead_letter_failed and record is not None:
            # The record is only in the logs now: someone must be told, whatever the decision was.
            subject, details = alert or (f"Escalation not dead-lettered: {record.get('errorCode')}", record)
            alert = (
                subject,
                {
                    **_without_event(details),
                    DEAD_LETTER_WRITE_FAILED_FLAG: True,
                    "whatToDo": f"{details.get('whatToDo') or ''} {NOT_DEAD_LETTERED}".strip(),
                },
            )
        if alert is not None:
            alert_failed = not self._publish(*alert)
        if dead_letter_failed or alert_failed:
            raise OutcomeNotRecorded(
                answer[0], answer[1], dead_letter_failed=dead_letter_failed, alert_failed=alert_failed
            )

    def _write(self, record: Mapping[str, Any]) -> bool:
        mark = "\n".join(
            (str(record.get("escalationId") or ""), str(record.get("errorCode")), current_request_id.get())
        )
        if self._marks is not None and record.get("escalationId") and self._marks.written(mark):
            observability.logger.info("Dead-letter record already written by this invocation")
            return True
        try:
            self._dead_letters.send(record)
        except DeadLetterNotWritten as error:
            _lost(
                Metric.DEAD_LETTER_WRITE_FAILED,
                "Dead-letter record not written",
                record,
                error,
                dead_letter_record=record,
            )
            return False
        if self._marks is not None and record.get("escalationId"):
            self._marks.note_written(mark)
        return True

    def _publish(self, subject: str, alert: Mapping[str, Any]) -> bool:
        try:
            self._alerts.publish(subject, alert)
        except AlertNotPublished as error:
            _lost(
                Metric.ALERT_PUBLISH_FAILED,
                "Alert not published",
                alert,
                error,
                alert_subject=subject,
                alert=_without_event(alert),
            )
            return False
        return True


def _lost(metric: str, message: str, record: Mapping[str, Any], error: Exception, **context: Any) -> None:
    """A dead-letter record or an alert that did not leave: counted, and logged whole at ERROR (the log
    keeps what the queue or topic did not)."""
    observability.count(metric)
    observability.logger.error(
        message, extra={"escalation_id": record.get("escalationId"), "why": str(error)[:500], **context}
    )


def _without_event(details: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in details.items() if key != "originalEvent"}


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

    def details(self, chain_id: str | None = None) -> dict[str, Any]:
        return {
            "escalationId": self.escalation_id,
            "trigger": self.trigger.value,
            "contactId": self.contact_id,
            # Alerts are de-duplicated per chain; before the contact was read, per contact.
            "chainId": chain_id or self.contact_id,
        }


class OutcomeRecorder:
    def __init__(
        self, dead_letters: DeadLetters, alerts: Alerts, marks: DeadLetterMarks | None = None
    ) -> None:
        self._channels = FailureChannels(dead_letters, alerts, marks)

    def connect_failure(self, failure: ConnectCallFailed, subject: Subject) -> Verdict:
        """Apply the error table to a Connect failure: DLQ and/or alert as it says; returns the verdict.

        Raises OutcomeNotRecorded when the record or the alert it calls for could not be delivered.
        """
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
            **subject.details(failure.chain_id),
            "decision": verdict.decision.value,
            "errorCode": failure.error_code,
            "failure": failure.kind.value,
            "operation": failure.operation,
            "errorMessage": failure.message,
            "attempts": failure.attempts,
            "whatToDo": verdict.what_to_do,
        }
        self._channels.deliver(
            self._dead_letter_record(details, subject) if verdict.dead_letter else None,
            (f"Escalation {verdict.decision.value}: {failure.error_code}", details)
            if verdict.alert
            else None,
            (verdict.api, verdict.what_to_do),
        )
        return verdict

    def refusal(self, refused: EscalationRefused, subject: Subject) -> RefusalVerdict:
        """Apply the refusal table: an event is dead-lettered (or skipped); the API only answers 4xx.

        Raises OutcomeNotRecorded when the record or the alert it calls for could not be delivered.
        """
        verdict = decide_refusal(refused.reason)
        observability.count_refused()
        observability.logger.info("Escalation refused", extra={"refusal": refused.reason.value})
        details = {
            **subject.details(refused.chain_id),
            "errorCode": refused.reason.value,
            "errorMessage": refused.message,
            "attempts": 0,
        }
        decision = verdict.event_decision if subject.trigger is Trigger.EVENT else None
        record = None
        if decision is not None:
            observability.count_decision(decision)
            record = self._dead_letter_record({**details, "decision": decision.value}, subject)
        alert = None
        if verdict.alert:
            if decision is not Decision.ALERT:
                observability.count_decision(Decision.ALERT)
            alert = (f"Escalation refused: {refused.reason.value}", {**details, "whatToDo": refused.message})
        self._channels.deliver(record, alert, (verdict.api, refused.message))
        return verdict

    def unexpected(self, error: Exception, subject: Subject) -> None:
        """A bug or an outage we did not model: keep the escalation (DLQ) and tell a person (alert).

        Raises OutcomeNotRecorded when either could not be delivered.
        """
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
        self._channels.deliver(
            self._dead_letter_record(details, subject),
            (f"Escalation failed unexpectedly: {type(error).__name__}", details),
            (UNEXPECTED_ANSWER, "the escalation could not be processed; it was recorded for replay"),
        )

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
