"""The error policy: every outcome of an escalation maps to exactly one decision, in one table.

Read this file to know what the service does when something goes wrong. Retries of a Connect call run
inside the invocation (botocore's retry modes, same ClientToken); a RETRY decision here means they ran
out. For an event, RETRY raises so that Lambda's asynchronous retries run and their final failure lands
in the DLQ through the on-failure destination; for the API it ends in 429 or 503. Each row also holds
the API's answer: status, public error code and Retry-After; the public codes are part of the API.
"""

from dataclasses import dataclass
from enum import StrEnum


class Decision(StrEnum):
    RETRY = "RETRY"
    DEAD_LETTER = "DEAD_LETTER"
    # A person is alerted. A Connect failure is also dead-lettered; a refusal only when it came as an
    # event (the API answers the caller instead).
    ALERT = "ALERT"
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
    # A business-hours SLA clock's calendar: the queue or its hours of operation do not exist, or the
    # hours name a time zone the shipped tzdata does not know.
    CALENDAR_NOT_FOUND = "ResourceNotFoundException:calendar"
    ACCESS_DENIED = "AccessDeniedException"
    IDEMPOTENCY_CONFLICT = "IdempotencyException"
    # UpdateContactRoutingData's own errors (escalating a contact in place, in its queue).
    RESOURCE_CONFLICT = "ResourceConflictException"  # the contact is no longer waiting in a queue
    INVALID_PARAMETER = "InvalidParameterException"
    INACTIVE_REGION = "InvalidActiveRegionException"  # the instance is served from another Region now
    OTHER = "Other"


@dataclass(frozen=True)
class ApiAnswer:
    """What `POST /escalations` answers: `{"error": code, ...}` with this status (and Retry-After)."""

    status: int
    code: str  # the public error code: part of the API, never derived from a Python name
    retry_after_seconds: int | None = None


# How long a caller should wait before retrying, by cause.
THROTTLED_RETRY_AFTER_SECONDS = 2
UNAVAILABLE_RETRY_AFTER_SECONDS = 5
IN_PROGRESS_RETRY_AFTER_SECONDS = 2


@dataclass(frozen=True)
class Verdict:
    decision: Decision
    dead_letter: bool
    alert: bool
    api: ApiAnswer
    what_to_do: str  # goes into the alert and the dead-letter record


