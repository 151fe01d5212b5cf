"""The error policy: each row held to the documented table, and no Failure or Refusal without a row."""

import pytest

from escalation.domain.policy import (
    ERROR_POLICY,
    IN_PROGRESS_ANSWER,
    REFUSAL_POLICY,
    STORE_UNAVAILABLE_ANSWER,
    Decision,
    Failure,
    Refusal,
    decide,
    decide_refusal,
)
from tests.error_table import CALENDAR_TABLE, ERROR_TABLE, ErrorRow, row_ids

# (refusal, API status, API code, what an event becomes (None = skipped), alert)
EXPECTED_REFUSAL_TABLE = [
    (Refusal.INVALID_EVENT, 400, "INVALID_EVENT", Decision.DEAD_LETTER, False),
    (Refusal.FOREIGN_INSTANCE, 400, "FOREIGN_INSTANCE", Decision.DEAD_LETTER, False),
    (Refusal.FORBIDDEN, 403, "FORBIDDEN", Decision.DEAD_LETTER, False),
    (Refusal.CONTACT_NOT_FOUND, 404, "CONTACT_NOT_FOUND", Decision.DEAD_LETTER, False),
    (Refusal.CHANNEL_NOT_SUPPORTED, 409, "CHANNEL_NOT_SUPPORTED", Decision.DEAD_LETTER, False),
    (Refusal.CONTACT_ENDED, 409, "CONTACT_ENDED", None, False),
    (Refusal.CONTACT_NOT_QUEUED, 409, "CONTACT_NOT_QUEUED", None, False),
    (Refusal.TRANSFER_LIMIT_REACHED, 409, "TRANSFER_LIMIT_REACHED", Decision.ALERT, True),
    (Refusal.TARGET_NOT_ALLOWED, 422, "TARGET_NOT_ALLOWED", Decision.DEAD_LETTER, False),
    (Refusal.NO_ROUTE, 422, "NO_ROUTE", Decision.ALERT, True),
    (Refusal.AGENT_UNAVAILABLE, 409, "AGENT_UNAVAILABLE", Decision.DEAD_LETTER, False),
    (Refusal.UNKNOWN_REASON, 422, "UNKNOWN_REASON", Decision.DEAD_LETTER, False),
]


@pytest.mark.parametrize("row", ERROR_TABLE + CALENDAR_TABLE, ids=row_ids(ERROR_TABLE + CALENDAR_TABLE))
def test_each_connect_failure_gets_the_documented_decision_and_answer(row: ErrorRow) -> None:
    verdict = decide(Failure[row.failure])
    assert verdict.decision.value == row.decision
    assert verdict.dead_letter is row.dead_letter
    assert verdict.alert is row.alert
    assert (verdict.api.status, verdict.api.code, verdict.api.retry_after_seconds) == (
        row.api_status,
        row.api_code,
        row.retry_after,
    )
    assert verdict.what_to_do.strip(), "the alert and the DLQ record tell an operator what to do"


def test_every_failure_has_exactly_one_documented_row() -> None:
    assert set(ERROR_POLICY) == set(Failure)
    assert sorted(row_ids(ERROR_TABLE + CALENDAR_TABLE)) == sorted(failure.name for failure in Failure)


def test_the_idempotency_stores_answers_ask_the_caller_to_retry() -> None:
    assert (IN_PROGRESS_ANSWER.status, IN_PROGRESS_ANSWER.code, IN_PROGRESS_ANSWER.retry_after_seconds) == (
        409,
        "ESCALATION_IN_PROGRESS",
        2,
    )
    assert (
        STORE_UNAVAILABLE_ANSWER.status,
        STORE_UNAVAILABLE_ANSWER.code,
        STORE_UNAVAILABLE_ANSWER.retry_after_seconds,
    ) == (503, "UPSTREAM_UNAVAILABLE", 5)


def test_an_alert_always_comes_with_a_dead_letter_record_unless_the_decision_is_retry() -> None:
    # Decision.ALERT promises a DLQ record so the escalation can be replayed after the fix.
    for failure, verdict in ERROR_POLICY.items():
        if verdict.decision is Decision.ALERT:
            assert verdict.dead_letter, failure
        if verdict.decision in (Decision.RETRY, Decision.DUPLICATE):
            assert not verdict.dead_letter, failure


def test_retry_decisions_answer_a_retryable_status_and_nothing_else_does() -> None:
    for failure, verdict in ERROR_POLICY.items():
        assert (verdict.decision is Decision.RETRY) == (verdict.api.status in (429, 503)), failure
        assert (verdict.decision is Decision.RETRY) == (verdict.api.retry_after_seconds is not None), failure


@pytest.mark.parametrize(
    ("refusal", "http_status", "code", "event_decision", "alert"),
    EXPECTED_REFUSAL_TABLE,
    ids=[row[0].name for row in EXPECTED_REFUSAL_TABLE],
)
def test_each_refusal_gets_the_documented_answer_and_event_decision(
    refusal: Refusal, http_status: int, code: str, event_decision: Decision | None, alert: bool
) -> None:
    verdict = decide_refusal(refusal)
    assert (verdict.api.status, verdict.api.code, verdict.api.retry_after_seconds) == (
        http_status,
        code,
        None,
    )
    assert verdict.event_decision is event_decision
    assert verdict.alert is alert


def test_every_refusal_has_exactly_the_expected_row() -> None:
    assert set(REFUSAL_POLICY) == set(Refusal)
    assert {row[0] for row in EXPECTED_REFUSAL_TABLE} == set(Refusal)


def test_refusals_are_client_errors_and_never_retried() -> None:
    for refusal, verdict in REFUSAL_POLICY.items():
        assert 400 <= verdict.api.status < 500, refusal
        assert verdict.event_decision is not Decision.RETRY, refusal
