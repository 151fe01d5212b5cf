"""Fault injection: scripted and seeded, each kind, and the after-effect kinds that need ClientToken."""

from __future__ import annotations

import time
from typing import Any

import pytest
from botocore.exceptions import ConnectionClosedError, ReadTimeoutError

from local.connect_emulator import (
    ConnectEmulator,
    ContactRef,
    EmulatorOptions,
    FaultKind,
    FaultPlan,
    FaultScope,
)
from local.connect_emulator.faults import FaultInjector
from local.connect_emulator.testing import Scenario, connect_client

READ_TIMEOUT = 0.3
HELD_TOO_LONG = 0.6  # longer than READ_TIMEOUT


@pytest.fixture
def client(emulator: ConnectEmulator) -> Any:
    """No retries, and a short read timeout so `timeout` faults are quick to observe."""
    return connect_client(emulator.endpoint_url, read_timeout=READ_TIMEOUT)


def transfer(client: Any, seeded: Scenario, token: str = "escalation-1") -> Any:
    return client.transfer_contact(
        InstanceId=seeded.instance,
        ContactId=seeded.contact,
        ContactFlowId=seeded.queue_flow,
        QueueId=seeded.other_queue,
        ClientToken=token,
    )


def wait_for_ledger(emulator: ConnectEmulator, size: int, within: float = 2.0) -> None:
    deadline = time.monotonic() + within
    while len(emulator.ledger()) < size and time.monotonic() < deadline:
        time.sleep(0.02)
    assert len(emulator.ledger()) == size


def test_throttle_fault_answers_429_without_effect_once_per_script_entry(
    client: Any, emulator: ConnectEmulator, seeded: Scenario
) -> None:
    emulator.set_faults(FaultPlan(script=["throttle"]))
    with pytest.raises(client.exceptions.ThrottlingException) as raised:
        transfer(client, seeded)
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 429
    assert emulator.ledger() == []
    transfer(client, seeded)  # the script is used up: the next call is normal
    assert len(emulator.ledger()) == 1


def test_internal_fault_answers_500_without_effect(
    client: Any, emulator: ConnectEmulator, seeded: Scenario
) -> None:
    emulator.set_faults(FaultPlan(script=["internal"]))
    with pytest.raises(client.exceptions.InternalServiceException) as raised:
        transfer(client, seeded)
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
    assert emulator.ledger() == []


def test_slow_fault_holds_the_request_then_transfers_normally(
    client: Any, emulator: ConnectEmulator, seeded: Scenario
) -> None:
    emulator.set_faults(FaultPlan(script=["slow"], slow_seconds=0.1))
    started = time.monotonic()
    assert transfer(client, seeded)["ContactId"]
    assert time.monotonic() - started >= 0.1
    assert len(emulator.ledger()) == 1


def test_slow_after_effect_fault_delays_the_answer_of_a_normal_transfer(
    client: Any, emulator: ConnectEmulator, seeded: Scenario
) -> None:
    emulator.set_faults(FaultPlan(script=["slow_after_effect"], slow_seconds=0.1))
    started = time.monotonic()
    transfer(client, seeded)
    assert time.monotonic() - started >= 0.1
    assert len(emulator.ledger()) == 1


def test_drop_fault_closes_the_connection_without_effect(
    client: Any, emulator: ConnectEmulator, seeded: Scenario
) -> None:
    emulator.set_faults(FaultPlan(script=["drop"]))
    with pytest.raises(ConnectionClosedError):
        transfer(client, seeded)
    assert emulator.ledger() == []


def test_retry_after_a_dropped_answer_replays_the_transfer_that_happened(
    client: Any, emulator: ConnectEmulator, seeded: Scenario
) -> None:
    emulator.set_faults(FaultPlan(script=["drop_after_effect"]))
    with pytest.raises(ConnectionClosedError):
        transfer(client, seeded)
    (entry,) = emulator.ledger()  # the transfer happened although the caller saw no answer
    assert emulator.get_contact(ContactRef(seeded.instance, seeded.contact))["ended"] is True

    retried = transfer(client, seeded)  # same ClientToken
    assert retried["ContactId"] == entry["new_contact_id"]
    assert len(emulator.ledger()) == 1


def test_botocore_retries_reuse_the_token_so_a_lost_answer_transfers_once(
    emulator: ConnectEmulator, seeded: Scenario
) -> None:
    emulator.set_faults(FaultPlan(script=["drop_after_effect"]))
    client = connect_client(emulator.endpoint_url, total_max_attempts=3)
    answer = client.transfer_contact(  # no ClientToken: botocore generates one per call
        InstanceId=seeded.instance,
        ContactId=seeded.contact,
        ContactFlowId=seeded.queue_flow,
        QueueId=seeded.other_queue,
    )
    assert answer["ResponseMetadata"]["RetryAttempts"] == 1
    assert [entry["new_contact_id"] for entry in emulator.ledger()] == [answer["ContactId"]]


