"""What the escalation use case raises instead of returning a result."""

from dataclasses import dataclass

from escalation.domain.policy import Failure, Refusal


class EscalationError(Exception):
    """Base of everything the use case raises on purpose."""


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


class EscalationInProgress(EscalationError):
    """Another invocation is working on the same escalation right now (a concurrent duplicate)."""


class IdempotencyStoreUnavailable(EscalationError):
    """The idempotency table could not be read or written; nothing was transferred."""


class IdempotencyKeyReused(EscalationError):
    """The request's Idempotency-Key was first used for a different request (another contact, reason,
    target or note); the first escalation stands and this one is not run."""


class LedgerUnavailable(EscalationError):
    """The escalation ledger could not be read or written; the escalation must be retried."""
