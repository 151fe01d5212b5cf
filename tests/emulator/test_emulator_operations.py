"""DescribeContact, StartTaskContact, UpdateContactAttributes, StopContact, GetCurrentUserData."""

from __future__ import annotations

from typing import Any

import pytest

from local.connect_emulator import AgentSeed, AgentStatusChange, ConnectEmulator, ContactRef, ContactSeed
from local.connect_emulator.testing import Scenario


def test_describe_contact_returns_the_modelled_fields(connect: Any, seeded: Scenario) -> None:
    contact = connect.describe_contact(InstanceId=seeded.instance, ContactId=seeded.contact)["Contact"]
    assert contact["Id"] == contact["InitialContactId"] == seeded.contact
    assert contact["Arn"].endswith(f"instance/{seeded.instance}/contact/{seeded.contact}")
    assert contact["Channel"] == "TASK"
    assert contact["InitiationMethod"] == "API"
    assert contact["QueueInfo"]["Id"] == seeded.queue
    assert contact["Attributes"] == {"customer": "c-1"}  # in botocore 1.44's Contact shape
    assert contact["Name"] == "Refund"
    assert "PreviousContactId" not in contact
    assert "DisconnectTimestamp" not in contact


def test_describe_contact_shows_the_agent_and_tags_of_a_contact_with_an_agent(
    connect: Any, emulator: ConnectEmulator, seeded: Scenario
) -> None:
    contact_id = emulator.add_contact(
        ContactSeed(seeded.instance, "EMAIL", agent_id=seeded.agent, tags={"team": "billing"})
    )
    contact = connect.describe_contact(InstanceId=seeded.instance, ContactId=contact_id)["Contact"]
    assert contact["AgentInfo"]["Id"] == seeded.agent
    assert "ConnectedToAgentTimestamp" in contact["AgentInfo"]
    assert contact["Tags"] == {"team": "billing"}


def test_describe_unknown_contact_is_not_found(connect: Any, seeded: Scenario) -> None:
    with pytest.raises(connect.exceptions.ResourceNotFoundException):
        connect.describe_contact(InstanceId=seeded.instance, ContactId="nope")


def test_start_task_contact_puts_the_task_in_the_flows_queue(
    connect: Any, emulator: ConnectEmulator, seeded: Scenario
) -> None:
    contact_id = connect.start_task_contact(
        InstanceId=seeded.instance,
        ContactFlowId=seeded.inbound_flow,
        Name="Call back",
        Attributes={"sla": "300"},
    )["ContactId"]
    record = emulator.get_contact(ContactRef(seeded.instance, contact_id))
    assert record["channel"] == "TASK"
    assert record["initiation_method"] == "API"
    assert record["queue_id"] == seeded.queue
    assert record["attributes"] == {"sla": "300"}


def test_start_task_contact_needs_one_known_starter_and_replays_its_client_token(
    connect: Any, seeded: Scenario
) -> None:
    with pytest.raises(connect.exceptions.InvalidRequestException, match="Exactly one"):
        connect.start_task_contact(InstanceId=seeded.instance, Name="no flow")
    with pytest.raises(connect.exceptions.ResourceNotFoundException):
        connect.start_task_contact(InstanceId=seeded.instance, Name="x", ContactFlowId="nope")
    first = connect.start_task_contact(
        InstanceId=seeded.instance, Name="x", ContactFlowId=seeded.inbound_flow, ClientToken="t"
    )
    again = connect.start_task_contact(
        InstanceId=seeded.instance, Name="x", ContactFlowId=seeded.inbound_flow, ClientToken="t"
    )
    assert again["ContactId"] == first["ContactId"]
    with pytest.raises(connect.exceptions.IdempotencyException):
        connect.start_task_contact(
            InstanceId=seeded.instance, Name="y", ContactFlowId=seeded.inbound_flow, ClientToken="t"
        )


def test_update_contact_attributes_merges_into_any_contact_of_the_instance(
    connect: Any, emulator: ConnectEmulator, seeded: Scenario
) -> None:
    connect.update_contact_attributes(
        InstanceId=seeded.instance, InitialContactId=seeded.contact, Attributes={"level": "1"}
    )
    new_id = connect.transfer_contact(
        InstanceId=seeded.instance,
        ContactId=seeded.contact,
        ContactFlowId=seeded.queue_flow,
        QueueId=seeded.other_queue,
    )["ContactId"]
    # new_id is not an initial contact id; the emulator accepts it (documented assumption).
    connect.update_contact_attributes(
        InstanceId=seeded.instance, InitialContactId=new_id, Attributes={"level": "2"}
    )
    assert emulator.get_contact(ContactRef(seeded.instance, new_id))["attributes"] == {
        "customer": "c-1",
        "level": "2",
    }
    with pytest.raises(connect.exceptions.ResourceNotFoundException):
        connect.update_contact_attributes(
            InstanceId=seeded.instance, InitialContactId="nope", Attributes={"a": "b"}
        )


