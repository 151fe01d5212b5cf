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

from escalation.contract import SLA_BREACH_DETAIL_TYPE, SLA_BREACH_SOURCE, SLA_WARNING_DETAIL_TYPE
from escalation.domain.contact_events import ContactEvent
from escalation.domain.schedule_names import timer_names
from escalation.domain.sla_policy import SlaPolicy

# The reason of a breach that names none, and of every timer's breach.
SLA_BREACH_REASON = "SLA_BREACH"
# Scheduler refuses a time already past when the schedule is created; a deadline that close (or
# missed while the event was on its way) fires this long after now instead.
EARLIEST_FIRE_SECONDS = 60


class SlaBreachDetail(BaseModel):
    """A breach's detail, from a timer or any other producer."""

    # Upstream systems may add fields of their own; only these are read.
    model_config = ConfigDict(extra="ignore")
    contactId: Annotated[str, Field(min_length=1, max_length=256)]  # noqa: N815 - wire name
    instanceId: Annotated[str, Field(min_length=1, max_length=512)] | None = None  # noqa: N815 - id or ARN
    channel: Annotated[str, Field(max_length=16)] | None = None
    queueId: Annotated[str, Field(max_length=512)] | None = None  # noqa: N815
    slaSeconds: Annotated[int, Field(ge=0, le=31_536_000)] | None = None  # noqa: N815
    breachedAt: datetime | None = None  # noqa: N815
    reason: Annotated[str, Field(min_length=1, max_length=128)] = SLA_BREACH_REASON
    # Set by an SLA timer: the contact is escalated only while it still waits.
    slaPolicy: Annotated[str, Field(min_length=1, max_length=128)] | None = None  # noqa: N815


_Text = Annotated[str, Field(min_length=1, max_length=512)]


class SlaWarningDetail(BaseModel):
    """A warning's detail (only timers send one); what the alert repeats."""

    model_config = ConfigDict(extra="ignore")
    contactId: _Text  # noqa: N815
    slaPolicy: _Text | None = None  # noqa: N815
    slaSeconds: int | None = None  # noqa: N815
    warnAtPercent: int | None = None  # noqa: N815
    queueId: _Text | None = None  # noqa: N815
    channel: Annotated[str, Field(max_length=16)] | None = None
    breachedAt: datetime | None = None  # noqa: N815


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
