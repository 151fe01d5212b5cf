"""Connect's state (instances, queues, flows, agents, contacts) and the emulated operations' rules.

Operations take and return boto3-shaped dicts (member names, epoch-second timestamps); the
protocol layer does the wire work. Everything runs under one lock, so a transfer, its ledger entry
and its ClientToken record are atomic with respect to concurrent callers.

Assumptions, where Connect's documentation is silent (change them here if the service disagrees):
- Order of checks for TransferContact: access deny-list (IAM answers before the service), unknown
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
- StopContact: unknown contact -> ResourceNotFoundException; an ended VOICE contact ->
  ContactNotFoundException (410); another ended contact -> InvalidRequestException.
"""

from __future__ import annotations

import copy
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypedDict

from .errors import ConnectError, invalid_request, not_found

CHANNELS = frozenset({"VOICE", "CHAT", "TASK", "EMAIL"})
TRANSFERABLE_CHANNELS = frozenset({"TASK", "EMAIL"})
FLOW_TYPES = frozenset(
    {
        "CONTACT_FLOW",
        "CUSTOMER_QUEUE",
        "CUSTOMER_HOLD",
        "CUSTOMER_WHISPER",
        "AGENT_HOLD",
        "AGENT_WHISPER",
        "OUTBOUND_WHISPER",
        "AGENT_TRANSFER",
        "QUEUE_TRANSFER",
        "CAMPAIGN",
    }
)
TRANSFER_FLOW_TYPES = frozenset({"CONTACT_FLOW", "AGENT_TRANSFER", "QUEUE_TRANSFER"})
QUEUE_STATUSES = frozenset({"ENABLED", "DISABLED"})
MAX_TRANSFERS_PER_CHAIN = 11
ROUTABLE_STATUS = "Available"

Params = Mapping[str, Any]
Result = dict[str, Any]


class LedgerEntry(TypedDict):
    instance_id: str
    contact_id: str
    new_contact_id: str
    queue_id: str | None
    user_id: str | None
    flow_id: str
    client_token: str | None
    timestamp: float


class ContactRecord(TypedDict):
    instance_id: str
    contact_id: str
    arn: str
    channel: str
    initiation_method: str
    initial_contact_id: str
    previous_contact_id: str | None
    queue_id: str | None
    enqueue_timestamp: float | None
    agent_id: str | None
    connected_to_agent_timestamp: float | None
    attributes: dict[str, str]
    tags: dict[str, str]
    name: str | None
    description: str | None
    transfer_count: int
    ended: bool
    initiation_timestamp: float
    disconnect_timestamp: float | None


@dataclass
class Queue:
    queue_id: str
    name: str
    status: str


@dataclass
class Flow:
    flow_id: str
    flow_type: str
    name: str
    queue_id: str | None


@dataclass
class Agent:
    agent_id: str
    status_name: str
    status_start: float
    max_slots: dict[str, int]
    active_slots: dict[str, int]


@dataclass
class Contact:
    contact_id: str
    channel: str
    initiation_method: str
    initial_contact_id: str
    previous_contact_id: str | None
    initiation_timestamp: float
    queue_id: str | None = None
    enqueue_timestamp: float | None = None
    agent_id: str | None = None
    connected_to_agent_timestamp: float | None = None
    attributes: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    name: str | None = None
    description: str | None = None
    transfer_count: int = 0
    disconnect_timestamp: float | None = None
    disconnect_reason: str | None = None
    last_update_timestamp: float | None = None

    @property
    def ended(self) -> bool:
        return self.disconnect_timestamp is not None


@dataclass
class Instance:
    instance_id: str
    queues: dict[str, Queue] = field(default_factory=dict)
    flows: dict[str, Flow] = field(default_factory=dict)
    agents: dict[str, Agent] = field(default_factory=dict)
    contacts: dict[str, Contact] = field(default_factory=dict)
    # (operation, client token) -> (request fingerprint, the answer given)
    tokens: dict[tuple[str, str], tuple[tuple[Any, ...], Result]] = field(default_factory=dict)


def resource_id(value: str) -> str:
    """An id given as itself or as an ARN (`arn:aws:connect:...:instance/<i>/queue/<q>`)."""
    if value.startswith("arn:"):
        return value.rsplit("/", 1)[-1]
    return value


def instance_id_of(value: str) -> str:
    if value.startswith("arn:") and "instance/" in value:
        return value.split("instance/", 1)[1].split("/", 1)[0]
    return value


