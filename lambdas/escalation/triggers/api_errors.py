"""How `POST /escalations` answers every error: `{"error": CODE, "message": ...}`, one handler per type.

4xx for anything the caller can fix, never a 5xx for bad input. The status, public code and
Retry-After of the use case's errors come from the error policy (domain/policy.py); an error without
a handler here, including an EscalationError subclass added later, is the genuine 500 path. A refusal
and a Connect failure are answered by the route itself (refusal_response, connect_failure_response),
which hands over the request they concern.
"""

import json
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.exceptions import (
    BadRequestError,
    ForbiddenError,
    InternalServerError,
    NotFoundError,
    RequestEntityTooLargeError,
    RequestTimeoutError,
    ServiceError,
    ServiceUnavailableError,
    UnauthorizedError,
)
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)

from escalation import observability
from escalation.composition import components
from escalation.domain.errors import (
    ConnectCallFailed,
    EscalationInProgress,
    EscalationRefused,
    IdempotencyKeyReused,
    IdempotencyStoreUnavailable,
    LedgerUnavailable,
    OutcomeNotRecorded,
    TransferNotRecorded,
)
from escalation.domain.model import Trigger
from escalation.domain.policy import (
    IN_PROGRESS_ANSWER,
    KEY_REUSED_ANSWER,
    NOT_RECORDED_ANSWER,
    RECORD_NOT_WRITTEN_ANSWER,
    STORE_UNAVAILABLE_ANSWER,
    UNEXPECTED_ANSWER,
    ApiAnswer,
    Decision,
    RefusalVerdict,
    Verdict,
)
from escalation.outcomes import Subject
from escalation.triggers.api_guard import INVALID_BODY, SEND_JSON, UNSUPPORTED_MEDIA_TYPE, BodyRefused

UNAUTHENTICATED = ApiAnswer(401, "UNAUTHENTICATED")
INVALID_IDEMPOTENCY_KEY = ApiAnswer(400, "INVALID_IDEMPOTENCY_KEY")
# A query or path parameter the route's declaration refuses (API Gateway answers it first when deployed).
INVALID_PARAMETERS = ApiAnswer(400, "INVALID_PARAMETERS")
INTERNAL_ERROR = UNEXPECTED_ANSWER

# Powertools' own HTTP errors keep their status; these are their public codes.
_GATEWAY_CODES: dict[type[ServiceError], str] = {
    BadRequestError: "BAD_REQUEST",
    UnauthorizedError: "UNAUTHORIZED",
    ForbiddenError: "FORBIDDEN",
    NotFoundError: "NOT_FOUND",
    RequestTimeoutError: "REQUEST_TIMEOUT",
    RequestEntityTooLargeError: "REQUEST_ENTITY_TOO_LARGE",
    InternalServerError: "INTERNAL_SERVER",
    ServiceUnavailableError: "SERVICE_UNAVAILABLE",
}


def error_response(answer: ApiAnswer, message: str) -> Response[dict[str, str]]:
    retry_after = answer.retry_after_seconds
    return Response(
        status_code=answer.status,
        content_type=content_types.APPLICATION_JSON,
        body={"error": answer.code, "message": message},
        headers={"Retry-After": str(retry_after)} if retry_after else None,
    )


def _after_its_record[V: (Verdict, RefusalVerdict)](
    record: Callable[[], V], message: Callable[[V], str]
) -> Response[dict[str, str]]:
    """The verdict's answer once the error policy has recorded the outcome; or, when it could not be
    recorded, the answer that says so."""
    try:
        verdict = record()
    except OutcomeNotRecorded as unrecorded:
        return _unrecorded(unrecorded)
    return error_response(verdict.api, message(verdict))


def refusal_response(error: EscalationRefused, subject: Subject) -> Response[dict[str, str]]:
    """The answer to a refused escalation, after the error policy's record of it."""
    return _after_its_record(lambda: components().outcomes.refusal(error, subject), lambda _: error.message)


def connect_failure_response(error: ConnectCallFailed, subject: Subject) -> Response[dict[str, str]]:
    """The answer to a failed Connect call, after the error policy's record of it."""
    return _after_its_record(
        lambda: components().outcomes.connect_failure(error, subject), lambda verdict: verdict.what_to_do
    )


def unexpected_response(error: Exception, subject: Subject) -> Response[dict[str, str]]:
    """A bug or an unmodelled outage: the escalation is kept (DLQ; with its request when known, so that
    a redrive can replay it) and a person is told (alert)."""
    try:
        components().outcomes.unexpected(error, subject)
    except OutcomeNotRecorded as unrecorded:
        return _unrecorded(unrecorded)
    return error_response(INTERNAL_ERROR, "the escalation could not be processed; it was recorded for replay")


