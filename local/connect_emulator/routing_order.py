"""The order in which a queue hands its waiting contacts to agents (the admin call `route_next`).

Assumptions, where Connect's documentation is silent (change them here if the service disagrees):
routing treats a missing priority as 5, Connect's default; within a queue the lowest priority goes
first, then the oldest routing age (enqueue time minus the adjustment), then the contact id.
"""

from __future__ import annotations

from .records import ROUTABLE_STATUS, Agent, Contact, Instance

DEFAULT_QUEUE_PRIORITY = 5


def is_waiting(contact: Contact) -> bool:
    return contact.queue_id is not None and contact.connected_to_agent_timestamp is None and not contact.ended


def routing_key(contact: Contact) -> tuple[int, float, str]:
    """Connect's documented order: priority first, then age (the adjustment makes a contact older)."""
    priority = contact.queue_priority if contact.queue_priority is not None else DEFAULT_QUEUE_PRIORITY
    enqueued = contact.enqueue_timestamp or contact.initiation_timestamp
    return priority, enqueued - (contact.queue_time_adjustment_seconds or 0), contact.contact_id


def _free(agent: Agent, channel: str) -> bool:
    slots = agent.max_slots.get(channel, 0) - agent.active_slots.get(channel, 0)
    return agent.status_name == ROUTABLE_STATUS and slots > 0


def next_assignment(instance: Instance, queue_id: str, agent_id: str | None) -> tuple[Contact, Agent] | None:
    """The queue's first waiting contact in routing order that an agent can take now, with that agent:
    the one named, or the first routable one (by id) with a free slot for the contact's channel."""
    agents = [instance.agents[agent_id]] if agent_id in instance.agents else []
    if agent_id is None:
        agents = [agent for _, agent in sorted(instance.agents.items())]
    waiting = sorted(
        (c for c in instance.contacts.values() if c.queue_id == queue_id and is_waiting(c)), key=routing_key
    )
    for contact in waiting:
        agent = next((a for a in agents if _free(a, contact.channel)), None)
        if agent is not None:
            return contact, agent
    return None


def connect_to_agent(contact: Contact, agent: Agent, now: float) -> Contact:
    """The agent takes the contact: it is no longer waiting, and it holds one of the agent's slots."""
    contact.agent_id = agent.agent_id
    contact.connected_to_agent_timestamp = contact.last_update_timestamp = now
    agent.active_slots[contact.channel] = agent.active_slots.get(contact.channel, 0) + 1
    return contact
