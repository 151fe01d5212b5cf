"""Escalating a waiting contact where it stands (UpdateContactRoutingData), through the real handler.

The shipped rules move voice and chat up at level 1 (priority 2) and level 2 (900 s of routing age).
"""

from __future__ import annotations

from typing import Any

import pytest

from escalation.domain.ledger import LedgerStatus
from tests.unit.builders import AGENT_ID, CONTACT_ID, INSTANCE_ID, api_event, contact, sla_event
from tests.unit.harness import AwsWorld, ConnectStub, api_body

Invoke = Any


def _waiting(channel: str = "VOICE", **routing: int) -> dict[str, Any]:
    described = contact(channel=channel)
    described["Contact"].update(routing)
    return described


def _expect_routing(connect_stub: ConnectStub, **member: int) -> None:
    connect_stub.stubber.add_response(
        "update_contact_routing_data", {}, {"InstanceId": INSTANCE_ID, "ContactId": CONTACT_ID, **member}
    )


def test_an_agent_moves_her_waiting_call_up_and_everything_says_prioritized(
    invoke: Invoke, connect_stub: ConnectStub, aws: AwsWorld
) -> None:
    connect_stub.describe(_waiting())
    _expect_routing(connect_stub, QueuePriority=2)
    connect_stub.update_attributes()
    response = invoke(api_event())
    assert response["statusCode"] == 200
    body = api_body(response)
    assert {key: body[key] for key in ("status", "level", "target", "newContactId", "newContactArn")} == {
        "status": "PRIORITIZED",
        "level": 1,
        "target": {"type": "IN_QUEUE", "priority": 2},
        "newContactId": None,
        "newContactArn": None,
    }
    assert body["fellBackToQueue"] is False
    (entry,) = aws.ledger()
    assert entry.status is LedgerStatus.PRIORITIZED
    assert entry.queue_before is not None
    assert entry.queue_before.priority is None  # never set before: Connect's default applied
    (event,) = aws.escalation_events()
    assert event["detail-type"] == "Escalation Prioritized"
    assert event["detail"]["target"] == {"type": "IN_QUEUE", "priority": 2}
    assert "note" not in event["detail"]
    assert aws.dead_letters() == []


def test_a_second_rung_adds_routing_age_and_counts_a_level_not_a_transfer(
    invoke: Invoke, connect_stub: ConnectStub, aws: AwsWorld
) -> None:
    connect_stub.describe(_waiting("CHAT"))
    _expect_routing(connect_stub, QueuePriority=2)
    connect_stub.update_attributes()
    assert api_body(invoke(api_event()))["level"] == 1
    connect_stub.describe(_waiting("CHAT", QueuePriority=2))
    _expect_routing(connect_stub, QueueTimeAdjustmentSeconds=900)
    connect_stub.update_attributes()
    second = api_body(invoke(api_event(headers={"Idempotency-Key": "second"})))
    assert (second["status"], second["level"], second["target"]) == (
        "PRIORITIZED",
        2,
        {"type": "IN_QUEUE", "ageSeconds": 900},
    )
    assert [entry.status for entry in aws.ledger()] == [LedgerStatus.PRIORITIZED] * 2


def test_a_priority_the_call_already_has_or_better_is_not_sent_and_the_rung_is_done(
    invoke: Invoke, connect_stub: ConnectStub, aws: AwsWorld
) -> None:
    connect_stub.describe(_waiting(QueuePriority=1))
    connect_stub.update_attributes()  # no UpdateContactRoutingData: the stubber fails on any other call
    body = api_body(invoke(api_event()))
    assert body["status"] == "PRIORITIZED"
    assert body["target"] == {"type": "IN_QUEUE", "priority": 1}  # what the call already has
    (entry,) = aws.ledger()
    assert entry.attempts[-1].error_code == "ALREADY_AT_PRIORITY"


def test_an_answered_call_is_409_contact_not_queued_and_its_breach_is_skipped(
    invoke: Invoke, connect_stub: ConnectStub, aws: AwsWorld
) -> None:
    answered = contact(channel="VOICE", connected=True)
    connect_stub.describe(answered)
    response = invoke(api_event())
    assert (response["statusCode"], api_body(response)["error"]) == (409, "CONTACT_NOT_QUEUED")
    connect_stub.describe(answered)
    result = invoke(sla_event())
    assert result["status"] == "SKIPPED"
    assert [entry.status for entry in aws.ledger()] == [LedgerStatus.REFUSED, LedgerStatus.SKIPPED]
    assert aws.dead_letters() == []


