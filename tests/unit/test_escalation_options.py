"""What a caller can do for a contact now (`GET /escalation-options`'s use case), over in-memory fakes;
and the reasons catalogue, which POST /escalations is held to."""

from __future__ import annotations

import json
from typing import Any

import pytest

from escalation.domain.errors import EscalationRefused
from escalation.domain.ledger import LedgerStatus
from escalation.domain.model import Caller, Contact, Trigger
from escalation.domain.options import IN_QUEUE_LABEL, Destination, DestinationType
from escalation.domain.policy import Failure, Refusal
from escalation.domain.routing import RoutingRules, RoutingRulesError, parse_rules
from escalation.triggers.api_options_models import EscalationOptionsOut
from escalation.usecases.escalation_options import EscalationOptionsQuery
from tests.unit.fakes import FakeContactCenter, InMemoryLedger
from tests.unit.test_service import (
    AGENT,
    RULES,
    SUPERVISORS,
    World,
    confirmed_transfers,
    entry,
    make_contact,
    make_request,
)

CATALOGUE = [
    {"code": "CUSTOMER_UNHAPPY", "label": "Customer is unhappy"},
    {"code": "VIP", "label": "VIP customer"},
    {"code": "VIP_STRICT", "label": "VIP, account manager only"},
]
RULES_WITH_CATALOGUE = RoutingRules.model_validate({**RULES.model_dump(by_alias=True), "reasons": CATALOGUE})
SUPERVISOR = Caller("sam", "agent-sup", frozenset({SUPERVISORS}))
COLLEAGUE = Caller("bob", "agent-2", frozenset({"agents"}))
NAMES = {"q-tier1": "Tier 1", "q-tier2": "Tier 2", "q-supervisors": "Supervisors", "q-managers": "Managers"}


def query(
    connect: FakeContactCenter,
    rules: RoutingRules = RULES_WITH_CATALOGUE,
    ledger: InMemoryLedger | None = None,
) -> EscalationOptionsQuery:
    return EscalationOptionsQuery(connect, connect, ledger or InMemoryLedger(), lambda: rules, SUPERVISORS)


def connect_with(*contacts: Contact, available: set[str] | None = None) -> FakeContactCenter:
    return FakeContactCenter(
        contacts={c.contact_id: c for c in contacts},
        available_agents=available if available is not None else {"agent-am"},
        queue_names=dict(NAMES),
        user_names={"agent-am": "Ana Silva"},
    )


def answer(options: Any) -> dict[str, Any]:
    """The wire form, checked against the documented model (what the desktop is built against)."""
    body: dict[str, Any] = options.to_dict()
    assert EscalationOptionsOut.model_validate(body).model_dump(mode="json") == body
    return body


# --- the answer ------------------------------------------------------------------------------------


def test_the_agent_sees_the_contact_its_reasons_with_destinations_and_named_targets() -> None:
    connect = connect_with(make_contact())
    body = answer(query(connect).options(AGENT, "c-1"))
    assert body == {
        "contactId": "c-1",
        "channel": "TASK",
        "queue": {"id": "q-tier1", "name": "Tier 1"},
        "level": 0,
        "canEscalate": True,
        "blockedBy": None,
        "reasons": [
            {
                "code": "CUSTOMER_UNHAPPY",
                "label": "Customer is unhappy",
                "destination": {"type": "QUEUE", "id": "q-tier2", "name": "Tier 2"},
            },
            {
                "code": "VIP",
                "label": "VIP customer",
                "destination": {"type": "AGENT", "id": "agent-am", "name": "Ana Silva"},
            },
            {
                "code": "VIP_STRICT",
                "label": "VIP, account manager only",
                "destination": {"type": "AGENT", "id": "agent-am", "name": "Ana Silva"},
            },
        ],
        # level-1's explicit targets: the named queue; "*" agents are not listable.
        "targets": [{"type": "QUEUE", "id": "q-supervisors", "name": "Supervisors"}],
    }
    assert "TransferContact" not in connect.operations()
    # Each name is looked up once per answer, and the agent's availability once.
    assert connect.operations().count("DescribeUser") == 1
    assert connect.operations().count("GetCurrentUserData") == 1


def test_the_level_is_the_chains_confirmed_level_and_destinations_are_for_the_next_rung() -> None:
    ledger = InMemoryLedger()
    for done in confirmed_transfers(1):
        ledger.save(done)
    ledger.save(entry("failed", LedgerStatus.FAILED, 2, created_at="2026-01-01T01:00:00+00:00"))
    body = answer(query(connect_with(make_contact()), ledger=ledger).options(AGENT, "c-1"))
    assert body["level"] == 1
    # Level 2 is level-2's rule for every reason (VIP_STRICT's rule matches any level).
    destinations = {r["code"]: r["destination"]["id"] for r in body["reasons"]}
    assert destinations == {
        "CUSTOMER_UNHAPPY": "q-supervisors",
        "VIP": "q-supervisors",
        "VIP_STRICT": "agent-am",
    }
    assert body["targets"] == []  # level-2 allows no explicit target


