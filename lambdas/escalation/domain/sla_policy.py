"""SLA policies as data: which queued contacts get a deadline, and how long it is.

A policy lives in the routing-rules document (`"sla": [...]`). When a contact of a timed channel (TASK
and EMAIL unless deployed with `-c timedChannels=...`) is queued, the first policy whose `match` holds
sets its deadline; no policy, no timer. Its `clock` says what the seconds count: wall time (the
default), or the open time of a business calendar (Connect's hours of operation: `hoursOfOperationId`,
else the contact's queue's).
"""

from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from escalation.contract import DEFAULT_TIMED_CHANNEL_NAMES
from escalation.domain.model import resource_id

ANY = "*"
TIMED_CHANNELS = frozenset(DEFAULT_TIMED_CHANNEL_NAMES)
MAX_SLA_SECONDS = 366 * 86_400


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


class SlaClock(StrEnum):
    WALL = "wall"  # seconds of elapsed time
    BUSINESS = "business"  # seconds of open time in the hours of operation


class SlaPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
    name: Annotated[str, Field(min_length=1, max_length=128)]
    match: SlaMatch = Field(default_factory=SlaMatch)
    seconds: Annotated[int, Field(ge=1, le=MAX_SLA_SECONDS)]
    warn_at_percent: Annotated[int, Field(ge=1, le=99)] | None = Field(default=None, alias="warnAtPercent")
    clock: SlaClock = SlaClock.WALL
    # Connect's hours of operation id (or ARN) the business clock runs on; None: the contact's queue's.
    hours_of_operation_id: Annotated[str, Field(min_length=1, max_length=256)] | None = Field(
        default=None, alias="hoursOfOperationId"
    )

    @field_validator("hours_of_operation_id")
    @classmethod
    def _only_for_business_clocks(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None and info.data.get("clock") is not SlaClock.BUSINESS:
            raise ValueError("hoursOfOperationId applies only to a policy with clock 'business'")
        return value

    def untimed_channels(self, timed_channels: frozenset[str]) -> list[str]:
        """The channels this policy names that the deployment does not time (its timers would never arm)."""
        return [c.upper() for c in self.match.channels if c != ANY and c.upper() not in timed_channels]


def find_policy(
    policies: list[SlaPolicy],
    queue: str | None,
    channel: str,
    timed_channels: frozenset[str] = TIMED_CHANNELS,
) -> SlaPolicy | None:
    """The first policy for a contact queued on `queue`, or None (only the deployed channels are timed)."""
    if channel.upper() not in timed_channels:
        return None
    return next((policy for policy in policies if policy.match.holds(queue, channel)), None)
