"""`make demo`: the escalation service's main job, played end to end on the local stack.

Starts emulated Connect and AWS, seeds a contact centre, then escalates through the real entry points
(HTTP to the local API, PutEvents to the local bus) and checks every outcome against what the product
promises. Prints progress and a summary; exits 0 only if every step behaved as expected.
"""

from __future__ import annotations

import json
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import boto3

from escalation.contract import SLA_BREACH_DETAIL_TYPE, SLA_BREACH_SOURCE
from local.demo_sla import SlaTimerSteps, sla_stack_options
from local.dev_tokens import make_dev_token
from local.run_info import run_log_path
from local.stack import (
    INSTANCE_ID,
    RUN_DIR,
    LocalStack,
    StackOptions,
    deployed_policy,
    policy_without_instance_grant,
)
from tools.redrive import redrive

if TYPE_CHECKING:
    pass

BURST_SIZE = 20
IDLE_TIMEOUT_SECONDS = 120.0

ALICE = make_dev_token("agent-alice", ["agents"], "alice")
BOB = make_dev_token("agent-bob", ["agents"], "bob")
SUPERVISOR = make_dev_token("agent-carol", ["supervisors"], "carol")


@dataclass
class Step:
    title: str
    expected: str
    actual: str = ""
    ok: bool = False


