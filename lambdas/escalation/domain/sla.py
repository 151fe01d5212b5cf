"""SLA timers: policies as data, the contact events that arm and cancel a timer, and what a timer fires.

A policy lives in the routing-rules document (`"sla": [...]`). When a TASK or EMAIL contact is queued,
the first policy whose `match` holds sets its deadline; no policy, no timer. A timer is a one-time
schedule named after the contact, so a repeated QUEUED event finds it armed. Contact events are
best-effort and unordered, so whatever a timer fires is checked against the contact as Connect
describes it then (`is_waiting`), never against the events seen so far.
"""

import hashlib
import math
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from escalation.contract import (
    SLA_BREACH_DETAIL_TYPE,
    SLA_BREACH_SOURCE,
    SLA_SCHEDULE_PREFIX,
    SLA_WARNING_DETAIL_TYPE,
    SLA_WARNING_SCHEDULE_PREFIX,
)
from escalation.domain.model import Channel, Contact, resource_id

ANY = "*"
SLA_BREACH_REASON = "SLA_BREACH"
TIMED_CHANNELS = frozenset({Channel.TASK.value, Channel.EMAIL.value})
# Scheduler refuses a time already past when the schedule is created; a deadline that close (or
# missed while the event was on its way) fires this long after now instead.
EARLIEST_FIRE_SECONDS = 60
MAX_SLA_SECONDS = 366 * 86_400
_NAME_HASH_CHARS = 48  # prefix + 48 hex characters stays within Scheduler's 64


class SlaMatch(BaseModel):
    """Like a routing rule's match: every listed condition must hold; a missing or empty list matches any."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    queues: list[Annotated[str, Field(min_length=1, max_length=256)]] = Field(default_factory=list)
    channels: list[Annotated[str, Field(min_length=1, max_length=16)]] = Field(default_factory=list)

    def holds(self, queue: str | None, channel: str) -> bool:
        """`queue`: an id or ARN (compared by id); `channel` in any casing."""
        queue_ok = (
            not self.queues
            or ANY in self.queues
            or (queue is not None and resource_id(queue) in {resource_id(q) for q in self.queues})
        )
        channels = {c.upper() for c in self.channels}
        return queue_ok and (not channels or ANY in channels or channel.upper() in channels)


class SlaPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
    name: Annotated[str, Field(min_length=1, max_length=128)]
    match: SlaMatch = Field(default_factory=SlaMatch)
    seconds: Annotated[int, Field(ge=1, le=MAX_SLA_SECONDS)]
    warn_at_percent: Annotated[int, Field(ge=1, le=99)] | None = Field(default=None, alias="warnAtPercent")


def find_policy(policies: list[SlaPolicy], queue: str | None, channel: str) -> SlaPolicy | None:
    """The first policy for a contact queued on `queue`, or None (only tasks and emails are timed)."""
    if channel.upper() not in TIMED_CHANNELS:
        return None
    return next((policy for policy in policies if policy.match.holds(queue, channel)), None)


class ContactEventType(StrEnum):
    INITIATED = "INITIATED"
    QUEUED = "QUEUED"
    CONNECTED_TO_AGENT = "CONNECTED_TO_AGENT"
    DISCONNECTED = "DISCONNECTED"


# The ways a contact is created by a transfer: its previous contact has left that queue.
TRANSFER_METHODS = frozenset({"TRANSFER", "QUEUE_TRANSFER"})
_ENDS_WAIT = frozenset({ContactEventType.CONNECTED_TO_AGENT, ContactEventType.DISCONNECTED})


@dataclass(frozen=True)
class ContactEvent:
    """One Connect contact event, reduced to what the timers need."""

    event_type: str  # any of Connect's types; only ContactEventType's are acted on
    contact_id: str
    instance_arn: str
    channel: str
    queue: str | None = None  # the queue's ARN
    enqueued_at: datetime | None = None
    previous_contact_id: str | None = None
    initiation_method: str | None = None

    def waits_ended(self) -> bool:
        """This contact's wait is over: an agent took it or it ended."""
        return self.event_type in _ENDS_WAIT

    def transferred_from(self) -> str | None:
        """The contact this one was transferred from, which therefore left its queue."""
        created = self.event_type in (ContactEventType.INITIATED, ContactEventType.QUEUED)
        if (
            created
            and self.previous_contact_id
            and (self.initiation_method or "").upper() in TRANSFER_METHODS
        ):
            return self.previous_contact_id
        return None