ERROR_POLICY: dict[Failure, Verdict] = {
    Failure.THROTTLED: Verdict(
        Decision.RETRY,
        dead_letter=False,
        alert=False,
        api=ApiAnswer(429, "THROTTLED", THROTTLED_RETRY_AFTER_SECONDS),
        what_to_do="Connect's TransferContact rate quota is exhausted; the escalation is retried.",
    ),
    Failure.INTERNAL: Verdict(
        Decision.RETRY,
        dead_letter=False,
        alert=True,
        api=ApiAnswer(503, "UPSTREAM_UNAVAILABLE", UNAVAILABLE_RETRY_AFTER_SECONDS),
        what_to_do="Connect failed internally after retries; check the AWS Health Dashboard.",
    ),
    Failure.CONNECTION: Verdict(
        Decision.RETRY,
        dead_letter=False,
        alert=False,
        api=ApiAnswer(503, "UPSTREAM_UNAVAILABLE", UNAVAILABLE_RETRY_AFTER_SECONDS),
        what_to_do="Connect did not answer in time; the escalation is retried with the same ClientToken.",
    ),
    Failure.QUOTA_EXCEEDED: Verdict(
        Decision.ALERT,
        dead_letter=True,
        alert=True,
        api=ApiAnswer(409, "QUOTA_EXCEEDED"),
        what_to_do="The contact reached Connect's transfer limit; a supervisor must handle it by hand.",
    ),
    Failure.INVALID_REQUEST: Verdict(
        Decision.DEAD_LETTER,
        dead_letter=True,
        alert=False,
        api=ApiAnswer(409, "INVALID_REQUEST"),
        what_to_do="Connect refused the transfer as invalid; inspect the dead-letter record.",
    ),
    Failure.CONTACT_NOT_FOUND: Verdict(
        Decision.DEAD_LETTER,
        dead_letter=True,
        alert=False,
        api=ApiAnswer(404, "CONTACT_NOT_FOUND"),
        what_to_do="The contact does not exist in the configured instance.",
    ),
    Failure.TARGET_NOT_FOUND: Verdict(
        Decision.ALERT,
        dead_letter=True,
        alert=True,
        api=ApiAnswer(502, "TARGET_NOT_FOUND"),
        what_to_do="A queue, flow or agent in the routing rules does not exist; fix the rules, then redrive.",
    ),
    Failure.CALENDAR_NOT_FOUND: Verdict(
        Decision.ALERT,
        dead_letter=True,
        alert=True,
        api=ApiAnswer(502, "CALENDAR_NOT_FOUND"),
        what_to_do=(
            "A business-hours SLA policy's calendar cannot be read (the queue or hours of operation do not "
            "exist, or their time zone is unknown); fix the policy's hoursOfOperationId or the queue's "
            "hours, then redrive the DLQ to arm the timer."
        ),
    ),
    Failure.ACCESS_DENIED: Verdict(
        Decision.ALERT,
        dead_letter=True,
        alert=True,
        api=ApiAnswer(502, "ACCESS_DENIED"),
        what_to_do="The Lambda role may not call Connect on this resource; fix IAM, then redrive the DLQ.",
    ),
    Failure.IDEMPOTENCY_CONFLICT: Verdict(
        Decision.DUPLICATE,
        dead_letter=False,
        alert=False,
        # A success: the API answers 200 with status ALREADY_TRANSFERRED, not an error body.
        api=ApiAnswer(200, "ALREADY_TRANSFERRED"),
        what_to_do="Connect already took a transfer with this escalation's ClientToken.",
    ),
    # Connect's answer for a contact that stopped waiting between our DescribeContact and the call:
    # the use case re-reads the contact and, when it no longer waits, refuses (CONTACT_NOT_QUEUED)
    # or skips an event; this row is for a conflict on a contact that still seems to wait.
    Failure.RESOURCE_CONFLICT: Verdict(
        Decision.DEAD_LETTER,
        dead_letter=True,
        alert=False,
        api=ApiAnswer(409, "CONTACT_NOT_QUEUED"),
        what_to_do="Connect would not change the contact's routing (it is not waiting in a queue).",
    ),
    Failure.INVALID_PARAMETER: Verdict(
        Decision.DEAD_LETTER,
        dead_letter=True,
        alert=False,
        api=ApiAnswer(409, "INVALID_REQUEST"),
        what_to_do="Connect refused the routing change as invalid; inspect the dead-letter record.",
    ),
    Failure.INACTIVE_REGION: Verdict(
        Decision.ALERT,
        dead_letter=True,
        alert=True,
        api=ApiAnswer(502, "INVALID_ACTIVE_REGION"),
        what_to_do=(
            "The instance is active in another Region (global resiliency); redrive once traffic is "
            "back in this Region, or deploy the service there."
        ),
    ),
    Failure.OTHER: Verdict(
        Decision.ALERT,
        dead_letter=True,
        alert=True,
        api=ApiAnswer(502, "OTHER"),
        what_to_do="An error this service does not know; inspect the dead-letter record.",
    ),
}


def decide(failure: Failure) -> Verdict:
    return ERROR_POLICY[failure]


# The idempotency store's two outcomes: nothing moved, the caller retries.
IN_PROGRESS_ANSWER = ApiAnswer(409, "ESCALATION_IN_PROGRESS", IN_PROGRESS_RETRY_AFTER_SECONDS)
STORE_UNAVAILABLE_ANSWER = ApiAnswer(503, "UPSTREAM_UNAVAILABLE", UNAVAILABLE_RETRY_AFTER_SECONDS)
# A bug or an unmodelled outage: the escalation is kept in the DLQ and an operator is alerted.
UNEXPECTED_ANSWER = ApiAnswer(500, "INTERNAL_ERROR")
# A failure whose dead-letter record SQS did not take: the caller retries, and the retry records it.
RECORD_NOT_WRITTEN_ANSWER = ApiAnswer(503, "UPSTREAM_UNAVAILABLE", UNAVAILABLE_RETRY_AFTER_SECONDS)
# Connect confirmed a transfer the ledger could not record: the caller retries, the retry records it.
NOT_RECORDED_ANSWER = ApiAnswer(503, "UPSTREAM_UNAVAILABLE", UNAVAILABLE_RETRY_AFTER_SECONDS)
# An Idempotency-Key first used for another request: nothing ran, the caller must pick a new key.
KEY_REUSED_ANSWER = ApiAnswer(422, "IDEMPOTENCY_KEY_REUSED")


