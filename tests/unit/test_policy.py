"""The error table: every row asserted against the issue's table, and no Failure or Refusal without a row."""

import pytest

from escalation.domain.policy import (
    ERROR_POLICY,
    REFUSAL_POLICY,
    Decision,
    Failure,
    Refusal,
    decide,
    decide_refusal,
)

# (failure, decision, dead-letter, alert, API status) — the table, written out independently.
EXPECTED_ERROR_TABLE = [
    (Failure.THROTTLED, Decision.RETRY, False, False, 429),
    (Failure.INTERNAL, Decision.RETRY, False, True, 503),
    (Failure.CONNECTION, Decision.RETRY, False, False, 503),
    (Failure.QUOTA_EXCEEDED, Decision.ALERT, True, True, 409),
    (Failure.INVALID_REQUEST, Decision.DEAD_LETTER, True, False, 409),
    (Failure.CONTACT_NOT_FOUND, Decision.DEAD_LETTER, True, False, 404),
    (Failure.TARGET_NOT_FOUND, Decision.ALERT, True, True, 502),
    (Failure.ACCESS_DENIED, Decision.ALERT, True, True, 502),
    (Failure.IDEMPOTENCY_CONFLICT, Decision.DUPLICATE, False, False, 200),
    (Failure.OTHER, Decision.ALERT, True, True, 502),
]

# (refusal, API status, what an event becomes (None = skipped), alert)
EXPECTED_REFUSAL_TABLE = [
    (Refusal.INVALID_EVENT, 400, Decision.DEAD_LETTER, False),
    (Refusal.FOREIGN_INSTANCE, 400, Decision.DEAD_LETTER, False),
    (Refusal.FORBIDDEN, 403, Decision.DEAD_LETTER, False),
    (Refusal.CONTACT_NOT_FOUND, 404, Decision.DEAD_LETTER, False),
    (Refusal.CHANNEL_NOT_TRANSFERABLE, 409, Decision.DEAD_LETTER, False),
    (Refusal.CONTACT_ENDED, 409, None, False),
    (Refusal.TRANSFER_LIMIT_REACHED, 409, Decision.ALERT, True),
    (Refusal.TARGET_NOT_ALLOWED, 422, Decision.DEAD_LETTER, False),
    (Refusal.NO_ROUTE, 422, Decision.ALERT, True),
    (Refusal.AGENT_UNAVAILABLE, 409, Decision.DEAD_LETTER, False),
]


@pytest.mark.parametrize(
    ("failure", "decision", "dead_letter", "alert", "http_status"),
    EXPECTED_ERROR_TABLE,
    ids=[row[0].name for row in EXPECTED_ERROR_TABLE],
)
def test_error_policy_row(
    failure: Failure, decision: Decision, dead_letter: bool, alert: bool, http_status: int
) -> None:
    verdict = decide(failure)
    assert verdict.decision is decision
    assert verdict.dead_letter is dead_letter
    assert verdict.alert is alert
    assert verdict.http_status == http_status
    assert verdict.what_to_do.strip(), "the alert and the DLQ record tell an operator what to do"


def test_every_failure_has_exactly_the_expected_row() -> None:
    assert set(ERROR_POLICY) == set(Failure)
    assert {row[0] for row in EXPECTED_ERROR_TABLE} == set(Failure)


def test_an_alert_always_comes_with_a_dead_letter_record_unless_the_decision_is_retry() -> None:
    # Decision.ALERT promises a DLQ record so the escalation can be replayed after the fix.
    for failure, verdict in ERROR_POLICY.items():
        if verdict.decision is Decision.ALERT:
            assert verdict.dead_letter, failure
        if verdict.decision in (Decision.RETRY, Decision.DUPLICATE):
            assert not verdict.dead_letter, failure


def test_retry_decisions_answer_a_retryable_status_and_nothing_else_does() -> None:
    for failure, verdict in ERROR_POLICY.items():
        assert (verdict.decision is Decision.RETRY) == (verdict.http_status in (429, 503)), failure


@pytest.mark.parametrize(
    ("refusal", "http_status", "event_decision", "alert"),
    EXPECTED_REFUSAL_TABLE,
    ids=[row[0].name for row in EXPECTED_REFUSAL_TABLE],
)
def test_refusal_policy_row(
    refusal: Refusal, http_status: int, event_decision: Decision | None, alert: bool
) -> None:
    verdict = decide_refusal(refusal)
    assert verdict.http_status == http_status
    assert verdict.event_decision is event_decision
    assert verdict.alert is alert


def test_every_refusal_has_exactly_the_expected_row() -> None:
    assert set(REFUSAL_POLICY) == set(Refusal)
    assert {row[0] for row in EXPECTED_REFUSAL_TABLE} == set(Refusal)


def test_refusals_are_client_errors_and_never_retried() -> None:
    for refusal, verdict in REFUSAL_POLICY.items():
        assert 400 <= verdict.http_status < 500, refusal
        assert verdict.event_decision is not Decision.RETRY, refusal
