"""The error table the tests hold the service to: one row per Connect failure, written from the docs
(docs/api.md and docs/error-policy.md), not read from the code, so that a change to either shows.

The unit tests (policy, API trigger, event trigger) and the integration test against the Connect
emulator are all parametrized from ERROR_TABLE.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ErrorRow:
    failure: str  # the Failure it is classified as (its name), also the test id
    operation: str  # the Connect operation that fails
    connect_error: str | None  # Connect's error code; None: Connect never answered (connection dropped)
    connect_status: int | None  # the HTTP status Connect answers with
    decision: str
    dead_letter: bool  # the handler writes a DLQ record for a breach event
    api_dead_letter: bool  # ... and for an API request
    alert: bool
    api_status: int
    api_code: str  # the `error` of the API's answer; for a 200, the `status` of its body
    retry_after: int | None  # the API's Retry-After header, in seconds

    @property
    def retried(self) -> bool:
        return self.decision == "RETRY"


# One row per failure reads as a table: left as written.
# fmt: off
ERROR_TABLE: tuple[ErrorRow, ...] = (
    ErrorRow(
        "THROTTLED", "TransferContact", "ThrottlingException", 429, "RETRY",
        dead_letter=False, api_dead_letter=False, alert=False,
        api_status=429, api_code="THROTTLED", retry_after=2,
    ),
    ErrorRow(
        "INTERNAL", "TransferContact", "InternalServiceException", 500, "RETRY",
        dead_letter=False, api_dead_letter=False, alert=True,
        api_status=503, api_code="UPSTREAM_UNAVAILABLE", retry_after=5,
    ),
    ErrorRow(
        "CONNECTION", "TransferContact", None, None, "RETRY",
        dead_letter=False, api_dead_letter=False, alert=False,
        api_status=503, api_code="UPSTREAM_UNAVAILABLE", retry_after=5,
    ),
    ErrorRow(
        "QUOTA_EXCEEDED", "TransferContact", "ServiceQuotaExceededException", 402, "ALERT",
        dead_letter=True, api_dead_letter=True, alert=True,
        api_status=409, api_code="QUOTA_EXCEEDED", retry_after=None,
    ),
    ErrorRow(
        "INVALID_REQUEST", "TransferContact", "InvalidRequestException", 400, "DEAD_LETTER",
        dead_letter=True, api_dead_letter=True, alert=False,
        api_status=409, api_code="INVALID_REQUEST", retry_after=None,
    ),
    # On the contact itself: the API only answers (the desktop shows it); an event is dead-lettered.
    # The API's 404 is a supervisor's answer: any other caller gets 403 FORBIDDEN whether or not the
    # contact exists (EXISTENCE_HIDDEN below).
    ErrorRow(
        "CONTACT_NOT_FOUND", "DescribeContact", "ResourceNotFoundException", 404, "DEAD_LETTER",
        dead_letter=True, api_dead_letter=False, alert=False,
        api_status=404, api_code="CONTACT_NOT_FOUND", retry_after=None,
    ),
    ErrorRow(
        "TARGET_NOT_FOUND", "TransferContact", "ResourceNotFoundException", 404, "ALERT",
        dead_letter=True, api_dead_letter=True, alert=True,
        api_status=502, api_code="TARGET_NOT_FOUND", retry_after=None,
    ),
    ErrorRow(
        "ACCESS_DENIED", "TransferContact", "AccessDeniedException", 403, "ALERT",
        dead_letter=True, api_dead_letter=True, alert=True,
        api_status=502, api_code="ACCESS_DENIED", retry_after=None,
    ),
    ErrorRow(
        "IDEMPOTENCY_CONFLICT", "TransferContact", "IdempotencyException", 409, "DUPLICATE",
        dead_letter=False, api_dead_letter=False, alert=False,
        api_status=200, api_code="ALREADY_TRANSFERRED", retry_after=None,
    ),
    # UpdateContactRoutingData (an in-queue escalation). A conflict on a contact that no longer waits
    # is not this row: it is the CONTACT_NOT_QUEUED refusal (409; an event is skipped).
    ErrorRow(
        "RESOURCE_CONFLICT", "UpdateContactRoutingData", "ResourceConflictException", 409, "DEAD_LETTER",
        dead_letter=True, api_dead_letter=True, alert=False,
        api_status=409, api_code="CONTACT_NOT_QUEUED", retry_after=None,
    ),
    ErrorRow(
        "INVALID_PARAMETER", "UpdateContactRoutingData", "InvalidParameterException", 400, "DEAD_LETTER",
        dead_letter=True, api_dead_letter=True, alert=False,
        api_status=409, api_code="INVALID_REQUEST", retry_after=None,
    ),
    ErrorRow(
        "INACTIVE_REGION", "UpdateContactRoutingData", "InvalidActiveRegionException", 400, "ALERT",
        dead_letter=True, api_dead_letter=True, alert=True,
        api_status=502, api_code="INVALID_ACTIVE_REGION", retry_after=None,
    ),
    ErrorRow(
        "OTHER", "TransferContact", "SomethingNewException", 400, "ALERT",
        dead_letter=True, api_dead_letter=True, alert=True,
        api_status=502, api_code="OTHER", retry_after=None,
    ),
)
# A business-hours SLA clock's calendar, read when a timer is armed or re-checked, never by an escalation
# request (docs/sla-timers.md): a contact event that meets it is dead-lettered and alerted.
CALENDAR_TABLE: tuple[ErrorRow, ...] = (
    ErrorRow(
        "CALENDAR_NOT_FOUND", "GetEffectiveHoursOfOperations", "ResourceNotFoundException", 404, "ALERT",
        dead_letter=True, api_dead_letter=True, alert=True,
        api_status=502, api_code="CALENDAR_NOT_FOUND", retry_after=None,
    ),
)
# fmt: on

ERROR_ROWS = {row.failure: row for row in ERROR_TABLE + CALENDAR_TABLE}


def row_ids(rows: tuple[ErrorRow, ...] = ERROR_TABLE) -> list[str]:
    return [row.failure for row in rows]


@dataclass(frozen=True)
class CallerMistakeRow:
    """A request the API refuses as the caller's mistake: a 4xx, never dead-lettered, never alerted."""

    case: str  # also the test id
    api_status: int
    api_code: str


# Written from docs/api.md: what each kind of bad request is answered with.
CALLER_MISTAKES: tuple[CallerMistakeRow, ...] = (
    CallerMistakeRow("body-over-64KiB", 413, "PAYLOAD_TOO_LARGE"),
    CallerMistakeRow("body-an-array", 400, "INVALID_BODY"),
    CallerMistakeRow("body-nested-too-deeply", 400, "INVALID_BODY"),
    CallerMistakeRow("number-too-long", 400, "INVALID_BODY"),
    CallerMistakeRow("idempotency-key-too-long", 400, "INVALID_IDEMPOTENCY_KEY"),
    CallerMistakeRow("idempotency-key-reused", 422, "IDEMPOTENCY_KEY_REUSED"),
    CallerMistakeRow("unknown-contact-not-a-supervisor", 403, "FORBIDDEN"),
    CallerMistakeRow("target-arn-of-another-instance", 422, "TARGET_NOT_ALLOWED"),
)
