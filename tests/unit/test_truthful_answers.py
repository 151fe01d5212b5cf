"""No answer contradicts what Connect did (#19, finding 2), over in-memory fakes of the ports.

Once Connect confirmed a transfer, every answer for that escalation says so: when the ledger cannot
record it, the use case raises TransferNotRecorded (the triggers answer 503 saying the contact moved,
or retry the event), nothing is remembered as done, and the retry completes the ledger with the same
ClientToken; a repeat answered from the ledger gives the first answer again.
"""

from __future__ import annotations

import pytest

from escalation.domain.errors import IdempotencyStoreUnavailable, TransferNotRecorded
from escalation.domain.ledger import EscalationEvent, LedgerStatus
from escalation.domain.model import Status, Trigger
from tests.unit.test_service import World, make_contact, make_request


@pytest.fixture
def world() -> World:
    from tests.unit.fakes import FakeContactCenter  # noqa: PLC0415 - as test_service builds it

    return World.with_connect(FakeContactCenter())


@pytest.mark.parametrize("trigger", [Trigger.API, Trigger.EVENT])
def test_a_transfer_the_ledger_could_not_record_is_answered_as_done_and_completed_by_the_retry(
    world: World, trigger: Trigger
) -> None:
    world.add(make_contact())
    request = make_request(trigger)
    world.ledger.refused_statuses = {LedgerStatus.TRANSFERRED}

    with pytest.raises(TransferNotRecorded) as raised:
        world.service.escalate(request)
    assert raised.value.new_contact_id == "c-1-next"  # the contact Connect created
    assert world.ledger.statuses() == [LedgerStatus.PENDING]
    assert world.idempotency.remembered_keys() == set()  # the retry runs again

    result = world.service.escalate(request)

    assert (result.status, result.new_contact_id) == (Status.TRANSFERRED, "c-1-next")
    assert world.ledger.statuses() == [LedgerStatus.TRANSFERRED]
    tokens = {token for _, _, token in world.connect.transfers()}
    assert len(tokens) == 1  # the retry repeated the same ClientToken: Connect moves nothing twice
    assert world.events.kinds() == [EscalationEvent.TRANSFERRED]


def test_a_repeat_answered_from_the_ledger_gives_the_first_answer(world: World) -> None:
    world.add(make_contact())
    request = make_request()
    first = world.service.escalate(request)
    world.idempotency.forget()  # the idempotency record is gone (expired, or never stored)

    again = world.service.escalate(request)

    assert (again.status, again.new_contact_id, again.level) == (
        first.status,
        first.new_contact_id,
        first.level,
    )
    assert again.replayed  # counted as a duplicate, not as a second transfer
    assert len(world.connect.transfers()) == 1


def test_a_store_down_before_anything_ran_answers_the_transfer_the_ledger_confirmed(world: World) -> None:
    world.add(make_contact())
    request = make_request()
    first = world.service.escalate(request)
    world.idempotency.forget()
    world.idempotency.unavailable = True  # the desktop's retry meets a store that is down

    again = world.service.escalate(request)

    assert (again.status, again.new_contact_id) == (first.status, first.new_contact_id)
    assert len(world.connect.transfers()) == 1


def test_a_store_down_with_no_confirmed_transfer_still_says_so(world: World) -> None:
    world.add(make_contact())
    world.idempotency.unavailable = True
    with pytest.raises(IdempotencyStoreUnavailable):
        world.service.escalate(make_request())
    assert world.connect.transfers() == []
