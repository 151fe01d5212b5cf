"""A timer's breach is escalated only while its contact still waits, on one read of the contact."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from escalation.domain.errors import EscalationRefused
from escalation.domain.identity import escalation_id
from escalation.domain.model import Contact, EscalationRequest, Status, Trigger
from escalation.domain.policy import Refusal
from escalation.domain.routing import parse_rules
from escalation.usecases.escalate import EscalationPorts, EscalationService
from tests.unit.fakes import DictIdempotency, FakeContactCenter, InMemoryLedger, RecordingEvents

RULES = parse_rules(
    json.dumps({"rules": [{"name": "tier2", "target": {"queue": {"id": "q-tier2", "flowId": "flow-q"}}}]})
)
WAITING = Contact("c-1", "c-1", "TASK", False, queue_id="q-tier1")


class World:
    def __init__(self, *contacts: Contact) -> None:
        self.connect = FakeContactCenter(contacts={c.contact_id: c for c in contacts})
        self.idempotency, self.ledger, self.events = DictIdempotency(), InMemoryLedger(), RecordingEvents()
        self.service = EscalationService(
            EscalationPorts(self.connect, lambda: RULES, self.idempotency, self.ledger, self.events),
            "supervisors",
        )

    def describes(self) -> int:
        return self.connect.operations().count("DescribeContact")


def breach(contact_id: str = "c-1", *, only_while_waiting: bool = True) -> EscalationRequest:
    return EscalationRequest(
        trigger=Trigger.EVENT,
        escalation_id=escalation_id("instance-1", contact_id, "SLA_BREACH"),
        contact_id=contact_id,
        reason="SLA_BREACH",
        only_while_waiting=only_while_waiting,
    )


def test_a_fired_breach_of_a_waiting_contact_describes_it_exactly_once() -> None:
    world = World(WAITING)
    result = world.service.escalate(breach())
    assert result.status is Status.TRANSFERRED
    assert world.describes() == 1
    assert world.connect.operations() == ["DescribeContact", "TransferContact", "UpdateContactAttributes"]


@pytest.mark.parametrize(
    "contact",
    [
        pytest.param(replace(WAITING, agent_connected=True, agent_id="agent-1"), id="with-an-agent"),
        pytest.param(replace(WAITING, ended=True), id="ended"),
        pytest.param(replace(WAITING, queue_id=None), id="in-no-queue"),
    ],
)
def test_a_stale_breach_is_not_waiting_and_moves_and_records_nothing(contact: Contact) -> None:
    world = World(contact)
    result = world.service.escalate(breach())
    assert (result.status, result.escalation_id, result.contact_id) == (
        Status.NOT_WAITING,
        breach().escalation_id,
        "c-1",
    )
    assert world.connect.operations() == ["DescribeContact"]
    assert world.idempotency.remembered_keys() == set()
    assert world.ledger.saved == []
    assert world.events.published == []


def test_a_stale_repeat_of_a_breach_already_escalated_is_not_waiting_either() -> None:
    world = World(WAITING)
    world.service.escalate(breach())
    world.connect.contacts["c-1"] = replace(WAITING, ended=True)  # moved on by the transfer
    assert world.service.escalate(breach()).status is Status.NOT_WAITING


def test_a_contact_the_caller_already_read_is_not_described_again() -> None:
    world = World(WAITING)
    assert world.service.escalate(breach(), WAITING).status is Status.TRANSFERRED
    assert world.describes() == 0
    stale = replace(WAITING, contact_id="c-2", ended=True)
    assert world.service.escalate(breach("c-2"), stale).status is Status.NOT_WAITING
    assert world.describes() == 0


def test_a_breach_from_another_producer_is_escalated_without_the_waiting_check() -> None:
    # No timer armed it, so nothing says it must still wait: an ended contact is skipped, as ever.
    world = World(replace(WAITING, ended=True))
    result = world.service.escalate(breach(only_while_waiting=False))
    assert result.status is Status.SKIPPED
    assert world.describes() == 1


def test_a_breach_of_a_contact_connect_does_not_know_is_refused_as_not_found() -> None:
    world = World()
    with pytest.raises(EscalationRefused) as refused:
        world.service.escalate(breach())
    assert refused.value.reason is Refusal.CONTACT_NOT_FOUND
    assert world.describes() == 1
