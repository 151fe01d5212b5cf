"""What the escalation use case raises instead of returning a result."""

from dataclasses import dataclass

from escalation.domain.policy import ApiAnswer, Failure, Refusal


class EscalationError(Exception):
    """Base of everything the use case raises on purpose."""

    # The contact chain the escalation belongs to, once the contact was read (alerts are per chain).
    chain_id: str | None = None


class EscalationRefused(EscalationError):
    """The service will not transfer this contact (a pre-flight rule, authorisation or routing)."""

    def __init__(self, reason: Refusal, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


@dataclass
class ConnectCallFailed(EscalationError):
    """A Connect call failed after botocore's own retries; raised by the Connect adapter."""

    kind: Failure
    operation: str
    error_code: str
    message: str
    attempts: int

    def __post_init__(self) -> None:
        super().__init__(f"{self.operation} failed: {self.error_code} after {self.attempts} attempt(s)")


class RunAgainLater(EscalationError):
    """Base of the states that a later run of the same escalation gets past: an event is retried (Lambda's
    asynchronous retries), the API answers 409 or 503 with Retry-After, each as its own type says."""


class EscalationInProgress(RunAgainLater):
    """Another invocation is working on the same escalation right now (a concurrent duplicate)."""


class IdempotencyStoreUnavailable(RunAgainLater):
    """The idempotency table could not be read or written before anything ran: this request transferred
    nothing (an earlier one may have: the use case answers a transfer the ledger confirmed instead)."""


class IdempotencyKeyReused(EscalationError):
    """The request's Idempotency-Key was first used for a different request (another contact, reason,
    target or note); the first escalation stands and this one is not run."""


class LedgerUnavailable(RunAgainLater):
    """The escalation ledger could not be read or written; the escalation must be retried."""


class DeadLetterNotWritten(Exception):
    """The dead-letter queue did not take a record (raised by the DeadLetters adapter)."""


class AlertNotPublished(Exception):
    """The alert topic did not take an alert (raised by the Alerts adapter)."""


class OutcomeNotRecorded(EscalationError):
    """A failure's dead-letter record or alert could not be delivered (each was logged at ERROR).

    `answer` and `message` are what the failure itself would have been answered: the API keeps them when
    only the alert was lost, and says a retry is needed when the record was.
    """

    def __init__(
        self, answer: ApiAnswer, message: str, *, dead_letter_failed: bool, alert_failed: bool
    ) -> None:
        super().__init__(
            f"dead-letter record {'not ' if dead_letter_failed else ''}written, "
            f"alert {'not ' if alert_failed else ''}published"
        )
        self.answer = answer
        self.message = message
        self.dead_letter_failed = dead_letter_failed
        self.alert_failed = alert_failed


class TransferNotRecorded(RunAgainLater):
    """Connect confirmed the transfer, but the ledger could not record it. Nothing about it is remembered
    as done, so a retry runs again: its TransferContact, with the same ClientToken, is answered with the
    first transfer and completes the ledger."""

    def __init__(self, new_contact_id: str | None) -> None:
        super().__init__(f"transferred (new contact {new_contact_id}), not recorded in the ledger")
        self.new_contact_id = new_contact_id
