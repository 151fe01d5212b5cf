"""The events an SLA timer fires, built and read here: the breach and the warning.

A timer is a one-time schedule (domain/schedule_names.py names it) whose input is an ordinary
`escalation.sla` event, so a timer's breach takes the same path as any producer's. Its detail also
names the policy, which tells the handler to escalate only while the contact still waits.
"""

import math
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from escalation.contract import (
    SLA_BREACH_DETAIL_TYPE,
    SLA_BREACH_SOURCE,
    SLA_SCHEDULE_PREFIX,
    SLA_WARNING_DETAIL_TYPE,
    SLA_WARNING_SCHEDULE_PREFIX,
)
from escalation.domain.business_hours import BusinessDeadlines
from escalation.domain.contact_events import ContactEvent
from escalation.domain.schedule_names import schedule_name, timer_names
from escalation.domain.sla_policy import SlaClock, SlaPolicy

# The reason of a breach that names none, and of every timer's breach.
SLA_BREACH_REASON = "SLA_BREACH"
# Scheduler refuses a time already past when the schedule is created; a deadline that close (or
# missed while the event was on its way) fires this long after now instead.
EARLIEST_FIRE_SECONDS = 60


class SlaBreachDetail(BaseModel):
    """A breach's detail, from a timer or any other producer."""

    # Upstream systems may add fields of their own; only these are read. Its schema is built when the
    # breach handler first reads one: every cold start imports this module, the API never reads one.
    model_config = ConfigDict(extra="ignore", defer_build=True)
    contactId: Annotated[str, Field(min_length=1, max_length=256)]  # noqa: N815 - wire name
    instanceId: Annotated[str, Field(min_length=1, max_length=512)] | None = None  # noqa: N815 - id or ARN
    channel: Annotated[str, Field(max_length=16)] | None = None
    queueId: Annotated[str, Field(max_length=512)] | None = None  # noqa: N815
    slaSeconds: Annotated[int, Field(ge=0, le=31_536_000)] | None = None  # noqa: N815
    breachedAt: datetime | None = None  # noqa: N815
    reason: Annotated[str, Field(min_length=1, max_length=128)] = SLA_BREACH_REASON
    # Set by an SLA timer: the contact is escalated only while it still waits.
    slaPolicy: Annotated[str, Field(min_length=1, max_length=128)] | None = None  # noqa: N815
    # Set by a business-clock timer: the deadline is recomputed before acting (BusinessTimer).
    clock: SlaClock = SlaClock.WALL
    hoursOfOperationId: Annotated[str, Field(min_length=1, max_length=256)] | None = None  # noqa: N815
    enqueuedAt: datetime | None = None  # noqa: N815
    rearms: Annotated[int, Field(ge=0, le=100)] = 0


_Text = Annotated[str, Field(min_length=1, max_length=512)]


class SlaWarningDetail(BaseModel):
    """A warning's detail (only timers send one); what the alert repeats."""

    model_config = ConfigDict(extra="ignore", defer_build=True)  # built on first use, as above
    contactId: _Text  # noqa: N815
    slaPolicy: _Text | None = None  # noqa: N815
    slaSeconds: int | None = None  # noqa: N815
    warnAtPercent: int | None = None  # noqa: N815
    queueId: _Text | None = None  # noqa: N815
    channel: Annotated[str, Field(max_length=16)] | None = None
    breachedAt: datetime | None = None  # noqa: N815
    warnedAt: datetime | None = None  # noqa: N815
    clock: SlaClock = SlaClock.WALL
    hoursOfOperationId: Annotated[str, Field(min_length=1, max_length=256)] | None = None  # noqa: N815
    enqueuedAt: datetime | None = None  # noqa: N815
    rearms: Annotated[int, Field(ge=0, le=100)] = 0


@dataclass(frozen=True)
class BusinessTimer:
    """What a fired business-clock timer needs to recompute its deadline with the hours as they are now."""

    contact_id: str
    hours_id: str
    enqueued_at: datetime
    seconds: float  # open seconds to the moment it fired for (the breach, or the warning's share)
    armed_due: datetime  # the deadline it was armed for
    rearms: int

    @classmethod
    def of(cls, detail: SlaBreachDetail | SlaWarningDetail) -> "BusinessTimer | None":
        """None for a wall-clock timer, or a detail without what a recomputation needs."""
        due = detail.warnedAt if isinstance(detail, SlaWarningDetail) else detail.breachedAt
        if (
            detail.clock is not SlaClock.BUSINESS
            or detail.hoursOfOperationId is None
            or detail.enqueuedAt is None
            or detail.slaSeconds is None
            or due is None
        ):
            return None
        seconds: float = detail.slaSeconds
        if isinstance(detail, SlaWarningDetail):
            if detail.warnAtPercent is None:
                return None
            seconds = warning_seconds(detail.slaSeconds, detail.warnAtPercent)
        return cls(
            detail.contactId, detail.hoursOfOperationId, detail.enqueuedAt, seconds, due, detail.rearms
        )


