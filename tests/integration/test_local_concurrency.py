"""The local API runs the production handler on threads of one process; Lambda never does.

Powertools' APIGatewayRestResolver keeps the request being handled in `app.current_event`, and the
resolver `app` is module-level in escalation.triggers.api. In Lambda one execution environment handles
one invocation at a time, so that is safe; in local.api.LocalApi (ThreadingHTTPServer, handler called
from every request thread) a second request overwrites the first one's `current_event` while the first
is still running. The first request then reads the second one's caller, headers or raw event.

This test makes the window deterministic: request A is held inside Connect (a `slow` fault) and fails
there (ServiceQuotaExceeded, so the handler writes a DLQ record from `app.current_event.raw_event`)
while request B completes. A's DLQ record must hold A's request.
"""

from __future__ import annotations

import json
import threading

from local.connect_emulator import FaultPlan
from local.stack import LocalStack
from tests.integration.support import ALICE, SUPERVISOR, dlq_of, post, wait_idle, wait_until
from tools.redrive import RedriveOptions, redrive


def test_a_request_held_in_connect_keeps_its_own_event_when_another_request_runs(
    stack: LocalStack,
) -> None:
    worn = stack.add_contact("TASK", queue_id="queue-tier1", agent_id="agent-alice", transfer_count=11)
    other = stack.add_contact("TASK", queue_id="queue-tier1", agent_id="agent-bob")
    stack.connect.set_faults(FaultPlan("TransferContact", script=["slow"], slow_seconds=1.5))
    transfers_before = stack.connect.stats()["requests"].get("TransferContact", 0)

    answers: dict[str, object] = {}
    held = threading.Thread(
        target=lambda: answers.update(a=post(stack, ALICE, {"contactId": worn, "reason": "CUSTOMER_UNHAPPY"}))
    )
    held.start()
    # A is inside TransferContact (held by the fault) before B starts.
    wait_until(
        lambda: stack.connect.stats()["requests"].get("TransferContact", 0) > transfers_before,
        timeout=10,
        what="request A to reach TransferContact",
    )
    answers["b"] = post(stack, SUPERVISOR, {"contactId": other, "reason": "CUSTOMER_REQUEST"})
    held.join(30)

    assert getattr(answers["b"], "status", None) == 200
    assert getattr(answers["a"], "status", None) == 409
    [record] = dlq_of(stack, worn)
    assert json.loads(record["originalEvent"]["body"])["contactId"] == worn


def test_twenty_concurrent_redrives_keep_every_record_its_own(stack: LocalStack) -> None:
    # Each contact has used up Connect's transfers: every escalation, and every redrive of it, fails
    # the same way and is dead-lettered again, by redrives that run in the function's async slots.
    contacts = [
        stack.add_contact("TASK", queue_id="queue-tier1", agent_id="agent-alice", transfer_count=11)
        for _ in range(20)
    ]
    for contact in contacts:
        assert post(stack, ALICE, {"contactId": contact, "reason": "CUSTOMER_UNHAPPY"}).status == 409

    summary = redrive(
        stack.aws.dlq_url,
        stack.bus.function.function_name,
        # The transfer limit is kept by a plain redrive (it cannot fix it): named, so all twenty run.
        RedriveOptions(
            wait_seconds=0,
            mac_key_id=stack.aws.mac_key_id,
            operator="oncall",
            include=frozenset({"ServiceQuotaExceededException"}),
        ),
    )
    wait_idle(stack)

    assert summary.redriven == 20
    for contact in contacts:
        [record] = dlq_of(stack, contact)
        assert record["request"]["contactId"] == contact
        assert record["originalEvent"]["escalationRedrive"]["request"]["contactId"] == contact
        assert record["request"]["requester"]["username"] == "alice"
    entries = {entry.contact_id: entry for entry in stack.ledger()}
    assert {entries[contact].redriven_by for contact in contacts} == {"oncall"}
