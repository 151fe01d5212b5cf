"""TransferContact: the seed's rules, each answered with the typed error Connect uses."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from local.connect_emulator import (
    MAX_TRANSFERS_PER_CHAIN,
    AccessRule,
    ConnectEmulator,
    ContactRef,
    ContactSeed,
    QueueSeed,
)
from local.connect_emulator.testing import Scenario, connect_client


def transfer(connect: Any, seeded: Scenario, **overrides: Any) -> Any:
    params = {
        "InstanceId": seeded.instance,
        "ContactId": seeded.contact,
        "ContactFlowId": seeded.queue_flow,
        "QueueId": seeded.other_queue,
    }
    params.update(overrides)
    return connect.transfer_contact(**{k: v for k, v in params.items() if v is not None})


def test_transfer_creates_the_next_contact_and_ends_the_old_one(
    connect: Any, emulator: ConnectEmulator, seeded: Scenario
) -> None:
    answer = transfer(connect, seeded, ClientToken="tok-1")

    new_id = answer["ContactId"]
    assert new_id != seeded.contact
    assert answer["ContactArn"] == (
        f"arn:aws:connect:us-east-1:123456789012:instance/{seeded.instance}/contact/{new_id}"
    )
    new = connect.describe_contact(InstanceId=seeded.instance, ContactId=new_id)["Contact"]
    assert new["PreviousContactId"] == seeded.contact
    assert new["InitialContactId"] == seeded.contact
    assert new["InitiationMethod"] == "TRANSFER"
    assert new["Channel"] == "TASK"
    assert new["QueueInfo"]["Id"] == seeded.other_queue
    assert "EnqueueTimestamp" in new["QueueInfo"]
    assert new["Attributes"] == {"customer": "c-1"}
    assert "DisconnectTimestamp" not in new
    old = connect.describe_contact(InstanceId=seeded.instance, ContactId=seeded.contact)["Contact"]
    assert "DisconnectTimestamp" in old
    record = emulator.get_contact(ContactRef(seeded.instance, new_id))
    assert record["transfer_count"] == 1
    assert emulator.ledger() == [
        {
            "instance_id": seeded.instance,
            "contact_id": seeded.contact,
            "new_contact_id": new_id,
            "queue_id": seeded.other_queue,
            "user_id": None,
            "flow_id": seeded.queue_flow,
            "client_token": "tok-1",
            "timestamp": record["initiation_timestamp"],  # the transfer's moment created the new contact
        }
    ]


def test_transfer_copies_attributes_rather_than_sharing_them(
    connect: Any, emulator: ConnectEmulator, seeded: Scenario
) -> None:
    new_id = transfer(connect, seeded)["ContactId"]
    connect.update_contact_attributes(
        InstanceId=seeded.instance, InitialContactId=new_id, Attributes={"level": "2"}
    )
    assert emulator.get_contact(ContactRef(seeded.instance, new_id))["attributes"] == {
        "customer": "c-1",
        "level": "2",
    }
    assert emulator.get_contact(ContactRef(seeded.instance, seeded.contact))["attributes"] == {
        "customer": "c-1"
    }


def test_transfer_to_an_agent_sets_agent_info_and_no_queue(connect: Any, seeded: Scenario) -> None:
    new_id = transfer(connect, seeded, ContactFlowId=seeded.agent_flow, QueueId=None, UserId=seeded.agent)[
        "ContactId"
    ]
    new = connect.describe_contact(InstanceId=seeded.instance, ContactId=new_id)["Contact"]
    assert new["AgentInfo"]["Id"] == seeded.agent
    assert "QueueInfo" not in new


def test_transfer_without_target_goes_to_the_flows_queue(connect: Any, seeded: Scenario) -> None:
    new_id = transfer(connect, seeded, ContactFlowId=seeded.inbound_flow, QueueId=None)["ContactId"]
    new = connect.describe_contact(InstanceId=seeded.instance, ContactId=new_id)["Contact"]
    assert new["QueueInfo"]["Id"] == seeded.queue


def test_transfer_accepts_instance_queue_and_flow_arns_for_ids(
    connect: Any, emulator: ConnectEmulator, seeded: Scenario
) -> None:
    instance_arn = f"arn:aws:connect:us-east-1:123456789012:instance/{seeded.instance}"
    transfer(
        connect,
        seeded,
        InstanceId=instance_arn,
        QueueId=f"{instance_arn}/queue/{seeded.other_queue}",
        ContactFlowId=f"{instance_arn}/contact-flow/{seeded.queue_flow}",
    )
    (entry,) = emulator.ledger()
    assert entry["queue_id"] == seeded.other_queue


def test_email_contacts_can_be_transferred(connect: Any, emulator: ConnectEmulator, seeded: Scenario) -> None:
    email = emulator.add_contact(ContactSeed(seeded.instance, "EMAIL", queue_id=seeded.queue))
    new_id = transfer(connect, seeded, ContactId=email)["ContactId"]
    assert emulator.get_contact(ContactRef(seeded.instance, new_id))["channel"] == "EMAIL"


# ---- the seed's rules ---------------------------------------------------------------------


@pytest.mark.parametrize("channel", ["VOICE", "CHAT"])
def test_transfer_of_voice_or_chat_contact_is_invalid_request(
    connect: Any, emulator: ConnectEmulator, seeded: Scenario, channel: str
) -> None:
    contact = emulator.add_contact(ContactSeed(seeded.instance, channel, queue_id=seeded.queue))
    with pytest.raises(connect.exceptions.InvalidRequestException, match="only TASK and EMAIL"):
        transfer(connect, seeded, ContactId=contact)


def test_transfer_of_ended_contact_is_invalid_request(
    connect: Any, emulator: ConnectEmulator, seeded: Scenario
) -> None:
    contact = emulator.add_contact(ContactSeed(seeded.instance, "TASK", queue_id=seeded.queue, ended=True))
    with pytest.raises(connect.exceptions.InvalidRequestException, match="not active"):
        transfer(connect, seeded, ContactId=contact)


def test_transfer_to_both_a_queue_and_a_user_is_invalid_request(connect: Any, seeded: Scenario) -> None:
    with pytest.raises(connect.exceptions.InvalidRequestException, match="both"):
        transfer(connect, seeded, UserId=seeded.agent)


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        ({"InstanceId": "no-such-instance"}, "Instance"),
        ({"ContactId": "no-such-contact"}, "Contact no-such-contact"),
        ({"ContactFlowId": "no-such-flow"}, "flow"),
        ({"QueueId": "no-such-queue"}, "Queue"),
        ({"QueueId": None, "UserId": "no-such-user"}, "User"),
    ],
)
def test_transfer_naming_an_unknown_resource_is_not_found_404(
    connect: Any, seeded: Scenario, overrides: dict[str, Any], fragment: str
) -> None:
    with pytest.raises(connect.exceptions.ResourceNotFoundException, match=fragment) as raised:
        transfer(connect, seeded, **overrides)
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_transfer_through_an_agent_whisper_flow_is_invalid_request(connect: Any, seeded: Scenario) -> None:
    with pytest.raises(connect.exceptions.InvalidRequestException, match="AGENT_WHISPER"):
        transfer(connect, seeded, ContactFlowId=seeded.whisper_flow)


def test_twelfth_transfer_of_a_chain_exceeds_the_quota(
    connect: Any, emulator: ConnectEmulator, seeded: Scenario
) -> None:
    contact = seeded.contact
    for _ in range(MAX_TRANSFERS_PER_CHAIN):
        contact = transfer(connect, seeded, ContactId=contact)["ContactId"]
    assert emulator.get_contact(ContactRef(seeded.instance, contact))["transfer_count"] == 11
    with pytest.raises(connect.exceptions.ServiceQuotaExceededException) as raised:
        transfer(connect, seeded, ContactId=contact)
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 402
    assert len(emulator.ledger()) == 11


def test_seeded_transfer_count_counts_toward_the_chain_limit(
    connect: Any, emulator: ConnectEmulator, seeded: Scenario
) -> None:
    contact = emulator.add_contact(
        ContactSeed(seeded.instance, "TASK", queue_id=seeded.queue, transfer_count=10)
    )
    eleventh = transfer(connect, seeded, ContactId=contact)["ContactId"]
    with pytest.raises(connect.exceptions.ServiceQuotaExceededException):
        transfer(connect, seeded, ContactId=eleventh)


# ---- ClientToken --------------------------------------------------------------------------


def test_same_token_same_request_replays_without_a_new_transfer(
    connect: Any, emulator: ConnectEmulator, seeded: Scenario
) -> None:
    first = transfer(connect, seeded, ClientToken="escalation-42")
    second = transfer(connect, seeded, ClientToken="escalation-42")
    assert (second["ContactId"], second["ContactArn"]) == (first["ContactId"], first["ContactArn"])
    assert len(emulator.ledger()) == 1


def test_replay_wins_even_after_the_contact_ended(
    connect: Any, emulator: ConnectEmulator, seeded: Scenario
) -> None:
    first = transfer(connect, seeded, ClientToken="escalation-42")
    # The old contact is ended by the transfer itself; a fresh token would be refused.
    with pytest.raises(connect.exceptions.InvalidRequestException):
        transfer(connect, seeded, ClientToken="another-token")
    assert transfer(connect, seeded, ClientToken="escalation-42")["ContactId"] == first["ContactId"]
    assert len(emulator.ledger()) == 1


def test_same_token_different_request_is_an_idempotency_error(
    connect: Any, emulator: ConnectEmulator, seeded: Scenario
) -> None:
    transfer(connect, seeded, ClientToken="escalation-42")
    with pytest.raises(connect.exceptions.IdempotencyException) as raised:
        transfer(connect, seeded, ClientToken="escalation-42", QueueId=seeded.queue)
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409
    assert len(emulator.ledger()) == 1


def test_a_failed_call_does_not_remember_its_client_token(
    connect: Any, emulator: ConnectEmulator, seeded: Scenario
) -> None:
    with pytest.raises(connect.exceptions.ResourceNotFoundException):
        transfer(connect, seeded, QueueId="queue-new", ClientToken="tok")
    emulator.add_queue(QueueSeed(seeded.instance, "queue-new"))
    assert transfer(connect, seeded, QueueId="queue-new", ClientToken="tok")["ContactId"]


def test_concurrent_retries_with_one_token_transfer_once(emulator: ConnectEmulator, seeded: Scenario) -> None:
    clients = [connect_client(emulator.endpoint_url) for _ in range(8)]

    def call(client: Any) -> str:
        return str(transfer(client, seeded, ClientToken="same-escalation")["ContactId"])

    with ThreadPoolExecutor(max_workers=len(clients)) as pool:
        answers = set(pool.map(call, clients))
    assert len(answers) == 1
    assert [entry["new_contact_id"] for entry in emulator.ledger()] == list(answers)


# ---- access deny-list ---------------------------------------------------------------------


def test_denied_operation_is_access_denied_403_until_allowed(
    connect: Any, emulator: ConnectEmulator, seeded: Scenario
) -> None:
    emulator.deny(AccessRule("TransferContact"))
    with pytest.raises(connect.exceptions.AccessDeniedException) as raised:
        transfer(connect, seeded)
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    emulator.allow(AccessRule("TransferContact"))
    transfer(connect, seeded)


def test_deny_can_target_one_queue_or_user(connect: Any, emulator: ConnectEmulator, seeded: Scenario) -> None:
    emulator.deny(AccessRule("TransferContact", seeded.other_queue))
    emulator.deny(AccessRule("TransferContact", seeded.agent))
    with pytest.raises(connect.exceptions.AccessDeniedException):
        transfer(connect, seeded)
    with pytest.raises(connect.exceptions.AccessDeniedException):
        transfer(connect, seeded, ContactFlowId=seeded.agent_flow, QueueId=None, UserId=seeded.agent)
    # Other targets, and other operations, are allowed.
    transfer(connect, seeded, QueueId=seeded.queue)
    connect.describe_contact(InstanceId=seeded.instance, ContactId=seeded.contact)


def test_deny_applies_to_operations_other_than_transfer(
    connect: Any, emulator: ConnectEmulator, seeded: Scenario
) -> None:
    emulator.deny(AccessRule("DescribeContact"))
    with pytest.raises(connect.exceptions.AccessDeniedException):
        connect.describe_contact(InstanceId=seeded.instance, ContactId=seeded.contact)