def test_timeout_after_effect_transfers_before_the_client_gives_up_and_a_retry_replays(
    client: Any, emulator: ConnectEmulator, seeded: Scenario
) -> None:
    emulator.set_faults(FaultPlan(script=["timeout_after_effect"], timeout_seconds=HELD_TOO_LONG))
    with pytest.raises(ReadTimeoutError):
        transfer(client, seeded)
    (entry,) = emulator.ledger()  # already in effect when the client gives up
    assert transfer(client, seeded)["ContactId"] == entry["new_contact_id"]
    assert len(emulator.ledger()) == 1


def test_timeout_takes_effect_only_after_the_hold(
    client: Any, emulator: ConnectEmulator, seeded: Scenario
) -> None:
    emulator.set_faults(FaultPlan(script=["timeout"], timeout_seconds=HELD_TOO_LONG))
    with pytest.raises(ReadTimeoutError):
        transfer(client, seeded)
    assert emulator.ledger() == []  # still held
    wait_for_ledger(emulator, 1)


def test_fault_script_is_consumed_one_call_at_a_time_then_calls_are_normal(
    client: Any, emulator: ConnectEmulator, seeded: Scenario
) -> None:
    emulator.set_faults(FaultPlan(script=["throttle", "internal", "ok", "drop_after_effect"]))
    with pytest.raises(client.exceptions.ThrottlingException):
        transfer(client, seeded)
    with pytest.raises(client.exceptions.InternalServiceException):
        transfer(client, seeded)
    first = transfer(client, seeded)
    assert emulator.get_faults()["TransferContact"]["script"] == ["drop_after_effect"]
    with pytest.raises(ConnectionClosedError):  # a replay: its answer is dropped too
        transfer(client, seeded)
    assert transfer(client, seeded)["ContactId"] == first["ContactId"]
    assert len(emulator.ledger()) == 1
    assert emulator.stats()["faults"] == {"throttle": 1, "internal": 1, "drop_after_effect": 1}


def test_faults_apply_only_to_their_operation_until_cleared(
    client: Any, emulator: ConnectEmulator, seeded: Scenario
) -> None:
    emulator.set_faults(FaultPlan("DescribeContact", script=["internal"]))
    transfer(client, seeded)
    with pytest.raises(client.exceptions.InternalServiceException):
        client.describe_contact(InstanceId=seeded.instance, ContactId=seeded.contact)
    emulator.clear_faults(FaultScope())
    client.describe_contact(InstanceId=seeded.instance, ContactId=seeded.contact)


def test_fault_draws_repeat_for_one_seed_and_follow_the_probabilities() -> None:
    def draws(seed: int) -> list[FaultKind]:
        injector = FaultInjector(seed)
        injector.configure(probabilities={"throttle": 0.3, "internal": 0.2})
        return [injector.draw("TransferContact").kind for _ in range(200)]

    first = draws(42)
    assert first == draws(42)
    assert first != draws(43)
    throttles = first.count(FaultKind.THROTTLE) / len(first)
    assert 0.2 < throttles < 0.4
    assert set(first) == {FaultKind.OK, FaultKind.THROTTLE, FaultKind.INTERNAL}


def test_seeded_probabilistic_faults_repeat_over_http(
    client: Any, emulator: ConnectEmulator, seeded: Scenario
) -> None:
    def outcomes() -> list[str]:
        emulator.set_faults(FaultPlan("DescribeContact", probabilities={"internal": 0.5}, seed=3))
        seen = []
        for _ in range(12):
            try:
                client.describe_contact(InstanceId=seeded.instance, ContactId=seeded.contact)
                seen.append("ok")
            except client.exceptions.InternalServiceException:
                seen.append("internal")
        return seen

    first = outcomes()
    assert first == outcomes()
    assert set(first) == {"ok", "internal"}


def test_reset_restores_the_start_fault_script() -> None:
    with ConnectEmulator(EmulatorOptions(rate=None, fault_script=["throttle"], slow_seconds=0.01)) as em:
        assert em.get_faults()["TransferContact"]["script"] == ["throttle"]
        em.set_faults(FaultPlan(script=[]))
        em.reset()
        assert em.get_faults()["TransferContact"]["script"] == ["throttle"]


def test_unknown_fault_kinds_and_probabilities_above_one_are_refused(emulator: ConnectEmulator) -> None:
    with pytest.raises(ValueError, match="unknown fault kind"):
        emulator.set_faults(FaultPlan(script=["explode"]))
    with pytest.raises(ValueError, match="at most 1"):
        emulator.set_faults(FaultPlan(probabilities={"throttle": 0.7, "internal": 0.7}))


def test_stop_releases_requests_held_by_a_timeout_fault(seeded: Scenario, emulator: ConnectEmulator) -> None:
    emulator.set_faults(FaultPlan(script=["timeout"], timeout_seconds=30))
    client = connect_client(emulator.endpoint_url, read_timeout=0.2)
    with pytest.raises(ReadTimeoutError):
        transfer(client, seeded)
    started = time.monotonic()
    emulator.stop()
    assert time.monotonic() - started < 2
