"""Connect's records as the emulator keeps them (instances, queues, flows, agents, contacts) and the
shapes the admin interface answers with (ledger entries, contact records)."""

from __future__ import annotations

import copy
import re
import uuid
from collections.abc import Mapping, Sequence
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
    queue_priority: int | None
    queue_time_adjustment_seconds: int | None


@dataclass
class Queue:
    queue_id: str
    name: str
    status: str
    hours_of_operation_id: str | None = None


# A time of day as minutes since midnight, and an interval [start, end) of them on one date (end 1440:
# midnight). An interval of the weekly config or an override whose end is not after its start runs
# past midnight (00:00-00:00: the whole day).
Minutes = int
DayInterval = tuple[Minutes, Minutes]
WEEKDAYS = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")  # date.weekday()
MINUTES_PER_DAY = 24 * 60


@dataclass(frozen=True)
class DaySlice:
    """One entry of a weekly config or an override's config: a day (None: every day) and its times."""

    day: str | None
    start: Minutes
    end: Minutes


_CLOCK_TIME = re.compile(r"^(\d{1,2}):(\d{2})$")


def parse_clock_time(text: str) -> int:
    """ "HH:MM" as minutes since midnight (ValueError otherwise)."""
    found = _CLOCK_TIME.match(text)
    if found is None or int(found.group(1)) > 23 or int(found.group(2)) > 59:
        raise ValueError(f"a time of day must be HH:MM, got {text!r}")
    return int(found.group(1)) * 60 + int(found.group(2))


def paged[Item](items: Sequence[Item], params: Params) -> tuple[Sequence[Item], str | None]:
    """One page of a listing as Connect pages it (NextToken: where the page starts; MaxResults, default
    100), and the token of the next page (None on the last)."""
    start = 0
    if params.get("NextToken"):
        try:
            start = int(params["NextToken"])
        except ValueError:
            raise invalid_request("NextToken is not valid.") from None
    end = start + (params.get("MaxResults") or 100)
    return items[start:end], str(end) if end < len(items) else None


@dataclass
class HoursOverride:
    override_id: str
    name: str
    description: str | None
    config: tuple[DaySlice, ...]
    effective_from: str  # YYYY-MM-DD, inclusive
    effective_till: str  # YYYY-MM-DD, inclusive
    override_type: str  # STANDARD | OPEN | CLOSED


@dataclass
class HoursOfOperation:
    hours_id: str
    name: str
    time_zone: str
    config: tuple[DaySlice, ...]
    overrides: dict[str, HoursOverride] = field(default_factory=dict)


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
    username: str = ""
    first_name: str | None = None
    last_name: str | None = None


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
    queue_priority: int | None = None  # set by UpdateContactRoutingData (routing_data.py)
    queue_time_adjustment_seconds: int | None = None

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
    hours: dict[str, HoursOfOperation] = field(default_factory=dict)
    # (operation, client token) -> (request fingerprint, the answer given)
    tokens: dict[tuple[str, str], tuple[tuple[Any, ...], Result]] = field(default_factory=dict)

    def contact(self, contact_id: str) -> Contact:
        contact = self.contacts.get(contact_id)
        if contact is None:
            raise not_found(f"Contact {contact_id} not found in instance {self.instance_id}.")
        return contact

    def replayed(self, operation: str, params: Params, fingerprint: tuple[Any, ...]) -> Result | None:
        """The remembered answer to this ClientToken, if any; IdempotencyException for another request."""
        token = params.get("ClientToken")
        if not token:
            return None
        remembered = self.tokens.get((operation, token))
        if remembered is None:
            return None
        if remembered[0] != fingerprint:
            raise ConnectError(
                "IdempotencyException",
                f"ClientToken {token} was already used for a different {operation} request.",
            )
        return copy.deepcopy(remembered[1])

    def remember(self, operation: str, params: Params, fingerprint: tuple[Any, ...], result: Result) -> None:
        token = params.get("ClientToken")
        if token:
            self.tokens[(operation, token)] = (fingerprint, copy.deepcopy(result))


def found[Found](records: Mapping[str, Found], record_id: str, kind: str) -> Found:
    """The record with this id, or ResourceNotFoundException as Connect words it: "Queue q-1 not found."."""
    record = records.get(record_id)
    if record is None:
        raise not_found(f"{kind} {record_id} not found.")
    return record


def resource_id(value: str) -> str:
    """An id given as itself or as an ARN (`arn:aws:connect:...:instance/<i>/queue/<q>`)."""
    if value.startswith("arn:"):
        return value.rsplit("/", 1)[-1]
    return value


def instance_id_of(value: str) -> str:
    if value.startswith("arn:") and "instance/" in value:
        return value.split("instance/", 1)[1].split("/", 1)[0]
    return value


def new_id() -> str:
    return str(uuid.uuid4())
