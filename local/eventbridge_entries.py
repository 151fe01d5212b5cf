"""EventBridge PutEvents entry checks: each request entry becomes an event or a per-entry error.

Kept beside moto's EventBridge: moto's PutEvents accepts `aws.` sources and Details that are not JSON
objects, which EventBridge refuses, and reaches a Lambda target only through Docker.

What PutEvents refuses entry by entry (FailedEntryCount): an unknown bus, a missing Source, DetailType or
Detail, a Source in the reserved `aws.` namespace, a Detail that is not a JSON object. A valid entry becomes
the event EventBridge hands to targets (version 0, a fresh id, the account and region of the bus).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

Event = dict[str, Any]
_EVENT_TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


@dataclass(frozen=True)
class EntryError:
    """PutEvents' per-entry error."""

    code: str
    message: str

    def result_entry(self) -> dict[str, str]:
        return {"ErrorCode": self.code, "ErrorMessage": self.message}


@dataclass(frozen=True)
class EventBusTarget:
    """The bus entries are put on: its name, account and region."""

    name: str
    account_id: str
    region: str

    def accepts(self, bus: str) -> bool:
        """Whether an entry's EventBusName (name or ARN; empty means default) is this bus."""
        bus = bus or "default"
        return bus == self.name or bus.endswith(f":event-bus/{self.name}")


def entry_problem(bus: EventBusTarget, entry: Mapping[str, Any]) -> EntryError | None:
    """PutEvents' per-entry error, or None for a valid entry."""
    name = entry.get("EventBusName") or "default"
    if not bus.accepts(str(name)):
        return EntryError("InvalidArgument", f"Event bus {name} does not exist.")
    for field in ("Source", "DetailType", "Detail"):
        value = entry.get(field)
        if not value or not isinstance(value, str):
            return EntryError(
                "InvalidArgument", f"Parameter {field} is not valid. Reason: {field} is a required argument."
            )
    if entry["Source"].startswith("aws."):
        return EntryError("NotAuthorizedForSourceException", "Not authorized for the source.")
    try:
        detail = json.loads(entry["Detail"])
    except ValueError:
        detail = None
    if not isinstance(detail, dict):
        return EntryError("MalformedDetail", "Detail is malformed.")
    return None


def to_event(bus: EventBusTarget, entry: Mapping[str, Any]) -> Event | EntryError:
    """The event a valid entry becomes, or the entry's error."""
    problem = entry_problem(bus, entry)
    if problem is not None:
        return problem
    raw_time = entry.get("Time")
    if isinstance(raw_time, int | float):  # botocore sends timestamps as epoch seconds in awsJson
        event_time = datetime.fromtimestamp(raw_time, UTC).strftime(_EVENT_TIME_FORMAT)
    elif isinstance(raw_time, str) and raw_time:
        event_time = raw_time
    else:
        event_time = datetime.now(UTC).strftime(_EVENT_TIME_FORMAT)
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": entry["DetailType"],
        "source": entry["Source"],
        "account": bus.account_id,
        "time": event_time,
        "region": bus.region,
        "resources": list(entry.get("Resources") or []),
        "detail": json.loads(entry["Detail"]),
    }
