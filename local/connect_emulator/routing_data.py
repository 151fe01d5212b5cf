"""UpdateContactRoutingData, and the order in which a queue hands its waiting contacts to agents.

Assumptions, where Connect's documentation is silent (change them here if the service disagrees):
- A contact that is not waiting in a queue (no queue, already with an agent, or ended) answers
  ResourceConflictException (409); an unknown contact ResourceNotFoundException.
- `QueueTimeAdjustmentSeconds` adds to what the contact already has (DescribeContact reports the sum);
  `QueuePriority` replaces the priority. Both in one request, or neither, is InvalidParameterException
  (the API reference: "either ... but not both"). `RoutingCriteria` is not emulated (refused).
- DescribeContact reports `QueuePriority` and `QueueTimeAdjustmentSeconds` only once they were set
  (Connect may omit values never set); routing treats a missing priority as 5, Connect's default.
- Routing order within a queue: lowest priority first, then the oldest routing age (enqueue time
  minus the adjustment), then the contact id. The change applies at once (the admin guide says it may
  take up to about a minute in Connect).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .errors import ConnectError
from .records import ROUTABLE_STATUS, Agent, Contact, Instance, Params, Result

if TYPE_CHECKING:
    from .state import ConnectState

DEFAULT_QUEUE_PRIORITY = 5


def _invalid_parameter(message: str) -> ConnectError:
    return ConnectError("InvalidParameterException", message, status=400)


def is_waiting(contact: Contact) -> bool:
    return contact.queue_id is not None and contact.connected_to_agent_timestamp is None and not contact.ended


def update_contact_routing_data(state: ConnectState, params: Params) -> Result:
    instance = state.instance(params)
    contact = instance.contact(params["ContactId"])
    priority = params.get("QueuePriority")
    adjustment = params.get("QueueTimeAdjustmentSeconds")
    if params.get("RoutingCriteria") is not None:
        raise _invalid_parameter("The Connect emulator does not support RoutingCriteria.")
    if (priority is None) == (adjustment is None):
        raise _invalid_parameter(
            "Either QueuePriority or QueueTimeAdjustmentInSeconds should be provided within the request "
            "body, but not both."
        )
    if not is_waiting(contact):
        raise ConnectError(
            "ResourceConflictException",
            f"Contact {contact.contact_id} is not waiting in a queue.",
            status=409,
        )
    if priority is not None:
        contact.queue_priority = int(priority)
    elif adjustment is not None:
        contact.queue_time_adjustment_seconds = (contact.queue_time_adjustment_seconds or 0) + int(adjustment)
    contact.last_update_timestamp = state.now()
    return {}


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
