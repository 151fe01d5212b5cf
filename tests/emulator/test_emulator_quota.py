"""Connect's rate quota: a token bucket per operation, 2 requests/s burst 5 by default."""

from __future__ import annotations

from typing import Any

import pytest

from local.connect_emulator import ConnectEmulator, EmulatorOptions, QuotaPlan, QuotaScale
from local.connect_emulator.quota import RateQuota, TokenBucket
from local.connect_emulator.testing import Scenario


def describe(connect: Any, seeded: Scenario) -> None:
    connect.describe_contact(InstanceId=seeded.instance, ContactId=seeded.contact)


def test_default_quota_is_connects_two_per_second_with_a_burst_of_five() -> None:
    snapshot = ConnectEmulator().get_quota()
    assert snapshot["default"] == {"rate": 2.0, "burst": 5}
    assert snapshot["scale"] == 1.0


def test_call_after_a_burst_of_five_is_throttled_with_429(
    connect: Any, emulator: ConnectEmulator, seeded: Scenario
) -> None:
    # A slow refill keeps the sixth call over the quota however slow the machine is.
    emulator.set_quota(QuotaPlan(rate=0.1, burst=5))
    for _ in range(5):
        describe(connect, seeded)
    with pytest.raises(connect.exceptions.ThrottlingException) as raised:
        describe(connect, seeded)
    error = raised.value.response
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 429
    assert error["Error"]["Message"] == "Rate exceeded"
    assert emulator.stats()["throttled"] == {"DescribeContact": 1}


def test_a_throttled_operation_does_not_throttle_another(
    connect: Any, emulator: ConnectEmulator, seeded: Scenario
) -> None:
    emulator.set_quota(QuotaPlan(rate=0.1, burst=1))
    describe(connect, seeded)
    with pytest.raises(connect.exceptions.ThrottlingException):
        describe(connect, seeded)
    connect.get_current_user_data(InstanceId=seeded.instance, Filters={"Agents": [seeded.agent]})


def test_an_operations_own_quota_overrides_the_default_and_a_throttled_call_has_no_effect(
    connect: Any, emulator: ConnectEmulator, seeded: Scenario
) -> None:
    emulator.set_quota(QuotaPlan(rate=None))
    emulator.set_quota(QuotaPlan(rate=0.1, burst=1, operation="TransferContact"))
    for _ in range(10):
        describe(connect, seeded)
    connect.transfer_contact(
        InstanceId=seeded.instance,
        ContactId=seeded.contact,
        ContactFlowId=seeded.queue_flow,
        QueueId=seeded.queue,
    )
    with pytest.raises(connect.exceptions.ThrottlingException):
        connect.transfer_contact(
            InstanceId=seeded.instance,
            ContactId=seeded.contact,
            ContactFlowId=seeded.queue_flow,
            QueueId=seeded.queue,
        )
    assert len(emulator.ledger()) == 1  # a throttled call has no effect


def test_start_quota_configuration_is_applied_and_restored_by_reset() -> None:
    with ConnectEmulator(
        EmulatorOptions(rate=1.0, burst=2, scale=10.0, quotas={"StopContact": (None, 1)})
    ) as em:
        snapshot = em.get_quota()
        assert snapshot["default"] == {"rate": 1.0, "burst": 2}
        assert snapshot["scale"] == 10.0
        assert snapshot["operations"] == {"StopContact": {"rate": None, "burst": 1}}
        em.set_quota_scale(QuotaScale(2.0))
        em.reset()  # back to the start configuration
        assert em.get_quota()["scale"] == 10.0


def test_token_bucket_refills_at_the_rate() -> None:
    bucket = TokenBucket(rate=2.0, burst=5, now=0.0)
    assert [bucket.try_take(0.0) for _ in range(6)] == [True] * 5 + [False]
    assert bucket.try_take(0.4) is False
    assert bucket.try_take(0.5) is True  # 0.5 s at 2/s is one token
    assert bucket.try_take(100.0) is True
    assert sum(bucket.try_take(100.0) for _ in range(10)) == 4  # refills to the burst, no more


def test_scale_multiplies_the_refill_rate() -> None:
    now = [0.0]
    quota = RateQuota(rate=2.0, burst=1, scale=10.0, clock=lambda: now[0])
    assert quota.try_acquire("TransferContact") is True
    assert quota.try_acquire("TransferContact") is False
    now[0] = 0.05  # 2/s x 10 = one token every 0.05 s
    assert quota.try_acquire("TransferContact") is True


def test_zero_burst_and_zero_scale_are_refused() -> None:
    with pytest.raises(ValueError, match="burst"):
        RateQuota(rate=1.0, burst=0)
    with pytest.raises(ValueError, match="scale"):
        RateQuota(scale=0)