class Demo:
    def __init__(self, stack: LocalStack) -> None:
        self.stack = stack
        self.steps: list[Step] = []
        self.events = boto3.client("events")
        self.alice_task = self.next_in_chain = self.vip_task = ""

    # -- the two entry points, as a desktop and an upstream system use them

    def post_escalation(
        self, token: str | None, body: dict[str, Any], idempotency_key: str | None = None
    ) -> tuple[int, dict[str, Any]]:
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        request = urllib.request.Request(  # noqa: S310 - a fixed http://127.0.0.1 URL
            f"{self.stack.api.url}/escalations",
            data=json.dumps(body).encode(),
            headers=headers,
            method="POST",
        )
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

    def step(self, title: str, expected: str, run: Callable[[], tuple[bool, str]]) -> None:
        print(f"\n> {title}\n  expect: {expected}", flush=True)
        step = Step(title, expected)
        try:
            step.ok, step.actual = run()
        except Exception as error:
            step.ok, step.actual = False, f"crashed: {type(error).__name__}: {error}"
        print(f"  {'ok  ' if step.ok else 'FAIL'}  {step.actual}", flush=True)
        self.steps.append(step)

    # -- the scenario: one method per step, in the order they run

    def run(self) -> bool:
        for title, expected, check in (
            (
                "An agent escalates her task from the desktop (HTTP)",
                "200, to queue-tier2, level 1",
                self.agent_escalates,
            ),
            (
                "A supervisor escalates the same chain again (the ladder)",
                "200, to queue-supervisors, level 2",
                self.supervisor_escalates_again,
            ),
            (
                "A double click on the same escalation",
                "both 200 with one answer; one transfer",
                self.double_click,
            ),
            (
                "A voice contact is refused",
                "409 CHANNEL_NOT_TRANSFERABLE, nothing transferred",
                self.voice_refused,
            ),
            (
                "An agent tries to escalate a colleague's contact",
                "403 FORBIDDEN, nothing transferred",
                self.not_your_contact,
            ),
            (
                "A VIP escalation to an account manager who is offline",
                "falls back to queue-tier2",
                self.agent_unavailable_falls_back,
            ),
            (
                "An SLA breach event for an email (EventBridge)",
                "transferred once, to queue-tier2",
                self.breach,
            ),
            (
                "An SLA breach for a contact that has already ended",
                "skipped: no transfer, no DLQ record",
                self.breach_of_ended_contact,
            ),
            (
                f"A burst of {BURST_SIZE} SLA breaches meets Connect's 2 transfers/s quota",
                "every one transferred exactly once, nothing lost",
                self.burst,
            ),
            (
                "AccessDenied from Connect, then the fix and a redrive",
                "DLQ + alert; after the fix the redrive transfers it once",
                self.access_denied_then_redrive,
            ),
            (
                "A contact already transferred 11 times breaches its SLA",
                "Connect's ServiceQuotaExceeded: ALERT + DLQ record, no transfer",
                self.transfer_limit,
            ),
            (
                "The escalation ledger of the first chain, read back (GET), and its events",
                "two TRANSFERRED rungs (levels 1, 2), two 'Escalation Transferred' events",
                self.ledger_of_the_first_chain,
            ),
        ):
            self.step(title, expected, check)
        return all(step.ok for step in self.steps)

    @staticmethod
    def _described(status: int, body: dict[str, Any]) -> str:
        return f"HTTP {status}: {body.get('status')} to {body.get('target')} at level {body.get('level')}"

    def agent_escalates(self) -> tuple[bool, str]:
        self.alice_task = self.stack.add_contact("TASK", queue_id="queue-tier1", agent_id="agent-alice")
        status, body = self.post_escalation(
            ALICE, {"contactId": self.alice_task, "reason": "CUSTOMER_UNHAPPY"}
        )
        self.next_in_chain = body.get("newContactId") or ""
        ok = status == 200 and body.get("target") == {"type": "QUEUE", "id": "queue-tier2"}
        return ok, self._described(status, body)

    def supervisor_escalates_again(self) -> tuple[bool, str]:
        body_in = {
            "contactId": self.next_in_chain,
            "reason": "CUSTOMER_REQUEST",
            "note": "customer wrote twice",
        }
        status, body = self.post_escalation(SUPERVISOR, body_in)
        target = body.get("target") or {}
        ok = status == 200 and body.get("level") == 2 and target.get("id") == "queue-supervisors"
        return ok, self._described(status, body)

    def double_click(self) -> tuple[bool, str]:
        email = self.stack.add_contact("EMAIL", queue_id="queue-tier1", agent_id="agent-bob")
        body_in = {"contactId": email, "reason": "BILLING_DISPUTE"}
        answers: list[tuple[int, dict[str, Any]]] = []
        clicks = [
            threading.Thread(target=lambda: answers.append(self.post_escalation(BOB, body_in)))
            for _ in range(2)
        ]
        for click in clicks:
            click.start()
        for click in clicks:
            click.join()
        # A click that met the first one in flight is told to retry; its retry answers the first result.
        for index, (status, _body) in enumerate(answers):
            if status == 409:
                time.sleep(2)
                answers[index] = self.post_escalation(BOB, body_in)
        transfers = len(self.transferred(email))
        same = answers[0][1].get("newContactId") == answers[1][1].get("newContactId")
        ok = all(status == 200 for status, _ in answers) and same and transfers == 1
        return ok, f"answers {[s for s, _ in answers]}, same new contact: {same}, transfers: {transfers}"

    def voice_refused(self) -> tuple[bool, str]:
        voice = self.stack.add_contact("VOICE", queue_id="queue-tier1", agent_id="agent-alice")
        status, body = self.post_escalation(ALICE, {"contactId": voice, "reason": "CUSTOMER_UNHAPPY"})
        ok = status == 409 and body.get("error") == "CHANNEL_NOT_TRANSFERABLE" and not self.transferred(voice)
        return ok, f"HTTP {status}: {body.get('error')}"

    def not_your_contact(self) -> tuple[bool, str]:
        self.vip_task = self.stack.add_contact("TASK", queue_id="queue-tier1", agent_id="agent-alice")
        status, body = self.post_escalation(BOB, {"contactId": self.vip_task, "reason": "VIP_CUSTOMER"})
        return status == 403 and not self.transferred(self.vip_task), f"HTTP {status}: {body.get('error')}"

    def agent_unavailable_falls_back(self) -> tuple[bool, str]:
        status, body = self.post_escalation(ALICE, {"contactId": self.vip_task, "reason": "VIP_CUSTOMER"})
        ok = status == 200 and body.get("fellBackToQueue") is True
        return ok, f"HTTP {status}: to {body.get('target')}, fell back: {body.get('fellBackToQueue')}"

    def breach(self) -> tuple[bool, str]:
        email = self.stack.add_contact("EMAIL", queue_id="queue-tier1")
        self.put_breaches([email])
        self.wait_for_bus()
        transfers = self.transferred(email)
        where = transfers[0]["queue_id"] if transfers else "-"
        return len(transfers) == 1, f"transfers: {len(transfers)} to {where}"

    def breach_of_ended_contact(self) -> tuple[bool, str]:
        ended = self.stack.add_contact("TASK", queue_id="queue-tier1", ended=True)
        before = len(self.stack.dlq_records())
        self.put_breaches([ended])
        self.wait_for_bus()
        new_records = len(self.stack.dlq_records()) - before
        transfers = len(self.transferred(ended))
        return transfers == 0 and new_records == 0, f"transfers: {transfers}, new DLQ records: {new_records}"

    def burst(self) -> tuple[bool, str]:
        contacts = [self.stack.add_contact("TASK", queue_id="queue-tier1") for _ in range(BURST_SIZE)]
        started = time.monotonic()
        self.put_breaches(contacts)
        self.wait_for_bus()
        elapsed = time.monotonic() - started
        counts = [len(self.transferred(contact)) for contact in contacts]
        ideal = (BURST_SIZE - 5) / 2.0
        return all(count == 1 for count in counts), (
            f"{sum(counts)}/{BURST_SIZE} transferred exactly once in {elapsed:.1f} s "
            f"(Connect's ideal, a burst of 5 then 2/s: {ideal:.1f} s; one paced environment, 2/s from "
            f"the first: {BURST_SIZE / 2.0:.1f} s); lost: {counts.count(0)}"
        )

    def access_denied_then_redrive(self) -> tuple[bool, str]:
        task = self.stack.add_contact("TASK", queue_id="queue-tier1")
        # An IAM mistake: the handler's TransferContact grant lacks the instance ARN it also requires.
        self.stack.connect.set_policy(policy_without_instance_grant("connect:TransferContact"))
        self.put_breaches([task])
        self.wait_for_bus()
        records = [r for r in self.stack.dlq_records() if r.get("contactId") == task]
        denied = bool(records) and records[0].get("errorCode") == "AccessDeniedException"
        alerts = self.stack.aws.alerts()
        self.stack.connect.set_policy(deployed_policy())  # the IAM fix
        summary = redrive(self.stack.aws.dlq_url, self.stack.bus.function_name)
        self.wait_for_bus()
        transfers = len(self.transferred(task))
        ok = denied and bool(alerts) and summary.redriven >= 1 and transfers == 1
        return ok, (
            f"dead-lettered: {denied}, alerts: {len(alerts)}, redriven: {summary.redriven}, "
            f"transfers after redrive: {transfers}"
        )

    def transfer_limit(self) -> tuple[bool, str]:
        worn = self.stack.add_contact("TASK", queue_id="queue-tier1", transfer_count=11)
        self.put_breaches([worn])
        self.wait_for_bus()
        alerts = self.stack.aws.alerts()
        codes = [r.get("errorCode") for r in self.stack.dlq_records() if r.get("contactId") == worn]
        ok = "ServiceQuotaExceededException" in codes and bool(alerts) and not self.transferred(worn)
        return ok, f"DLQ: {codes}, alerts: {[a.subject for a in alerts]}"

    def get(self, token: str, path: str) -> tuple[int, dict[str, Any]]:
        request = urllib.request.Request(  # noqa: S310 - a fixed http://127.0.0.1 URL
            f"{self.stack.api.url}{path}", headers={"Authorization": f"Bearer {token}"}, method="GET"
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"{}")

    def ledger_of_the_first_chain(self) -> tuple[bool, str]:
        status, chain = self.get(SUPERVISOR, f"/contacts/{self.next_in_chain}/escalations")
        entries = chain.get("escalations") or []
        print(f"  GET /contacts/{self.next_in_chain}/escalations -> {status}, chain {chain.get('chainId')}")
        for entry in entries:
            target = (entry.get("target") or {}).get("id")
            print(
                f"    level {entry['level']}  {entry['status']:<11} {entry['trigger']:<5} "
                f"{entry['reason']:<16} by {entry['requester']:<6} -> {target}  note: {entry.get('note')}"
            )
        chain_id = chain.get("chainId")
        events = [e for e in self.stack.escalation_events() if e["detail"].get("chainId") == chain_id]
        print("  Escalation events on the bus (source escalation.service):")
        for event in events:
            detail = event["detail"]
            print(f"    {event['detail-type']}: level {detail['level']}, note published: {'note' in detail}")
        rungs = [(e["status"], e["level"]) for e in entries]
        kinds = [(e["detail-type"], e["detail"]["level"]) for e in events]
        ok = (
            status == 200
            and rungs == [("TRANSFERRED", 1), ("TRANSFERRED", 2)]
            and kinds == [("Escalation Transferred", 1), ("Escalation Transferred", 2)]
            and not any("note" in e["detail"] for e in events)
        )
        return ok, f"HTTP {status}: rungs {rungs}, events {len(events)}"

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


def main() -> int:
    print("Starting the local stack (Connect emulator, moto, local API and event bus)...", flush=True)
    # Each run its own handler log, as `make serve`'s.
    log_path = run_log_path(RUN_DIR, datetime.now(UTC), "demo")
    # The SLA-timer steps (local.demo_sla) run too, unless asked not to.
    sla_timers = "--without-sla-timers" not in sys.argv[1:]
    options = (
        sla_stack_options(RUN_DIR, log_path) if sla_timers else StackOptions(api_port=0, handler_log=log_path)
    )
    with LocalStack(options) as stack:
        print(f"  local API {stack.api.url}, event bus {stack.bus.endpoint_url}", flush=True)
        demo = Demo(stack)
        passed = demo.run()
        if sla_timers:
            passed = SlaTimerSteps(demo).run() and passed
        demo.summary()
    print("\nAll steps behaved as expected." if passed else "\nSome steps did not behave as expected.")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