def test_an_unavailable_agent_shows_the_fallback_queue_or_no_destination() -> None:
    body = answer(query(connect_with(make_contact(), available=set())).options(AGENT, "c-1"))
    destinations = {r["code"]: r["destination"] for r in body["reasons"]}
    assert destinations["VIP"] == {"type": "QUEUE", "id": "q-tier2", "name": "Tier 2"}
    assert destinations["VIP_STRICT"] is None  # POST would answer AGENT_UNAVAILABLE


def test_a_reason_no_rule_routes_has_no_destination() -> None:
    rules = parse_rules(
        json.dumps(
            {
                "rules": [
                    {
                        "name": "only-unhappy",
                        "match": {"reasons": ["CUSTOMER_UNHAPPY"]},
                        "target": {"queue": {"id": "q-tier2", "flowId": "flow-q"}},
                    }
                ],
                "reasons": [
                    {"code": "CUSTOMER_UNHAPPY", "label": "Customer is unhappy"},
                    {"code": "LEGAL", "label": "Legal question"},
                ],
            }
        )
    )
    body = answer(query(connect_with(make_contact()), rules).options(AGENT, "c-1"))
    assert [(r["code"], r["destination"]) for r in body["reasons"]][1] == ("LEGAL", None)


def test_without_a_catalogue_the_reasons_are_those_the_rules_name_labelled_with_their_code() -> None:
    body = answer(query(connect_with(make_contact()), RULES).options(AGENT, "c-1"))
    assert [(r["code"], r["label"]) for r in body["reasons"]] == [
        ("VIP", "VIP"),
        ("VIP_STRICT", "VIP_STRICT"),
    ]


@pytest.mark.parametrize(
    ("contact", "transfers", "code"),
    [
        (make_contact(channel="VOICE"), 0, "CHANNEL_NOT_SUPPORTED"),
        (make_contact(ended=True), 0, "CONTACT_ENDED"),
        (make_contact(), 11, "TRANSFER_LIMIT_REACHED"),
    ],
    ids=["voice", "ended", "eleven-transfers"],
)
def test_a_contact_that_cannot_be_escalated_says_why_with_the_code_post_would_answer(
    contact: Contact, transfers: int, code: str
) -> None:
    ledger = InMemoryLedger()
    for done in confirmed_transfers(transfers):
        ledger.save(done)
    connect = connect_with(contact)
    body = answer(query(connect, ledger=ledger).options(AGENT, "c-1"))
    assert body["canEscalate"] is False
    assert body["blockedBy"]["error"] == code
    assert body["blockedBy"]["message"]
    # POST answers the same code for the same contact.
    world = World.with_connect(connect_with(contact))
    for done in confirmed_transfers(transfers):
        world.ledger.save(done)
    with pytest.raises(EscalationRefused) as refused:
        world.service.escalate(make_request(reason="CUSTOMER_UNHAPPY"))
    assert refused.value.reason.value == code
    # Nothing is asked about availability for a contact that cannot move.
    assert "GetCurrentUserData" not in connect.operations()


def test_a_name_connect_cannot_give_is_null_and_never_fails_the_answer() -> None:
    connect = connect_with(make_contact())
    connect.queue_names.pop("q-tier2")  # unknown: ResourceNotFoundException
    connect.fail("DescribeUser", Failure.ACCESS_DENIED)
    connect.fail("DescribeQueue", Failure.THROTTLED)  # the first lookup: the contact's own queue
    body = answer(query(connect).options(AGENT, "c-1"))
    assert body["queue"] == {"id": "q-tier1", "name": None}
    assert body["reasons"][0]["destination"] == {"type": "QUEUE", "id": "q-tier2", "name": None}
    assert body["reasons"][1]["destination"] == {"type": "AGENT", "id": "agent-am", "name": None}


def test_an_in_queue_destination_is_labelled_for_the_desktop() -> None:
    assert Destination(DestinationType.IN_QUEUE).to_dict() == {"type": "IN_QUEUE", "label": IN_QUEUE_LABEL}


# --- authorisation: POST's -------------------------------------------------------------------------


