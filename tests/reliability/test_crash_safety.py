"""Crash safety: the handler is killed mid-escalation (its process exits) and the escalation is replayed.

The crashed invocation runs in a subprocess (tests/reliability/crash_handler.py) against this module's
stack. Powertools leaves its INPROGRESS record until the crashed invocation's deadline, so that
invocation gets a short context timeout; the replay is retried (409 / RetryLater) until it expires.
Whatever the crash point, the ledger ends with exactly one transfer, or none for a contact that ended
before the transfer took effect, and the replay answers the transfer that really happened.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import boto3
import pytest

from escalation.contract import API_PATH, SLA_BREACH_DETAIL_TYPE, SLA_BREACH_SOURCE
from local.api import ApiRoute, build_rest_event
from local.connect_emulator import ContactRef, PolicySeed
from local.connect_emulator.testing import connect_client
from local.dev_tokens import parse_dev_token
from local.http_service import HttpRequest
from local.stack import INSTANCE_ID, LocalStack, deployed_policy
from tests.integration.support import (
    ALICE,
    REPO_ROOT,
    breach_detail,
    event_escalation_id,
    post_until_settled,
    transfers_of,
    wait_until,
)
from tests.reliability.crash_handler import CRASHED

CRASHED_INVOCATION_TIMEOUT = 2.0  # seconds: the INPROGRESS record outlives the crash by about this


def run_crashing(mode: str, event: dict[str, Any], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    event_file = tmp_path / "event.json"
    event_file.write_text(json.dumps(event))
    env = {**os.environ, "PYTHONPATH": f"{REPO_ROOT / 'lambdas'}{os.pathsep}{REPO_ROOT}"}
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.reliability.crash_handler",
            mode,
            str(event_file),
            str(CRASHED_INVOCATION_TIMEOUT),
        ],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def api_event(contact: str, reason: str) -> dict[str, Any]:
    claims = parse_dev_token(f"Bearer {ALICE}")
    assert claims is not None
    request = HttpRequest(
        method="POST",
        path=API_PATH,
        query="",
        headers=(("Content-Type", "application/json"),),
        body=json.dumps({"contactId": contact, "reason": reason}).encode(),
    )
    return build_rest_event(request, claims, ApiRoute(resource=API_PATH))


def breach_event(contact: str) -> dict[str, Any]:
    return {
        "version": "0",
        "id": f"crash-{contact}",
        "detail-type": SLA_BREACH_DETAIL_TYPE,
        "source": SLA_BREACH_SOURCE,
        "account": "123456789012",
        "time": "2024-01-01T00:00:00Z",
        "region": "us-east-1",
        "resources": [],
        "detail": breach_detail(contact),
    }


def assert_ledger_brought_up_to_date(stack: LocalStack, contact: str, new_contact_id: str) -> None:
    """The crashed attempt left a PENDING entry; the replay made it the one confirmed transfer."""
    [done] = stack.ledger(contact)
    assert done.status.value == "TRANSFERRED", done
    assert done.new_contact_id == new_contact_id
    assert done.level == 1
    # The confirmed values are on the contact the transfer created, for its agent to see.
    attributes = stack.connect.get_contact(ContactRef(INSTANCE_ID, new_contact_id))["attributes"]
    assert (attributes["escalationLevel"], attributes["escalationTransferCount"]) == ("1", "1")


def invoke_until_done(stack: LocalStack, event: dict[str, Any], deadline: float = 30.0) -> dict[str, Any]:
    """Invoke synchronously until the crashed invocation's INPROGRESS record has expired."""
    lam = boto3.client("lambda")

    def attempt() -> dict[str, Any] | None:
        response = lam.invoke(
            FunctionName=stack.bus.function.function_name, Payload=json.dumps(event).encode()
        )
        payload = json.loads(response["Payload"].read())
        if "FunctionError" in response:
            assert payload["errorType"] == "RetryLater", payload
            # The retry error carries the MAC of its event, for a redrive to verify (record_mac.py).
            assert payload["errorMessage"].startswith("EscalationInProgress [event-mac:"), payload
            time.sleep(0.2)
            return None
        result: dict[str, Any] = payload
        return result

    return wait_until(
        attempt, timeout=deadline, interval=0, what="the replay to get past the INPROGRESS record"
    )