def test_a_conflict_because_the_call_was_answered_in_between_is_the_same_as_not_waiting(
    invoke: Invoke, connect_stub: ConnectStub, aws: AwsWorld
) -> None:
    connect_stub.describe(_waiting())
    connect_stub.error("update_contact_routing_data", "ResourceConflictException", 409)
    connect_stub.describe(contact(channel="VOICE", connected=True))  # it re-reads: answered meanwhile
    result = invoke(sla_event())
    assert result["status"] == "SKIPPED"
    (entry,) = aws.ledger()
    assert entry.status is LedgerStatus.SKIPPED
    assert aws.dead_letters() == []
    assert aws.alerts() == []


def test_an_age_adjustment_whose_answer_was_lost_is_never_added_twice(
    invoke: Invoke, connect_stub: ConnectStub, aws: AwsWorld
) -> None:
    aws.record_transfers(CONTACT_ID, 1)  # level 2 next: the 900 s age rung
    connect_stub.describe(_waiting(QueueTimeAdjustmentSeconds=60))
    # The call took effect, but its answer never came back: botocore gives up (no retry of its own).
    connect_stub.error("update_contact_routing_data", "InternalServiceException", 500)
    with pytest.raises(Exception, match="InternalServiceException"):
        invoke(sla_event())
    (pending,) = [entry for entry in aws.ledger() if entry.escalation_id != "earlier-0"]
    assert pending.status is LedgerStatus.FAILED
    assert pending.queue_before is not None
    assert pending.queue_before.age_adjustment_seconds == 60
    # Lambda's retry: DescribeContact shows 60 + 900, so the rung is done without a second call.
    connect_stub.describe(_waiting(QueueTimeAdjustmentSeconds=960))
    connect_stub.update_attributes()
    result = invoke(sla_event())
    assert (result["status"], result["target"]) == ("PRIORITIZED", {"type": "IN_QUEUE", "ageSeconds": 900})


def test_an_age_adjustment_that_did_not_take_effect_is_sent_again_on_the_retry(
    invoke: Invoke, connect_stub: ConnectStub, aws: AwsWorld
) -> None:
    aws.record_transfers(CONTACT_ID, 1)
    connect_stub.describe(_waiting())
    connect_stub.error("update_contact_routing_data", "InternalServiceException", 500)
    with pytest.raises(Exception, match="InternalServiceException"):
        invoke(sla_event())
    connect_stub.describe(_waiting())  # nothing changed on the contact
    _expect_routing(connect_stub, QueueTimeAdjustmentSeconds=900)
    connect_stub.update_attributes()
    assert invoke(sla_event())["status"] == "PRIORITIZED"


def test_a_voice_call_with_an_explicit_queue_is_409_channel_not_supported(
    invoke: Invoke, connect_stub: ConnectStub
) -> None:
    connect_stub.describe(_waiting())
    body = {"contactId": CONTACT_ID, "reason": "CUSTOMER_REQUEST", "target": {"queueId": "queue-tier2"}}
    response = invoke(api_event(body))
    assert (response["statusCode"], api_body(response)["error"]) == (409, "CHANNEL_NOT_SUPPORTED")


def test_a_task_moved_up_in_its_queue_spends_none_of_its_transfers(
    invoke: Invoke, connect_stub: ConnectStub, aws: AwsWorld, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    rules = tmp_path / "rules.json"
    rules.write_text('{"rules": [{"name": "up", "target": {"inQueue": {"priority": 1}}}]}')
    monkeypatch.setenv("ROUTING_RULES", str(rules))
    aws.record_transfers(CONTACT_ID, 11)  # at Connect's transfer limit
    connect_stub.describe(contact())  # a TASK waiting with its agent not yet connected
    _expect_routing(connect_stub, QueuePriority=1)
    connect_stub.update_attributes()
    body = api_body(invoke(api_event()))
    assert (body["status"], body["level"]) == ("PRIORITIZED", 12)
    assert AGENT_ID  # the caller is the contact's agent
