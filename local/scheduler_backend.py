"""EventBridge Scheduler as the local stack needs it, played server side in the in-process moto server.

moto's Scheduler stores schedules; three things it does not do are added here, on moto's backend class
(so they hold for every request thread of the ThreadedMotoServer that `local.aws` runs in process):

- **One lock** around every call that reads or changes schedules. moto's ListSchedules iterates a
  group's dict while another request thread adds to it ("dictionary changed size during iteration").
- **A one-time schedule whose time is past is refused** with ValidationException, as Scheduler refuses
  it, in the groups given to `apply_scheduler_rules` (the local stack's; other moto users in the
  process keep moto's behaviour). Scheduler's exact message is not documented, so the message here is
  generic; the time is compared with the wall clock, as Scheduler's is.
- **Watchers**: `watch` gives a group's schedules now and then every creation, update and deletion in
  it as it happens, so `local.scheduler` keeps its own index instead of listing the group on every pass.

Schedules are still created and deleted through the Scheduler API (moto's HTTP server); only what a
running Scheduler would know of them is read here. moto offers no hook for any of this, so the patch is
pinned: tests/local/test_scheduler_backend.py fails, naming what moved, when moto's internals change.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from functools import wraps
from typing import Any
from zoneinfo import ZoneInfo

from moto.scheduler.exceptions import ValidationException
from moto.scheduler.models import EventBridgeSchedulerBackend, Schedule, scheduler_backends

DEFAULT_GROUP = "default"


class ChangeKind(StrEnum):
    PUT = "PUT"  # created or updated: `schedule` is the whole schedule, as GetSchedule gives it
    DELETED = "DELETED"  # `schedule` has Name and GroupName only


@dataclass(frozen=True)
class ScheduleChange:
    kind: ChangeKind
    schedule: dict[str, Any]


Listener = Callable[[ScheduleChange], None]

_lock = threading.RLock()
_listeners: dict[tuple[str, str], list[Listener]] = {}  # (region, group) -> listeners
_strict_groups: set[tuple[str, str]] = set()
_installed = False


def at_time(expression: str, timezone: str | None) -> float | None:
    """The epoch seconds of `at(yyyy-mm-ddThh:mm:ss)` in `timezone`; None for another expression."""
    if not (expression.startswith("at(") and expression.endswith(")")):
        return None
    moment = datetime.strptime(expression[3:-1], "%Y-%m-%dT%H:%M:%S")
    return moment.replace(tzinfo=ZoneInfo(timezone or "UTC")).timestamp()


def _group(name: str | None) -> str:
    return name or DEFAULT_GROUP


def _as_get_schedule(schedule: Schedule) -> dict[str, Any]:
    # A copy through JSON, as a client would read it: moto keeps (and may change) its own dicts.
    return dict(json.loads(json.dumps(schedule.to_dict())))


def _notify(backend: EventBridgeSchedulerBackend, group: str, change: ScheduleChange) -> None:
    for listener in list(_listeners.get((backend.region_name, group), ())):
        listener(change)


def _refuse_past(backend: EventBridgeSchedulerBackend, kwargs: dict[str, Any]) -> None:
    if (backend.region_name, _group(kwargs.get("group_name"))) not in _strict_groups:
        return
    try:
        due = at_time(kwargs.get("schedule_expression") or "", kwargs.get("schedule_expression_timezone"))
    except ValueError as error:
        raise ValidationException(message="Invalid one-time schedule expression.") from error
    if due is not None and due < time.time():
        raise ValidationException(message="The time of the one-time schedule expression is in the past.")


def _locked(method: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(method)
    def run(self: EventBridgeSchedulerBackend, *args: Any, **kwargs: Any) -> Any:
        with _lock:
            return method(self, *args, **kwargs)

    return run


def _put(method: Callable[..., Schedule]) -> Callable[..., Schedule]:
    @wraps(method)
    def run(self: EventBridgeSchedulerBackend, **kwargs: Any) -> Schedule:
        with _lock:
            _refuse_past(self, kwargs)
            schedule = method(self, **kwargs)
            _notify(self, schedule.group_name, ScheduleChange(ChangeKind.PUT, _as_get_schedule(schedule)))
            return schedule

    return run


def _delete(method: Callable[..., None]) -> Callable[..., None]:
    @wraps(method)
    def run(self: EventBridgeSchedulerBackend, group_name: str | None, name: str) -> None:
        with _lock:
            method(self, group_name=group_name, name=name)
            deleted = {"Name": name, "GroupName": _group(group_name)}
            _notify(self, _group(group_name), ScheduleChange(ChangeKind.DELETED, deleted))

    return run


def _delete_group(method: Callable[..., None]) -> Callable[..., None]:
    @wraps(method)
    def run(self: EventBridgeSchedulerBackend, name: str | None) -> None:
        with _lock:
            group = self.schedule_groups.get(_group(name))
            names = list(group.schedules) if group is not None else []
            method(self, name=name)
            for schedule in names:
                deleted = {"Name": schedule, "GroupName": _group(name)}
                _notify(self, _group(name), ScheduleChange(ChangeKind.DELETED, deleted))

    return run


def install() -> None:
    """Patch moto's Scheduler backend once per process (idempotent)."""
    global _installed  # noqa: PLW0603 - one patch per process, as moto's state is per process
    with _lock:
        if _installed:
            return
        backend = EventBridgeSchedulerBackend
        backend.create_schedule = _put(backend.create_schedule)  # type: ignore[method-assign]
        backend.update_schedule = _put(backend.update_schedule)  # type: ignore[method-assign]
        backend.delete_schedule = _delete(backend.delete_schedule)  # type: ignore[method-assign]
        backend.delete_schedule_group = _delete_group(  # type: ignore[method-assign]
            backend.delete_schedule_group
        )
        for name in ("get_schedule", "list_schedules", "create_schedule_group", "get_schedule_group"):
            setattr(backend, name, _locked(getattr(backend, name)))
        _installed = True


def apply_scheduler_rules(region: str, group: str) -> None:
    """Refuse a past one-time schedule in this group from now on, as Scheduler does."""
    install()
    with _lock:
        _strict_groups.add((region, group))


def _backends() -> Iterator[EventBridgeSchedulerBackend]:
    for account in list(scheduler_backends.values()):
        yield from list(account.values())


def watch(region: str, group: str, listener: Listener) -> list[dict[str, Any]]:
    """The group's schedules now, and `listener` called with every change from then on.

    The listener runs in the request thread that made the change, under the backend's lock: it must be
    quick and must not call moto. Raises LookupError when no moto backend in this process has the group
    (a Scheduler in another process cannot be watched).
    """
    install()
    with _lock:
        groups = [
            backend.schedule_groups[group]
            for backend in _backends()
            if backend.region_name == region and group in backend.schedule_groups
        ]
        if not groups:
            raise LookupError(f"no schedule group {group!r} in {region} in this process's moto")
        _listeners.setdefault((region, group), []).append(listener)
        return [_as_get_schedule(schedule) for found in groups for schedule in found.schedules.values()]


def unwatch(region: str, group: str, listener: Listener) -> None:
    with _lock:
        listeners = _listeners.get((region, group), [])
        if listener in listeners:
            listeners.remove(listener)
