"""What a caller can do for a contact now (`GET /escalation-options`): pure rules, no Connect calls.

The use case (usecases/escalation_options.py) adds what only Connect knows: whether a target agent is
available, and the names of queues and agents.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from escalation.domain.errors import EscalationRefused
from escalation.domain.ledger import ChainHistory
from escalation.domain.model import Contact, Target, TargetType
from escalation.domain.policy import Refusal, decide_refusal
from escalation.domain.preflight import check_transferable, check_waiting
from escalation.domain.routing import ANY, RoutingRules, choose_target

# What the desktop shows for an escalation in place (a waiting contact moved up its queue).
IN_QUEUE_LABEL = "moved up in queue"


class DestinationType(StrEnum):
    QUEUE = "QUEUE"
    AGENT = "AGENT"
    # An escalation in place (routing rules' `inQueue` targets, from the every-channel issue).
    IN_QUEUE = "IN_QUEUE"


@dataclass(frozen=True)
class Destination:
    """Where an escalation would go: a queue or an agent (with its name, None when unknown), or in place."""

    type: DestinationType
    id: str = ""
    name: str | None = None

    @classmethod
    def of(cls, target: Target, name: str | None = None) -> "Destination":
        if target.type is TargetType.IN_QUEUE:
            return cls(DestinationType.IN_QUEUE)
        kind = DestinationType.QUEUE if target.type is TargetType.QUEUE else DestinationType.AGENT
        return cls(kind, target.id, name)

    def to_dict(self) -> dict[str, Any]:
        if self.type is DestinationType.IN_QUEUE:
            return {"type": self.type.value, "label": IN_QUEUE_LABEL}
        return {"type": self.type.value, "id": self.id, "name": self.name}


@dataclass(frozen=True)
class ReasonOption:
    code: str
    label: str
    destination: Destination | None  # None: no rule routes this reason now


@dataclass(frozen=True)
class Blocked:
    """Why the contact cannot be escalated now: the code and message `POST /escalations` would answer."""

    error: str
    message: str


@dataclass(frozen=True)
class EscalationOptions:
    contact_id: str
    channel: str
    queue: Destination | None  # the contact's current queue
    level: int  # the chain's current level (0: never escalated)
    blocked_by: Blocked | None
    reasons: tuple[ReasonOption, ...]
    targets: tuple[Destination, ...]  # explicit targets the caller may pick

    def to_dict(self) -> dict[str, Any]:
        return {
            "contactId": self.contact_id,
            "channel": self.channel,
            "queue": {"id": self.queue.id, "name": self.queue.name} if self.queue else None,
            "level": self.level,
            "canEscalate": self.blocked_by is None,
            "blockedBy": (
                {"error": self.blocked_by.error, "message": self.blocked_by.message}
                if self.blocked_by
                else None
            ),
            "reasons": [
                {
                    "code": reason.code,
                    "label": reason.label,
                    "destination": reason.destination.to_dict() if reason.destination else None,
                }
                for reason in self.reasons
            ],
            "targets": [target.to_dict() for target in self.targets],
        }


def blocked_by(contact: Contact, history: ChainHistory, *, moves_in_place: bool = False) -> Blocked | None:
    """The refusal `POST /escalations` would answer before routing (channel, ended, transfer limit);
    `moves_in_place`: the rules would escalate this contact where it waits (an `inQueue` target), which
    any channel may, while it still waits."""
    try:
        if moves_in_place:
            check_waiting(contact)
        else:
            check_transferable(contact, history.transfer_count)
    except EscalationRefused as refused:
        return Blocked(decide_refusal(refused.reason).api.code, refused.message)
    return None


def routed_target(
    rules: RoutingRules, reason: str, contact: Contact, level: int
) -> tuple[Target, Target | None] | None:
    """The target the rules pick for `reason` at `level` (and an agent's fallback queue); None: no route."""
    try:
        return choose_target(rules.find(reason, contact, level), None, reason)
    except EscalationRefused as refused:
        if refused.reason is Refusal.NO_ROUTE:
            return None
        raise


def explicit_targets(
    rules: RoutingRules, reasons: Iterable[str], contact: Contact, level: int
) -> tuple[Target, ...]:
    """The named queues and agents the rules matching any of `reasons` let a caller pick, each once.

    "*" allows any id, which names no listable target, so it is left out. A target is allowed only with
    the reasons whose rule lists it: `POST` refuses it with another reason (TARGET_NOT_ALLOWED).
    """
    found: dict[tuple[TargetType, str], Target] = {}
    for reason in reasons:
        try:
            allowed = rules.find(reason, contact, level).explicit_targets
        except EscalationRefused:
            continue
        if allowed is None:
            continue
        for kind, ids, flow in (
            (TargetType.QUEUE, allowed.queue_ids, allowed.queue_flow_id),
            (TargetType.AGENT, allowed.user_ids, allowed.agent_flow_id),
        ):
            for target_id in ids:
                if target_id != ANY and flow is not None:
                    found.setdefault((kind, target_id), Target(kind, target_id, flow))
    return tuple(found.values())
