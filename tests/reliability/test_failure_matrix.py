"""The failure matrix (tests/reliability/failure_matrix.py), row by row, through the production handler.

One local stack with local.fault_proxy between the handler's clients and moto, the Connect emulator and
the bus. Each row fails its call for one whole invocation on the API path and on the event path, then
heals, and the row's promises are checked, with the invariants of every row:

- every escalation ends transferred exactly once, or in the DLQ and announced by an alert (or, when a
  channel refused, logged at ERROR);
- no answer claims an outcome that did not happen: an answer that says the request transferred nothing
  comes before any transfer, one that says the contact was transferred after it, a 200 names the new contact
  Connect created, and the ledger ends with the outcome the last answer gave.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest

from escalation.contract import EnvVar
from escalation.domain.schedule_names import timer_names
from local.connect_emulator import ContactAcceptance
from local.fault_proxy import FaultRule
from local.stack import INSTANCE_ID, LocalStack, StackOptions, policy_without_instance_grant
from tests.aws_isolation import isolated_aws_environment
from tests.integration.support import (
    ALICE,
    BUNDLED_RULES,
    Answer,
    alerts_of,
    dlq_of,
    emf_metrics,
    event_escalation_id,
    is_destination_record,
    post,
    post_until_settled,
    put_breaches,
    suite_stack_options,
    transfers_of,
    wait_until,
)
from tests.reliability.failure_matrix import ROWS, Row


class StoppedClock:
    """The scheduler's clock: timers are armed and cancelled here, never fired."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def stack_options(tmp_path_factory: pytest.TempPathFactory) -> StackOptions:
    document = json.loads(BUNDLED_RULES.read_text())
    # Timed: emails in Tier 1 only; the escalation rows use tasks, which arm nothing.
    document["sla"] = [
        {"name": "tier1-emails", "match": {"queues": ["queue-tier1"], "channels": ["EMAIL"]}, "seconds": 3600}
    ]
    rules = tmp_path_factory.mktemp("matrix-rules") / "routing_rules.json"
    rules.write_text(json.dumps(document))
    return suite_stack_options(
        fault_proxy=True,
        sla_timers=True,
        scheduler_clock=StoppedClock(),
        extra_env={
            EnvVar.ROUTING_RULES: str(rules),
            # Short retry budgets, as failure_matrix.SUITE_ATTEMPTS says (the idempotency table's
            # client keeps its own 3): a row's fault lasts exactly one invocation.
            EnvVar.CONNECT_MAX_ATTEMPTS: "2",
            "AWS_MAX_ATTEMPTS": "2",
            "AWS_RETRY_MODE": "standard",
            EnvVar.ALERT_DEDUP_WINDOW_SECONDS: "3600",
        },
    )