def test_stop_contact_ends_an_active_contact_and_refuses_ended_or_unknown_ones(
    connect: Any, emulator: ConnectEmulator, seeded: Scenario
) -> None:
    connect.stop_contact(InstanceId=seeded.instance, ContactId=seeded.contact)
    contact = connect.describe_contact(InstanceId=seeded.instance, ContactId=seeded.contact)
    assert "DisconnectTimestamp" in contact["Contact"]
    assert emulator.get_contact(ContactRef(seeded.instance, seeded.contact))["ended"] is True
    with pytest.raises(connect.exceptions.InvalidRequestException):
        connect.stop_contact(InstanceId=seeded.instance, ContactId=seeded.contact)
    voice = emulator.add_contact(ContactSeed(seeded.instance, "VOICE", ended=True))
    with pytest.raises(connect.exceptions.ContactNotFoundException):
        connect.stop_contact(InstanceId=seeded.instance, ContactId=voice)
    with pytest.raises(connect.exceptions.ResourceNotFoundException):
        connect.stop_contact(InstanceId=seeded.instance, ContactId="nope")


def test_get_current_user_data_reports_status_and_slots(
    connect: Any, emulator: ConnectEmulator, seeded: Scenario
) -> None:
    busy = emulator.add_agent(
        AgentSeed(seeded.instance, "agent-busy", slots={"TASK": 3}, active_slots={"TASK": 1})
    )
    answer = connect.get_current_user_data(
        InstanceId=seeded.instance, Filters={"Agents": [seeded.agent, busy, "unknown-agent"]}
    )
    assert answer["ApproximateTotalCount"] == 2
    first, second = answer["UserDataList"]
    assert first["User"]["Id"] == seeded.agent
    assert first["User"]["Arn"].endswith(f"instance/{seeded.instance}/agent/{seeded.agent}")
    assert first["Status"]["StatusName"] == "Available"
    assert "StatusStartTimestamp" in first["Status"]
    assert "/agent-state/" in first["Status"]["StatusArn"]
    assert first["MaxSlotsByChannel"] == {"TASK": 2, "EMAIL": 1}
    assert first["AvailableSlotsByChannel"] == {"TASK": 2, "EMAIL": 1}
    assert second["ActiveSlotsByChannel"] == {"TASK": 1}
    assert second["AvailableSlotsByChannel"] == {"TASK": 2}

    emulator.set_agent_status(AgentStatusChange(seeded.instance, seeded.agent, "Offline"))
    (offline,) = connect.get_current_user_data(
        InstanceId=seeded.instance, Filters={"Agents": [seeded.agent]}
    )["UserDataList"]
    assert offline["Status"]["StatusName"] == "Offline"
    assert offline["AvailableSlotsByChannel"] == {"TASK": 0, "EMAIL": 0}
    assert offline["Status"]["StatusArn"] != first["Status"]["StatusArn"]


def test_get_current_user_data_pages_with_next_token(
    connect: Any, emulator: ConnectEmulator, seeded: Scenario
) -> None:
    agents = [emulator.add_agent(AgentSeed(seeded.instance, f"agent-{n}")) for n in range(3)]
    page = connect.get_current_user_data(InstanceId=seeded.instance, Filters={"Agents": agents}, MaxResults=2)
    assert len(page["UserDataList"]) == 2
    rest = connect.get_current_user_data(
        InstanceId=seeded.instance,
        Filters={"Agents": agents},
        MaxResults=2,
        NextToken=page["NextToken"],
    )
    assert [d["User"]["Id"] for d in rest["UserDataList"]] == ["agent-2"]
    assert "NextToken" not in rest


def test_get_current_user_data_needs_the_agents_filter(connect: Any, seeded: Scenario) -> None:
    with pytest.raises(connect.exceptions.InvalidRequestException, match="Agents filter"):
        connect.get_current_user_data(InstanceId=seeded.instance, Filters={"Queues": [seeded.queue]})


# --- DescribeQueue, DescribeUser (names for the desktop) ---------------------------------------------


def test_describe_queue_names_the_queue(connect: Any, seeded: Scenario) -> None:
    queue = connect.describe_queue(InstanceId=seeded.instance, QueueId=seeded.queue)["Queue"]
    assert (queue["Name"], queue["QueueId"], queue["Status"]) == ("Tier 1", seeded.queue, "ENABLED")
    assert queue["QueueArn"].endswith(f"instance/{seeded.instance}/queue/{seeded.queue}")
    with pytest.raises(connect.exceptions.ResourceNotFoundException):
        connect.describe_queue(InstanceId=seeded.instance, QueueId="queue-gone")


def test_describe_user_names_the_agent_by_username_and_identity(
    connect: Any, emulator: ConnectEmulator, seeded: Scenario
) -> None:
    emulator.add_agent(
        AgentSeed(seeded.instance, "agent-ana", username="ana", first_name="Ana", last_name="Silva")
    )
    user = connect.describe_user(InstanceId=seeded.instance, UserId="agent-ana")["User"]
    assert (user["Id"], user["Username"], user["IdentityInfo"]) == (
        "agent-ana",
        "ana",
        {"FirstName": "Ana", "LastName": "Silva"},
    )
    # Seeded without names: the username is the id, and there is no identity.
    plain = connect.describe_user(InstanceId=seeded.instance, UserId=seeded.agent)["User"]
    assert (plain["Username"], "IdentityInfo" in plain) == (seeded.agent, False)
    with pytest.raises(connect.exceptions.ResourceNotFoundException):
        connect.describe_user(InstanceId=seeded.instance, UserId="agent-gone")
