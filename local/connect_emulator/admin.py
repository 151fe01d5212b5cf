"""The emulator's admin interface, declared once: `EmulatorAdmin` and one frozen dataclass per call.

`ConnectEmulator` implements it in process; `EmulatorAdminClient` offers it over HTTP. Every call
takes no argument or exactly one of the dataclasses below, so the HTTP form follows from the
Protocol: `POST /_emulator/<call>` with the dataclass's fields as a JSON object, answered
`{"result": ...}`. `ADMIN_CALLS` is read off the Protocol, never listed by hand.

    emulator.add_contact(ContactSeed("instance-1", "TASK", queue_id="queue-tier1"))
    emulator.set_faults(FaultPlan("TransferContact", script=["drop_after_effect"]))
"""

from __future__ import annotations

import dataclasses
import inspect
import json
import typing
from collections.abc import Mapping, Sequence
from dataclasses import KW_ONLY, dataclass
from typing import Any, Protocol, TypedDict

from .contact_events import EventDeliveryPlan
from .faults import DEFAULT_FAULT_OPERATION, FaultPlanSnapshot
from .quota import DEFAULT_BURST, DEFAULT_RATE, QuotaSnapshot
from .records import ROUTABLE_STATUS, ContactRecord, LedgerEntry

ADMIN_PREFIX = "/_emulator/"


# ---- the calls' arguments ---------------------------------------------------------------------


@dataclass(frozen=True)
class InstanceSeed:
    instance_id: str | None = None  # None: a fresh id


@dataclass(frozen=True)
class QueueSeed:
    instance_id: str
    queue_id: str | None = None
    name: str | None = None
    status: str = "ENABLED"
    hours_of_operation_id: str | None = None  # seeded first with add_hours_of_operation


@dataclass(frozen=True)
class HoursSeed:
    """An hours of operation: `config` entries {"day": "MONDAY", "start": "09:00", "end": "17:00"}
    (an end not after the start runs past midnight; 00:00-00:00 is the whole day)."""

    instance_id: str
    hours_id: str | None = None
    name: str | None = None
    time_zone: str = "UTC"
    config: Sequence[Mapping[str, str]] = ()


@dataclass(frozen=True)
class OverrideSeed:
    """An hours of operation override as an administrator adds it (the same rules as
    CreateHoursOfOperationOverride, without the installed IAM policy, which is the function's):
    `config` entries in the API's shape ({"Day", "StartTime": {"Hours", "Minutes"}, "EndTime"}); none
    is the whole of each date."""

    instance_id: str
    hours_id: str
    name: str
    effective_from: str  # YYYY-MM-DD
    effective_till: str
    override_type: str = "CLOSED"
    config: Sequence[Mapping[str, Any]] = ()


@dataclass(frozen=True)
class FlowSeed:
    instance_id: str
    flow_id: str | None = None
    flow_type: str = "QUEUE_TRANSFER"
    queue_id: str | None = None  # where the flow puts contacts (StartTaskContact, untargeted transfers)
    name: str | None = None


@dataclass(frozen=True)
class AgentSeed:
    instance_id: str
    agent_id: str | None = None
    status: str = ROUTABLE_STATUS
    slots: Mapping[str, int] | None = None  # max concurrent contacts per channel; None: 1 per channel
    active_slots: Mapping[str, int] | None = None
    username: str | None = None  # DescribeUser's Username; None: the agent id
    first_name: str | None = None  # DescribeUser's IdentityInfo
    last_name: str | None = None


@dataclass(frozen=True)
class AgentStatusChange:
    instance_id: str
    agent_id: str
    status: str


@dataclass(frozen=True)
class ContactSeed:
    """A contact as if Connect had created it; `transfer_count` transfers of its chain already used."""

    instance_id: str
    channel: str = "TASK"
    _: KW_ONLY
    queue_id: str | None = None
    agent_id: str | None = None
    attributes: Mapping[str, str] | None = None
    transfer_count: int = 0
    ended: bool = False
    contact_id: str | None = None
    initiation_method: str = "API"
    name: str | None = None
    tags: Mapping[str, str] | None = None
    enqueued_at: float | None = None  # epoch seconds it was queued at (None: now), with queue_id


@dataclass(frozen=True)
class ContactRef:
    instance_id: str
    contact_id: str


@dataclass(frozen=True)
class QueueRouting:
    """The queue hands its next waiting contact (Connect's routing order) to an agent: the one named,
    or the first routable one with a free slot for the contact's channel."""

    instance_id: str
    queue_id: str
    agent_id: str | None = None


@dataclass(frozen=True)
class ContactAcceptance:
    """An agent (None: the first routable one) accepts a queued contact."""

    instance_id: str
    contact_id: str
    agent_id: str | None = None


@dataclass(frozen=True)
class QuotaPlan:
    """Rate (requests/s, None = unlimited) and burst for every operation (operation None) or one."""

    rate: float | None = DEFAULT_RATE
    burst: int = DEFAULT_BURST
    operation: str | None = None


@dataclass(frozen=True)
class QuotaScale:
    scale: float  # multiplies every refill rate


