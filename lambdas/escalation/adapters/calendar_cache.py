"""Queues' hours ids and effective hours, remembered for a while (SLA_CALENDAR_CACHE_SECONDS).

A burst of contacts queued on one queue asks for the same queue and the same date windows: each is
fetched once per cache period, not once per contact. A failed call is not remembered.
"""

import time
from collections.abc import Callable, Hashable
from datetime import date

from escalation.domain.business_hours import EffectiveHours, QueueHours
from escalation.ports import QueueCalendars

_MAX_ENTRIES = 512  # expired entries are dropped when this many are held


class _TimedCache[Value]:
    def __init__(self, ttl_seconds: float, clock: Callable[[], float]) -> None:
        self._ttl = ttl_seconds
        self._clock = clock
        self._entries: dict[Hashable, tuple[float, Value]] = {}

    def get(self, key: Hashable, load: Callable[[], Value]) -> Value:
        if self._ttl <= 0:
            return load()
        now = self._clock()
        held = self._entries.get(key)
        if held is not None and held[0] > now:
            return held[1]
        value = load()
        if len(self._entries) >= _MAX_ENTRIES:
            self._entries = {k: v for k, v in self._entries.items() if v[0] > now}
        self._entries[key] = (now + self._ttl, value)
        return value


class CachedQueueCalendars:
    """A QueueCalendars that remembers each queue's hours and each (hours id, window) for `ttl_seconds`
    (0: nothing is remembered)."""

    def __init__(
        self, calendars: QueueCalendars, ttl_seconds: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._calendars = calendars
        self._queues: _TimedCache[QueueHours] = _TimedCache(ttl_seconds, clock)
        self._hours: _TimedCache[EffectiveHours] = _TimedCache(ttl_seconds, clock)

    def describe_queue(self, queue_id: str) -> QueueHours:
        return self._queues.get(queue_id, lambda: self._calendars.describe_queue(queue_id))

    def effective_hours(self, hours_id: str, first: date, last: date) -> EffectiveHours:
        return self._hours.get(
            (hours_id, first, last), lambda: self._calendars.effective_hours(hours_id, first, last)
        )