class Refusal(StrEnum):
    """Why the service itself will not transfer (checked before calling TransferContact)."""

    INVALID_EVENT = "INVALID_EVENT"
    FOREIGN_INSTANCE = "FOREIGN_INSTANCE"
    FORBIDDEN = "FORBIDDEN"
    CONTACT_NOT_FOUND = "CONTACT_NOT_FOUND"
    # Only tasks and emails transfer; any channel can be moved up while it waits (an `inQueue` rule).
    CHANNEL_NOT_SUPPORTED = "CHANNEL_NOT_SUPPORTED"
    CONTACT_NOT_QUEUED = "CONTACT_NOT_QUEUED"  # an in-place escalation needs a contact still waiting
    CONTACT_ENDED = "CONTACT_ENDED"
    TRANSFER_LIMIT_REACHED = "TRANSFER_LIMIT_REACHED"
    TARGET_NOT_ALLOWED = "TARGET_NOT_ALLOWED"
    NO_ROUTE = "NO_ROUTE"
    AGENT_UNAVAILABLE = "AGENT_UNAVAILABLE"
    UNKNOWN_REASON = "UNKNOWN_REASON"


@dataclass(frozen=True)
class RefusalVerdict:
    api: ApiAnswer  # the API's answer
    event_decision: Decision | None  # what a breach event becomes; None: skipped, not an error
    alert: bool  # someone must act, whichever trigger


REFUSAL_POLICY: dict[Refusal, RefusalVerdict] = {
    Refusal.INVALID_EVENT: RefusalVerdict(ApiAnswer(400, "INVALID_EVENT"), Decision.DEAD_LETTER, alert=False),
    Refusal.FOREIGN_INSTANCE: RefusalVerdict(
        ApiAnswer(400, "FOREIGN_INSTANCE"), Decision.DEAD_LETTER, alert=False
    ),
    Refusal.FORBIDDEN: RefusalVerdict(ApiAnswer(403, "FORBIDDEN"), Decision.DEAD_LETTER, alert=False),
    Refusal.CONTACT_NOT_FOUND: RefusalVerdict(
        ApiAnswer(404, "CONTACT_NOT_FOUND"), Decision.DEAD_LETTER, alert=False
    ),
    Refusal.CHANNEL_NOT_SUPPORTED: RefusalVerdict(
        ApiAnswer(409, "CHANNEL_NOT_SUPPORTED"), Decision.DEAD_LETTER, alert=False
    ),
    # Picked up, or ended, before it could be moved up: nothing to do (an event is skipped).
    Refusal.CONTACT_NOT_QUEUED: RefusalVerdict(ApiAnswer(409, "CONTACT_NOT_QUEUED"), None, alert=False),
    Refusal.CONTACT_ENDED: RefusalVerdict(ApiAnswer(409, "CONTACT_ENDED"), None, alert=False),
    # Our own count says the next transfer would be Connect's 12th: same as ServiceQuotaExceeded.
    Refusal.TRANSFER_LIMIT_REACHED: RefusalVerdict(
        ApiAnswer(409, "TRANSFER_LIMIT_REACHED"), Decision.ALERT, alert=True
    ),
    Refusal.TARGET_NOT_ALLOWED: RefusalVerdict(
        ApiAnswer(422, "TARGET_NOT_ALLOWED"), Decision.DEAD_LETTER, alert=False
    ),
    # No rule covers this reason, channel, queue and level: a gap in the routing rules.
    Refusal.NO_ROUTE: RefusalVerdict(ApiAnswer(422, "NO_ROUTE"), Decision.ALERT, alert=True),
    Refusal.AGENT_UNAVAILABLE: RefusalVerdict(
        ApiAnswer(409, "AGENT_UNAVAILABLE"), Decision.DEAD_LETTER, alert=False
    ),
    # The rules document has a reasons catalogue and the desktop sent a reason outside it (a caller's
    # mistake; only the API is checked, so an event never meets this row in practice).
    Refusal.UNKNOWN_REASON: RefusalVerdict(
        ApiAnswer(422, "UNKNOWN_REASON"), Decision.DEAD_LETTER, alert=False
    ),
}


def decide_refusal(refusal: Refusal) -> RefusalVerdict:
    return REFUSAL_POLICY[refusal]
