"""The escalation use case over in-memory fakes of its ports (no boto3, no moto)."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any

import pytest

from escalation.domain.errors import ConnectCallFailed, EscalationRefused, LedgerUnavailable
from escalation.domain.identity import escalation_id
from escalation.domain.ledger import EscalationEvent, LedgerEntry, LedgerStatus
from escalation.domain.model import (
    Caller,
    Contact,
    ContactAttribute,
    EscalationRequest,
    RequestedTarget,
    Status,
    Target,
    TargetType,
    Trigger,
)
from escalation.domain.policy import Failure, Refusal
from escalation.domain.routing import RoutingRules, parse_rules
from escalation.ports import TransferReceipt
from escalation.usecases.escalate import EscalationPorts, EscalationService
from tests.unit.fakes import DictIdempotency, FakeContactCenter, InMemoryLedger, RecordingEvents

INSTANCE = "instance-1"
SUPERVISORS = "supervisors"

RULES = parse_rules(
    json.dumps(
        {
            "rules": [
                {
                    "name": "vip-agent",
                    "match": {"reasons": ["VIP"], "levels": [1]},
                    "target": {
                        "agent": {
                            "id": "agent-am",
                            "flowId": "flow-agent",
                            "fallbackQueue": {"id": "q-tier2", "flowId": "flow-q"},
                        }
                    },
                },
                {
                    "name": "vip-agent-strict",
                    "match": {"reasons": ["VIP_STRICT"]},
                    "target": {"agent": {"id": "agent-am", "flowId": "flow-agent"}},
                },
                {
                    "name": "level-1",
                    "match": {"levels": [1]},
                    "target": {"queue": {"id": "q-tier2", "flowId": "flow-q"}},
                    "explicitTargets": {
                        "queueIds": ["q-supervisors"],
                        "queueFlowId": "flow-q",
                        "userIds": ["*"],
                        "agentFlowId": "flow-agent",
                    },
                },
                {
                    "name": "level-2",
                    "match": {"levels": [2]},
                    "target": {"queue": {"id": "q-supervisors", "flowId": "flow-q"}},
                },
                {"name": "higher", "target": {"queue": {"id": "q-managers", "flowId": "flow-q"}}},
            ]
        }
    )
)


AGENT = Caller("alice", "agent-1", frozenset({"agents"}))


def make_contact(contact_id: str = "c-1", **overrides: Any) -> Contact:
    base = Contact(contact_id, contact_id, "TASK", False, queue_id="q-tier1", agent_id="agent-1")
    return replace(base, **overrides)


def make_request(
    trigger: Trigger = Trigger.API,
    contact_id: str = "c-1",
    reason: str = "LATE",
    *,
    caller: Caller | None = AGENT,
    target: RequestedTarget | None = None,
    note: str | None = None,
    key: str | None = None,
) -> EscalationRequest:
    return EscalationRequest(
        trigger=trigger,
        escalation_id=escalation_id(b"test-secret", INSTANCE, contact_id, reason, key),
        contact_id=contact_id,
        reason=reason,
        requested_target=target,
        note=note,
        caller=caller if trigger is Trigger.API else None,
    )


@dataclass
class World:
    connect: FakeContactCenter
    idempotency: DictIdempotency
    ledger: InMemoryLedger
    events: RecordingEvents
    service: EscalationService
    attribute_failures: list[ConnectCallFailed]

    def add(self, contact: Contact) -> Contact:
        self.connect.contacts[contact.contact_id] = contact
        return contact

    def record(self, *entries: LedgerEntry) -> None:
        for entry in entries:
            self.ledger.save(entry)
        self.ledger.saved.clear()

    @classmethod
    def with_connect(cls, connect: FakeContactCenter, rules: RoutingRules = RULES) -> World:
        idempotency, ledger, events = DictIdempotency(), InMemoryLedger(), RecordingEvents()
        attribute_failures: list[ConnectCallFailed] = []
        service = EscalationService(
            EscalationPorts(connect, lambda: rules, idempotency, ledger, events),
            SUPERVISORS,
            on_attributes_failed=attribute_failures.append,
        )
        return cls(connect, idempotency, ledger, events, service, attribute_failures)


def entry(
    escalation: str,
    status: LedgerStatus,
    level: int | None = 1,
    *,
    chain: str = "c-1",
    trigger: Trigger = Trigger.API,
    target: Target | None = Target(TargetType.QUEUE, "q-tier2", "flow-q"),  # noqa: B008 - frozen
    created_at: str = "2026-01-01T00:00:00+00:00",
) -> LedgerEntry:
    return LedgerEntry(
        chain_id=chain,
        escalation_id=escalation,
        contact_id=chain,
        trigger=trigger,
        reason="LATE",
        requester="alice",
        status=status,
        created_at=created_at,
        updated_at=created_at,
        level=level,
        target=target,
    )


def confirmed_transfers(count: int) -> list[LedgerEntry]:
    return [
        entry(f"done-{n}", LedgerStatus.TRANSFERRED, n + 1, created_at=f"2026-01-01T00:{n:02d}:00+00:00")
        for n in range(count)
    ]


@pytest.fixture
def world() -> World:
    return World.with_connect(FakeContactCenter())


def refusal_of(world: World, request: EscalationRequest) -> Refusal:
    with pytest.raises(EscalationRefused) as raised:
        world.service.escalate(request)
    return raised.value.reason


# --- success --------------------------------------------------------------------------------------


def test_success_writes_the_confirmed_attributes_on_the_new_contact_after_the_transfer(world: World) -> None:
    world.add(make_contact())
    request = make_request(note="customer waited 3 days")

    result = world.service.escalate(request)

    assert world.connect.operations() == ["DescribeContact", "TransferContact", "UpdateContactAttributes"]
    [(written_to, _)] = [args for name, args in world.connect.calls if name == "UpdateContactAttributes"]
    assert written_to == "c-1-next"
    assert world.connect.attribute_writes() == [
        {
            ContactAttribute.LEVEL: "1",
            ContactAttribute.REASON: "LATE",
            ContactAttribute.ESCALATION_ID: request.escalation_id,
            ContactAttribute.TRANSFER_COUNT: "1",
            ContactAttribute.TRIGGER: "API",
            ContactAttribute.NOTE: "customer waited 3 days",
        }
    ]
    assert world.connect.transfers() == [
        ("c-1", Target(TargetType.QUEUE, "q-tier2", "flow-q"), request.escalation_id)
    ]
    assert result.status is Status.TRANSFERRED
    assert result.escalation_id == request.escalation_id
    assert result.level == 1
    assert result.target == Target(TargetType.QUEUE, "q-tier2", "flow-q")
    assert result.new_contact_id == "c-1-next"
    assert result.new_contact_arn == "arn:contact/c-1-next"
    assert not result.fell_back_to_queue
    assert not result.replayed


def test_no_note_no_note_attribute(world: World) -> None:
    world.add(make_contact())
    world.service.escalate(make_request(Trigger.EVENT))
    (written,) = world.connect.attribute_writes()
    assert ContactAttribute.NOTE not in written
    assert written[ContactAttribute.TRIGGER] == "EVENT"


def test_the_transfer_count_continues_from_the_ledgers_confirmed_transfers(world: World) -> None:
    world.add(make_contact())
    world.record(*confirmed_transfers(2), entry("failed", LedgerStatus.FAILED, 3))
    world.service.escalate(make_request())
    (written,) = world.connect.attribute_writes()
    assert written[ContactAttribute.TRANSFER_COUNT] == "3"
    assert written[ContactAttribute.LEVEL] == "3"


def test_the_contacts_own_attributes_count_for_nothing(world: World) -> None:
    # Anyone with UpdateContactAttributes can write them; an earlier version wrote them before failing.
    world.add(make_contact(attributes={ContactAttribute.TRANSFER_COUNT: "11", ContactAttribute.LEVEL: "5"}))
    result = world.service.escalate(make_request())
    assert (result.status, result.level) == (Status.TRANSFERRED, 1)


@pytest.mark.parametrize(
    ("confirmed", "expected_level", "expected_queue"),
    [(0, 1, "q-tier2"), (1, 2, "q-supervisors"), (2, 3, "q-managers"), (9, 10, "q-managers")],
)
def test_the_ladder_level_comes_from_the_ledger(
    world: World, confirmed: int, expected_level: int, expected_queue: str
) -> None:
    world.add(make_contact())
    world.record(*confirmed_transfers(confirmed))
    result = world.service.escalate(make_request())
    assert result.level == expected_level
    assert result.target is not None
    assert result.target.id == expected_queue


# --- authorisation --------------------------------------------------------------------------------


def test_the_contacts_agent_may_escalate(world: World) -> None:
    world.add(make_contact(agent_id="agent-1"))
    assert world.service.escalate(make_request(caller=AGENT)).status is Status.TRANSFERRED


INSTANCE_ARN = "arn:aws:connect:us-east-1:123456789012:instance/instance-1"


def test_the_agent_may_be_named_by_this_instances_agent_arn(world: World) -> None:
    world.add(make_contact(agent_id="agent-1", arn=f"{INSTANCE_ARN}/contact/c-1"))
    caller = Caller("alice", f"{INSTANCE_ARN}/agent/agent-1", frozenset())
    assert world.service.escalate(make_request(caller=caller)).status is Status.TRANSFERRED


@pytest.mark.parametrize(
    "user_id_claim",
    [
        pytest.param("x/agent-1", id="path-ending-in-the-id"),
        pytest.param(
            "arn:aws:connect:us-east-1:123456789012:instance/other/agent/agent-1", id="other-instance"
        ),
        pytest.param(
            "arn:aws:connect:eu-west-1:123456789012:instance/instance-1/agent/agent-1", id="other-region"
        ),
        pytest.param(f"{INSTANCE_ARN}/queue/agent-1", id="a-queue-arn"),
        pytest.param("agent-1 ", id="trailing-space"),
        pytest.param("AGENT-1", id="other-case"),
    ],
)
def test_a_user_id_claim_must_name_the_agent_exactly(world: World, user_id_claim: str) -> None:
    world.add(make_contact(agent_id="agent-1", arn=f"{INSTANCE_ARN}/contact/c-1"))
    caller = Caller("mallory", user_id_claim, frozenset({"agents"}))
    assert refusal_of(world, make_request(caller=caller)) is Refusal.FORBIDDEN
    assert world.connect.attribute_writes() == []


def test_a_supervisor_may_escalate_any_contact(world: World) -> None:
    world.add(make_contact(agent_id="agent-9"))
    supervisor = Caller("sam", None, frozenset({"agents", SUPERVISORS}))
    assert world.service.escalate(make_request(caller=supervisor)).status is Status.TRANSFERRED


@pytest.mark.parametrize(
    ("caller", "agent_id"),
    [
        pytest.param(Caller("bob", "agent-2", frozenset({"agents"})), "agent-1", id="another-agent"),
        pytest.param(None, "agent-1", id="no-caller"),
        pytest.param(Caller("carol", None, frozenset()), "agent-1", id="caller-without-connect-id"),
        pytest.param(Caller("dave", "agent-1", frozenset()), None, id="contact-without-agent"),
        pytest.param(Caller("eve", "", frozenset()), None, id="empty-ids-do-not-match"),
        pytest.param(
            Caller("sue", "agent-2", frozenset({"Supervisors"})), "agent-1", id="group-case-matters"
        ),
    ],
)
def test_anyone_else_is_forbidden_and_nothing_is_written(
    world: World, caller: Caller | None, agent_id: str | None
) -> None:
    world.add(make_contact(agent_id=agent_id))
    assert refusal_of(world, make_request(caller=caller)) is Refusal.FORBIDDEN
    assert world.connect.operations() == ["DescribeContact"]


def test_events_need_no_caller(world: World) -> None:
    world.add(make_contact(agent_id=None))
    assert world.service.escalate(make_request(Trigger.EVENT)).status is Status.TRANSFERRED


# --- agents and fallback --------------------------------------------------------------------------


def test_an_available_agent_gets_the_contact(world: World) -> None:
    world.add(make_contact())
    world.connect.available_agents.add("agent-am")
    result = world.service.escalate(make_request(reason="VIP"))
    assert world.connect.availability_checks() == [("agent-am", "TASK")]
    assert result.target == Target(TargetType.AGENT, "agent-am", "flow-agent")
    assert not result.fell_back_to_queue


def test_an_unavailable_agent_falls_back_to_the_queue(world: World) -> None:
    world.add(make_contact())
    result = world.service.escalate(make_request(reason="VIP"))
    (transfer,) = world.connect.transfers()
    assert transfer[1] == Target(TargetType.QUEUE, "q-tier2", "flow-q")
    assert result.target == Target(TargetType.QUEUE, "q-tier2", "flow-q")
    assert result.fell_back_to_queue


def test_an_unavailable_agent_without_fallback_is_refused_before_any_write(world: World) -> None:
    world.add(make_contact())
    assert refusal_of(world, make_request(reason="VIP_STRICT")) is Refusal.AGENT_UNAVAILABLE
    assert "UpdateContactAttributes" not in world.connect.operations()
    assert world.connect.transfers() == []


def test_an_explicit_agent_falls_back_to_the_rules_queue(world: World) -> None:
    world.add(make_contact())
    result = world.service.escalate(make_request(target=RequestedTarget(user_id="agent-7")))
    assert result.target == Target(TargetType.QUEUE, "q-tier2", "flow-q")
    assert result.fell_back_to_queue


@pytest.mark.parametrize(
    ("requested", "expected"),
    [
        pytest.param(
            RequestedTarget(queue_id=f"{INSTANCE_ARN}/queue/q-supervisors"),
            Target(TargetType.QUEUE, "q-supervisors", "flow-q"),
            id="this-instances-queue-arn",
        ),
        pytest.param(
            RequestedTarget(user_id=f"{INSTANCE_ARN}/agent/agent-7"),
            Target(TargetType.AGENT, "agent-7", "flow-agent"),
            id="this-instances-agent-arn",
        ),
    ],
)
def test_this_instances_target_arns_are_accepted_as_their_ids(
    world: World, requested: RequestedTarget, expected: Target
) -> None:
    world.add(make_contact(arn=f"{INSTANCE_ARN}/contact/c-1"))
    world.connect.available_agents.add("agent-7")
    result = world.service.escalate(make_request(target=requested))
    assert result.target == expected
    assert world.connect.transfers()[0][1] == expected


OTHER_ARN = "arn:aws:connect:us-east-1:123456789012:instance/other"


@pytest.mark.parametrize(
    "requested",
    [
        pytest.param(RequestedTarget(queue_id=f"{OTHER_ARN}/queue/q-supervisors"), id="other-queue-arn"),
        pytest.param(RequestedTarget(user_id=f"{OTHER_ARN}/agent/agent-7"), id="other-agent-arn"),
        pytest.param(RequestedTarget(user_id=f"{INSTANCE_ARN}/queue/agent-7"), id="agent-named-by-queue-arn"),
        pytest.param(RequestedTarget(queue_id=f"{INSTANCE_ARN}/queue/x/q-supervisors"), id="deeper-path"),
    ],
)
def test_another_instances_target_arns_are_refused(world: World, requested: RequestedTarget) -> None:
    world.add(make_contact(arn=f"{INSTANCE_ARN}/contact/c-1"))
    world.connect.available_agents.add("agent-7")
    assert refusal_of(world, make_request(target=requested)) is Refusal.TARGET_NOT_ALLOWED
    assert world.connect.transfers() == []


def test_an_explicit_queue_that_the_rules_allow(world: World) -> None:
    world.add(make_contact())
    result = world.service.escalate(make_request(target=RequestedTarget(queue_id="q-supervisors")))
    assert result.target == Target(TargetType.QUEUE, "q-supervisors", "flow-q")


def test_an_explicit_queue_that_the_rules_do_not_allow(world: World) -> None:
    world.add(make_contact())
    refused = refusal_of(world, make_request(target=RequestedTarget(queue_id="q-anything")))
    assert refused is Refusal.TARGET_NOT_ALLOWED
    assert world.connect.transfers() == []


def test_a_failing_availability_check_fails_the_escalation(world: World) -> None:
    world.add(make_contact())
    world.connect.fail("GetCurrentUserData", Failure.THROTTLED)
    with pytest.raises(ConnectCallFailed):
        world.service.escalate(make_request(reason="VIP"))
    assert world.connect.transfers() == []


# --- pre-flight -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("contact_changes", "refusal"),
    [
        ({"channel": "VOICE"}, Refusal.CHANNEL_NOT_SUPPORTED),
        ({"channel": "CHAT"}, Refusal.CHANNEL_NOT_SUPPORTED),
        ({"ended": True}, Refusal.CONTACT_ENDED),
    ],
)
def test_not_transferable_contacts_are_refused_without_writes(
    world: World, contact_changes: dict[str, Any], refusal: Refusal
) -> None:
    world.add(make_contact(**contact_changes))
    assert refusal_of(world, make_request()) is refusal
    assert world.connect.operations() == ["DescribeContact"]


def test_eleven_confirmed_transfers_refuse_a_twelfth_before_connect(world: World) -> None:
    world.add(make_contact())
    world.record(*confirmed_transfers(11))
    assert refusal_of(world, make_request()) is Refusal.TRANSFER_LIMIT_REACHED
    assert world.connect.transfers() == []


def test_an_ended_contact_on_an_event_is_skipped(world: World) -> None:
    world.add(make_contact(ended=True))
    world.record(*confirmed_transfers(1))
    result = world.service.escalate(make_request(Trigger.EVENT))
    assert result.status is Status.SKIPPED
    assert result.level == 1
    assert result.target is None
    assert world.connect.operations() == ["DescribeContact"]


def test_an_ended_contact_on_the_api_is_refused(world: World) -> None:
    world.add(make_contact(ended=True))
    assert refusal_of(world, make_request(Trigger.API)) is Refusal.CONTACT_ENDED


def test_a_contact_connect_does_not_know_is_not_found_for_a_supervisor(world: World) -> None:
    supervisor = Caller("sam", None, frozenset({SUPERVISORS}))
    request = make_request(contact_id="c-missing", caller=supervisor)
    assert refusal_of(world, request) is Refusal.CONTACT_NOT_FOUND


def test_anyone_else_is_forbidden_whether_or_not_the_contact_exists(world: World) -> None:
    world.add(make_contact(agent_id="agent-9"))
    assert refusal_of(world, make_request(contact_id="c-1")) is Refusal.FORBIDDEN
    assert refusal_of(world, make_request(contact_id="c-missing")) is Refusal.FORBIDDEN


def test_an_unknown_contact_on_an_event_is_not_found(world: World) -> None:
    assert refusal_of(world, make_request(Trigger.EVENT, contact_id="c-missing")) is Refusal.CONTACT_NOT_FOUND


def test_a_describe_failure_other_than_not_found_propagates(world: World) -> None:
    world.add(make_contact())
    world.connect.fail("DescribeContact", Failure.THROTTLED)
    with pytest.raises(ConnectCallFailed) as raised:
        world.service.escalate(make_request())
    assert raised.value.kind is Failure.THROTTLED


# --- resuming an escalation that an earlier attempt started ----------------------------------------


def resumed_contact(world: World, request: EscalationRequest, *, ended: bool) -> Contact:
    # What an earlier attempt left behind: its PENDING ledger entry, written before its transfer.
    world.record(entry(request.escalation_id, LedgerStatus.PENDING, 1, trigger=request.trigger))
    return make_contact(ended=ended)


@pytest.mark.parametrize("trigger", list(Trigger))
def test_resuming_an_ended_contact_replays_the_transfer_with_the_same_token(
    world: World, trigger: Trigger
) -> None:
    request = make_request(trigger)
    world.add(resumed_contact(world, request, ended=True))
    result = world.service.escalate(request)
    assert world.connect.operations()[:2] == ["DescribeContact", "TransferContact"]
    (transfer,) = world.connect.transfers()
    assert transfer[2] == request.escalation_id
    assert result.level == 1  # the level the first attempt recorded, not one more
    assert result.status is Status.TRANSFERRED


def test_resuming_an_active_contact_keeps_the_recorded_level(world: World) -> None:
    request = make_request()
    world.add(resumed_contact(world, request, ended=False))
    result = world.service.escalate(request)
    assert result.level == 1
    assert result.target == Target(TargetType.QUEUE, "q-tier2", "flow-q")
    assert world.ledger.statuses() == [LedgerStatus.TRANSFERRED]


def test_another_escalations_attributes_are_not_a_resume(world: World) -> None:
    earlier = make_request(reason="OTHER")
    world.add(resumed_contact(world, earlier, ended=True))
    assert refusal_of(world, make_request()) is Refusal.CONTACT_ENDED


def test_a_resumed_transfer_refused_as_invalid_on_an_ended_contact_is_skipped_for_an_event(
    world: World,
) -> None:
    request = make_request(Trigger.EVENT)
    world.add(resumed_contact(world, request, ended=True))
    world.connect.fail("TransferContact", Failure.INVALID_REQUEST)
    assert world.service.escalate(request).status is Status.SKIPPED


def test_a_resumed_transfer_refused_as_invalid_on_an_ended_contact_is_contact_ended_for_the_api(
    world: World,
) -> None:
    request = make_request(Trigger.API)
    world.add(resumed_contact(world, request, ended=True))
    world.connect.fail("TransferContact", Failure.INVALID_REQUEST)
    assert refusal_of(world, request) is Refusal.CONTACT_ENDED


def test_an_invalid_request_on_a_fresh_escalation_propagates(world: World) -> None:
    world.add(make_contact())
    world.connect.fail("TransferContact", Failure.INVALID_REQUEST)
    with pytest.raises(ConnectCallFailed) as raised:
        world.service.escalate(make_request(Trigger.EVENT))
    assert raised.value.kind is Failure.INVALID_REQUEST


# --- Connect failures and idempotency --------------------------------------------------------------


def test_connects_idempotency_exception_means_already_transferred(world: World) -> None:
    world.add(make_contact())
    world.connect.fail("TransferContact", Failure.IDEMPOTENCY_CONFLICT)
    result = world.service.escalate(make_request())
    assert result.status is Status.ALREADY_TRANSFERRED
    assert result.target == Target(TargetType.QUEUE, "q-tier2", "flow-q")
    assert result.new_contact_id is None


@pytest.mark.parametrize(
    "failure",
    [f for f in Failure if f is not Failure.IDEMPOTENCY_CONFLICT],
)
def test_other_transfer_failures_propagate_and_are_not_remembered(world: World, failure: Failure) -> None:
    world.add(make_contact())
    request = make_request()
    world.connect.fail("TransferContact", failure)
    with pytest.raises(ConnectCallFailed) as raised:
        world.service.escalate(request)
    assert raised.value.kind is failure
    assert request.escalation_id not in world.idempotency.remembered_keys()
    # A retry runs again, recognises its own attributes and transfers with the same token.
    world.add(resumed_contact(world, request, ended=False))
    assert world.service.escalate(request).status is Status.TRANSFERRED
    assert [t[2] for t in world.connect.transfers()] == [request.escalation_id] * 2


def test_a_repeat_answers_the_first_result_without_a_second_transfer(world: World) -> None:
    world.add(make_contact())
    request = make_request()
    first = world.service.escalate(request)
    calls_after_first = len(world.connect.operations())

    again = world.service.escalate(request)

    # The repeat reads the contact again only to check the caller (authorisation is never cached).
    assert world.connect.operations()[calls_after_first:] == ["DescribeContact"]
    assert again.to_dict() == first.to_dict()
    assert again.replayed
    assert not first.replayed


def test_an_idempotency_key_makes_a_new_escalation_of_the_same_contact_and_reason(world: World) -> None:
    world.add(make_contact())
    world.service.escalate(make_request(key="click-1"))
    world.service.escalate(make_request(key="click-1"))
    world.service.escalate(make_request(key="click-2"))
    assert len(world.connect.transfers()) == 2


def test_refusals_are_not_remembered(world: World) -> None:
    world.add(make_contact(channel="VOICE"))
    request = make_request()
    assert refusal_of(world, request) is Refusal.CHANNEL_NOT_SUPPORTED
    assert world.idempotency.remembered_keys() == set()


def test_no_route_is_refused_before_any_connect_write() -> None:
    connect = FakeContactCenter(contacts={"c-1": make_contact()})
    only_vip = parse_rules(
        json.dumps(
            {
                "rules": [
                    {
                        "name": "vip",
                        "match": {"reasons": ["VIP"]},
                        "target": {"queue": {"id": "q", "flowId": "f"}},
                    }
                ]
            }
        )
    )
    world = World.with_connect(connect, only_vip)
    with pytest.raises(EscalationRefused) as raised:
        world.service.escalate(make_request(reason="LATE"))
    assert raised.value.reason is Refusal.NO_ROUTE
    assert connect.operations() == ["DescribeContact"]


def test_the_rules_are_read_per_escalation_so_a_change_applies_without_a_restart() -> None:
    documents = [RULES]
    connect = FakeContactCenter(contacts={"c-1": make_contact(), "c-2": make_contact("c-2")})
    service = EscalationService(
        EscalationPorts(
            connect, lambda: documents[-1], DictIdempotency(), InMemoryLedger(), RecordingEvents()
        ),
        SUPERVISORS,
    )
    service.escalate(make_request(contact_id="c-1"))
    documents.append(
        parse_rules(
            json.dumps({"rules": [{"name": "all", "target": {"queue": {"id": "q-new", "flowId": "f"}}}]})
        )
    )
    service.escalate(make_request(contact_id="c-2"))
    assert [t[1].id for t in connect.transfers()] == ["q-tier2", "q-new"]


def test_an_event_repeat_makes_no_connect_call_at_all(world: World) -> None:
    world.add(make_contact())
    request = make_request(Trigger.EVENT, caller=None)
    world.service.escalate(request)
    calls_after_first = len(world.connect.operations())
    assert world.service.escalate(request).replayed
    assert len(world.connect.operations()) == calls_after_first


def test_a_repeat_by_a_caller_who_may_not_escalate_is_refused(world: World) -> None:
    world.add(make_contact())
    world.service.escalate(make_request())
    with pytest.raises(EscalationRefused) as refused:
        world.service.escalate(make_request(caller=Caller("mallory", "agent-9", frozenset())))
    assert refused.value.reason is Refusal.FORBIDDEN


class _EndsOnTransfer(FakeContactCenter):
    """Another escalation wins the race: the contact ends just before our TransferContact."""

    def transfer(self, contact_id: str, target: Target, client_token: str) -> TransferReceipt:
        self.contacts[contact_id] = replace(self.contacts[contact_id], ended=True)
        return super().transfer(contact_id, target, client_token)


@pytest.mark.parametrize("trigger", [Trigger.EVENT, Trigger.API])
def test_a_contact_that_ends_during_the_escalation_is_not_dead_lettered(trigger: Trigger) -> None:
    connect = _EndsOnTransfer()
    world = World.with_connect(connect)
    world.add(make_contact())
    connect.fail("TransferContact", Failure.INVALID_REQUEST)
    request = make_request(trigger, caller=AGENT if trigger is Trigger.API else None)
    if trigger is Trigger.EVENT:
        assert world.service.escalate(request).status is Status.SKIPPED
    else:
        with pytest.raises(EscalationRefused) as refused:
            world.service.escalate(request)
        assert refused.value.reason is Refusal.CONTACT_ENDED


def test_an_invalid_request_on_a_contact_still_active_stays_an_invalid_request(world: World) -> None:
    world.add(make_contact())
    world.connect.fail("TransferContact", Failure.INVALID_REQUEST)
    with pytest.raises(ConnectCallFailed) as failed_call:
        world.service.escalate(make_request(Trigger.EVENT, caller=None))
    assert failed_call.value.kind is Failure.INVALID_REQUEST
    assert world.connect.operations()[-1] == "DescribeContact"  # it looked before deciding


# --- the ledger: counting confirmed transfers only -------------------------------------------------


def test_a_throttled_click_then_a_breach_reaches_level_one_and_counts_one(world: World) -> None:
    world.add(make_contact())
    world.connect.fail("TransferContact", Failure.THROTTLED)
    with pytest.raises(ConnectCallFailed):
        world.service.escalate(make_request(Trigger.API, reason="LATE"))

    result = world.service.escalate(make_request(Trigger.EVENT, reason="SLA_BREACH", caller=None))

    assert (result.status, result.level) == (Status.TRANSFERRED, 1)
    assert result.target == Target(TargetType.QUEUE, "q-tier2", "flow-q")
    (written,) = world.connect.attribute_writes()
    assert (written[ContactAttribute.LEVEL], written[ContactAttribute.TRANSFER_COUNT]) == ("1", "1")
    assert world.ledger.statuses() == [LedgerStatus.FAILED, LedgerStatus.TRANSFERRED]


def test_eleven_denied_clicks_do_not_block_a_real_transfer(world: World) -> None:
    world.add(make_contact())
    for click in range(11):
        world.connect.fail("TransferContact", Failure.ACCESS_DENIED)
        with pytest.raises(ConnectCallFailed):
            world.service.escalate(make_request(key=f"click-{click}"))

    result = world.service.escalate(make_request(key="after-the-iam-fix"))

    assert (result.status, result.level) == (Status.TRANSFERRED, 1)
    assert world.ledger.statuses() == [LedgerStatus.FAILED] * 11 + [LedgerStatus.TRANSFERRED]
    (written,) = world.connect.attribute_writes()
    assert written[ContactAttribute.TRANSFER_COUNT] == "1"


def test_no_attribute_is_written_when_the_transfer_fails(world: World) -> None:
    world.add(make_contact())
    world.connect.fail("TransferContact", Failure.ACCESS_DENIED)
    with pytest.raises(ConnectCallFailed):
        world.service.escalate(make_request())
    assert world.connect.attribute_writes() == []


def test_the_ledger_records_the_plan_before_the_transfer_then_the_outcome(world: World) -> None:
    world.add(make_contact())
    request = make_request(note="please hurry")
    world.service.escalate(request)

    pending, done = world.ledger.saved
    assert (pending.status, pending.level, pending.attempts) == (LedgerStatus.PENDING, 1, ())
    assert pending.target == Target(TargetType.QUEUE, "q-tier2", "flow-q")
    assert done.status is LedgerStatus.TRANSFERRED
    assert (done.chain_id, done.escalation_id, done.contact_id) == ("c-1", request.escalation_id, "c-1")
    assert (done.new_contact_id, done.requester, done.note) == ("c-1-next", "alice", "please hurry")
    assert [(a.outcome, a.error_code) for a in done.attempts] == [("TRANSFERRED", None)]


def test_the_chain_is_keyed_by_the_initial_contact(world: World) -> None:
    world.add(make_contact("c-2", initial_contact_id="c-1"))
    world.record(*confirmed_transfers(1))
    result = world.service.escalate(make_request(contact_id="c-2"))
    assert result.level == 2
    assert {e.chain_id for e in world.ledger.entries.values()} == {"c-1"}


def test_a_transfer_the_ledger_already_confirmed_is_not_repeated(world: World) -> None:
    # The idempotency record expired; the ledger still knows this escalation was done.
    world.add(make_contact())
    request = make_request()
    world.record(entry(request.escalation_id, LedgerStatus.TRANSFERRED, 1))
    result = world.service.escalate(request)
    assert result.status is Status.ALREADY_TRANSFERRED
    assert world.connect.transfers() == []


def test_idempotency_exception_brings_the_pending_entry_up_to_date(world: World) -> None:
    request = make_request(Trigger.EVENT, caller=None)
    world.add(resumed_contact(world, request, ended=True))
    world.connect.fail("TransferContact", Failure.IDEMPOTENCY_CONFLICT)
    result = world.service.escalate(request)
    assert (result.status, result.level) == (Status.ALREADY_TRANSFERRED, 1)
    assert world.ledger.statuses() == [LedgerStatus.TRANSFERRED]
    assert world.events.kinds() == [EscalationEvent.TRANSFERRED]


def test_an_unavailable_ledger_stops_the_escalation_before_any_transfer(world: World) -> None:
    world.add(make_contact())
    world.ledger.unavailable = True
    with pytest.raises(LedgerUnavailable):
        world.service.escalate(make_request())
    assert world.connect.transfers() == []


def test_a_failed_attribute_write_after_the_transfer_does_not_fail_the_escalation(world: World) -> None:
    world.add(make_contact())
    world.connect.fail("UpdateContactAttributes", Failure.THROTTLED)
    result = world.service.escalate(make_request())
    assert result.status is Status.TRANSFERRED
    assert [f.kind for f in world.attribute_failures] == [Failure.THROTTLED]
    assert world.ledger.statuses() == [LedgerStatus.TRANSFERRED]


# --- escalation events -----------------------------------------------------------------------------


def test_a_transfer_publishes_one_transferred_event_without_the_note(world: World) -> None:
    world.add(make_contact())
    request = make_request(note="private to agents")
    world.service.escalate(request)
    [(kind, detail)] = world.events.published
    assert kind is EscalationEvent.TRANSFERRED
    assert "note" not in detail
    assert "private to agents" not in json.dumps(detail)
    assert (detail["escalationId"], detail["status"], detail["level"]) == (
        request.escalation_id,
        "TRANSFERRED",
        1,
    )


@pytest.mark.parametrize(
    ("failure", "events"),
    [
        (Failure.ACCESS_DENIED, [EscalationEvent.FAILED]),  # alerted
        (Failure.INVALID_REQUEST, [EscalationEvent.FAILED]),  # dead-lettered
        (Failure.THROTTLED, []),  # retried: not failed yet
        (Failure.CONNECTION, []),
    ],
)
def test_a_failed_transfer_publishes_a_failed_event_only_when_it_is_final(
    world: World, failure: Failure, events: list[EscalationEvent]
) -> None:
    world.add(make_contact())
    world.connect.fail("TransferContact", failure)
    with pytest.raises(ConnectCallFailed):
        world.service.escalate(make_request(Trigger.EVENT, caller=None))
    assert world.events.kinds() == events
    assert world.ledger.statuses() == [LedgerStatus.FAILED]


def test_a_skipped_breach_publishes_a_skipped_event(world: World) -> None:
    world.add(make_contact(ended=True))
    world.service.escalate(make_request(Trigger.EVENT, caller=None))
    assert world.events.kinds() == [EscalationEvent.SKIPPED]
    assert world.ledger.statuses() == [LedgerStatus.SKIPPED]


@pytest.mark.parametrize(
    ("trigger", "contact_changes", "events"),
    [
        (Trigger.API, {"channel": "VOICE"}, []),  # the caller is answered 409; nothing to tell
        (Trigger.EVENT, {"channel": "VOICE"}, [EscalationEvent.FAILED]),  # dead-lettered
    ],
)
def test_a_refusal_is_recorded_and_published_when_dead_lettered_or_alerted(
    world: World, trigger: Trigger, contact_changes: dict[str, Any], events: list[EscalationEvent]
) -> None:
    world.add(make_contact(**contact_changes))
    with pytest.raises(EscalationRefused):
        world.service.escalate(make_request(trigger, caller=AGENT if trigger is Trigger.API else None))
    assert world.ledger.statuses() == [LedgerStatus.REFUSED]
    assert world.events.kinds() == events


def test_the_transfer_limit_refusal_is_alerted_and_published(world: World) -> None:
    world.add(make_contact())
    world.record(*confirmed_transfers(11))
    with pytest.raises(EscalationRefused):
        world.service.escalate(make_request())
    assert world.events.kinds() == [EscalationEvent.FAILED]
