"""Duplicates: every event delivered 2-3 times (same batch, parallel PutEvents, late redelivery), and
double clicks on the desktop: exactly one transfer per escalation, and every repeat answers the first
result. Lambda's retry delays keep the default local shortening (0.5 s, 1 s), so a concurrent repeat
that meets the first one in flight is retried after it has finished, as with Lambda's minutes.
"""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
import pytest

from local.stack import LocalStack, StackOptions
from tests.integration.support import (
    ALICE,
    Answer,
    breach_entry,
    event_escalation_id,
    events_client,
    post,
    post_until_settled,
    put_entries,
    suite_stack_options,
    transfers_of,
    wait_idle,
)
from tests.reliability.sizes import DUPLICATE_CONTACTS


@pytest.fixture(scope="module")
def stack_options() -> StackOptions:
    # Retries as far apart as the stack's: a duplicate that meets the first one in flight is retried
    # after it has finished.
    return suite_stack_options(retry_delays=(0.5, 1.0))


def test_events_delivered_two_or_three_times_transfer_once(stack: LocalStack) -> None:
    contacts = [stack.add_contact("TASK", queue_id="queue-tier1") for _ in range(DUPLICATE_CONTACTS)]
    copies = {contact: 2 + index % 2 for index, contact in enumerate(contacts)}
    client = events_client()
    before = stack.bus.stats

    # A third of the contacts: all copies in one PutEvents batch (handled concurrently by the bus).
    same_batch = contacts[0::3]
    for contact in same_batch:
        put_entries(client, [breach_entry(contact)] * copies[contact])
    # A third: each copy from its own thread, at the same moment.
    parallel = contacts[1::3]
    barrier = threading.Barrier(len(parallel) * 3)

    def send(contact: str, copy: int) -> None:
        barrier.wait(10)
        if copy < copies[contact]:
            put_entries(events_client(), [breach_entry(contact)])

    threads = [threading.Thread(target=send, args=(c, i)) for c in parallel for i in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    # A third: one now, the repeats after the first has finished (a late redelivery).
    late = contacts[2::3]
    put_entries(client, [breach_entry(contact) for contact in late])
    wait_idle(stack)
    for contact in late:
        put_entries(client, [breach_entry(contact)] * (copies[contact] - 1))
    wait_idle(stack)

    after = stack.bus.stats
    assert after.events_matched - before.events_matched == sum(copies.values())
    for contact in contacts:
        [entry] = transfers_of(stack, contact)
        assert entry["client_token"] == event_escalation_id(contact)
    assert after.failures == before.failures  # no repeat ran out of retries
    assert stack.dlq_records() == []

    # A repeat answers the first result: invoke one synchronously, as a redrive would run it.
    lam = boto3.client("lambda")
    for contact in contacts[:5]:
        event = next(e for e in stack.bus.matched_events if e["detail"]["contactId"] == contact)
        response = lam.invoke(
            FunctionName=stack.bus.function.function_name, Payload=json.dumps(event).encode()
        )
        assert "FunctionError" not in response
        result = json.loads(response["Payload"].read())
        [entry] = transfers_of(stack, contact)
        assert result["status"] == "TRANSFERRED"
        assert result["newContactId"] == entry["new_contact_id"]
        assert len(transfers_of(stack, contact)) == 1


def _clicks(stack: LocalStack, body: dict[str, Any], count: int) -> list[Answer]:
    barrier = threading.Barrier(count)

    def click() -> Answer:
        barrier.wait(10)
        return post(stack, ALICE, body)

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(lambda _: click(), range(count)))


def test_double_clicks_transfer_once_and_every_click_gets_the_first_answer(stack: LocalStack) -> None:
    in_progress = 0
    # Contacts one after the other (see test_faults.DESKTOPS); the clicks on one contact at once.
    for index in range(DUPLICATE_CONTACTS):
        contact = stack.add_contact("EMAIL", queue_id="queue-tier1", agent_id="agent-alice")
        body = {"contactId": contact, "reason": "CUSTOMER_UNHAPPY"}

        answers = _clicks(stack, body, 2 + index % 2)

        finals = []
        for answer in answers:
            if answer.status == 409:
                assert answer.error == "ESCALATION_IN_PROGRESS", answer
                assert answer.headers["Retry-After"] == "2"
                in_progress += 1
                answer, _ = post_until_settled(stack, ALICE, body)  # noqa: PLW2901 - the click's retry
            finals.append(answer)
        assert [a.status for a in finals] == [200] * len(finals), finals
        assert all(a.body == finals[0].body for a in finals), finals
        [entry] = transfers_of(stack, contact)
        assert finals[0].body["newContactId"] == entry["new_contact_id"]
        assert finals[0].body["status"] == "TRANSFERRED"

        later = post(stack, ALICE, body)
        assert (later.status, later.body) == (200, finals[0].body)
        assert len(transfers_of(stack, contact)) == 1
    print(f"\n{in_progress} click(s) met the first one in flight (409 ESCALATION_IN_PROGRESS)")
    assert stack.dlq_records() == []


def test_clicks_with_their_own_idempotency_keys_still_transfer_once(stack: LocalStack) -> None:
    contact = stack.add_contact("TASK", queue_id="queue-tier1", agent_id="agent-alice")
    body = {"contactId": contact, "reason": "CUSTOMER_UNHAPPY"}

    first = post(stack, ALICE, body, idempotency_key="click-1")
    again = post(stack, ALICE, body, idempotency_key="click-1")
    second = post(stack, ALICE, body, idempotency_key="click-2")

    assert first.status == 200
    assert again.body == first.body
    # A new key is a new escalation of a contact that has now ended.
    assert (second.status, second.error) == (409, "CONTACT_ENDED")
    assert len(transfers_of(stack, contact)) == 1


def test_an_sla_breach_and_a_click_on_the_same_contact_transfer_once(stack: LocalStack) -> None:
    client = events_client()
    outcomes = []
    for _ in range(5):
        contact = stack.add_contact("TASK", queue_id="queue-tier1", agent_id="agent-alice")
        start = threading.Barrier(2)

        def breach(contact: str = contact, start: threading.Barrier = start) -> None:
            start.wait(10)
            put_entries(client, [breach_entry(contact)])

        thread = threading.Thread(target=breach)
        thread.start()
        start.wait(10)
        answer = post(stack, ALICE, {"contactId": contact, "reason": "CUSTOMER_UNHAPPY"})
        thread.join(10)
        wait_idle(stack)

        assert len(transfers_of(stack, contact)) == 1
        # Two different escalations (reasons differ): the loser finds the contact moved.
        assert (answer.status, answer.error) in {
            (200, None),
            (409, "CONTACT_ENDED"),
            (409, "INVALID_REQUEST"),
        }
        outcomes.append((answer.status, answer.error))
    print(f"\nclick outcomes against a concurrent breach: {outcomes}")