@pytest.fixture(scope="module")
def stack(stack_options: StackOptions, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    """The module's stack; the handler's JSON log is kept in a file, read back for ERROR lines."""
    tmp = tmp_path_factory.mktemp("matrix")
    stack_options.handler_log = tmp / "handler.log"
    with isolated_aws_environment(tmp), LocalStack(stack_options) as running:
        yield running


@dataclass
class Case:
    """What one row did on one path, as read back at the end."""

    contact: str
    escalation_id: str | None
    first_answer: Answer | None = None
    transfers_at_first_answer: int = 0
    final_answer: Answer | None = None
    raised: bool = False


def _log_lines(stack: LocalStack, since: int) -> list[dict[str, Any]]:
    path = stack.options.handler_log
    if not path.exists():
        return []
    with path.open(encoding="utf-8") as log:
        log.seek(since)
        return [json.loads(line) for line in log if line.startswith('{"level"')]


def _log_size(stack: LocalStack) -> int:
    path = stack.options.handler_log
    return path.stat().st_size if path.exists() else 0


def _contact(stack: LocalStack, row: Row, *, for_api: bool) -> str:
    channel = "EMAIL" if row.scenario.startswith("timer") else "TASK"
    agent = "agent-alice" if for_api else None
    return stack.add_contact(channel, queue_id="queue-tier1", agent_id=agent)


def _reason(row: Row) -> str:
    return "VIP_CUSTOMER" if row.scenario == "vip-transfer" else "CUSTOMER_UNHAPPY"


def _fault(stack: LocalStack, row: Row) -> None:
    stack.faults.add(FaultRule(row.service, row.operation, row.mode, row.first, row.body_contains))


def _run_api(stack: LocalStack, row: Row) -> Case:
    contact = _contact(stack, row, for_api=True)
    key = f"matrix-{row.id}"
    body = {"contactId": contact, "reason": _reason(row)}
    _fault(stack, row)
    first = post(stack, ALICE, body, idempotency_key=key)
    case = Case(contact, first.body.get("escalationId") if first.status == 200 else None, first)
    case.transfers_at_first_answer = len(transfers_of(stack, contact))
    stack.faults.clear()
    case.final_answer = first
    if first.status in (429, 503) or first.error == "ESCALATION_IN_PROGRESS":  # the desktop retries
        case.final_answer, _ = post_until_settled(stack, ALICE, body, idempotency_key=key)
    if isinstance(case.final_answer.body, dict):
        case.escalation_id = case.escalation_id or case.final_answer.body.get("escalationId")
    return case


def _run_event(stack: LocalStack, row: Row) -> Case:
    errors_before = stack.bus.stats.errors
    if row.scenario == "timer-arm":
        _fault(stack, row)
        contact = _contact(stack, row, for_api=False)  # Connect sends QUEUED: a timer is armed
        case = Case(contact, None)
    elif row.scenario == "timer-cancel":
        contact = _contact(stack, row, for_api=False)
        wait_until(lambda: _armed(stack, contact), what="the timer armed")
        assert stack.bus.wait_idle(30)
        errors_before = stack.bus.stats.errors
        _fault(stack, row)
        stack.connect.accept_contact(ContactAcceptance(INSTANCE_ID, contact))  # CONNECTED_TO_AGENT
        case = Case(contact, None)
    else:
        contact = _contact(stack, row, for_api=False)
        _fault(stack, row)
        # Straight to the bus: the handler's endpoint variables lead through the proxy.
        producer = boto3.client("events", endpoint_url=stack.bus.endpoint_url)
        put_breaches(producer, [contact], reason=_reason(row))
        case = Case(contact, event_escalation_id(contact, _reason(row)))
    assert stack.bus.wait_idle(60)  # the first invocation, and Lambda's retry when it raised
    case.raised = stack.bus.stats.errors > errors_before
    return case


def _armed(stack: LocalStack, contact: str) -> bool:
    names = {schedule["Name"] for schedule in stack.schedules()}
    return timer_names(contact)[0] in names


PATHS = ("api", "event")


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("row", ROWS, ids=[row.id for row in ROWS])
def test_failure_matrix_row(
    stack: LocalStack, row: Row, path: str, capsys: pytest.CaptureFixture[str]
) -> None:
    if path == "api" and row.api is None:
        pytest.skip("no API path: contact events only")
    if row.scenario == "failure":
        stack.connect.set_policy(policy_without_instance_grant("connect:TransferContact"))
    log_start = _log_size(stack)
    capsys.readouterr()  # the handler prints its metrics (EMF) on stdout, as on Lambda
    case = _run_api(stack, row) if path == "api" else _run_event(stack, row)
    assert stack.bus.wait_idle(60)
    emitted = set(emf_metrics(capsys.readouterr().out))

    dlq = dlq_of(stack, case.contact)
    alerts = alerts_of(stack.aws.alerts(), case.contact)
    transfers = transfers_of(stack, case.contact)
    ledger = stack.ledger(chain_id=case.contact)
    log = _log_lines(stack, log_start)
    context = {"row": row, "path": path, "case": case, "dlq": dlq, "alerts": alerts, "ledger": ledger}

    if path == "api":
        assert case.first_answer is not None
        assert f"{case.first_answer.status} {_code(case.first_answer)}" == row.api, context
        if row.api_says:
            assert row.api_says in case.first_answer.body["message"], context
    else:
        assert case.raised == (row.event == "raise"), context

    # Lambda's destination records would mean the retry did not heal; only the handler's own records.
    assert [r for r in dlq if is_destination_record(r)] == [], context
    assert len(dlq) == row.dlq, context
    assert len(alerts) == row.alerts_on(path), context
    if row.error_log:
        assert [line for line in log if line["level"] == "ERROR"], context
    assert set(row.metrics) <= emitted, context

    if row.scenario.startswith("timer"):
        armed = _armed(stack, case.contact)
        assert armed == (row.scenario == "timer-arm"), context
        return
    [entry] = ledger
    assert entry.status.value == row.ledger, context
    _check_invariants(row, case, transfers, dlq, alerts, log, context)


def _code(answer: Answer) -> str:
    body = answer.body if isinstance(answer.body, dict) else {}
    return str(body.get("status") if answer.status == 200 else body.get("error"))


def _check_invariants(
    row: Row,
    case: Case,
    transfers: list[dict[str, Any]],
    dlq: list[dict[str, Any]],
    alerts: list[dict[str, Any]],
    log: list[dict[str, Any]],
    context: dict[str, Any],
) -> None:
    # Transferred exactly once, or kept in the DLQ and announced (or logged at ERROR).
    if row.scenario == "failure":
        assert transfers == [], context
        announced = alerts or [line for line in log if line["message"] == "Alert not published"]
        assert dlq, context
        assert announced, context
    else:
        assert len(transfers) == 1, context
    # No answer claims what did not happen.
    for answer, moved in ((case.first_answer, case.transfers_at_first_answer), (case.final_answer, None)):
        if answer is None:
            continue
        message = answer.body.get("message", "") if isinstance(answer.body, dict) else ""
        if "transferred nothing" in message:
            assert moved == 0, context
        if "was transferred" in message and "nothing" not in message:
            assert moved in (None, 1), context
        if answer.status == 200:
            assert answer.body["status"] in ("TRANSFERRED", "ALREADY_TRANSFERRED"), context
            assert len(transfers) == 1, context
            if answer.body.get("newContactId"):
                assert answer.body["newContactId"] == transfers[0]["new_contact_id"], context
    if case.final_answer is not None and case.final_answer.status == 200:
        assert row.ledger == "TRANSFERRED", context
