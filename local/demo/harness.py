"""The demo's harness: the two entry points as a desktop and an upstream system use them, the steps'
bookkeeping and the summary. The step modules (`escalation_steps`, `sla_steps`, ...) write their scenarios
as `Scenario`s and play them on it.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import boto3

from escalation.contract import SLA_BREACH_DETAIL_TYPE, SLA_BREACH_SOURCE
from local.stack import INSTANCE_ID, LocalStack

IDLE_TIMEOUT_SECONDS = 120.0
# How long a step waits for what the local scheduler or bus does in the background.
WAIT_SECONDS = 30.0

# A step's check: whether it behaved as expected, and what it saw.
Check = Callable[[], tuple[bool, str]]
StepMethod = Callable[[Any], tuple[bool, str]]
_STEP = "demo_step"  # the attribute @step sets: (title, what is expected)


def step(title: str, expected: str) -> Callable[[StepMethod], StepMethod]:
    """Marks a scenario's method as a step, with its title and what it expects to see."""

    def mark(method: StepMethod) -> StepMethod:
        setattr(method, _STEP, (title, expected))
        return method

    return mark


@dataclass
class Step:
    title: str
    expected: str
    actual: str = ""
    ok: bool = False


class DemoHarness:
    def __init__(self, stack: LocalStack) -> None:
        self.stack = stack
        self.steps: list[Step] = []
        self.events = boto3.client("events")

    # -- the two entry points, as a desktop and an upstream system use them

    def post_escalation(
        self, token: str | None, body: dict[str, Any], idempotency_key: str | None = None
    ) -> tuple[int, dict[str, Any]]:
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        return self._answer(
            urllib.request.Request(  # noqa: S310 - a fixed http://127.0.0.1 URL
                f"{self.stack.api.url}/escalations",
                data=json.dumps(body).encode(),
                headers=headers,
                method="POST",
            )
        )

    def get(self, token: str, path: str) -> tuple[int, dict[str, Any]]:
        return self._answer(
            urllib.request.Request(  # noqa: S310 - a fixed http://127.0.0.1 URL
                f"{self.stack.api.url}{path}", headers={"Authorization": f"Bearer {token}"}, method="GET"
            )
        )

    @staticmethod
    def _answer(request: urllib.request.Request) -> tuple[int, dict[str, Any]]:
        try:
            with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"{}")

    def put_breaches(self, contact_ids: list[str], instance_id: str = INSTANCE_ID) -> None:
        details = [
            json.dumps(
                {
                    "contactId": contact_id,
                    "instanceId": instance_id,
                    "slaSeconds": 3600,
                    "breachedAt": datetime.now(UTC).isoformat(),
                }
            )
            for contact_id in contact_ids
        ]
        for start in range(0, len(details), 10):  # PutEvents takes 10 entries per call
            response = self.events.put_events(
                Entries=[
                    {"Source": SLA_BREACH_SOURCE, "DetailType": SLA_BREACH_DETAIL_TYPE, "Detail": detail}
                    for detail in details[start : start + 10]
                ]
            )
            if response["FailedEntryCount"]:
                raise RuntimeError(f"PutEvents refused entries: {response['Entries']}")

    def wait_for_bus(self) -> None:
        if not self.stack.bus.wait_idle(IDLE_TIMEOUT_SECONDS):
            raise RuntimeError("the local bus did not drain in time")

    def transferred(self, contact_id: str) -> list[Any]:
        return [entry for entry in self.stack.transfers() if entry["contact_id"] == contact_id]

    # -- bookkeeping

    def step(self, title: str, expected: str, run: Check) -> None:
        print(f"\n> {title}\n  expect: {expected}", flush=True)
        step = Step(title, expected)
        try:
            step.ok, step.actual = run()
        except Exception as error:
            step.ok, step.actual = False, f"crashed: {type(error).__name__}: {error}"
        print(f"  {'ok  ' if step.ok else 'FAIL'}  {step.actual}", flush=True)
        self.steps.append(step)

    def play(self, scenario: object) -> bool:
        """Run the scenario's @step methods in the order they are written; whether every step so far (this
        scenario's and earlier ones) passed."""
        marked_steps = [
            (name, marked)
            for name, member in vars(type(scenario)).items()
            if (marked := getattr(member, _STEP, None)) is not None
        ]
        if not marked_steps:  # a scenario with no @step would pass by playing nothing
            raise TypeError(f"{type(scenario).__name__} has no @step methods to play")
        for name, (title, expected) in marked_steps:
            self.step(title, expected, getattr(scenario, name))
        return all(done.ok for done in self.steps)

    def summary(self) -> None:
        print("\n=== Summary ===")
        width = max(len(step.title) for step in self.steps)
        for step in self.steps:
            print(f"  {'ok  ' if step.ok else 'FAIL'}  {step.title.ljust(width)}  {step.actual}")
        print(f"\n  Transfers that took effect (emulator ledger): {len(self.stack.transfers())}")
        if self.stack.output is not None:
            print("\n  Metrics (EMF, as CloudWatch would count them):")
            for name, value in self.stack.output.summary():
                print(f"    {name:48} {value}")
        print("\n  Dead-letter queue now:")
        for record in self.stack.dlq_records():
            print(
                f"    {record.get('decision', record.get('requestContext', {}).get('condition'))}: "
                f"{record.get('errorCode')} for contact {record.get('contactId')}"
            )
        stats = self.stack.bus.stats
        print(
            f"\n  Local Lambda: {stats.invocations} invocations, {stats.retries} retries, "
            f"{stats.destination_records} on-failure records"
        )
        print(f"  Handler logs (JSON lines): {self.stack.options.handler_log}")


class Scenario:
    """A scenario played on the harness: its methods marked with @step run in the order they are written."""

    def __init__(self, demo: DemoHarness) -> None:
        self.demo = demo
        self.stack = demo.stack

    def run(self) -> bool:
        """Play the steps; whether every step so far (this scenario's and earlier ones) passed."""
        return self.demo.play(self)


def wait_until(condition: Callable[[], bool], timeout: float = WAIT_SECONDS) -> bool:
    """Whether `condition` came true within `timeout` seconds (checked every 0.1 s)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True