@dataclass(frozen=True)
class SlaTimer:
    """A one-time schedule: at `fire_at` (UTC, whole seconds) the handler receives `event`."""

    name: str
    fire_at: datetime
    event: Mapping[str, Any]


def schedule_name(prefix: str, contact_id: str) -> str:
    """The same name for the same contact, within Scheduler's 64 characters of [0-9a-zA-Z-_.]."""
    return prefix + hashlib.sha256(contact_id.encode()).hexdigest()[:_NAME_HASH_CHARS]


def timer_names(contact_id: str) -> tuple[str, str]:
    """The breach and warning schedule names of a contact."""
    return schedule_name(SLA_SCHEDULE_PREFIX, contact_id), schedule_name(
        SLA_WARNING_SCHEDULE_PREFIX, contact_id
    )


def _ceil_second(moment: datetime) -> datetime:
    whole = moment.replace(microsecond=0)
    return whole if whole == moment else whole + timedelta(seconds=1)


def fire_time(due: datetime, now: datetime) -> datetime:
    """`due` rounded up to the second, or the earliest time Scheduler accepts when that is sooner."""
    earliest = _ceil_second(now + timedelta(seconds=EARLIEST_FIRE_SECONDS))
    return max(_ceil_second(due), earliest)


def is_waiting(contact: Contact) -> bool:
    """Still in a queue, not with an agent, not ended: a timer's breach or warning still applies."""
    return contact.queue_id is not None and not contact.agent_connected and not contact.ended


def _timer_event(
    detail_type: str, timer: tuple[str, datetime], queued: ContactEvent, detail: dict[str, Any]
) -> dict[str, Any]:
    name, at = timer
    arn_parts = queued.instance_arn.split(":")
    region, account = (arn_parts[3], arn_parts[4]) if len(arn_parts) > 5 else ("", "")
    return {
        "version": "0",
        "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{name}/{queued.enqueued_at}")),
        "source": SLA_BREACH_SOURCE,
        "detail-type": detail_type,
        "account": account,
        "time": at.isoformat().replace("+00:00", "Z"),
        "region": region,
        "resources": [],
        "detail": detail,
    }


def plan_timers(policy: SlaPolicy, queued: ContactEvent, now: datetime) -> list[SlaTimer]:
    """The breach timer of a queued contact, and the warning timer when the policy asks for one.

    A warning whose moment has already passed is not armed: the breach follows soon enough.
    """
    enqueued_at = queued.enqueued_at or now
    breach_name, warning_name = timer_names(queued.contact_id)
    due = enqueued_at + timedelta(seconds=policy.seconds)
    detail = {
        "contactId": queued.contact_id,
        "instanceId": queued.instance_arn,
        "channel": queued.channel.upper(),
        "queueId": queued.queue,
        "slaPolicy": policy.name,
        "slaSeconds": policy.seconds,
        "breachedAt": due.isoformat(),
        "reason": SLA_BREACH_REASON,
    }
    breach_at = fire_time(due, now)
    breach_event = _timer_event(SLA_BREACH_DETAIL_TYPE, (breach_name, breach_at), queued, detail)
    timers = [SlaTimer(breach_name, breach_at, breach_event)]
    if policy.warn_at_percent is not None:
        warn_at = enqueued_at + timedelta(seconds=math.ceil(policy.seconds * policy.warn_at_percent / 100))
        if warn_at >= now + timedelta(seconds=EARLIEST_FIRE_SECONDS):
            warning = {**detail, "warnAtPercent": policy.warn_at_percent, "warnedAt": warn_at.isoformat()}
            warning_at = fire_time(warn_at, now)
            event = _timer_event(SLA_WARNING_DETAIL_TYPE, (warning_name, warning_at), queued, warning)
            timers.append(SlaTimer(warning_name, warning_at, event))
    return timers
