"""A local EventBridge Scheduler that fires: moto stores schedules but never runs them; this loop does.

    scheduler = LocalScheduler(SchedulerClients(aws.scheduler(), lambda_client, aws.sqs()), group)
    scheduler.start()            # a background loop, or scheduler.tick() for one pass
    ...
    scheduler.stop()

Schedules are created and deleted through the real `scheduler` API (moto's, in this process). The loop
learns of them as a running Scheduler would, from the server side (`local.scheduler_backend.watch`: the
group's schedules when it starts, then each creation, update and deletion as it happens), and keeps the
one-time (`at(...)`) ones in a heap by due time. A pass therefore costs what is due, not the size of the
group: it fires the schedules due by `clock` (injectable: `FastClock` runs time faster, `ShiftedClock`
jumps ahead). Firing is what Scheduler does for a Lambda target: an asynchronous Invoke of the target
ARN with the schedule's Input as the payload. A failed invoke is retried as the target's RetryPolicy
says (attempts and maximum event age; the delay between tries is `retry_delay`, in clock seconds), then
the Input goes to the target's DeadLetterConfig queue with Scheduler's message attributes. After its one
invocation (or its dead-lettering), a schedule with ActionAfterCompletion DELETE is deleted.

Not modelled: rate() and cron() schedules (skipped), start/end dates, flexible windows (fired at the
due time), targets other than Lambda, KMS. A past `at()` is refused when created (local.aws applies
Scheduler's rule to its group), but a clock running ahead of wall time fires a schedule on the next pass.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from local.scheduler_backend import ChangeKind, ScheduleChange, at_time, unwatch, watch

if TYPE_CHECKING:
    from mypy_boto3_scheduler import EventBridgeSchedulerClient
    from mypy_boto3_sqs import SQSClient

logger = logging.getLogger(__name__)

Clock = Callable[[], float]
DEFAULT_MAX_RETRY_ATTEMPTS = 185  # Scheduler's defaults when a target gives no RetryPolicy
DEFAULT_MAX_EVENT_AGE_SECONDS = 86_400
LISTING_ATTEMPTS = 20


class FastClock:
    """Wall-clock time that runs `speed` times faster from the moment it is created."""

    def __init__(self, speed: float, base: Clock = time.time) -> None:
        self.speed = speed
        self._origin = base()
        self._started = time.monotonic()

    def __call__(self) -> float:
        return self._origin + (time.monotonic() - self._started) * self.speed


class ShiftedClock:
    """Wall-clock time plus an offset that `advance` moves on: jump to a deadline without waiting."""

    def __init__(self, base: Clock = time.time) -> None:
        self._base = base
        self.offset = 0.0

    def advance(self, seconds: float) -> None:
        self.offset += seconds

    def __call__(self) -> float:
        return self._base() + self.offset


@dataclass(frozen=True)
class SchedulerClients:
    scheduler: EventBridgeSchedulerClient
    lambda_: Any  # a boto3 `lambda` client (no type stubs installed for it)
    sqs: SQSClient


@dataclass(eq=False)
class _Timer:
    """One schedule as this loop tracks it."""

    schedule: dict[str, Any]
    due: float | None  # None: not a one-time schedule
    attempts: int = 0
    done: bool = False


@dataclass
class SchedulerStats:
    fired: int = 0  # invocations accepted
    failed_attempts: int = 0
    dead_lettered: int = 0
    deleted: int = 0
    skipped: int = 0  # not one-time, or disabled


@dataclass(frozen=True)
class SchedulerOptions:
    clock: Clock = time.time
    interval: float = 1.0  # real seconds between passes
    retry_delay: float = 1.0  # clock seconds between tries of a failing target
    stats: SchedulerStats = field(default_factory=SchedulerStats)


class LocalScheduler:
    def __init__(
        self, clients: SchedulerClients, group: str, options: SchedulerOptions | None = None
    ) -> None:
        self.clients = clients
        self.group = group
        self.options = options or SchedulerOptions()
        self.stats = self.options.stats
        self._region = clients.scheduler.meta.region_name
        self._timers: dict[str, _Timer] = {}  # the group's schedules by name
        # (when to try, tie-breaker, timer): entries of timers since deleted or replaced are skipped
        self._heap: list[tuple[float, int, _Timer]] = []
        self._order = itertools.count()
        self._changes: deque[ScheduleChange] = deque()  # appended by moto's request threads
        self._watching = False
        self._pass_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- lifecycle

    def start(self) -> LocalScheduler:
        self._watch()
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="local-scheduler", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        thread, self._thread = self._thread, None
        if thread is not None:
            self._stop.set()
            thread.join(10)
        with self._pass_lock:
            if self._watching:
                unwatch(self._region, self.group, self._changes.append)
                self._watching = False

    def _run(self) -> None:
        while not self._stop.wait(self.options.interval):
            try:
                self.tick()
            except (BotoCoreError, ClientError):
                logger.exception("local scheduler pass failed; trying again")

    def _watch(self) -> None:
        with self._pass_lock:
            if not self._watching:
                for schedule in watch(self._region, self.group, self._changes.append):
                    self._put(schedule)
                self._watching = True

    # -- one pass

    def tick(self) -> int:
        """One pass: fire every due schedule of the group; returns how many were tried."""
        self._watch()
        with self._pass_lock:
            self._apply_changes()
            now = self.options.clock()
            tried = 0
            while self._heap and self._heap[0][0] <= now:
                _, _, timer = heapq.heappop(self._heap)
                if timer.done or self._timers.get(timer.schedule["Name"]) is not timer:
                    continue  # deleted (a pickup) or replaced since it was queued
                tried += 1
                self._try(timer, now)
            return tried

    def schedules(self) -> list[dict[str, Any]]:
        """The group's schedules as ListSchedules gives them (what a test can see is left).

        moto's page token names the last schedule listed; when that one is deleted before the next page
        is asked for (a timer firing), moto answers InvalidToken, and the listing starts again.
        """
        paginator = self.clients.scheduler.get_paginator("list_schedules")
        for attempt in itertools.count(1):
            try:
                pages = paginator.paginate(GroupName=self.group, PaginationConfig={"PageSize": 100})
                return [dict(summary) for page in pages for summary in page["Schedules"]]
            except ClientError as error:
                if error.response["Error"]["Code"] != "InvalidToken" or attempt == LISTING_ATTEMPTS:
                    raise
        raise AssertionError("unreachable")

    def pending(self) -> int:
        """One-time schedules this loop knows of and has not finished (cheap: no API call)."""
        with self._pass_lock:
            self._apply_changes()
            return sum(1 for timer in self._timers.values() if timer.due is not None and not timer.done)

    def _apply_changes(self) -> None:
        while self._changes:
            change = self._changes.popleft()
            if change.kind is ChangeKind.PUT:
                self._put(change.schedule)
            else:
                self._timers.pop(change.schedule["Name"], None)

    def _put(self, schedule: dict[str, Any]) -> None:
        due = at_time(schedule.get("ScheduleExpression", ""), schedule.get("ScheduleExpressionTimezone"))
        if due is None or schedule.get("State") == "DISABLED":
            self.stats.skipped += 1
            due = None
        timer = _Timer(schedule, due)
        self._timers[schedule["Name"]] = timer
        if due is not None:
            self._queue(timer, due)

    def _queue(self, timer: _Timer, when: float) -> None:
        heapq.heappush(self._heap, (when, next(self._order), timer))

    def _try(self, timer: _Timer, now: float) -> None:
        target = timer.schedule["Target"]
        timer.attempts += 1
        try:
            self.clients.lambda_.invoke(
                FunctionName=target["Arn"], InvocationType="Event", Payload=target.get("Input", "{}").encode()
            )
        except (BotoCoreError, ClientError) as error:
            self.stats.failed_attempts += 1
            if self._retries_left(timer, now):
                self._queue(timer, now + self.options.retry_delay)
                return
            self._dead_letter(timer, error)
        else:
            self.stats.fired += 1
        self._complete(timer)

    @staticmethod
    def _retries_left(timer: _Timer, now: float) -> bool:
        policy = timer.schedule["Target"].get("RetryPolicy") or {}
        max_retries = policy.get("MaximumRetryAttempts", DEFAULT_MAX_RETRY_ATTEMPTS)
        max_age = policy.get("MaximumEventAgeInSeconds", DEFAULT_MAX_EVENT_AGE_SECONDS)
        assert timer.due is not None
        return bool(timer.attempts <= max_retries and now - timer.due < max_age)

    def _dead_letter(self, timer: _Timer, error: Exception) -> None:
        target = timer.schedule["Target"]
        dlq_arn = (target.get("DeadLetterConfig") or {}).get("Arn")
        if not dlq_arn:
            logger.warning("schedule %s failed with no dead-letter queue: %s", timer.schedule["Name"], error)
            return
        account, queue_name = dlq_arn.split(":")[4], dlq_arn.split(":")[5]
        queue_url = self.clients.sqs.get_queue_url(QueueName=queue_name, QueueOwnerAWSAccountId=account)
        code = error.response["Error"]["Code"] if isinstance(error, ClientError) else type(error).__name__
        attributes = {
            "ERROR_CODE": code,
            "ERROR_MESSAGE": str(error)[:256],
            "RETRY_ATTEMPTS": str(timer.attempts - 1),
            "SCHEDULE_ARN": timer.schedule["Arn"],
            "TARGET_ARN": target["Arn"],
        }
        self.clients.sqs.send_message(
            QueueUrl=queue_url["QueueUrl"],
            MessageBody=target.get("Input", "{}"),
            MessageAttributes={k: {"DataType": "String", "StringValue": v} for k, v in attributes.items()},
        )
        self.stats.dead_lettered += 1

    def _complete(self, timer: _Timer) -> None:
        timer.done = True
        if timer.schedule.get("ActionAfterCompletion") != "DELETE":
            return
        try:
            self.clients.scheduler.delete_schedule(Name=timer.schedule["Name"], GroupName=self.group)
        except self.clients.scheduler.exceptions.ResourceNotFoundException:
            return  # deleted meanwhile (the contact was picked up as it fired)
        self.stats.deleted += 1
