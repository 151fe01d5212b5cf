"""Every channel on the local stack: a voice call's SLA timer, armed by Connect's own QUEUED event and
fired by the local scheduler, moves the waiting call up in its queue (UpdateContactRoutingData, under
the deployed IAM policy); a call answered in time is left alone. The local stack times every channel,
as a stack deployed with `-c timedChannels=VOICE,CHAT,TASK,EMAIL`."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from escalation.contract import EnvVar
from escalation.domain.ledger import LedgerStatus
from local.connect_emulator import ContactAcceptance, ContactRef
from local.stack import INSTANCE_ID, LocalStack, StackOptions
from tests.integration.support import BUNDLED_RULES, ManualClock, suite_stack_options, wait_until

SLA_SECONDS = 120


CLOCK = ManualClock()


@pytest.fixture(scope="module")
def stack_options(tmp_path_factory: pytest.TempPathFactory) -> StackOptions:
    document = json.loads(BUNDLED_RULES.read_text())
    document["sla"] = [{"name": "calls-2m", "match": {"channels": ["VOICE"]}, "seconds": SLA_SECONDS}]
    rules: Path = tmp_path_factory.mktemp("voice-rules") / "routing_rules.json"
    rules.write_text(json.dumps(document))
    return suite_stack_options(
        sla_timers=True, scheduler_clock=CLOCK, extra_env={EnvVar.ROUTING_RULES: str(rules)}
    )


def _priority(stack: LocalStack, contact_id: str) -> int | None:
    return stack.connect.get_contact(ContactRef(INSTANCE_ID, contact_id))["queue_priority"]


def test_a_waiting_calls_breach_moves_it_up_and_an_answered_call_is_left_alone(stack: LocalStack) -> None:
    CLOCK.now = time.time()
    waiting = stack.add_contact("VOICE", queue_id="queue-tier1")
    answered = stack.add_contact("VOICE", queue_id="queue-tier1")
    wait_until(lambda: len(stack.schedules()) == 2, timeout=15, what="one timer armed per queued call")
    stack.connect.accept_contact(ContactAcceptance(INSTANCE_ID, answered))
    wait_until(lambda: len(stack.schedules()) == 1, timeout=15, what="the answered call's timer is cancelled")
    assert stack.bus.wait_idle(10)

    CLOCK.now = time.time() + SLA_SECONDS + 90
    wait_until(lambda: _priority(stack, waiting) == 2, timeout=15, what="it")
    wait_until(lambda: stack.schedules() == [], timeout=15, what="it")
    assert stack.bus.wait_idle(10)

    assert _priority(stack, answered) is None
    (entry,) = [e for e in stack.ledger() if e.contact_id == waiting]
    assert entry.status is LedgerStatus.PRIORITIZED
    assert entry.target is not None
    assert entry.target.to_dict() == {"type": "IN_QUEUE", "priority": 2}
    assert not [e for e in stack.ledger() if e.contact_id == answered]
    assert stack.transfers() == []  # moved up where it waits: nothing was transferred
