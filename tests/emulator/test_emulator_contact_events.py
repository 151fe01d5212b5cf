"""Contact events: what the emulator emits for queueing, pickup and disconnection, and the delivery plan."""

from __future__ import annotations

from typing import Any

import pytest

from escalation.contract import CONTACT_EVENT_DETAIL_TYPE, CONTACT_EVENT_SOURCE, contact_event_pattern
from local.bus import matches
from local.connect_emulator import (
    ConnectEmulator,
    ContactAcceptance,
    ContactSeed,
    EmulatorAdminClient,
    EventDeliveryPlan,
)
from local.connect_emulator.testing import Scenario


@pytest.fixture
def events(seeded: Scenario, emulator: ConnectEmulator) -> list[dict[str, Any]]:
    """The events emitted after the scenario is seeded."""
    received: list[dict[str, Any]] = []
    emulator.connect_event_sink(received.append)
    return received


def _types(events: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(e["detail"]["eventType"], e["detail"]["contactId"]) for e in events]


def test_a_contact_created_in_a_queue_emits_queued_shaped_as_aws_documents(
    seeded: Scenario, emulator: ConnectEmulator, events: list[dict[str, Any]]
) -> None:
    contact = emulator.add_contact(
        ContactSeed(seeded.instance, "EMAIL", queue_id=seeded.queue, tags={"a": "b"})
    )

    (event,) = events
    instance_arn = emulator.state.instance_arn(seeded.instance)
    assert event["source"] == CONTACT_EVENT_SOURCE
    assert event["detail-type"] == CONTACT_EVENT_DETAIL_TYPE
    assert event["account"] == emulator.state.account_id
    assert event["region"] == emulator.state.region
    assert event["resources"] == [f"{instance_arn}/contact/{contact}"]
    assert matches(contact_event_pattern(instance_arn), event)
    detail = event["detail"]
    assert detail["eventType"] == "QUEUED"
    assert detail["contactId"] == detail["initialContactId"] == contact
    assert detail["channel"] == "EMAIL"
    assert detail["queueInfo"]["queueArn"] == f"{instance_arn}/queue/{seeded.queue}"
    assert detail["queueInfo"]["enqueueTimestamp"].endswith("Z")
    assert detail["tags"] == {"a": "b"}
    for absent in ("previousContactId", "agentInfo", "disconnectTimestamp"):
        assert absent not in detail


def test_contacts_outside_a_queue_emit_nothing(
    seeded: Scenario, emulator: ConnectEmulator, events: list[dict[str, Any]]
) -> None:
    emulator.add_contact(ContactSeed(seeded.instance, "TASK"))
    emulator.add_contact(ContactSeed(seeded.instance, "TASK", queue_id=seeded.queue, ended=True))
    assert events == []


def test_accepting_a_contact_emits_connected_to_agent_with_the_agent(
    seeded: Scenario, emulator: ConnectEmulator, events: list[dict[str, Any]]
) -> None:
    agent = emulator.accept_contact(ContactAcceptance(seeded.instance, seeded.contact))

    assert agent == seeded.agent
    (event,) = events
    assert event["detail"]["eventType"] == "CONNECTED_TO_AGENT"
    assert event["detail"]["agentInfo"]["agentArn"].endswith(f"/agent/{seeded.agent}")
    with pytest.raises(ValueError, match="already with an agent"):
        emulator.accept_contact(ContactAcceptance(seeded.instance, seeded.contact))


def test_a_transfer_into_a_queue_disconnects_the_old_contact_and_queues_the_new_one(
    seeded: Scenario, connect: Any, events: list[dict[str, Any]]
) -> None:
    new = connect.transfer_contact(
        InstanceId=seeded.instance,
        ContactId=seeded.contact,
        ContactFlowId=seeded.queue_flow,
        QueueId=seeded.other_queue,
    )["ContactId"]

    assert _types(events) == [("DISCONNECTED", seeded.contact), ("QUEUED", new)]
    queued = events[1]["detail"]
    assert queued["previousContactId"] == seeded.contact
    assert queued["initialContactId"] == seeded.contact
    assert queued["initiationMethod"] == "TRANSFER"
    assert queued["queueInfo"]["queueArn"].endswith(f"/queue/{seeded.other_queue}")
    assert "disconnectTimestamp" in events[0]["detail"]


def test_stopping_a_contact_emits_disconnected_and_a_refused_call_emits_nothing(
    seeded: Scenario, connect: Any, events: list[dict[str, Any]]
) -> None:
    connect.stop_contact(InstanceId=seeded.instance, ContactId=seeded.contact)
    with pytest.raises(connect.exceptions.InvalidRequestException):
        connect.stop_contact(InstanceId=seeded.instance, ContactId=seeded.contact)

    assert _types(events) == [("DISCONNECTED", seeded.contact)]


def test_a_delivery_plan_duplicates_and_reorders_and_flush_releases_the_rest(
    seeded: Scenario, emulator: ConnectEmulator, events: list[dict[str, Any]]
) -> None:
    emulator.set_event_delivery(EventDeliveryPlan(duplicate=1.0, shuffle_window=4, seed=3))
    contacts = [emulator.add_contact(ContactSeed(seeded.instance, queue_id=seeded.queue)) for _ in range(5)]

    assert len(events) == 10 - 4  # four held back for reordering
    assert emulator.flush_contact_events() == 4
    assert sorted(e["detail"]["contactId"] for e in events) == sorted(contacts * 2)
    assert [e["detail"]["contactId"] for e in events[::2]] != contacts  # not in creation order
    ids = {e["detail"]["contactId"]: e["id"] for e in events}
    assert all(e["id"] == ids[e["detail"]["contactId"]] for e in events)  # a redelivery keeps its id


def test_the_delivery_plan_and_acceptance_are_admin_calls_over_http(
    seeded: Scenario, emulator: ConnectEmulator, events: list[dict[str, Any]]
) -> None:
    admin = EmulatorAdminClient(emulator.endpoint_url)
    admin.set_event_delivery(EventDeliveryPlan(shuffle_window=5))
    admin.accept_contact(ContactAcceptance(seeded.instance, seeded.contact, seeded.agent))
    assert events == []
    assert admin.flush_contact_events() == 1
    assert _types(events) == [("CONNECTED_TO_AGENT", seeded.contact)]
    with pytest.raises(ValueError, match="probability"):
        EventDeliveryPlan(duplicate=2.0)
