"""N escalations through both triggers while ~20 % of TransferContact calls fail (seeded).

Every escalation must be accounted for (transferred once, dead-lettered, or, for the API, answered
with a retryable error after the desktop's bounded retries), and no contact or ClientToken may be
transferred twice. The handler runs with reserved concurrency 2 and shortened Lambda retry delays, and
with 2 botocore attempts per Connect call instead of 4: with 4, botocore absorbs almost every fault
inside one invocation (0.2**4), and the invocation-level paths (the desktop's retry, Lambda's retry, the
destination record, resuming an escalation whose transfer took effect) would hardly run.
"""

from __future__ import annotations

import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

from local.connect_emulator import FaultPlan, FaultScope
from local.stack import LocalStack, StackOptions
from tests.integration.support import (
    ALICE,
    Answer,
    event_escalation_id,
    events_client,
    is_destination_record,
    post_until_settled,
    put_breaches,
    record_contact_id,
    suite_stack_options,
    wait_idle,
)
from tests.reliability.sizes import FAULT_ESCALATIONS, FAULT_SEED

READ_TIMEOUT = 3.0
# About 20 % of TransferContact calls: every kind that fails, delays or loses an answer.
FAULT_MIX = {
    "throttle": 0.05,
    "internal": 0.04,
    "drop": 0.04,
    "slow": 0.02,
    "drop_after_effect": 0.025,
    "slow_after_effect": 0.015,
    "timeout_after_effect": 0.01,
}
# One desktop at a time: the local API runs the handler on threads of one process, and Powertools'
# resolver keeps the current request on the module-level `app`, so concurrent API requests for different
# contacts can swap requests locally (never in Lambda: one invocation per execution environment). See
# tests/integration/test_local_concurrency.py. Events still run concurrently (bus concurrency 2).
DESKTOPS = 1
DESKTOP_ATTEMPTS = 8


@pytest.fixture(scope="module")
def stack_options() -> StackOptions:
    return suite_stack_options(seed=FAULT_SEED, extra_env={"CONNECT_MAX_ATTEMPTS": "2"})


def test_every_escalation_is_accounted_for_and_none_is_transferred_twice(stack: LocalStack) -> None:
    api_count = FAULT_ESCALATIONS // 2
    event_count = FAULT_ESCALATIONS - api_count
    api_contacts = [
        stack.add_contact(("TASK", "EMAIL")[i % 2], queue_id="queue-tier1", agent_id="agent-alice")
        for i in range(api_count)
    ]
    event_contacts = [
        stack.add_contact(("TASK", "EMAIL")[i % 2], queue_id="queue-tier1") for i in range(event_count)
    ]
    stack.connect.set_faults(
        FaultPlan(
            "TransferContact",
            probabilities=FAULT_MIX,
            slow_seconds=0.2,
            timeout_seconds=READ_TIMEOUT + 0.2,
            seed=FAULT_SEED,
        )
    )
    started = time.monotonic()

    put_breaches(events_client(), event_contacts)

    def desktop(contact: str) -> tuple[Answer, list[Answer]]:
        return post_until_settled(
            stack, ALICE, {"contactId": contact, "reason": "CUSTOMER_UNHAPPY"}, attempts=DESKTOP_ATTEMPTS
        )

    with ThreadPoolExecutor(DESKTOPS) as pool:
        api_results = list(pool.map(desktop, api_contacts))
    wait_idle(stack, timeout=600)
    elapsed = time.monotonic() - started
    faults = stack.connect.stats()["faults"]
    stack.connect.clear_faults(FaultScope())

    ledger = stack.connect.ledger()
    dlq = stack.dlq_records()
    transfers = Counter(entry["contact_id"] for entry in ledger)
    tokens = Counter(entry["client_token"] for entry in ledger)
    dead_lettered = Counter(record_contact_id(record) for record in dlq)
    seen_statuses = Counter(answer.status for _, seen in api_results for answer in seen)
    print(
        f"\n{FAULT_ESCALATIONS} escalations in {elapsed:.1f} s; faults injected {faults}; "
        f"API answers seen {dict(seen_statuses)}; DLQ records {len(dlq)}; bus {stack.bus.stats}"
    )

    # No double transfer anywhere.
    assert [c for c, n in transfers.items() if n > 1] == []
    assert [t for t, n in tokens.items() if n > 1] == []
    assert set(transfers) <= set(api_contacts) | set(event_contacts)

    # The desktop: every click ends in one transfer, answered with the contact that really exists.
    for contact, (final, _) in zip(api_contacts, api_results, strict=True):
        assert final.status == 200, (contact, final)
        assert final.body["status"] == "TRANSFERRED"
        [entry] = [e for e in ledger if e["contact_id"] == contact]
        assert entry["new_contact_id"] == final.body["newContactId"]
        assert entry["client_token"] == final.body["escalationId"]
    # Only the answers the error table allows for these faults.
    assert set(seen_statuses) <= {200, 429, 503}

    # The events: transferred once, or dead-lettered for a redrive; never silently lost.
    lost = [c for c in event_contacts if transfers[c] == 0 and dead_lettered[c] == 0]
    assert lost == []
    for contact in event_contacts:
        if transfers[contact]:
            [entry] = [e for e in ledger if e["contact_id"] == contact]
            assert entry["client_token"] == event_escalation_id(contact)

    # No crash: every DLQ record is a Lambda destination record after RETRY decisions ran out (these
    # faults are all RETRY rows of the table, which the handler itself never dead-letters), and no
    # invocation failed with anything but the RetryLater the handler raises on purpose.
    assert [record for record in dlq if not is_destination_record(record)] == []
    assert [r for r in dlq if r["responsePayload"]["errorType"] != "RetryLater"] == []
    bus = stack.bus.stats
    assert bus.destination_errors == 0
    assert bus.succeeded + bus.failures == bus.async_accepted
    assert sum(faults.values()) > FAULT_ESCALATIONS * 0.1  # the faults really were injected
