"""UpdateContactRoutingData and the queue's routing order (priority, then age with the adjustment)."""

from __future__ import annotations

from typing import Any

import pytest

from local.connect_emulator import (
    AgentSeed,
    AgentStatusChange,
    ConnectEmulator,
    ContactRef,
    ContactSeed,
    EmulatorAdminClient,
    QueueRouting,
)
from local.connect_emulator.contact_events import CONNECTED_TO_AGENT
from local.connect_emulator.testing import Scenario


def _waiting(emulator: ConnectEmulator, seeded: Scenario, channel: str) -> str:
    return emulator.add_contact(ContactSeed(seeded.instance, channel, queue_id=seeded.queue))


def test_a_priority_replaces_and_an_age_adjustment_adds_and_describe_contact_shows_both(
    connect: Any, emulator: ConnectEmulator, seeded: Scenario
) -> None:
    voice = _waiting(emulator, seeded, "VOICE")
    described = connect.describe_contact(InstanceId=seeded.instance, ContactId=voice)["Contact"]
    assert "QueuePriority" not in described
    assert "QueueTimeAdjustmentSeconds" not in described
    connect.update_contact_routing_data(InstanceId=seeded.instance, ContactId=voice, QueuePriority=2)
    connect.update_contact_routing_data(InstanceId=seeded.instance, ContactId=voice, QueuePriority=3)
    connect.update_contact_routing_data(
        InstanceId=seeded.instance, ContactId=voice, QueueTimeAdjustmentSeconds=900
    )
    connect.update_contact_routing_data(
        InstanceId=seeded.instance, ContactId=voice, QueueTimeAdjustmentSeconds=100
    )
    described = connect.describe_contact(InstanceId=seeded.instance, ContactId=voice)["Contact"]
    assert described["QueuePriority"] == 3
    assert described["QueueTimeAdjustmentSeconds"] == 1000


def test_both_or_neither_is_invalid_and_an_unknown_contact_is_not_found(
    connect: Any, emulator: ConnectEmulator, seeded: Scenario
) -> None:
    chat = _waiting(emulator, seeded, "CHAT")
    with pytest.raises(connect.exceptions.InvalidParameterException, match="not both"):
        connect.update_contact_routing_data(
            InstanceId=seeded.instance, ContactId=chat, QueuePriority=1, QueueTimeAdjustmentSeconds=5
        )
    with pytest.raises(connect.exceptions.InvalidParameterException):
        connect.update_contact_routing_data(InstanceId=seeded.instance, ContactId=chat)
    with pytest.raises(connect.exceptions.ResourceNotFoundException):
        connect.update_contact_routing_data(InstanceId=seeded.instance, ContactId="nope", QueuePriority=1)


def test_a_contact_that_no_longer_waits_is_a_resource_conflict(
    connect: Any, emulator: ConnectEmulator, seeded: Scenario
) -> None:
    answered = emulator.add_contact(ContactSeed(seeded.instance, "VOICE", agent_id=seeded.agent))
    ended = emulator.add_contact(ContactSeed(seeded.instance, "CHAT", queue_id=seeded.queue, ended=True))
    for contact_id in (answered, ended):
        with pytest.raises(connect.exceptions.ResourceConflictException):
            connect.update_contact_routing_data(
                InstanceId=seeded.instance, ContactId=contact_id, QueuePriority=1
            )


def test_the_queue_routes_by_priority_then_by_age_with_the_adjustment(
    connect: Any, emulator: ConnectEmulator, seeded: Scenario
) -> None:
    older, younger, youngest = (_waiting(emulator, seeded, "VOICE") for _ in range(3))
    # The youngest is moved up by age far enough to pass both; the younger one gets a better priority.
    connect.update_contact_routing_data(
        InstanceId=seeded.instance, ContactId=youngest, QueueTimeAdjustmentSeconds=3600
    )
    connect.update_contact_routing_data(InstanceId=seeded.instance, ContactId=younger, QueuePriority=1)
    agents = [
        emulator.add_agent(AgentSeed(seeded.instance, f"voice-{n}", slots={"VOICE": 1})) for n in range(3)
    ]
    order = [emulator.route_next(QueueRouting(seeded.instance, seeded.queue, agent)) for agent in agents]
    assert order == [younger, youngest, older]


def test_routing_hands_the_contact_to_a_free_agent_and_emits_connected_to_agent(
    emulator: ConnectEmulator, seeded: Scenario
) -> None:
    voice = _waiting(emulator, seeded, "VOICE")
    voice_agent = emulator.add_agent(AgentSeed(seeded.instance, "voice-agent", slots={"VOICE": 1}))
    received: list[dict[str, Any]] = []
    emulator.connect_event_sink(received.append)
    # Through the admin interface's HTTP client, as make serve and the demo call it.
    routed = EmulatorAdminClient(emulator.endpoint_url).route_next(
        QueueRouting(seeded.instance, seeded.queue, agent_id=voice_agent)
    )
    assert routed == voice
    record = emulator.get_contact(ContactRef(seeded.instance, voice))
    assert record["agent_id"] == voice_agent
    assert record["connected_to_agent_timestamp"] is not None
    assert [(e["detail"]["eventType"], e["detail"]["contactId"]) for e in received] == [
        (CONNECTED_TO_AGENT, voice)
    ]
    # The seeded task still waits, for an agent with a task slot; then nothing waits.
    assert emulator.route_next(QueueRouting(seeded.instance, seeded.queue)) == seeded.contact
    assert emulator.route_next(QueueRouting(seeded.instance, seeded.queue)) is None


def test_no_routable_agent_leaves_the_contact_waiting(emulator: ConnectEmulator, seeded: Scenario) -> None:
    emulator.set_agent_status(AgentStatusChange(seeded.instance, seeded.agent, "Offline"))
    chat = _waiting(emulator, seeded, "CHAT")
    routed = emulator.route_next(QueueRouting(seeded.instance, seeded.queue, agent_id=seeded.agent))
    assert routed is None
    assert emulator.get_contact(ContactRef(seeded.instance, chat))["agent_id"] is None
    # Available again, the agent takes the seeded task; the chat waits on for an agent with a chat slot.
    emulator.set_agent_status(AgentStatusChange(seeded.instance, seeded.agent, "Available"))
    assert emulator.route_next(QueueRouting(seeded.instance, seeded.queue, seeded.agent)) == seeded.contact
    assert emulator.route_next(QueueRouting(seeded.instance, seeded.queue, seeded.agent)) is None
    assert emulator.get_contact(ContactRef(seeded.instance, chat))["agent_id"] is None
