"""The error policy: every outcome of an escalation maps to exactly one decision, in one table.

Read this file to know what the service does when something goes wrong. Retries of a Connect call run
inside the invocation (botocore's retry modes, same ClientToken); a RETRY decision here means they ran
out. For an event, RETRY raises so that Lambda's asynchronous retries run and their final failure lands
in the DLQ through the on-failure destination; for the API it ends in 429 or 503.
"""

from dataclasses import dataclass
from enum import StrEnum


class Decision(StrEnum):
    RETRY = "RETRY"
    DEAD_LETTER = "DEAD_LETTER"
    ALERT = "ALERT"  # always with a dead-letter record, so the escalation can be replayed
    DUPLICATE = "DUPLICATE"  # already done: a success


class Failure(StrEnum):
    """What went wrong on a Connect call, as the adapter classifies it (codes are Connect's)."""

    THROTTLED = "ThrottlingException"
    INTERNAL = "InternalServiceException"
    CONNECTION = "ConnectionError"  # connection refused or dropped, timeouts
    QUOTA_EXCEEDED = "ServiceQuotaExceededException"
    INVALID_REQUEST = "InvalidRequestException"
    CONTACT_NOT_FOUND = "ResourceNotFoundException:contact"
    TARGET_NOT_FOUND = "ResourceNotFoundException:target"  # the queue, flow or agent: a configuration fault
    ACCESS_DENIED = "AccessDeniedException"
    IDEMPOTENCY_CONFLICT = "IdempotencyException"
    OTHER = "Other"


@dataclass(frozen=True)
class Verdict:
    decision: Decision
    dead_letter: bool
    alert: bool
    http_status: int  # what the API answers
    what_to_do: str  # goes into the alert and the dead-letter record


ERROR_POLICY: dict[Failure, Verdict] = {
    Failure.THROTTLED: Verdict(
        Decision.RETRY,
        dead_letter=False,
        alert=False,
        http_status=429,
        what_to_do="Connect's TransferContact rate quota is exhausted; the escalation is retried.",
    ),
    Failure.INTERNAL: Verdict(
        Decision.RETRY,
        dead_letter=False,
        alert=True,
        http_status=503,
        what_to_do="Connect failed internally after retries; check the AWS Health Dashboard.",
    ),
    Failure.CONNECTION: Verdict(
        Decision.RETRY,
        dead_letter=False,
        alert=False,
        http_status=503,
        what_to_do="Connect did not answer in time; the escalation is retried with the same ClientToken.",
    ),
    Failure.QUOTA_EXCEEDED: Verdict(
        Decision.ALERT,
        dead_letter=True,
        alert=True,
        http_status=409,
        what_to_do="The contact reached Connect's transfer limit; a supervisor must handle it by hand.",
    ),
    Failure.INVALID_REQUEST: Verdict(
        Decision.DEAD_LETTER,
        dead_letter=True,
        alert=False,
        http_status=409,
        what_to_do="Connect refused the transfer as invalid; inspect the dead-letter record.",
    ),
    Failure.CONTACT_NOT_FOUND: Verdict(
        Decision.DEAD_LETTER,
        dead_letter=True,
        alert=False,
        http_status=404,
        what_to_do="The contact does not exist in the configured instance.",
    ),
    Failure.TARGET_NOT_FOUND: Verdict(
        Decision.ALERT,
        dead_letter=True,
        alert=True,
        http_status=502,
        what_to_do="A queue, flow or agent in the routing rules does not exist; fix the rules, then redrive.",
    ),
    Failure.ACCESS_DENIED: Verdict(
        Decision.ALERT,
        dead_letter=True,
        alert=True,
        http_status=502,
        what_to_do="The Lambda role may not call Connect on this resource; fix IAM, then redrive the DLQ.",
    ),
    Failure.IDEMPOTENCY_CONFLICT: Verdict(
        Decision.DUPLICATE,
        dead_letter=False,
        alert=False,
        http_status=200,
        what_to_do="Connect already took a transfer with this escalation's ClientToken.",
    ),
    Failure.OTHER: Verdict(
        Decision.ALERT,
        dead_letter=True,
        alert=True,
        http_status=502,
        what_to_do="An error this service does not know; inspect the dead-letter record.",
    ),
}


def decide(failure: Failure) -> Verdict:
    return ERROR_POLICY[failure]


class Refusal(StrEnum):
    """Why the service itself will not transfer (checked before calling TransferContact)."""

    INVALID_EVENT = "INVALID_EVENT"
    FOREIGN_INSTANCE = "FOREIGN_INSTANCE"
    FORBIDDEN = "FORBIDDEN"
    CONTACT_NOT_FOUND = "CONTACT_NOT_FOUND"
    CHANNEL_NOT_TRANSFERABLE = "CHANNEL_NOT_TRANSFERABLE"
    CONTACT_ENDED = "CONTACT_ENDED"
    TRANSFER_LIMIT_REACHED = "TRANSFER_LIMIT_REACHED"
    TARGET_NOT_ALLOWED = "TARGET_NOT_ALLOWED"
    NO_ROUTE = "NO_ROUTE"
    AGENT_UNAVAILABLE = "AGENT_UNAVAILABLE"


@dataclass(frozen=True)
class RefusalVerdict:
    http_status: int  # the API's answer
    event_decision: Decision | None  # what a breach event becomes; None: skipped, not an error
    alert: bool  # someone must act, whichever trigger


REFUSAL_POLICY: dict[Refusal, RefusalVerdict] = {
    Refusal.INVALID_EVENT: RefusalVerdict(400, Decision.DEAD_LETTER, alert=False),
    Refusal.FOREIGN_INSTANCE: RefusalVerdict(400, Decision.DEAD_LETTER, alert=False),
    Refusal.FORBIDDEN: RefusalVerdict(403, Decision.DEAD_LETTER, alert=False),
    Refusal.CONTACT_NOT_FOUND: RefusalVerdict(404, Decision.DEAD_LETTER, alert=False),
    Refusal.CHANNEL_NOT_TRANSFERABLE: RefusalVerdict(409, Decision.DEAD_LETTER, alert=False),
    Refusal.CONTACT_ENDED: RefusalVerdict(409, None, alert=False),
    # Our own count says the next transfer would be Connect's 12th: same as ServiceQuotaExceeded.
    Refusal.TRANSFER_LIMIT_REACHED: RefusalVerdict(409, Decision.ALERT, alert=True),
    Refusal.TARGET_NOT_ALLOWED: RefusalVerdict(422, Decision.DEAD_LETTER, alert=False),
    # No rule covers this reason, channel, queue and level: a gap in the routing rules.
    Refusal.NO_ROUTE: RefusalVerdict(422, Decision.ALERT, alert=True),
    Refusal.AGENT_UNAVAILABLE: RefusalVerdict(409, Decision.DEAD_LETTER, alert=False),
}


def decide_refusal(refusal: Refusal) -> RefusalVerdict:
    return REFUSAL_POLICY[refusal]