@dataclass(frozen=True)
class SlaTimer:
    """A one-time schedule: at `fire_at` (UTC, whole seconds) the handler receives `event`."""

    name: str
    fire_at: datetime
    event: Mapping[str, Any]


def _ceil_second(moment: datetime) -> datetime:
    whole = moment.replace(microsecond=0)
    return whole if whole == moment else whole + timedelta(seconds=1)


def fire_time(due: datetime, now: datetime) -> datetime:
    """`due` rounded up to the second, or the earliest time Scheduler accepts when that is sooner."""
    earliest = _ceil_second(now + timedelta(seconds=EARLIEST_FIRE_SECONDS))
    return max(_ceil_second(due), earliest)


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


def warning_seconds(seconds: int, warn_at_percent: int) -> int:
    """The warning's share of a policy's seconds, rounded up to the second."""
    return math.ceil(seconds * warn_at_percent / 100)


def plan_timers(
    policy: SlaPolicy, queued: ContactEvent, now: datetime, business: BusinessDeadlines | None = None
) -> list[SlaTimer]:
    """The breach timer of a queued contact, and the warning timer when the policy asks for one.

    Wall clock: the seconds after enqueue. Business clock: `business`, the deadlines computed from the
    calendar (its breach must be known: a contact without one gets no timer). A warning whose moment
    has already passed is not armed: the breach follows soon enough.
    """
    enqueued_at = queued.enqueued_at or now
    breach_name, warning_name = timer_names(queued.contact_id)
    due = enqueued_at + timedelta(seconds=policy.seconds)
    warn_at = (
        enqueued_at + timedelta(seconds=warning_seconds(policy.seconds, policy.warn_at_percent))
        if policy.warn_at_percent is not None
        else None
    )
    detail: dict[str, Any] = {
        "contactId": queued.contact_id,
        "instanceId": queued.instance_arn,
        "channel": queued.channel.upper(),
        "queueId": queued.queue,
        "slaPolicy": policy.name,
        "slaSeconds": policy.seconds,
        "reason": SLA_BREACH_REASON,
    }
    if business is not None:
        if business.breach is None:
            raise ValueError("a business-clock timer needs a known breach deadline")
        due, warn_at = business.breach, business.warning if warn_at is not None else None
        detail |= {
            "clock": SlaClock.BUSINESS.value,
            "hoursOfOperationId": business.hours_id,
            "enqueuedAt": enqueued_at.isoformat(),
            "rearms": 0,
        }
    detail["breachedAt"] = due.isoformat()
    breach_at = fire_time(due, now)
    breach_event = _timer_event(SLA_BREACH_DETAIL_TYPE, (breach_name, breach_at), queued, detail)
    timers = [SlaTimer(breach_name, breach_at, breach_event)]
    if warn_at is not None and warn_at >= now + timedelta(seconds=EARLIEST_FIRE_SECONDS):
        warning = {**detail, "warnAtPercent": policy.warn_at_percent, "warnedAt": warn_at.isoformat()}
        warning_at = fire_time(warn_at, now)
        event = _timer_event(SLA_WARNING_DETAIL_TYPE, (warning_name, warning_at), queued, warning)
        timers.append(SlaTimer(warning_name, warning_at, event))
    return timers


def rearmed_timer(fired: Mapping[str, Any], due: datetime, now: datetime) -> SlaTimer:
    """The timer that replaces a fired business-clock timer whose deadline moved later: the same event
    with the new deadline and one more re-arm, under a name of its own (the fired schedule may not be
    deleted yet, and a pickup does not cancel it: when it fires, the contact is re-checked as ever)."""
    detail = dict(fired["detail"])
    rearms = int(detail.get("rearms", 0)) + 1
    warning = fired.get("detail-type") == SLA_WARNING_DETAIL_TYPE
    detail["warnedAt" if warning else "breachedAt"] = due.isoformat()
    detail["rearms"] = rearms
    prefix = SLA_WARNING_SCHEDULE_PREFIX if warning else SLA_SCHEDULE_PREFIX
    name = schedule_name(prefix, f"{detail['contactId']}#rearm{rearms}")
    at = fire_time(due, now)
    event = {
        **fired,
        "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{name}/{detail.get('enqueuedAt')}")),
        "time": at.isoformat().replace("+00:00", "Z"),
        "detail": detail,
    }
    return SlaTimer(name, at, event)