@dataclass(frozen=True)
class FaultPlan:
    """Faults for `operation`: a script consumed one call at a time, then probabilities.

    Parts left None keep their current setting; a given `seed` reseeds the shared random generator
    (reproducible probabilistic runs).
    """

    operation: str = DEFAULT_FAULT_OPERATION
    _: KW_ONLY
    probabilities: Mapping[str, float] | None = None
    script: Sequence[str] | None = None
    slow_seconds: float | None = None
    timeout_seconds: float | None = None
    seed: int | None = None


@dataclass(frozen=True)
class FaultScope:
    operation: str | None = None  # None: every operation's faults


@dataclass(frozen=True)
class AccessRule:
    """AccessDeniedException for `operation` (only when targeting `target_id`, if given: a
    TransferContact QueueId or UserId)."""

    operation: str
    target_id: str | None = None


@dataclass(frozen=True)
class PolicySeed:
    """The identity policy every Connect call is evaluated against: IAM statements (Effect, Action,
    Resource; `*` and `?` wildcards). None: no policy, every call allowed."""

    statements: Sequence[Mapping[str, Any]] | None = None


class Stats(TypedDict):
    requests: dict[str, int]
    throttled: dict[str, int]
    faults: dict[str, int]


# ---- the interface ----------------------------------------------------------------------------


class EmulatorAdmin(Protocol):
    def health(self) -> dict[str, bool]: ...

    def reset(self) -> None:
        """Forget all data, ledger, tokens, deny rules and the policy; restore the start quota and faults."""

    def add_instance(self, seed: InstanceSeed) -> str: ...

    def add_hours_of_operation(self, seed: HoursSeed) -> str: ...

    def add_hours_override(self, seed: OverrideSeed) -> str:
        """Returns the override's id."""

    def add_queue(self, seed: QueueSeed) -> str: ...

    def add_flow(self, seed: FlowSeed) -> str: ...

    def add_agent(self, seed: AgentSeed) -> str: ...

    def set_agent_status(self, change: AgentStatusChange) -> None: ...

    def add_contact(self, seed: ContactSeed) -> str: ...

    def get_contact(self, ref: ContactRef) -> ContactRecord: ...

    def contact_arn(self, ref: ContactRef) -> str: ...

    def route_next(self, routing: QueueRouting) -> str | None:
        """The contact an agent now has (CONNECTED_TO_AGENT), or None when none waits or no agent is free."""

    def accept_contact(self, acceptance: ContactAcceptance) -> str:
        """An agent accepts a queued contact: a CONNECTED_TO_AGENT event; returns the agent id."""

    def set_event_delivery(self, plan: EventDeliveryPlan) -> None:
        """How contact events are delivered (duplicates, reordering); held events are released first."""

    def flush_contact_events(self) -> int:
        """Release every contact event held back for reordering; returns how many."""

    def ledger(self) -> list[LedgerEntry]: ...

    def set_quota(self, plan: QuotaPlan) -> None: ...

    def set_quota_scale(self, scale: QuotaScale) -> None: ...

    def get_quota(self) -> QuotaSnapshot: ...

    def set_faults(self, plan: FaultPlan) -> None: ...

    def clear_faults(self, scope: FaultScope) -> None: ...

    def get_faults(self) -> dict[str, FaultPlanSnapshot]: ...

    def deny(self, rule: AccessRule) -> None: ...

    def allow(self, rule: AccessRule) -> None: ...

    def clear_denials(self) -> None:
        """Lift every `deny` rule (the policy stays)."""

    def set_policy(self, seed: PolicySeed) -> None: ...

    def stats(self) -> Stats: ...


# ---- the calls over HTTP ----------------------------------------------------------------------


@dataclass(frozen=True)
class AdminCall:
    name: str
    argument_type: type[Any] | None  # the call's dataclass; None for a call without arguments

    def encode(self, argument: Any) -> bytes:
        """The request body: the argument's fields as a JSON object."""
        if argument is None:
            return b"{}"
        if self.argument_type is None or not isinstance(argument, self.argument_type):
            expected = self.argument_type.__name__ if self.argument_type else "no argument"
            raise TypeError(f"{self.name} takes {expected}, not {type(argument).__name__}")
        return json.dumps(dataclasses.asdict(argument)).encode()

    def invoke(self, admin: EmulatorAdmin, body: bytes) -> Any:
        """Decode the request body and make the call (TypeError/ValueError for bad arguments)."""
        fields = json.loads(body) if body.strip() else {}
        if not isinstance(fields, dict):
            raise TypeError("the body must be a JSON object of the call's fields")
        method = getattr(admin, self.name)
        if self.argument_type is None:
            if fields:
                raise TypeError(f"{self.name} takes no arguments")
            return method()
        return method(self.argument_type(**fields))


def _admin_calls() -> dict[str, AdminCall]:
    calls: dict[str, AdminCall] = {}
    for name, member in vars(EmulatorAdmin).items():
        if name.startswith("_") or not inspect.isfunction(member):
            continue
        hints = typing.get_type_hints(member)
        hints.pop("return", None)
        argument_types = list(hints.values())
        if len(argument_types) > 1:
            raise TypeError(f"EmulatorAdmin.{name} must take at most one dataclass argument")
        calls[name] = AdminCall(name, argument_types[0] if argument_types else None)
    return calls


ADMIN_CALLS: Mapping[str, AdminCall] = _admin_calls()
