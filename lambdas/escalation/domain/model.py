"""Value types of the escalation domain."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

# A reason (and an Idempotency-Key) holds no control character (C0, DEL, C1): they name things in
# routing rules, logs, metrics and alerts, where a newline or an escape sequence would forge a line.
NO_CONTROL_CHARACTERS = r"^[^\x00-\x1f\x7f-\x9f]*$"


def has_control_character(text: str) -> bool:
    return any(ord(char) < 0x20 or 0x7F <= ord(char) <= 0x9F for char in text)


class Trigger(StrEnum):
    API = "API"
    EVENT = "EVENT"


class Channel(StrEnum):
    VOICE = "VOICE"
    CHAT = "CHAT"
    TASK = "TASK"
    EMAIL = "EMAIL"


class TargetType(StrEnum):
    QUEUE = "QUEUE"
    AGENT = "AGENT"
    IN_QUEUE = "IN_QUEUE"  # moved up where it waits (UpdateContactRoutingData), not transferred


class ContactAttribute:
    """Contact attributes the service writes after a confirmed transfer, for the agent and supervisor.

    Informational only: the escalation ledger, not these, decides the level and the transfer count.
    """

    LEVEL = "escalationLevel"
    REASON = "escalationReason"
    ESCALATION_ID = "escalationId"
    TRANSFER_COUNT = "escalationTransferCount"
    TRIGGER = "escalationTrigger"
    NOTE = "escalationNote"  # the agent's note, for the next agent and the supervisor


def resource_id(id_or_arn: str) -> str:
    """Connect accepts an id or an ARN in many places; the id is the ARN's last path segment."""
    return id_or_arn.rsplit("/", 1)[-1]


@dataclass(frozen=True)
class QueuePlace:
    """A waiting contact's routing values as DescribeContact gave them (None: never set)."""

    priority: int | None = None
    age_adjustment_seconds: int | None = None

    def to_dict(self) -> dict[str, int | None]:
        return {"queuePriority": self.priority, "queueTimeAdjustmentSeconds": self.age_adjustment_seconds}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> "QueuePlace | None":
        if not data:
            return None
        priority, age = data.get("queuePriority"), data.get("queueTimeAdjustmentSeconds")
        return cls(int(priority) if priority is not None else None, int(age) if age is not None else None)


@dataclass(frozen=True)
class Contact:
    """What DescribeContact tells us, reduced to what the rules need."""

    contact_id: str
    initial_contact_id: str
    channel: str
    ended: bool
    queue_id: str | None = None
    agent_id: str | None = None
    agent_connected: bool = False  # an agent has accepted it (AgentInfo.ConnectedToAgentTimestamp)
    attributes: Mapping[str, str] = field(default_factory=dict)
    arn: str | None = None  # arn:<partition>:connect:<region>:<account>:instance/<id>/contact/<id>
    # Its routing in the queue (DescribeContact omits values never set): lower priority is served
    # first; the adjustment is added to its routing age.
    queue_priority: int | None = None
    queue_time_adjustment_seconds: int | None = None

    @property
    def queue_place(self) -> "QueuePlace":
        return QueuePlace(self.queue_priority, self.queue_time_adjustment_seconds)

    @property
    def is_waiting(self) -> bool:
        """Still in a queue, not with an agent, not ended: an SLA timer's breach or warning still applies."""
        return self.queue_id is not None and not self.agent_connected and not self.ended

    @property
    def instance_arn(self) -> str | None:
        """This contact's instance ARN, which the ARNs of its agents and queues start with."""
        if not self.arn or "/contact/" not in self.arn:
            return None
        return self.arn.rsplit("/contact/", 1)[0]


