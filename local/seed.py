"""A contact centre to play with: what `make serve` seeds, and `make seed` adds more contacts to it.

    python -m local.seed [--count N] [--run-dir DIR]     # N more contacts in a running `make serve`

On top of the demo's instance (`local.stack.seed_instance`: Tier 1, Tier 2, Supervisors, the transfer
flows, alice, bob and the offline account manager) it adds a Billing queue, agents in other states (one
offline, one whose TASK slots are all taken) and contacts across channels: mostly TASK and EMAIL, which
the service transfers, a few VOICE and CHAT, which it moves up in their queue while they wait (and
refuses once an agent has them), and one TASK that has already ended.
Contacts are added through the emulator's admin API, so the same code seeds the stack in process and a
running one over HTTP (`local.connect_emulator.EmulatorAdminClient`).
"""

from __future__ import annotations

import argparse
import random
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from local.connect_emulator import AgentSeed, ContactSeed, EmulatorAdmin, EmulatorAdminClient, QueueSeed
from local.run_info import DEFAULT_RUN_DIR, RunInfo, RunInfoMissingError
from local.stack import INSTANCE_ID

SERVE_CONTACT_COUNT = 20
BILLING_QUEUE = "queue-billing"
# Weighted: tasks and emails dominate; VOICE and CHAT are moved up while they wait (409 once answered).
CHANNEL_WEIGHTS = {"TASK": 8, "EMAIL": 6, "VOICE": 1, "CHAT": 1}
WORKING_QUEUES = ("queue-tier1", "queue-billing", "queue-tier2")
# Agents a seeded contact can be with; None: still waiting in its queue.
WORKING_AGENTS = ("agent-alice", "agent-bob", "agent-dave", None)


@dataclass(frozen=True)
class ContactPlan:
    """A contact to seed: its channel, where it is and how many transfers of its chain are used."""

    channel: str
    queue_id: str
    agent_id: str | None  # None: still waiting in its queue
    transfer_count: int = 0
    ended: bool = False


@dataclass(frozen=True)
class SeededContact:
    contact_id: str
    plan: ContactPlan


@dataclass(frozen=True)
class ServeContacts:
    """The contacts `make serve` seeds: the ones its banner's commands use, then all of them."""

    alice_task: str  # TASK in Tier 1 with alice: she may escalate it herself
    waiting_email: str  # EMAIL waiting in Tier 1: a supervisor escalates it
    breach_email: str  # EMAIL waiting in Billing: the sample SLA breach escalates it
    answered_voice: str  # VOICE alice has answered: no longer waiting (409 CONTACT_NOT_QUEUED)
    waiting_chat: str  # CHAT waiting in Billing: a supervisor moves it up in its queue (PRIORITIZED)
    waiting_voice: str  # VOICE waiting in Tier 1: routed to the next free agent in Connect's order
    ended_task: str  # TASK that has ended: a breach for it is skipped
    all: tuple[SeededContact, ...]


def seed_serve(connect: EmulatorAdmin, rng: random.Random) -> ServeContacts:
    """What `make serve` adds to the demo's contact centre (`local.stack.seed_instance` runs first)."""
    connect.add_queue(QueueSeed(INSTANCE_ID, BILLING_QUEUE, "Billing"))
    # dave is Available but on contacts: both his TASK slots are taken, so an agent target falls back.
    connect.add_agent(
        AgentSeed(
            INSTANCE_ID,
            "agent-dave",
            "Available",
            {"TASK": 2, "EMAIL": 2},
            {"TASK": 2},
            "dave",
            "Dave",
            "Okafor",
        )
    )
    connect.add_agent(
        AgentSeed(
            INSTANCE_ID, "agent-erin", "Offline", {"TASK": 3, "EMAIL": 3}, None, "erin", "Erin", "Kowalski"
        )
    )
    named = [
        _add(connect, ContactPlan("TASK", "queue-tier1", "agent-alice")),
        _add(connect, ContactPlan("EMAIL", "queue-tier1", None)),
        _add(connect, ContactPlan("EMAIL", BILLING_QUEUE, None)),
        _add(connect, ContactPlan("VOICE", "queue-tier1", "agent-alice")),
        _add(connect, ContactPlan("CHAT", BILLING_QUEUE, None)),
        _add(connect, ContactPlan("TASK", "queue-tier1", None, ended=True)),
        _add(connect, ContactPlan("VOICE", "queue-tier1", None)),
    ]
    more = seed_contacts(connect, SERVE_CONTACT_COUNT - len(named), rng)
    return ServeContacts(
        alice_task=named[0].contact_id,
        waiting_email=named[1].contact_id,
        breach_email=named[2].contact_id,
        answered_voice=named[3].contact_id,
        waiting_chat=named[4].contact_id,
        waiting_voice=named[6].contact_id,
        ended_task=named[5].contact_id,
        all=(*named, *more),
    )


def _add(connect: EmulatorAdmin, plan: ContactPlan) -> SeededContact:
    seed = ContactSeed(
        INSTANCE_ID,
        plan.channel,
        queue_id=plan.queue_id,
        agent_id=plan.agent_id,
        transfer_count=plan.transfer_count,
        ended=plan.ended,
    )
    return SeededContact(connect.add_contact(seed), plan)


def seed_contacts(connect: EmulatorAdmin, count: int, rng: random.Random) -> list[SeededContact]:
    """`count` active contacts with random channels, queues, agents and earlier transfers."""
    channels = list(CHANNEL_WEIGHTS)
    weights = list(CHANNEL_WEIGHTS.values())
    seeded = []
    for _ in range(count):
        channel = rng.choices(channels, weights)[0]
        queue_id = rng.choice(WORKING_QUEUES)
        agent_id = rng.choice(WORKING_AGENTS)
        seeded.append(_add(connect, ContactPlan(channel, queue_id, agent_id, rng.choice((0, 0, 0, 1, 2)))))
    return seeded


_ROW = "{:36}  {:7}  {:15}  {:21}  {}"
CONTACT_HEADER = _ROW.format("contact id", "channel", "queue", "agent", "transfers so far")


def describe(contacts: Sequence[SeededContact]) -> list[str]:
    """One line per contact under CONTACT_HEADER, for the banner and `make seed`."""
    return [
        _ROW.format(c.contact_id, c.plan.channel, c.plan.queue_id, _where(c.plan), c.plan.transfer_count)
        for c in contacts
    ]


def _where(plan: ContactPlan) -> str:
    if plan.ended:
        return "(ended)"
    return plan.agent_id or "(waiting in queue)"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m local.seed", description="Add contacts to a running `make serve`."
    )
    parser.add_argument("--count", type=int, default=10, help="how many contacts (default 10)")
    parser.add_argument(
        "--run-dir", type=Path, default=DEFAULT_RUN_DIR, help="the serve process's run directory"
    )
    args = parser.parse_args(argv)
    try:
        info = RunInfo.load(args.run_dir)
    except RunInfoMissingError as error:
        print(error, file=sys.stderr)
        return 2
    contacts = seed_contacts(EmulatorAdminClient(info.connect_url), args.count, random.Random())
    print(f"Added {len(contacts)} contacts to {INSTANCE_ID}:\n  {CONTACT_HEADER}")
    for line in describe(contacts):
        print(f"  {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