def test_a_colleague_gets_exactly_the_answer_for_an_unknown_contact() -> None:
    connect = connect_with(make_contact())
    with pytest.raises(EscalationRefused) as theirs:
        query(connect).options(COLLEAGUE, "c-1")
    with pytest.raises(EscalationRefused) as unknown:
        query(connect).options(COLLEAGUE, "no-such-contact")
    assert theirs.value.reason is unknown.value.reason is Refusal.FORBIDDEN
    assert theirs.value.message == unknown.value.message
    assert connect.operations() == ["DescribeContact", "DescribeContact"]  # nothing else learned


def test_a_supervisor_reads_any_contact_and_learns_an_unknown_one_does_not_exist() -> None:
    connect = connect_with(make_contact(agent_id="agent-9"))
    assert answer(query(connect).options(SUPERVISOR, "c-1"))["contactId"] == "c-1"
    with pytest.raises(EscalationRefused) as unknown:
        query(connect).options(SUPERVISOR, "no-such-contact")
    assert unknown.value.reason is Refusal.CONTACT_NOT_FOUND


# --- the catalogue ---------------------------------------------------------------------------------


def test_with_a_catalogue_post_refuses_a_reason_outside_it_and_moves_nothing() -> None:
    world = World.with_connect(connect_with(make_contact()), RULES_WITH_CATALOGUE)
    with pytest.raises(EscalationRefused) as refused:
        world.service.escalate(make_request(reason="LATE"))
    assert refused.value.reason is Refusal.UNKNOWN_REASON
    assert world.connect.transfers() == []
    assert world.ledger.saved == []
    assert world.service.escalate(make_request(reason="CUSTOMER_UNHAPPY")).level == 1


def test_a_catalogue_does_not_hold_breach_events_to_it() -> None:
    world = World.with_connect(connect_with(make_contact()), RULES_WITH_CATALOGUE)
    assert world.service.escalate(make_request(Trigger.EVENT, reason="SLA_BREACH")).level == 1


def test_without_a_catalogue_any_reason_goes_as_before() -> None:
    world = World.with_connect(connect_with(make_contact()))
    assert world.service.escalate(make_request(reason="ANYTHING_AT_ALL")).level == 1


@pytest.mark.parametrize(
    ("reasons", "message"),
    [
        (
            [{"code": "A", "label": "a"}, {"code": "A", "label": "again"}],
            "reason #2 'A': reason names must be unique",
        ),
        ([{"code": "A"}], "reason #1 'A': label: Field required"),
        ([{"code": "", "label": "empty"}], "reason #1: code: String should have at least 1 character"),
        (
            [{"code": "A", "label": "a", "colour": "red"}],
            "reason #1 'A': colour: Extra inputs are not permitted",
        ),
    ],
)
def test_a_bad_catalogue_is_refused_naming_the_reason_and_the_field(
    reasons: list[dict[str, Any]], message: str
) -> None:
    document = {
        "rules": [{"name": "all", "target": {"queue": {"id": "q", "flowId": "f"}}}],
        "reasons": reasons,
    }
    with pytest.raises(RoutingRulesError, match=message):
        parse_rules(json.dumps(document))


IN_QUEUE_RULES = parse_rules(
    json.dumps(
        {
            "reasons": CATALOGUE,
            "rules": [
                {
                    "name": "calls-up",
                    "match": {"channels": ["VOICE"]},
                    "target": {"inQueue": {"priority": 2}},
                },
                {"name": "rest", "target": {"queue": {"id": "q-tier2", "flowId": "f"}}},
            ],
        }
    )
)


def test_a_waiting_call_an_in_queue_rule_moves_up_can_be_escalated_and_shows_moved_up_in_queue() -> None:
    waiting_call = make_contact(channel="VOICE", agent_connected=False)
    body = answer(query(connect_with(waiting_call), IN_QUEUE_RULES).options(AGENT, "c-1"))
    assert body["canEscalate"] is True
    assert body["blockedBy"] is None
    assert {reason["destination"]["type"] for reason in body["reasons"]} == {"IN_QUEUE"}
    assert body["reasons"][0]["destination"] == {"type": "IN_QUEUE", "label": IN_QUEUE_LABEL}


def test_an_answered_call_is_blocked_with_contact_not_queued_as_post_answers() -> None:
    answered = make_contact(channel="VOICE", agent_connected=True)
    body = answer(query(connect_with(answered), IN_QUEUE_RULES).options(AGENT, "c-1"))
    assert body["canEscalate"] is False
    assert body["blockedBy"]["error"] == "CONTACT_NOT_QUEUED"
    world = World.with_connect(connect_with(answered), IN_QUEUE_RULES)
    with pytest.raises(EscalationRefused) as refused:
        world.service.escalate(make_request(reason="CUSTOMER_UNHAPPY"))
    assert refused.value.reason is Refusal.CONTACT_NOT_QUEUED
