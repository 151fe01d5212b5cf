"""Queues' hours of operation: DescribeQueue, DescribeHoursOfOperation, CreateHoursOfOperationOverride,
ListHoursOfOperationOverrides and GetEffectiveHoursOfOperations, run by `ConnectState.handle`.

The emulator's choices where the API reference is silent (the README's known limits list them):
- An interval whose end is not after its start runs past midnight (00:00-00:00 is the whole day). In
  effective hours it is split at midnight: the date it starts on lists it up to End 00:00 (midnight),
  the next date lists the rest from Start 00:00. Intervals of one date are merged and sorted.
- An override applies on each date from EffectiveFrom to EffectiveTill (both included) that one of its
  config entries names (an entry without Day names every day); an override with an empty config applies
  on every date of its range. An entry without times is the whole day.
- OverrideType STANDARD (the default) replaces the date's weekly hours with the override's, OPEN adds
  its intervals to them, CLOSED removes its intervals (an empty config closes the whole date). STANDARD
  overrides apply first, then OPEN, then CLOSED: closed wins.
- RecurrenceConfig is refused (InvalidRequestException): recurring overrides are not emulated.
- Dates that are not real dates, or FromDate after ToDate, are InvalidParameterException; there is no
  limit on the span between them. A 51st override is LimitExceededException (the documented quota is
  50), a second override of the same name DuplicateResourceException.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from .errors import ConnectError, invalid_request
from .records import (
    MINUTES_PER_DAY,
    WEEKDAYS,
    DayInterval,
    DaySlice,
    HoursOfOperation,
    HoursOverride,
    Instance,
    Params,
    Result,
    found,
    new_id,
    paged,
    resource_id,
)

if TYPE_CHECKING:
    from .state import ConnectState

MAX_OVERRIDES = 50
OVERRIDE_TYPES = ("STANDARD", "OPEN", "CLOSED")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


# ---- intervals of one date ---------------------------------------------------------------------


def merged(intervals: Iterable[DayInterval]) -> list[DayInterval]:
    result: list[DayInterval] = []
    for start, end in sorted(i for i in intervals if i[1] > i[0]):
        if result and start <= result[-1][1]:
            result[-1] = (result[-1][0], max(result[-1][1], end))
        else:
            result.append((start, end))
    return result


def subtracted(intervals: Sequence[DayInterval], removed: Sequence[DayInterval]) -> list[DayInterval]:
    result = list(intervals)
    for cut_start, cut_end in removed:
        kept: list[DayInterval] = []
        for start, end in result:
            kept += [(start, min(end, cut_start))] if start < cut_start else []
            kept += [(max(start, cut_end), end)] if end > cut_end else []
        result = [(s, e) for s, e in kept if e > s]
    return merged(result)


def _parts_on(slices: Iterable[DaySlice], day: date, applies: Callable[[date], bool]) -> list[DayInterval]:
    """The parts of `slices` that fall on `day`: those starting that day (if `applies(day)`), and the
    after-midnight parts of overnight ones starting the day before (if `applies(day - 1)`)."""
    previous = day - timedelta(days=1)
    parts: list[DayInterval] = []
    for entry in slices:
        end = entry.end if entry.end > entry.start else entry.end + MINUTES_PER_DAY
        if applies(day) and entry.day in (None, WEEKDAYS[day.weekday()]):
            parts.append((entry.start, min(end, MINUTES_PER_DAY)))
        if end > MINUTES_PER_DAY and applies(previous) and entry.day in (None, WEEKDAYS[previous.weekday()]):
            parts.append((0, end - MINUTES_PER_DAY))
    return parts


def _override_applies(override: HoursOverride, day: date) -> bool:
    if not override.effective_from <= day.isoformat() <= override.effective_till:
        return False
    return not override.config or any(e.day in (None, WEEKDAYS[day.weekday()]) for e in override.config)


def _override_parts(override: HoursOverride, day: date) -> list[DayInterval]:
    if not override.config:
        return [(0, MINUTES_PER_DAY)] if _override_applies(override, day) else []

    def in_range(candidate: date) -> bool:
        return override.effective_from <= candidate.isoformat() <= override.effective_till

    return merged(_parts_on(override.config, day, in_range))


def effective_intervals(hours: HoursOfOperation, day: date) -> tuple[list[DayInterval], list[Result]]:
    """The date's open intervals after overrides, and the overrides' hours that date (API shapes)."""
    opened = merged(_parts_on(hours.config, day, lambda _: True))
    applying = [(o, _override_parts(o, day)) for o in hours.overrides.values()]
    applying = [(o, parts) for o, parts in applying if parts or _override_applies(o, day)]
    standard = [parts for o, parts in applying if o.override_type == "STANDARD"]
    if standard:
        opened = merged(part for parts in standard for part in parts)
    opened = merged([*opened, *(p for o, parts in applying if o.override_type == "OPEN" for p in parts)])
    for override, parts in applying:
        if override.override_type == "CLOSED":
            opened = subtracted(opened, parts)
    override_hours = [
        {
            **_hour(part),
            "OverrideName": override.name,
            "OperationalStatus": "CLOSED" if override.override_type == "CLOSED" else "OPEN",
        }
        for override, parts in applying
        for part in parts
    ]
    return opened, override_hours


# ---- wire shapes --------------------------------------------------------------------------------


def _time_slice(minutes: int) -> dict[str, int]:
    minutes %= MINUTES_PER_DAY  # midnight at the end of a date is 00:00
    return {"Hours": minutes // 60, "Minutes": minutes % 60}


def _hour(interval: DayInterval) -> Result:
    return {"Start": _time_slice(interval[0]), "End": _time_slice(interval[1])}


def _minutes(time_slice: Mapping[str, Any] | None) -> int:
    return 0 if time_slice is None else int(time_slice["Hours"]) * 60 + int(time_slice["Minutes"])


def _slice_shape(entry: DaySlice) -> Result:
    shaped: Result = {"StartTime": _time_slice(entry.start), "EndTime": _time_slice(entry.end)}
    if entry.day is not None:
        shaped["Day"] = entry.day
    return shaped


def _date(params: Params, member: str) -> date:
    value = params[member]
    try:
        if not _DATE.match(value):
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        raise ConnectError("InvalidParameterException", f"{member} must be a date, YYYY-MM-DD.") from None


def _hours_of(state: ConnectState, params: Params) -> tuple[Instance, HoursOfOperation]:
    instance = state.instance(params)
    return instance, found(instance.hours, resource_id(params["HoursOfOperationId"]), "Hours of operation")


def hours_arn(state: ConnectState, instance_id: str, hours_id: str) -> str:
    return f"{state.instance_arn(instance_id)}/operating-hours/{hours_id}"


# ---- the operations -----------------------------------------------------------------------------


def describe_queue(state: ConnectState, params: Params) -> Result:
    instance = state.instance(params)
    queue = found(instance.queues, resource_id(params["QueueId"]), "Queue")
    return {
        "Queue": {
            "QueueId": queue.queue_id,
            "QueueArn": f"{state.instance_arn(instance.instance_id)}/queue/{queue.queue_id}",
            "Name": queue.name,
            "Status": queue.status,
            "HoursOfOperationId": queue.hours_of_operation_id,
        }
    }


def describe_hours_of_operation(state: ConnectState, params: Params) -> Result:
    instance, hours = _hours_of(state, params)
    return {
        "HoursOfOperation": {
            "HoursOfOperationId": hours.hours_id,
            "HoursOfOperationArn": hours_arn(state, instance.instance_id, hours.hours_id),
            "Name": hours.name,
            "TimeZone": hours.time_zone,
            "Config": [_slice_shape(entry) for entry in hours.config],
        }
    }


def create_hours_of_operation_override(state: ConnectState, params: Params) -> Result:
    _, hours = _hours_of(state, params)
    if params.get("RecurrenceConfig"):
        raise invalid_request("The Connect emulator does not support recurring overrides (RecurrenceConfig).")
    effective_from, effective_till = _date(params, "EffectiveFrom"), _date(params, "EffectiveTill")
    if effective_from > effective_till:
        raise ConnectError("InvalidParameterException", "EffectiveFrom must not be after EffectiveTill.")
    if any(override.name == params["Name"] for override in hours.overrides.values()):
        raise ConnectError("DuplicateResourceException", f"An override named {params['Name']} exists.")
    if len(hours.overrides) >= MAX_OVERRIDES:
        raise ConnectError(
            "LimitExceededException", f"An hours of operation has at most {MAX_OVERRIDES} overrides."
        )
    override = HoursOverride(
        override_id=new_id(),
        name=params["Name"],
        description=params.get("Description"),
        config=tuple(
            DaySlice(entry.get("Day"), _minutes(entry.get("StartTime")), _minutes(entry.get("EndTime")))
            for entry in params["Config"]
        ),
        effective_from=effective_from.isoformat(),
        effective_till=effective_till.isoformat(),
        override_type=params.get("OverrideType") or "STANDARD",
    )
    hours.overrides[override.override_id] = override
    return {"HoursOfOperationOverrideId": override.override_id}


def list_hours_of_operation_overrides(state: ConnectState, params: Params) -> Result:
    instance, hours = _hours_of(state, params)
    page, next_token = paged(list(hours.overrides.values()), params)
    result: Result = {
        "HoursOfOperationOverrideList": [
            {
                "HoursOfOperationOverrideId": override.override_id,
                "HoursOfOperationId": hours.hours_id,
                "HoursOfOperationArn": hours_arn(state, instance.instance_id, hours.hours_id),
                "Name": override.name,
                "Description": override.description,
                "Config": [_slice_shape(entry) for entry in override.config],
                "EffectiveFrom": override.effective_from,
                "EffectiveTill": override.effective_till,
                "OverrideType": override.override_type,
            }
            for override in page
        ]
    }
    if next_token is not None:
        result["NextToken"] = next_token
    return result


def get_effective_hours_of_operations(state: ConnectState, params: Params) -> Result:
    _, hours = _hours_of(state, params)
    first, last = _date(params, "FromDate"), _date(params, "ToDate")
    if first > last:
        raise ConnectError("InvalidParameterException", "FromDate must not be after ToDate.")
    days: list[Result] = []
    overrides: list[Result] = []
    day = first
    while day <= last:
        opened, override_hours = effective_intervals(hours, day)
        days.append({"Date": day.isoformat(), "OperationalHours": [_hour(i) for i in opened]})
        if override_hours:
            overrides.append({"Date": day.isoformat(), "OverrideHours": override_hours})
        day += timedelta(days=1)
    return {
        "EffectiveHoursOfOperationList": days,
        "EffectiveOverrideHoursList": overrides,
        "TimeZone": hours.time_zone,
    }


HOURS_OPERATIONS: Mapping[str, Callable[[ConnectState, Params], Result]] = {
    "DescribeQueue": describe_queue,
    "DescribeHoursOfOperation": describe_hours_of_operation,
    "CreateHoursOfOperationOverride": create_hours_of_operation_override,
    "ListHoursOfOperationOverrides": list_hours_of_operation_overrides,
    "GetEffectiveHoursOfOperations": get_effective_hours_of_operations,
}
