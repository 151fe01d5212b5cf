"""The demo's every-channel steps: voice and chat escalated where they wait (UpdateContactRoutingData).

The bundled routing rules move a waiting voice or chat contact up in its queue: queue priority 2 at
level 1, 900 s of routing age at level 2. The emulator's queue hands its next waiting contact to a free
agent in Connect's order (priority, then age), which is what the first step shows.
"""

from __future__ import annotations

from local.connect_emulator import AgentSeed, ContactRef, QueueRouting
from local.demo.escalation_steps import SUPERVISOR
from local.demo.harness import Scenario, step
from local.stack import INSTANCE_ID

VOICE_QUEUE = "queue-supervisors"  # a queue no other step leaves contacts waiting in
CHAT_QUEUE = "queue-tier2"


class EveryChannelSteps(Scenario):
    """Voice and chat, escalated where they wait."""

    def _priority(self, contact_id: str) -> int | None:
        return self.stack.connect.get_contact(ContactRef(INSTANCE_ID, contact_id))["queue_priority"]

    @step(
        "Two voice calls wait; the younger one breaches its SLA and is moved up",
        "the younger call gets queue priority 2, and the next free agent answers it first",
    )
    def breached_call_answered_first(self) -> tuple[bool, str]:
        older = self.stack.add_contact("VOICE", queue_id=VOICE_QUEUE)
        younger = self.stack.add_contact("VOICE", queue_id=VOICE_QUEUE)
        self.demo.put_breaches([younger])
        self.demo.wait_for_bus()
        moved_up = self._priority(younger) == 2 and self._priority(older) is None
        # A free agent with a voice line becomes available: the queue routes in Connect's order.
        agent = self.stack.connect.add_agent(AgentSeed(INSTANCE_ID, "agent-frank", slots={"VOICE": 1}))
        answered = self.stack.connect.route_next(QueueRouting(INSTANCE_ID, VOICE_QUEUE, agent))
        ok = moved_up and answered == younger and not self.demo.transferred(younger)
        who = (
            "the younger call" if answered == younger else "the older call" if answered == older else answered
        )
        return (
            ok,
            f"priorities older {self._priority(older)}, younger {self._priority(younger)}; answered: {who}",
        )

    @step(
        "A supervisor moves a waiting chat up from the desktop (HTTP)", "200 PRIORITIZED, priority 2, level 1"
    )
    def supervisor_moves_a_chat_up(self) -> tuple[bool, str]:
        chat = self.stack.add_contact("CHAT", queue_id=CHAT_QUEUE)
        status, body = self.demo.post_escalation(
            SUPERVISOR, {"contactId": chat, "reason": "CUSTOMER_UNHAPPY"}
        )
        ok = (
            status == 200
            and body.get("status") == "PRIORITIZED"
            and body.get("target") == {"type": "IN_QUEUE", "priority": 2}
            and body.get("level") == 1
            and self._priority(chat) == 2
        )
        return ok, f"HTTP {status}: {body.get('status')} {body.get('target')} at level {body.get('level')}"