class _ErrorHandlers:
    """The API's answer to each error type, for one resolver."""

    def __init__(self, app: APIGatewayRestResolver) -> None:
        self.app = app

    def transfer_not_recorded(self, error: TransferNotRecorded) -> Response[dict[str, str]]:
        # The contact moved: the answer says so, and a retry (same ClientToken) completes the ledger.
        observability.count_decision(Decision.RETRY)
        observability.logger.error(
            "Transferred, but the ledger could not record it", extra={"new_contact_id": error.new_contact_id}
        )
        return error_response(
            NOT_RECORDED_ANSWER,
            f"the contact was transferred (new contact {error.new_contact_id or 'unknown'}), but the "
            "escalation ledger could not record it; retry with the same Idempotency-Key to complete it",
        )

    def in_progress(self, _error: EscalationInProgress) -> Response[dict[str, str]]:
        return error_response(IN_PROGRESS_ANSWER, "this escalation is being processed")

    def store_unavailable(self, _error: IdempotencyStoreUnavailable) -> Response[dict[str, str]]:
        observability.count_decision(Decision.RETRY)
        return error_response(
            STORE_UNAVAILABLE_ANSWER,
            "the idempotency store is unavailable; this request transferred nothing (a transfer the "
            "ledger confirmed would have been answered)",
        )

    def key_reused(self, error: IdempotencyKeyReused) -> Response[dict[str, str]]:
        observability.count_refused()
        return error_response(KEY_REUSED_ANSWER, str(error))

    def ledger_unavailable(self, _error: LedgerUnavailable) -> Response[dict[str, str]]:
        observability.count_decision(Decision.RETRY)
        return error_response(STORE_UNAVAILABLE_ANSWER, "the escalation ledger is unavailable; retry later")

    def invalid_body(self, error: RequestValidationError) -> Response[dict[str, str]]:
        problems = []
        in_body = False
        for detail in error.errors():
            where = [p for p in detail.get("loc", ()) if isinstance(p, str)]
            in_body = in_body or not where or where[0] == "body"
            # Keep field names only: list positions and the "body" root say nothing to a desktop developer.
            location = ".".join(p for p in where if p != "body")
            problems.append(f"{location or 'body'}: {detail.get('msg') or detail.get('type')}")
        if not in_body:
            return error_response(INVALID_PARAMETERS, "; ".join(problems)[:1000])
        observability.count_refused()
        return error_response(INVALID_BODY, "; ".join(problems)[:1000] or "invalid request body")

    def body_refused(self, error: BodyRefused) -> Response[dict[str, str]]:
        observability.count_refused()
        return error_response(error.refused.answer, error.refused.message)

    def unsupported_content_type(self, _error: RequestUnsupportedContentType) -> Response[dict[str, str]]:
        observability.count_refused()
        return error_response(UNSUPPORTED_MEDIA_TYPE, SEND_JSON)

    def body_not_utf8(self, _error: UnicodeDecodeError) -> Response[dict[str, str]]:
        observability.count_refused()
        return error_response(INVALID_BODY, "the body is not UTF-8 encoded JSON")

    def gateway_error(self, error: ServiceError) -> Response[dict[str, str]]:
        # Powertools' own HTTP errors (e.g. a method the route does not serve) keep their status.
        message = error.msg if isinstance(error.msg, str) else json.dumps(error.msg)
        return error_response(ApiAnswer(error.status_code, _GATEWAY_CODES.get(type(error), "ERROR")), message)

    def unexpected(self, error: Exception) -> Response[dict[str, str]]:
        return unexpected_response(error, Subject(Trigger.API, self.app.current_event.raw_event))


def _unrecorded(unrecorded: OutcomeNotRecorded) -> Response[dict[str, str]]:
    """The answer when a failure's record or alert did not reach its channel (both logged at ERROR).

    Only the alert lost: the failure's own answer (the record is in the DLQ, the alert in the log).
    The record lost: a retry is asked for, since only a retry can write it; the message says what
    the failure was, so nothing is claimed that did not happen.
    """
    if not unrecorded.dead_letter_failed:
        return error_response(unrecorded.answer, unrecorded.message)
    return error_response(
        RECORD_NOT_WRITTEN_ANSWER,
        f"{unrecorded.answer.code}: {unrecorded.message} Its dead-letter record could not be written; "
        "retry with the same Idempotency-Key.",
    )


def register_error_handlers(app: APIGatewayRestResolver) -> None:
    """One handler per error type; Powertools picks the closest one along the error's class hierarchy."""
    handlers = _ErrorHandlers(app)
    by_type: tuple[tuple[type[Exception], Callable[[Any], Response[dict[str, str]]]], ...] = (
        (EscalationInProgress, handlers.in_progress),
        (IdempotencyStoreUnavailable, handlers.store_unavailable),
        (IdempotencyKeyReused, handlers.key_reused),
        (LedgerUnavailable, handlers.ledger_unavailable),
        (TransferNotRecorded, handlers.transfer_not_recorded),
        (RequestValidationError, handlers.invalid_body),
        (BodyRefused, handlers.body_refused),
        (RequestUnsupportedContentType, handlers.unsupported_content_type),
        (UnicodeDecodeError, handlers.body_not_utf8),
        (ServiceError, handlers.gateway_error),
        (Exception, handlers.unexpected),
    )
    for error_type, handle in by_type:
        # Registered without decorator syntax: Powertools' decorator is untyped and mypy --strict says so.
        app.exception_handler(error_type)(handle)