@dataclass(frozen=True)
class Target:
    """Where an escalation goes: one queue or one agent, with the flow that takes it there; or, for
    IN_QUEUE, the contact's own queue with a new priority or an older routing age (exactly one)."""

    type: TargetType
    id: str
    flow_id: str
    priority: int | None = None
    age_seconds: int | None = None

    @classmethod
    def in_queue(cls, *, priority: int | None = None, age_seconds: int | None = None) -> "Target":
        return cls(TargetType.IN_QUEUE, "", "", priority=priority, age_seconds=age_seconds)

    @property
    def transfers(self) -> bool:
        """Whether reaching it takes a TransferContact (and one of the contact's 11 transfers)."""
        return self.type is not TargetType.IN_QUEUE

    def to_dict(self) -> dict[str, Any]:
        if self.type is TargetType.IN_QUEUE:
            if self.priority is not None:
                return {"type": self.type.value, "priority": self.priority}
            return {"type": self.type.value, "ageSeconds": self.age_seconds}
        return {"type": self.type.value, "id": self.id}

    @classmethod
    def from_dict(cls, written: Mapping[str, Any], flow_id: str | None) -> "Target":
        """The target `to_dict` wrote, with the flow id stored beside it."""
        kind = TargetType(written["type"])
        if kind is TargetType.IN_QUEUE:
            priority, age = written.get("priority"), written.get("ageSeconds")
            return cls.in_queue(
                priority=int(priority) if priority is not None else None,
                age_seconds=int(age) if age is not None else None,
            )
        return cls(kind, str(written["id"]), str(flow_id or ""))


def target_fields(target: Target | None) -> dict[str, Any]:
    """How a stored or answered record writes its target: `target` (type and id), its flow beside it."""
    return {
        "target": target.to_dict() if target else None,
        "targetFlowId": target.flow_id if target else None,
    }


def target_from_fields(data: Mapping[str, Any]) -> Target | None:
    """The target that `target_fields` wrote into `data`, if any."""
    written = data.get("target")
    if not written:
        return None
    return Target.from_dict(written, data.get("targetFlowId"))


@dataclass(frozen=True)
class RequestedTarget:
    """An agent's explicit choice in the API request (already checked: exactly one of the two)."""

    queue_id: str | None = None
    user_id: str | None = None


@dataclass(frozen=True)
class Caller:
    """The authenticated desktop user, from the API Gateway authorizer's claims."""

    username: str
    connect_user_id: str | None
    groups: frozenset[str]


@dataclass(frozen=True)
class EscalationRequest:
    """One request to escalate a contact, from either trigger, already validated."""

    trigger: Trigger
    escalation_id: str
    contact_id: str
    reason: str
    requested_target: RequestedTarget | None = None
    note: str | None = None
    caller: Caller | None = None
    # Set when the caller sent an Idempotency-Key: a repeat of the key must ask for the same thing.
    fingerprint: str | None = None
    # A breach from an SLA timer: escalated only while the contact still waits in a queue.
    only_while_waiting: bool = False
    # Replayed from the DLQ by this operator (tools.redrive), with the recorded requester as caller.
    redriven_by: str | None = None


class Status(StrEnum):
    TRANSFERRED = "TRANSFERRED"
    # Connect reported the transfer already done for this escalation's ClientToken.
    ALREADY_TRANSFERRED = "ALREADY_TRANSFERRED"
    # A breach event for a contact that has already ended: nothing to do.
    SKIPPED = "SKIPPED"
    # A timer's breach for a contact no longer waiting in a queue: nothing was moved or recorded.
    NOT_WAITING = "NOT_WAITING"
    # Moved up where it waits (an `inQueue` target: a better priority or an older routing age).
    PRIORITIZED = "PRIORITIZED"


@dataclass(frozen=True)
class EscalationResult:
    escalation_id: str
    status: Status
    contact_id: str
    level: int
    target: Target | None = None
    new_contact_id: str | None = None
    new_contact_arn: str | None = None
    fell_back_to_queue: bool = False
    # True when this is a repeat answered from the idempotency store (not part of the stored result).
    replayed: bool = False
    # The fingerprint of the request that produced this result (domain.identity.request_fingerprint),
    # kept with it in the idempotency store and never answered.
    fingerprint: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON form: answered (the API's answer is EscalationOut's part of it) and stored."""
        return {
            "escalationId": self.escalation_id,
            "status": self.status.value,
            "contactId": self.contact_id,
            "newContactId": self.new_contact_id,
            "newContactArn": self.new_contact_arn,
            **target_fields(self.target),
            "level": self.level,
            "fellBackToQueue": self.fell_back_to_queue,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "EscalationResult":
        return cls(
            escalation_id=data["escalationId"],
            status=Status(data["status"]),
            contact_id=data["contactId"],
            level=int(data["level"]),
            target=target_from_fields(data),
            new_contact_id=data.get("newContactId"),
            new_contact_arn=data.get("newContactArn"),
            fell_back_to_queue=bool(data.get("fellBackToQueue")),
        )