def test_api_crash_after_the_transfer_then_replay_answers_the_same_transfer(
    stack: LocalStack, tmp_path: Path
) -> None:
    contact = stack.add_contact("TASK", queue_id="queue-tier1", agent_id="agent-alice")

    crashed = run_crashing("after_transfer", api_event(contact, "CUSTOMER_UNHAPPY"), tmp_path)

    assert crashed.returncode == CRASHED, crashed.stderr[-2000:]
    [entry] = transfers_of(stack, contact)
    answer, seen = post_until_settled(
        stack, ALICE, {"contactId": contact, "reason": "CUSTOMER_UNHAPPY"}, attempts=40, pause=0.2
    )
    assert answer.status == 200, seen
    # The replay repeats TransferContact with the same client token: Connect answers the first transfer.
    assert (answer.body["status"], answer.body["level"]) == ("TRANSFERRED", 1)
    assert answer.body["newContactId"] == entry["new_contact_id"]
    assert {a.error for a in seen[:-1]} <= {"ESCALATION_IN_PROGRESS"}
    assert len(transfers_of(stack, contact)) == 1
    assert_ledger_brought_up_to_date(stack, contact, entry["new_contact_id"])


@pytest.mark.parametrize("mode", ["after_transfer", "before_save"])
def test_event_crash_after_the_transfer_then_replay_transfers_nothing_more(
    stack: LocalStack, tmp_path: Path, mode: str
) -> None:
    contact = stack.add_contact("EMAIL", queue_id="queue-tier1")
    event = breach_event(contact)

    crashed = run_crashing(mode, event, tmp_path)

    assert crashed.returncode == CRASHED, crashed.stderr[-2000:]
    [entry] = transfers_of(stack, contact)
    assert entry["client_token"] == event_escalation_id(contact)
    result = invoke_until_done(stack, event)
    # after_transfer: the ledger still says PENDING, the replay repeats TransferContact with the same
    # client token and Connect answers the first transfer. before_save: the ledger had recorded the
    # transfer before the crash, and the replay answers from it as the first answer would have.
    assert (result["status"], result["level"]) == ("TRANSFERRED", 1), result
    assert result["newContactId"] == entry["new_contact_id"]
    assert len(transfers_of(stack, contact)) == 1
    assert stack.dlq_records() == []
    assert_ledger_brought_up_to_date(stack, contact, entry["new_contact_id"])


def test_event_crash_before_the_transfer_then_replay_transfers_once(
    stack: LocalStack, tmp_path: Path
) -> None:
    contact = stack.add_contact("TASK", queue_id="queue-tier1")
    event = breach_event(contact)

    crashed = run_crashing("before_transfer", event, tmp_path)

    assert crashed.returncode == CRASHED, crashed.stderr[-2000:]
    assert transfers_of(stack, contact) == []
    # The ledger holds the planned escalation; the contact carries no level that nothing earned.
    [pending] = stack.ledger(contact)
    assert (pending.escalation_id, pending.status.value, pending.level) == (
        event_escalation_id(contact),
        "PENDING",
        1,
    )
    attributes = stack.connect.get_contact(ContactRef(INSTANCE_ID, contact))["attributes"]
    assert "escalationLevel" not in attributes
    result = invoke_until_done(stack, event)
    assert (result["status"], result["level"]) == ("TRANSFERRED", 1)
    [entry] = transfers_of(stack, contact)
    assert entry["new_contact_id"] == result["newContactId"]
    assert_ledger_brought_up_to_date(stack, contact, entry["new_contact_id"])


def test_event_crash_before_the_transfer_of_a_contact_that_then_ended_is_skipped(
    stack: LocalStack, tmp_path: Path
) -> None:
    contact = stack.add_contact("TASK", queue_id="queue-tier1")
    event = breach_event(contact)

    crashed = run_crashing("before_transfer", event, tmp_path)
    assert crashed.returncode == CRASHED, crashed.stderr[-2000:]
    # The contact centre ends the contact: a caller with its own permissions (the handler's deny StopContact).
    stack.connect.set_policy(PolicySeed(None))
    try:
        connect_client(stack.connect.endpoint_url).stop_contact(ContactId=contact, InstanceId=INSTANCE_ID)
    finally:
        stack.connect.set_policy(deployed_policy())

    result = invoke_until_done(stack, event)

    assert result["status"] == "SKIPPED", result
    assert transfers_of(stack, contact) == []
    assert stack.dlq_records() == []
    assert [e.status.value for e in stack.ledger(contact)] == ["SKIPPED"]


def test_the_wrapper_without_a_crash_runs_the_real_handler(stack: LocalStack, tmp_path: Path) -> None:
    """The harness itself: with no crash point the subprocess escalates normally."""
    contact = stack.add_contact("TASK", queue_id="queue-tier1")

    finished = run_crashing("none", breach_event(contact), tmp_path)

    assert finished.returncode == 0, finished.stderr[-2000:]
    result = json.loads(finished.stdout.strip().splitlines()[-1])
    assert result["status"] == "TRANSFERRED"
    assert len(transfers_of(stack, contact)) == 1
