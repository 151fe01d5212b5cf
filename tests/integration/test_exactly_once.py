"""Exactly once: a transfer that took effect while its answer was lost is replayed, never repeated.

The emulator's `*_after_effect` faults apply the transfer and then lose (drop), delay past the 3 s read
timeout, or slow the answer. botocore retries with the same ClientToken (the escalation id) and the
emulator replays the first response; when the invocation itself fails afterwards, the next one (Lambda's
retry, the desktop's retry) resumes the same escalation and replays too.
"""

from __future__ import annotations

from typing import Any

import pytest

from local.connect_emulator import FaultPlan
from local.stack import LocalStack
from tests.integration.conftest import MAX_ATTEMPTS
from tests.integration.support import (
    ALICE,
    event_escalation_id,
    post,
    put_breaches,
    transfers_of,
    wait_idle,
)

READ_TIMEOUT = 3.0  # the Connect adapter's read timeout


def task(stack: LocalStack) -> str:
    return stack.add_contact("TASK", queue_id="queue-tier1", agent_id="agent-alice")


def escalate(stack: LocalStack, contact: str) -> Any:
    return post(stack, ALICE, {"contactId": contact, "reason": "CUSTOMER_UNHAPPY"})


def assert_one_transfer_answered(stack: LocalStack, contact: str, answer: Any) -> None:
    assert answer.status == 200, answer
    assert answer.body["status"] == "TRANSFERRED"
    [entry] = transfers_of(stack, contact)
    # The replayed response is the first one: the desktop sees the contact that really exists.
    assert answer.body["newContactId"] == entry["new_contact_id"]
    assert entry["client_token"] == answer.body["escalationId"]


@pytest.mark.parametrize(
    ("fault", "timing"),
    [
        ("drop_after_effect", {}),
        ("slow_after_effect", {"slow_seconds": 0.2}),
        ("timeout_after_effect", {"timeout_seconds": READ_TIMEOUT + 0.3}),
    ],
)
def test_api_answer_lost_after_the_transfer_is_replayed_once(
    stack: LocalStack, fault: str, timing: dict[str, float]
) -> None:
    contact = task(stack)
    stack.connect.set_faults(
        FaultPlan(
            "TransferContact",
            script=[fault],
            slow_seconds=timing.get("slow_seconds"),
            timeout_seconds=timing.get("timeout_seconds"),
        )
    )
    requests_before = stack.connect.stats()["requests"].get("TransferContact", 0)

    answer = escalate(stack, contact)

    assert_one_transfer_answered(stack, contact, answer)
    calls = stack.connect.stats()["requests"]["TransferContact"] - requests_before
    assert calls == (1 if fault == "slow_after_effect" else 2)  # lost answers were retried


@pytest.mark.parametrize("fault", ["drop_after_effect", "timeout_after_effect"])
def test_event_answer_lost_after_the_transfer_is_replayed_once(
    stack: LocalStack, events: Any, fault: str
) -> None:
    contact = task(stack)
    stack.connect.set_faults(FaultPlan("TransferContact", script=[fault], timeout_seconds=READ_TIMEOUT + 0.3))

    put_breaches(events, [contact])
    wait_idle(stack)

    [entry] = transfers_of(stack, contact)
    assert entry["client_token"] == event_escalation_id(contact)
    assert stack.dlq_records() == []


def test_api_invocation_failing_after_the_transfer_took_effect_is_resumed_by_the_retry(
    stack: LocalStack,
) -> None:
    contact = task(stack)
    # Every attempt of the first request loses its answer; the first one had moved the contact.
    stack.connect.set_faults(
        FaultPlan("TransferContact", script=["drop_after_effect"] + ["drop"] * (MAX_ATTEMPTS - 1))
    )

    first = escalate(stack, contact)
    assert (first.status, first.error) == (503, "UPSTREAM_UNAVAILABLE")
    assert len(transfers_of(stack, contact)) == 1

    # The contact has ended (it was transferred); the retry recognises its own escalation and replays.
    retried = escalate(stack, contact)
    assert_one_transfer_answered(stack, contact, retried)
    assert retried.body["level"] == 1


def test_event_invocation_failing_after_the_transfer_took_effect_is_resumed_by_lambda_retry(
    stack: LocalStack, events: Any
) -> None:
    contact = task(stack)
    stack.connect.set_faults(
        FaultPlan("TransferContact", script=["drop_after_effect"] + ["drop"] * (MAX_ATTEMPTS - 1))
    )
    before = stack.bus.stats

    put_breaches(events, [contact])
    wait_idle(stack)

    after = stack.bus.stats
    assert (after.retries - before.retries, after.succeeded - before.succeeded) == (1, 1)
    assert len(transfers_of(stack, contact)) == 1
    assert stack.dlq_records() == []


def test_every_success_in_a_mixed_run_is_one_transfer_with_one_token(stack: LocalStack, events: Any) -> None:
    """A handful of escalations through both triggers with after-effect faults interleaved."""
    api_contacts = [task(stack) for _ in range(4)]
    event_contacts = [task(stack) for _ in range(4)]
    stack.connect.set_faults(
        FaultPlan(
            "TransferContact",
            script=["drop_after_effect", "ok", "slow_after_effect", "ok"] * 2,
            slow_seconds=0.1,
        )
    )

    put_breaches(events, event_contacts)
    answers = [escalate(stack, contact) for contact in api_contacts]
    wait_idle(stack)

    assert [answer.status for answer in answers] == [200] * 4
    ledger = stack.connect.ledger()
    tokens = [entry["client_token"] for entry in ledger]
    assert len(tokens) == len(set(tokens))
    for contact in api_contacts + event_contacts:
        assert len(transfers_of(stack, contact)) == 1, contact
