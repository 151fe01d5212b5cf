"""The demo's main scenario: escalations through the API and SLA-breach events, one method per step."""

from __future__ import annotations

import threading
import time
from typing import Any

from local.connect_emulator import ContactRef
from local.demo.harness import DemoHarness, Scenario, step
from local.dev_tokens import make_dev_token
from local.stack import INSTANCE_ID, deployed_policy, policy_without_instance_grant
from tools.redrive import RedriveOptions, redrive

BURST_SIZE = 20

ALICE = make_dev_token("agent-alice", ["agents"], "alice")
BOB = make_dev_token("agent-bob", ["agents"], "bob")
SUPERVISOR = make_dev_token("agent-carol", ["supervisors"], "carol")


class EscalationSteps(Scenario):
    """The main scenario: escalations through the API and SLA-breach events."""

    def __init__(self, demo: DemoHarness) -> None:
        super().__init__(demo)
        self.alice_task = self.next_in_chain = self.vip_task = ""

    @staticmethod
    def _described(status: int, body: dict[str, Any]) -> str:
        return f"HTTP {status}: {body.get('status')} to {body.get('target')} at level {body.get('level')}"

    @step("An agent escalates her task from the desktop (HTTP)", "200, to queue-tier2, level 1")
    def agent_escalates(self) -> tuple[bool, str]:
        self.alice_task = self.stack.add_contact("TASK", queue_id="queue-tier1", agent_id="agent-alice")
        status, body = self.demo.post_escalation(
            ALICE, {"contactId": self.alice_task, "reason": "CUSTOMER_UNHAPPY"}
        )
        self.next_in_chain = body.get("newContactId") or ""
        ok = status == 200 and body.get("target") == {"type": "QUEUE", "id": "queue-tier2"}
        return ok, self._described(status, body)

    @step("A supervisor escalates the same chain again (the ladder)", "200, to queue-supervisors, level 2")
    def supervisor_escalates_again(self) -> tuple[bool, str]:
        body_in = {
            "contactId": self.next_in_chain,
            "reason": "CUSTOMER_REQUEST",
            "note": "customer wrote twice",
        }
        status, body = self.demo.post_escalation(SUPERVISOR, body_in)
        target = body.get("target") or {}
        ok = status == 200 and body.get("level") == 2 and target.get("id") == "queue-supervisors"
        return ok, self._described(status, body)

    @step("A double click on the same escalation", "both 200 with one answer; one transfer")
    def double_click(self) -> tuple[bool, str]:
        email = self.stack.add_contact("EMAIL", queue_id="queue-tier1", agent_id="agent-bob")
        body_in = {"contactId": email, "reason": "BILLING_DISPUTE"}
        answers: list[tuple[int, dict[str, Any]]] = []
        clicks = [
            threading.Thread(target=lambda: answers.append(self.demo.post_escalation(BOB, body_in)))
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
                answers[index] = self.demo.post_escalation(BOB, body_in)
        transfers = len(self.demo.transferred(email))
        same = answers[0][1].get("newContactId") == answers[1][1].get("newContactId")
        ok = all(status == 200 for status, _ in answers) and same and transfers == 1
        return ok, f"answers {[s for s, _ in answers]}, same new contact: {same}, transfers: {transfers}"

    @step(
        "An agent tries to move up a call she has already answered",
        "409 CONTACT_NOT_QUEUED, nothing moved",
    )
    def answered_call_not_queued(self) -> tuple[bool, str]:
        voice = self.stack.add_contact("VOICE", queue_id="queue-tier1", agent_id="agent-alice")
        status, body = self.demo.post_escalation(ALICE, {"contactId": voice, "reason": "CUSTOMER_UNHAPPY"})
        record = self.stack.connect.get_contact(ContactRef(INSTANCE_ID, voice))
        ok = status == 409 and body.get("error") == "CONTACT_NOT_QUEUED" and record["queue_priority"] is None
        return ok, f"HTTP {status}: {body.get('error')}"

    @step("An agent tries to escalate a colleague's contact", "403 FORBIDDEN, nothing transferred")
    def not_your_contact(self) -> tuple[bool, str]:
        self.vip_task = self.stack.add_contact("TASK", queue_id="queue-tier1", agent_id="agent-alice")
        status, body = self.demo.post_escalation(BOB, {"contactId": self.vip_task, "reason": "VIP_CUSTOMER"})
        return status == 403 and not self.demo.transferred(
            self.vip_task
        ), f"HTTP {status}: {body.get('error')}"

    @step("A VIP escalation to an account manager who is offline", "falls back to queue-tier2")
    def agent_unavailable_falls_back(self) -> tuple[bool, str]:
        status, body = self.demo.post_escalation(
            ALICE, {"contactId": self.vip_task, "reason": "VIP_CUSTOMER"}
        )
        ok = status == 200 and body.get("fellBackToQueue") is True
        return ok, f"HTTP {status}: to {body.get('target')}, fell back: {body.get('fellBackToQueue')}"

    @step("An SLA breach event for an email (EventBridge)", "transferred once, to queue-tier2")
    def breach(self) -> tuple[bool, str]:
        email = self.stack.add_contact("EMAIL", queue_id="queue-tier1")
        self.demo.put_breaches([email])
        self.demo.wait_for_bus()
        transfers = self.demo.transferred(email)
        where = transfers[0]["queue_id"] if transfers else "-"
        return len(transfers) == 1, f"transfers: {len(transfers)} to {where}"

    @step("An SLA breach for a contact that has already ended", "skipped: no transfer, no DLQ record")
    def breach_of_ended_contact(self) -> tuple[bool, str]:
        ended = self.stack.add_contact("TASK", queue_id="queue-tier1", ended=True)
        before = len(self.stack.dlq_records())
        self.demo.put_breaches([ended])
        self.demo.wait_for_bus()
        new_records = len(self.stack.dlq_records()) - before
        transfers = len(self.demo.transferred(ended))
        return transfers == 0 and new_records == 0, f"transfers: {transfers}, new DLQ records: {new_records}"

    @step(
        f"A burst of {BURST_SIZE} SLA breaches meets Connect's 2 transfers/s quota",
        "every one transferred exactly once, nothing lost",
    )
    def burst(self) -> tuple[bool, str]:
        contacts = [self.stack.add_contact("TASK", queue_id="queue-tier1") for _ in range(BURST_SIZE)]
        started = time.monotonic()
        self.demo.put_breaches(contacts)
        self.demo.wait_for_bus()
        elapsed = time.monotonic() - started
        counts = [len(self.demo.transferred(contact)) for contact in contacts]
        ideal = (BURST_SIZE - 5) / 2.0
        return all(count == 1 for count in counts), (
            f"{sum(counts)}/{BURST_SIZE} transferred exactly once in {elapsed:.1f} s "
            f"(Connect's ideal, a burst of 5 then 2/s: {ideal:.1f} s; one paced environment, 2/s from "
            f"the first: {BURST_SIZE / 2.0:.1f} s); lost: {counts.count(0)}"
        )

    @step(
        "AccessDenied from Connect, then the fix and a redrive",
        "DLQ + alert; after the fix the redrive transfers it once",
    )
    def access_denied_then_redrive(self) -> tuple[bool, str]:
        task = self.stack.add_contact("TASK", queue_id="queue-tier1")
        # An IAM mistake: the handler's TransferContact grant lacks the instance ARN it also requires.
        self.stack.connect.set_policy(policy_without_instance_grant("connect:TransferContact"))
        self.demo.put_breaches([task])
        self.demo.wait_for_bus()
        records = [r for r in self.stack.dlq_records() if r.get("contactId") == task]
        denied = bool(records) and records[0].get("errorCode") == "AccessDeniedException"
        alerts = self.stack.aws.alerts()
        self.stack.connect.set_policy(deployed_policy())  # the IAM fix
        summary = redrive(
            self.stack.aws.dlq_url,
            self.stack.bus.function.function_name,
            RedriveOptions(mac_key_id=self.stack.aws.mac_key_id, operator="demo"),
        )
        self.demo.wait_for_bus()
        transfers = len(self.demo.transferred(task))
        ok = denied and bool(alerts) and summary.redriven >= 1 and transfers == 1
        return ok, (
            f"dead-lettered: {denied}, alerts: {len(alerts)}, redriven: {summary.redriven}, "
            f"transfers after redrive: {transfers}"
        )

    @step(
        "A contact already transferred 11 times breaches its SLA",
        "Connect's ServiceQuotaExceeded: ALERT + DLQ record, no transfer",
    )
    def transfer_limit(self) -> tuple[bool, str]:
        worn = self.stack.add_contact("TASK", queue_id="queue-tier1", transfer_count=11)
        self.demo.put_breaches([worn])
        self.demo.wait_for_bus()
        alerts = self.stack.aws.alerts()
        codes = [r.get("errorCode") for r in self.stack.dlq_records() if r.get("contactId") == worn]
        ok = "ServiceQuotaExceededException" in codes and bool(alerts) and not self.demo.transferred(worn)
        return ok, f"DLQ: {codes}, alerts: {[a.subject for a in alerts]}"

    @step(
        "The escalation ledger of the first chain, read back (GET), and its events",
        "two TRANSFERRED rungs (levels 1, 2), two 'Escalation Transferred' events",
    )
    def ledger_of_the_first_chain(self) -> tuple[bool, str]:
        status, chain = self.demo.get(SUPERVISOR, f"/contacts/{self.next_in_chain}/escalations")
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