def _new_id() -> str:
    return str(uuid.uuid4())


class ConnectState:
    """All emulated Connect data plus the transfer ledger and the access deny-list."""

    def __init__(
        self,
        region: str = "us-east-1",
        account_id: str = "123456789012",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.region = region
        self.account_id = account_id
        self._clock = clock
        self._lock = threading.RLock()
        self._instances: dict[str, Instance] = {}
        self._ledger: list[LedgerEntry] = []
        self._denied: set[tuple[str, str | None]] = set()
        self._handlers: dict[str, Callable[[Params], Result]] = {
            "StartTaskContact": self._start_task_contact,
            "DescribeContact": self._describe_contact,
            "TransferContact": self._transfer_contact,
            "UpdateContactAttributes": self._update_contact_attributes,
            "GetCurrentUserData": self._get_current_user_data,
            "StopContact": self._stop_contact,
        }

    @property
    def operations(self) -> frozenset[str]:
        return frozenset(self._handlers)

    # ---- ARNs ------------------------------------------------------------------------------

    def instance_arn(self, instance_id: str) -> str:
        return f"arn:aws:connect:{self.region}:{self.account_id}:instance/{instance_id}"

    def contact_arn(self, instance_id: str, contact_id: str) -> str:
        return f"{self.instance_arn(instance_id)}/contact/{contact_id}"

    def _agent_arn(self, instance_id: str, agent_id: str) -> str:
        return f"{self.instance_arn(instance_id)}/agent/{agent_id}"

    def _status_arn(self, instance_id: str, status_name: str) -> str:
        # Stable per status name, as a real agent status has one ARN.
        status_id = uuid.uuid5(uuid.NAMESPACE_URL, f"{instance_id}/{status_name}")
        return f"{self.instance_arn(instance_id)}/agent-state/{status_id}"

    # ---- seeding -----------------------------------------------------------------------------

    def reset(self) -> None:
        with self._lock:
            self._instances.clear()
            self._ledger.clear()
            self._denied.clear()

    def add_instance(self, instance_id: str | None = None) -> str:
        with self._lock:
            new_id = instance_id or _new_id()
            self._instances.setdefault(new_id, Instance(new_id))
            return new_id

    def _seed_instance(self, instance_id: str) -> Instance:
        instance = self._instances.get(instance_id)
        if instance is None:
            raise ValueError(f"unknown instance {instance_id!r}: add_instance first")
        return instance

    def add_queue(
        self,
        instance_id: str,
        queue_id: str | None = None,
        name: str | None = None,
        status: str = "ENABLED",
    ) -> str:
        if status not in QUEUE_STATUSES:
            raise ValueError(f"queue status must be one of {sorted(QUEUE_STATUSES)}")
        with self._lock:
            instance = self._seed_instance(instance_id)
            new_id = queue_id or _new_id()
            instance.queues[new_id] = Queue(new_id, name or new_id, status)
            return new_id

    def add_flow(
        self,
        instance_id: str,
        flow_id: str | None = None,
        flow_type: str = "QUEUE_TRANSFER",
        queue_id: str | None = None,
        name: str | None = None,
    ) -> str:
        """A flow; `queue_id` is where it puts contacts (StartTaskContact, untargeted transfers)."""
        if flow_type not in FLOW_TYPES:
            raise ValueError(f"flow type must be one of {sorted(FLOW_TYPES)}")
        with self._lock:
            instance = self._seed_instance(instance_id)
            if queue_id is not None and queue_id not in instance.queues:
                raise ValueError(f"unknown queue {queue_id!r}")
            new_id = flow_id or _new_id()
            instance.flows[new_id] = Flow(new_id, flow_type, name or new_id, queue_id)
            return new_id

    def add_agent(
        self,
        instance_id: str,
        agent_id: str | None = None,
        status: str = ROUTABLE_STATUS,
        slots: Mapping[str, int] | None = None,
        active_slots: Mapping[str, int] | None = None,
    ) -> str:
        """An agent with a status name and max (and active) concurrent slots per channel."""
        max_slots = dict(slots) if slots is not None else {channel: 1 for channel in sorted(CHANNELS)}
        active = dict(active_slots or {})
        for channel in (*max_slots, *active):
            if channel not in CHANNELS:
                raise ValueError(f"unknown channel {channel!r}")
        with self._lock:
            instance = self._seed_instance(instance_id)
            new_id = agent_id or _new_id()
            instance.agents[new_id] = Agent(new_id, status, self._clock(), max_slots, active)
            return new_id

    def set_agent_status(self, instance_id: str, agent_id: str, status: str) -> None:
        with self._lock:
            agent = self._seed_instance(instance_id).agents.get(agent_id)
            if agent is None:
                raise ValueError(f"unknown agent {agent_id!r}")
            agent.status_name = status
            agent.status_start = self._clock()

    def add_contact(
        self,
        instance_id: str,
        channel: str = "TASK",
        *,
        queue_id: str | None = None,
        agent_id: str | None = None,
        attributes: Mapping[str, str] | None = None,
        transfer_count: int = 0,
        ended: bool = False,
        contact_id: str | None = None,
        initiation_method: str = "API",
        name: str | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> str:
        """A contact as if Connect had created it; `transfer_count` transfers already used."""
        if channel not in CHANNELS:
            raise ValueError(f"channel must be one of {sorted(CHANNELS)}")
        if not 0 <= transfer_count <= MAX_TRANSFERS_PER_CHAIN:
            raise ValueError(f"transfer_count must be within 0..{MAX_TRANSFERS_PER_CHAIN}")
        with self._lock:
            instance = self._seed_instance(instance_id)
            if queue_id is not None and queue_id not in instance.queues:
                raise ValueError(f"unknown queue {queue_id!r}")
            if agent_id is not None and agent_id not in instance.agents:
                raise ValueError(f"unknown agent {agent_id!r}")
            now = self._clock()
            new_id = contact_id or _new_id()
            instance.contacts[new_id] = Contact(
                contact_id=new_id,
                channel=channel,
                initiation_method=initiation_method,
                initial_contact_id=new_id,
                previous_contact_id=None,
                initiation_timestamp=now,
                queue_id=queue_id,
                enqueue_timestamp=now if queue_id else None,
                agent_id=agent_id,
                connected_to_agent_timestamp=now if agent_id else None,
                attributes=dict(attributes or {}),
                tags=dict(tags or {}),
                name=name,
                transfer_count=transfer_count,
                disconnect_timestamp=now if ended else None,
            )
            return new_id

    def get_contact(self, instance_id: str, contact_id: str) -> ContactRecord:
        with self._lock:
            contact = self._seed_instance(instance_id).contacts.get(contact_id)
            if contact is None:
                raise ValueError(f"unknown contact {contact_id!r}")
            return {
                "instance_id": instance_id,
                "contact_id": contact.contact_id,
                "arn": self.contact_arn(instance_id, contact.contact_id),
                "channel": contact.channel,
                "initiation_method": contact.initiation_method,
                "initial_contact_id": contact.initial_contact_id,
                "previous_contact_id": contact.previous_contact_id,
                "queue_id": contact.queue_id,
                "enqueue_timestamp": contact.enqueue_timestamp,
                "agent_id": contact.agent_id,
                "connected_to_agent_timestamp": contact.connected_to_agent_timestamp,
                "attributes": dict(contact.attributes),
                "tags": dict(contact.tags),
                "name": contact.name,
                "description": contact.description,
                "transfer_count": contact.transfer_count,
                "ended": contact.ended,
                "initiation_timestamp": contact.initiation_timestamp,
                "disconnect_timestamp": contact.disconnect_timestamp,
            }

    def ledger(self) -> list[LedgerEntry]:
        with self._lock:
            return copy.deepcopy(self._ledger)

    def deny(self, operation: str, target_id: str | None = None) -> None:
        """Answer AccessDeniedException for `operation` (only when targeting `target_id`, if given:
        a TransferContact QueueId or UserId)."""
        with self._lock:
            self._denied.add((operation, target_id))

    def allow(self, operation: str, target_id: str | None = None) -> None:
        with self._lock:
            self._denied.discard((operation, target_id))

    # ---- operations --------------------------------------------------------------------------

    def handle(self, operation: str, params: Params) -> Result:
        """Run one emulated operation (params already validated against the model)."""
        handler = self._handlers.get(operation)
        if handler is None:
            raise ConnectError(
                "NotImplementedException",
                f"The Connect emulator does not implement {operation}.",
                status=501,
            )
        with self._lock:
            self._check_access(operation, params)
            return handler(params)

    def _check_access(self, operation: str, params: Params) -> None:
        targets: set[str | None] = {None}
        for member in ("QueueId", "UserId"):
            if isinstance(params.get(member), str):
                targets.add(resource_id(params[member]))
        for target in targets:
            if (operation, target) in self._denied:
                resource = f" on target {target}" if target else ""
                raise ConnectError(
                    "AccessDeniedException",
                    f"User is not authorized to perform connect:{operation}{resource} (emulator deny-list)",
                )

    def _instance(self, params: Params) -> Instance:
        instance_id = instance_id_of(params["InstanceId"])
        instance = self._instances.get(instance_id)
        if instance is None:
            raise not_found(f"Instance {instance_id} not found.")
        return instance

    def _contact(self, instance: Instance, contact_id: str) -> Contact:
        contact = instance.contacts.get(contact_id)
        if contact is None:
            raise not_found(f"Contact {contact_id} not found in instance {instance.instance_id}.")
        return contact

    def _replayed(
        self, instance: Instance, operation: str, params: Params, fingerprint: tuple[Any, ...]
    ) -> Result | None:
        token = params.get("ClientToken")
        if not token:
            return None
        remembered = instance.tokens.get((operation, token))
        if remembered is None:
            return None
        if remembered[0] != fingerprint:
            raise ConnectError(
                "IdempotencyException",
                f"ClientToken {token} was already used for a different {operation} request.",
            )
        return copy.deepcopy(remembered[1])

    def _remember(
        self,
        instance: Instance,
        operation: str,
        params: Params,
        fingerprint: tuple[Any, ...],
        result: Result,
    ) -> None:
        token = params.get("ClientToken")
        if token:
            instance.tokens[(operation, token)] = (fingerprint, copy.deepcopy(result))

    def _transfer_contact(self, params: Params) -> Result:
        instance = self._instance(params)
        fingerprint = tuple(
            params.get(member) for member in ("ContactId", "ContactFlowId", "QueueId", "UserId")
        )
        replay = self._replayed(instance, "TransferContact", params, fingerprint)
        if replay is not None:
            return replay
        contact = self._contact(instance, params["ContactId"])
        if contact.channel not in TRANSFERABLE_CHANNELS:
            raise invalid_request(
                f"Contact {contact.contact_id} is a {contact.channel} contact; only TASK and EMAIL "
                "contacts can be transferred."
            )
        if contact.ended:
            raise invalid_request(f"Contact {contact.contact_id} is not active (it has ended).")
        if params.get("QueueId") and params.get("UserId"):
            raise invalid_request("QueueId and UserId cannot both be provided.")
        flow_id = resource_id(params["ContactFlowId"])
        flow = instance.flows.get(flow_id)
        if flow is None:
            raise not_found(f"Contact flow {flow_id} not found.")
        if flow.flow_type not in TRANSFER_FLOW_TYPES:
            raise invalid_request(
                f"Contact flow {flow_id} has type {flow.flow_type}; TransferContact supports "
                f"{', '.join(sorted(TRANSFER_FLOW_TYPES))} flows."
            )
        queue_id = resource_id(params["QueueId"]) if params.get("QueueId") else None
        user_id = resource_id(params["UserId"]) if params.get("UserId") else None
        if queue_id is not None and queue_id not in instance.queues:
            raise not_found(f"Queue {queue_id} not found.")
        if user_id is not None and user_id not in instance.agents:
            raise not_found(f"User {user_id} not found.")
        if contact.transfer_count >= MAX_TRANSFERS_PER_CHAIN:
            raise ConnectError(
                "ServiceQuotaExceededException",
                f"Contact {contact.contact_id} cannot be transferred more than "
                f"{MAX_TRANSFERS_PER_CHAIN} times.",
            )

        now = self._clock()
        new = Contact(
            contact_id=_new_id(),
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

        result: Result = {
            "ContactId": new.contact_id,
            "ContactArn": self.contact_arn(instance.instance_id, new.contact_id),
        }
        self._remember(instance, "TransferContact", params, fingerprint, result)
        self._ledger.append(
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

    def _describe_contact(self, params: Params) -> Result:
        instance = self._instance(params)
        contact = self._contact(instance, params["ContactId"])
        described: Result = {
            "Id": contact.contact_id,
            "Arn": self.contact_arn(instance.instance_id, contact.contact_id),
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
            described["QueueInfo"] = {
                "Id": contact.queue_id,
                "EnqueueTimestamp": contact.enqueue_timestamp,
            }
        if contact.agent_id is not None:
            described["AgentInfo"] = {
                "Id": contact.agent_id,
                "ConnectedToAgentTimestamp": contact.connected_to_agent_timestamp,
            }
        return {"Contact": described}

    def _update_contact_attributes(self, params: Params) -> Result:
        instance = self._instance(params)
        contact = self._contact(instance, params["InitialContactId"])
        contact.attributes.update(params["Attributes"])
        contact.last_update_timestamp = self._clock()
        return {}

    def _start_task_contact(self, params: Params) -> Result:
        instance = self._instance(params)
        fingerprint = tuple(
            repr(params.get(member))
            for member in (
                "Name",
                "Description",
                "ContactFlowId",
                "QuickConnectId",
                "TaskTemplateId",
                "PreviousContactId",
                "Attributes",
            )
        )
        replay = self._replayed(instance, "StartTaskContact", params, fingerprint)
        if replay is not None:
            return replay
        starters = [m for m in ("ContactFlowId", "QuickConnectId", "TaskTemplateId") if params.get(m)]
        if len(starters) != 1:
            raise invalid_request(
                "Exactly one of ContactFlowId, QuickConnectId or TaskTemplateId must be provided."
            )
        queue_id: str | None = None
        if params.get("ContactFlowId"):
            flow_id = resource_id(params["ContactFlowId"])
            flow = instance.flows.get(flow_id)
            if flow is None:
                raise not_found(f"Contact flow {flow_id} not found.")
            queue_id = flow.queue_id
        previous_id = params.get("PreviousContactId")
        if previous_id is not None:
            self._contact(instance, previous_id)
        now = self._clock()
        new_id = _new_id()
        instance.contacts[new_id] = Contact(
            contact_id=new_id,
            channel="TASK",
            initiation_method="API",
            initial_contact_id=new_id,
            previous_contact_id=previous_id,
            initiation_timestamp=now,
            queue_id=queue_id,
            enqueue_timestamp=now if queue_id else None,
            attributes=dict(params.get("Attributes") or {}),
            name=params["Name"],
            description=params.get("Description"),
        )
        result: Result = {"ContactId": new_id}
        self._remember(instance, "StartTaskContact", params, fingerprint, result)
        return result

    def _stop_contact(self, params: Params) -> Result:
        instance = self._instance(params)
        contact = self._contact(instance, params["ContactId"])
        if contact.ended:
            if contact.channel == "VOICE":
                raise ConnectError("ContactNotFoundException", f"Contact {contact.contact_id} is not active.")
            raise invalid_request(f"Contact {contact.contact_id} is not active (it has ended).")
        now = self._clock()
        contact.disconnect_timestamp = now
        contact.last_update_timestamp = now
        reason = params.get("DisconnectReason") or {}
        contact.disconnect_reason = reason.get("Code")
        return {}

    def _get_current_user_data(self, params: Params) -> Result:
        instance = self._instance(params)
        requested = params["Filters"].get("Agents")
        if not requested:
            raise invalid_request("The Connect emulator supports only the Agents filter.")
        agents: list[Agent] = []
        for value in requested:
            agent = instance.agents.get(resource_id(value))
            if agent is not None and agent not in agents:
                agents.append(agent)
        start = 0
        if params.get("NextToken"):
            try:
                start = int(params["NextToken"])
            except ValueError:
                raise invalid_request("NextToken is not valid.") from None
        page_size = params.get("MaxResults") or 100
        page = agents[start : start + page_size]
        result: Result = {
            "UserDataList": [self._user_data(instance.instance_id, agent) for agent in page],
            "ApproximateTotalCount": len(agents),
        }
        if start + page_size < len(agents):
            result["NextToken"] = str(start + page_size)
        return result

    def _user_data(self, instance_id: str, agent: Agent) -> Result:
        routable = agent.status_name == ROUTABLE_STATUS
        available = {
            channel: max(0, slots - agent.active_slots.get(channel, 0)) if routable else 0
            for channel, slots in agent.max_slots.items()
        }
        return {
            "User": {"Id": agent.agent_id, "Arn": self._agent_arn(instance_id, agent.agent_id)},
            "Status": {
                "StatusName": agent.status_name,
                "StatusStartTimestamp": agent.status_start,
                "StatusArn": self._status_arn(instance_id, agent.status_name),
            },
            "MaxSlotsByChannel": dict(agent.max_slots),
            "ActiveSlotsByChannel": {
                channel: agent.active_slots.get(channel, 0) for channel in agent.max_slots
            },
            "AvailableSlotsByChannel": available,
        }
