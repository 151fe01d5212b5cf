"""The emulated contact operations' rules, run by `ConnectState.handle` under its lock (DescribeQueue
and the hours of operation's are in `hours`).

Assumptions, where Connect's documentation is silent (change them here if the service disagrees):
- Order of checks for TransferContact: the installed IAM policy, then the access deny-list (IAM
  answers before the service, so a denied call never learns whether its resources exist), unknown
  instance, ClientToken replay, unknown contact, channel not TASK/EMAIL, contact ended, both QueueId
  and UserId, unknown flow, unsupported flow type, unknown queue/user, the 12th transfer of a chain.
- Only successful calls are remembered for ClientToken replay, forever (until reset). A replay
  answers the original response even if the contact has ended since; the same token with a
  different request is IdempotencyException (409), for StartTaskContact too.
- A transfer creates the chain's next contact: PreviousContactId=old, InitialContactId=the chain's
  initial contact, InitiationMethod TRANSFER, same channel, attributes/tags/name copied, and the
  transfer count (11 allowed per chain) carried forward; the old contact gets a DisconnectTimestamp.
  Target: QueueId -> QueueInfo; UserId -> AgentInfo{Id} (not yet connected, so no
  ConnectedToAgentTimestamp); neither -> the flow's queue if it has one, else the old queue.
  Transferring to a DISABLED queue or an offline agent is accepted (no documented rule).
- UpdateContactAttributes merges into the contact named by InitialContactId, whichever contact of
  the instance that is (initial or not, active or ended).
- InstanceId, QueueId, UserId and ContactFlowId may also be given as ARNs (the last path segment is
  the id).
- GetCurrentUserData supports the Agents filter only; unknown agent ids are left out of the list.
  Available slots are max - active while the agent's status is "Available", else 0.
- Contact events (see contact_events): a transfer emits DISCONNECTED for the old contact and, when
  the new contact lands in a queue, QUEUED for it; StartTaskContact into a queue emits QUEUED;
  StopContact emits DISCONNECTED.
- StopContact: unknown contact -> ResourceNotFoundException; an ended VOICE contact ->
  ContactNotFoundException (410); another ended contact -> InvalidRequestException.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from .admin import ContactRef
from .contact_events import DISCONNECTED, QUEUED
from .errors import ConnectError, invalid_request, not_found
from .hours import HOURS_OPERATIONS
from .records import (
    MAX_TRANSFERS_PER_CHAIN,
    ROUTABLE_STATUS,
    TRANSFER_FLOW_TYPES,
    TRANSFERABLE_CHANNELS,
    Agent,
    Contact,
    Flow,
    Instance,
    Params,
    Result,
    found,
    instance_id_of,
    new_id,
    paged,
    resource_id,
)
from .routing_data import update_contact_routing_data

if TYPE_CHECKING:
    from .state import ConnectState, Operation


def transfer_contact(state: ConnectState, params: Params) -> Result:
    instance = state.instance(params)
    fingerprint = tuple(params.get(member) for member in ("ContactId", "ContactFlowId", "QueueId", "UserId"))
    replay = instance.replayed("TransferContact", params, fingerprint)
    if replay is not None:
        return replay
    contact = instance.contact(params["ContactId"])
    _check_transferable(contact, params)
    flow_id, flow = _transfer_flow(instance, params)
    queue_id, user_id = _transfer_target(instance, params)
    if contact.transfer_count >= MAX_TRANSFERS_PER_CHAIN:
        raise ConnectError(
            "ServiceQuotaExceededException",
            f"Contact {contact.contact_id} cannot be transferred more than {MAX_TRANSFERS_PER_CHAIN} times.",
        )

    now = state.now()
    new = Contact(
        contact_id=new_id(),
        channel=contact.channel,
        initiation_method="TRANSFER",
        initial_contact_id=contact.initial_contact_id,
        previous_contact_id=contact.contact_id,
        initiation_timestamp=now,
        attributes=dict(contact.attributes),
        tags=dict(contact.tags),
        name=contact.name,
        description=contact.description,
        transfer_count=contact.transfer_count + 1,
    )
    if user_id is not None:
        new.agent_id = user_id
    else:
        new.queue_id = queue_id or flow.queue_id or contact.queue_id
        new.enqueue_timestamp = now if new.queue_id else None
    instance.contacts[new.contact_id] = new
    contact.disconnect_timestamp = now
    contact.last_update_timestamp = now
    state.record_event(instance.instance_id, contact, DISCONNECTED)
    if new.queue_id is not None:
        state.record_event(instance.instance_id, new, QUEUED)

    result: Result = {
        "ContactId": new.contact_id,
        "ContactArn": state.contact_arn(ContactRef(instance.instance_id, new.contact_id)),
    }
    instance.remember("TransferContact", params, fingerprint, result)
    state.record_transfer(
        {
            "instance_id": instance.instance_id,
            "contact_id": contact.contact_id,
            "new_contact_id": new.contact_id,
            "queue_id": queue_id,
            "user_id": user_id,
            "flow_id": flow_id,
            "client_token": params.get("ClientToken"),
            "timestamp": now,
        }
    )
    return result


def _check_transferable(contact: Contact, params: Params) -> None:
    if contact.channel not in TRANSFERABLE_CHANNELS:
        raise invalid_request(
            f"Contact {contact.contact_id} is a {contact.channel} contact; only TASK and EMAIL "
            "contacts can be transferred."
        )
    if contact.ended:
        raise invalid_request(f"Contact {contact.contact_id} is not active (it has ended).")
    if params.get("QueueId") and params.get("UserId"):
        raise invalid_request("QueueId and UserId cannot both be provided.")


def _transfer_flow(instance: Instance, params: Params) -> tuple[str, Flow]:
    flow_id = resource_id(params["ContactFlowId"])
    flow = found(instance.flows, flow_id, "Contact flow")
    if flow.flow_type not in TRANSFER_FLOW_TYPES:
        raise invalid_request(
            f"Contact flow {flow_id} has type {flow.flow_type}; TransferContact supports "
            f"{', '.join(sorted(TRANSFER_FLOW_TYPES))} flows."
        )
    return flow_id, flow


def _transfer_target(instance: Instance, params: Params) -> tuple[str | None, str | None]:
    """The (queue id, user id) a transfer names, each None when not given."""
    queue_id = resource_id(params["QueueId"]) if params.get("QueueId") else None
    user_id = resource_id(params["UserId"]) if params.get("UserId") else None
    if queue_id is not None and queue_id not in instance.queues:
        raise not_found(f"Queue {queue_id} not found.")
    if user_id is not None and user_id not in instance.agents:
        raise not_found(f"User {user_id} not found.")
    return queue_id, user_id


def describe_contact(state: ConnectState, params: Params) -> Result:
    instance = state.instance(params)
    contact = instance.contact(params["ContactId"])
    described: Result = {
        "Id": contact.contact_id,
        "Arn": state.contact_arn(ContactRef(instance.instance_id, contact.contact_id)),
        "InitialContactId": contact.initial_contact_id,
        "PreviousContactId": contact.previous_contact_id,
        "Channel": contact.channel,
        "InitiationMethod": contact.initiation_method,
        "Name": contact.name,
        "Description": contact.description,
        "InitiationTimestamp": contact.initiation_timestamp,
        "DisconnectTimestamp": contact.disconnect_timestamp,
        "DisconnectReason": contact.disconnect_reason,
        "LastUpdateTimestamp": contact.last_update_timestamp,
        "Attributes": dict(contact.attributes),
        "Tags": dict(contact.tags) or None,
    }
    if contact.queue_id is not None:
        described["QueueInfo"] = {"Id": contact.queue_id, "EnqueueTimestamp": contact.enqueue_timestamp}
    if contact.queue_priority is not None:
        described["QueuePriority"] = contact.queue_priority
    if contact.queue_time_adjustment_seconds is not None:
        described["QueueTimeAdjustmentSeconds"] = contact.queue_time_adjustment_seconds
    if contact.agent_id is not None:
        described["AgentInfo"] = {
            "Id": contact.agent_id,
            "ConnectedToAgentTimestamp": contact.connected_to_agent_timestamp,
        }
    return {"Contact": described}


def update_contact_attributes(state: ConnectState, params: Params) -> Result:
    contact = state.instance(params).contact(params["InitialContactId"])
    contact.attributes.update(params["Attributes"])
    contact.last_update_timestamp = state.now()
    return {}


_START_TASK_FINGERPRINT = (
    "Name",
    "Description",
    "ContactFlowId",
    "QuickConnectId",
    "TaskTemplateId",
    "PreviousContactId",
    "Attributes",
)


def start_task_contact(state: ConnectState, params: Params) -> Result:
    instance = state.instance(params)
    fingerprint = tuple(repr(params.get(member)) for member in _START_TASK_FINGERPRINT)
    replay = instance.replayed("StartTaskContact", params, fingerprint)
    if replay is not None:
        return replay
    starters = [m for m in ("ContactFlowId", "QuickConnectId", "TaskTemplateId") if params.get(m)]
    if len(starters) != 1:
        raise invalid_request(
            "Exactly one of ContactFlowId, QuickConnectId or TaskTemplateId must be provided."
        )
    queue_id: str | None = None
    if params.get("ContactFlowId"):
        flow = found(instance.flows, resource_id(params["ContactFlowId"]), "Contact flow")
        queue_id = flow.queue_id
    previous_id = params.get("PreviousContactId")
    if previous_id is not None:
        instance.contact(previous_id)
    now = state.now()
    contact_id = new_id()
    instance.contacts[contact_id] = Contact(
        contact_id=contact_id,
        channel="TASK",
        initiation_method="API",
        initial_contact_id=contact_id,
        previous_contact_id=previous_id,
        initiation_timestamp=now,
        queue_id=queue_id,
        enqueue_timestamp=now if queue_id else None,
        attributes=dict(params.get("Attributes") or {}),
        name=params["Name"],
        description=params.get("Description"),
    )
    if queue_id is not None:
        state.record_event(instance.instance_id, instance.contacts[contact_id], QUEUED)
    result: Result = {"ContactId": contact_id}
    instance.remember("StartTaskContact", params, fingerprint, result)
    return result


def stop_contact(state: ConnectState, params: Params) -> Result:
    contact = state.instance(params).contact(params["ContactId"])
    if contact.ended:
        if contact.channel == "VOICE":
            raise ConnectError("ContactNotFoundException", f"Contact {contact.contact_id} is not active.")
        raise invalid_request(f"Contact {contact.contact_id} is not active (it has ended).")
    now = state.now()
    contact.disconnect_timestamp = now
    contact.last_update_timestamp = now
    reason = params.get("DisconnectReason") or {}
    contact.disconnect_reason = reason.get("Code")
    state.record_event(instance_id_of(params["InstanceId"]), contact, DISCONNECTED)
    return {}


def get_current_user_data(state: ConnectState, params: Params) -> Result:
    instance = state.instance(params)
    requested = params["Filters"].get("Agents")
    if not requested:
        raise invalid_request("The Connect emulator supports only the Agents filter.")
    agents: list[Agent] = []
    for value in requested:
        agent = instance.agents.get(resource_id(value))
        if agent is not None and agent not in agents:
            agents.append(agent)
    page, next_token = paged(agents, params)
    result: Result = {
        "UserDataList": [_user_data(state, instance.instance_id, agent) for agent in page],
        "ApproximateTotalCount": len(agents),
    }
    if next_token is not None:
        result["NextToken"] = next_token
    return result


def _user_data(state: ConnectState, instance_id: str, agent: Agent) -> Result:
    routable = agent.status_name == ROUTABLE_STATUS
    available = {
        channel: max(0, slots - agent.active_slots.get(channel, 0)) if routable else 0
        for channel, slots in agent.max_slots.items()
    }
    return {
        "User": {"Id": agent.agent_id, "Arn": state.agent_arn(instance_id, agent.agent_id)},
        "Status": {
            "StatusName": agent.status_name,
            "StatusStartTimestamp": agent.status_start,
            "StatusArn": state.status_arn(instance_id, agent.status_name),
        },
        "MaxSlotsByChannel": dict(agent.max_slots),
        "ActiveSlotsByChannel": {channel: agent.active_slots.get(channel, 0) for channel in agent.max_slots},
        "AvailableSlotsByChannel": available,
    }


def describe_user(state: ConnectState, params: Params) -> Result:
    instance = state.instance(params)
    agent = found(instance.agents, resource_id(params["UserId"]), "User")
    identity = {"FirstName": agent.first_name, "LastName": agent.last_name}
    user: Result = {
        "Id": agent.agent_id,
        "Arn": state.agent_arn(instance.instance_id, agent.agent_id),
        "Username": agent.username,
    }
    if any(identity.values()):
        user["IdentityInfo"] = {key: value for key, value in identity.items() if value}
    return {"User": user}


OPERATIONS: Mapping[str, Operation] = {
    "StartTaskContact": start_task_contact,
    "DescribeContact": describe_contact,
    "TransferContact": transfer_contact,
    "UpdateContactAttributes": update_contact_attributes,
    "GetCurrentUserData": get_current_user_data,
    "StopContact": stop_contact,
    "UpdateContactRoutingData": update_contact_routing_data,
    "DescribeUser": describe_user,
    **HOURS_OPERATIONS,
}
