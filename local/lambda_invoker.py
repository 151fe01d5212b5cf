"""Lambda's asynchronous invocation model for one in-process handler (used by local.bus).

Modelled on Lambda's own event queue: K workers, K being the reserved concurrency; a failed attempt is
retried twice more after short delays (Lambda waits about 1 and 2 minutes); an event that still fails, or
that gets older than the maximum event age, becomes an on-failure destination record. Retries keep the
first attempt's request id, as Lambda's do, but each attempt gets a fresh context (and deadline).
Synchronous invocations run at once in a free slot, or are refused (429) when every slot is busy.

Not modelled: payload size limits, versions and aliases, on-success destinations, interrupting a
handler at its timeout (a late return is turned into a timeout error afterwards, which is what the retry
logic needs).
"""

from __future__ import annotations

import heapq
import itertools
import json
import logging
import threading
import time
import traceback
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from local.lambda_context import FunctionConfig, LambdaHandler, new_context

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

logger = logging.getLogger(__name__)

HISTORY_LIMIT = 1000

Record = dict[str, Any]
FailureDestination = Callable[[Record], None]


def _iso_now() -> str:
    now = datetime.now(UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


def sqs_destination(sqs_client: SQSClient, queue_url: str) -> FailureDestination:
    """An on-failure destination that sends each record to an SQS queue, as Lambda does."""

    def send(record: Record) -> None:
        sqs_client.send_message(QueueUrl=queue_url, MessageBody=json.dumps(record))

    return send


@dataclass
class InvokerStats:
    """Counters of one AsyncInvoker (a snapshot when read through `stats`)."""

    async_accepted: int = 0  # asynchronous invocations queued (matched events and Invoke type Event)
    sync_invocations: int = 0  # RequestResponse invocations run
    throttled: int = 0  # RequestResponse invocations refused: every concurrency slot busy
    invocations: int = 0  # handler calls, every attempt of every kind
    errors: int = 0  # handler calls that raised or overran the timeout
    retries: int = 0  # asynchronous attempts scheduled again after an error
    succeeded: int = 0  # asynchronous invocations that ended in success
    failures: int = 0  # asynchronous invocations given up (retries exhausted or too old)
    expired: int = 0  # of those, given up for age (EventAgeExceeded)
    destination_records: int = 0  # on-failure records delivered
    destination_errors: int = 0  # on-failure records that could not be delivered


@dataclass(order=True)
class _Pending:
    due: float
    seq: int
    event: Any = field(compare=False)
    request_id: str = field(compare=False)
    enqueued_at: float = field(compare=False)
    attempts: int = field(default=0, compare=False)
    last_error: Record | None = field(default=None, compare=False)


@dataclass(frozen=True)
class InvokeResult:
    """The outcome of one synchronous invocation."""

    request_id: str
    payload: Any  # the handler's return value, or Lambda's error object when error is set
    error: bool


class TooManyRequestsError(Exception):
    """Every concurrency slot is busy (Lambda answers 429 to a synchronous invoke)."""


class AsyncInvoker:
    """Lambda's invocation model for one function: event queue, K concurrent slots, retries, destination."""

    def __init__(
        self,
        handler: LambdaHandler,
        function: FunctionConfig | None = None,
        *,
        on_failure: FailureDestination | None = None,
    ) -> None:
        self.handler = handler
        self.function = function or FunctionConfig()
        self.on_failure = on_failure
        self._cond = threading.Condition()
        self._heap: list[_Pending] = []
        self._seq = itertools.count()
        self._pending = 0  # queued + waiting for a retry + running
        self._stopping = False
        self._slots = threading.BoundedSemaphore(self.function.reserved_concurrency)
        self._workers: list[threading.Thread] = []
        self._stats = InvokerStats()
        # The latest on-failure records, delivered or not (bounded: long runs must not grow forever).
        self._destination_records: deque[Record] = deque(maxlen=HISTORY_LIMIT)

    # -- lifecycle

    def start(self) -> AsyncInvoker:
        if self._workers:
            return self
        self._stopping = False
        for i in range(self.function.reserved_concurrency):
            worker = threading.Thread(
                target=self._work, name=f"lambda-{self.function.function_name}-{i}", daemon=True
            )
            worker.start()
            self._workers.append(worker)
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the workers; queued invocations are dropped (and logged)."""
        with self._cond:
            self._stopping = True
            dropped = len(self._heap)
            self._cond.notify_all()
        for worker in self._workers:
            worker.join(timeout)
        self._workers.clear()
        if dropped:
            logger.warning("local Lambda stopped with %d queued invocation(s) dropped", dropped)

    @property
    def stats(self) -> InvokerStats:
        with self._cond:
            return InvokerStats(**{f.name: getattr(self._stats, f.name) for f in fields(InvokerStats)})

    @property
    def destination_records(self) -> list[Record]:
        """The latest on-failure records (up to HISTORY_LIMIT), whether or not they were delivered."""
        with self._cond:
            return list(self._destination_records)

    def wait_idle(self, timeout: float) -> bool:
        """Wait until nothing is queued, waiting for a retry or running; False on timeout."""
        with self._cond:
            return self._cond.wait_for(lambda: self._pending == 0, timeout)

    # -- invoking

    def submit(self, event: Any, *, request_id: str | None = None) -> str:
        """Queue an asynchronous invocation (InvocationType=Event); returns its request id."""
        request_id = request_id or str(uuid.uuid4())
        now = time.monotonic()
        # Serialised now, as Lambda stores the payload: later mutation by the caller cannot leak in.
        payload = json.loads(json.dumps(event))
        with self._cond:
            heapq.heappush(self._heap, _Pending(now, next(self._seq), payload, request_id, now))
            self._pending += 1
            self._stats.async_accepted += 1
            self._cond.notify()
        return request_id

    def invoke(self, event: Any) -> InvokeResult:
        """Run one synchronous invocation now, in a concurrency slot, or raise TooManyRequestsError."""
        if not self._slots.acquire(blocking=False):
            with self._cond:
                self._stats.throttled += 1
            raise TooManyRequestsError("Rate Exceeded.")
        request_id = str(uuid.uuid4())
        try:
            with self._cond:
                self._stats.sync_invocations += 1
            result, error = self._call(json.loads(json.dumps(event)), request_id)
        finally:
            self._slots.release()
        if error is not None:
            return InvokeResult(request_id, error, True)
        return InvokeResult(request_id, result, False)

    def _call(self, event: Any, request_id: str) -> tuple[Any, Record | None]:
        """One handler call: (JSON-ready result, None) or (None, Lambda's error object)."""
        context = new_context(self.function, request_id=request_id)
        with self._cond:
            self._stats.invocations += 1
        started = time.monotonic()
        error: Record | None = None
        result: Any = None
        try:
            result = json.loads(json.dumps(self.handler(event, context)))
        except (TypeError, ValueError) as exc:
            error = _error_object(exc, request_id)
            if "JSON serializable" in str(exc):
                error["errorType"] = "Runtime.MarshalError"
        except Exception as exc:
            error = _error_object(exc, request_id)
        elapsed = time.monotonic() - started
        if error is None and elapsed > self.function.timeout_seconds:
            message = f"Task timed out after {self.function.timeout_seconds:.2f} seconds"
            error = {
                "errorMessage": f"{_iso_now()} {request_id} {message}",
                "errorType": "Sandbox.Timedout",
            }
        if error is not None:
            with self._cond:
                self._stats.errors += 1
            logger.info("invocation %s failed: %s: %s", request_id, error["errorType"], error["errorMessage"])
        return result, error

    # -- workers

    def _work(self) -> None:
        while True:
            item = self._next_due()
            if item is None:
                return
            if not self._acquire_slot():
                with self._cond:  # stopping: account for the item so wait_idle callers are released
                    self._pending -= 1
                    self._cond.notify_all()
                return
            try:
                self._attempt(item)
            except Exception:  # a bug here must not kill the worker and leave wait_idle hanging
                logger.exception("local Lambda worker failed on %s", item.request_id)
                self._finish()
            finally:
                self._slots.release()

    def _next_due(self) -> _Pending | None:
        with self._cond:
            while not self._stopping:
                now = time.monotonic()
                if self._heap and self._heap[0].due <= now:
                    return heapq.heappop(self._heap)
                self._cond.wait(self._heap[0].due - now if self._heap else None)
            return None

    def _acquire_slot(self) -> bool:
        while not self._slots.acquire(timeout=0.05):
            if self._stopping:
                return False
        return True

    def _finish(self) -> None:
        with self._cond:
            self._pending -= 1
            self._cond.notify_all()

    def _attempt(self, item: _Pending) -> None:
        if time.monotonic() - item.enqueued_at > self.function.max_event_age_seconds:
            self._give_up(item, "EventAgeExceeded")
            return
        item.attempts += 1
        _, error = self._call(item.event, item.request_id)
        if error is None:
            with self._cond:
                self._stats.succeeded += 1
            self._finish()
            return
        item.last_error = error
        if item.attempts <= len(self.function.retry_delays):
            with self._cond:
                self._stats.retries += 1
                item.due = time.monotonic() + self.function.retry_delays[item.attempts - 1]
                heapq.heappush(self._heap, item)
                self._cond.notify()
            return
        self._give_up(item, "RetriesExhausted")

    def _give_up(self, item: _Pending, condition: str) -> None:
        record: Record = {
            "version": "1.0",
            "timestamp": _iso_now(),
            "requestContext": {
                "requestId": item.request_id,
                "functionArn": f"{self.function.function_arn}:$LATEST",
                "condition": condition,
                "approximateInvokeCount": item.attempts,
            },
            "requestPayload": item.event,
        }
        if item.last_error is not None:
            record["responseContext"] = {
                "statusCode": 200,
                "executedVersion": "$LATEST",
                "functionError": "Unhandled",
            }
            record["responsePayload"] = item.last_error
        delivered = False
        if self.on_failure is not None:
            try:
                self.on_failure(record)
                delivered = True
            except Exception:
                logger.exception("could not deliver the on-failure record for %s", item.request_id)
        with self._cond:
            self._destination_records.append(record)
            self._stats.failures += 1
            if condition == "EventAgeExceeded":
                self._stats.expired += 1
            if delivered:
                self._stats.destination_records += 1
            elif self.on_failure is not None:
                self._stats.destination_errors += 1
        logger.info(
            "invocation %s given up (%s) after %d attempt(s)", item.request_id, condition, item.attempts
        )
        self._finish()


def _error_object(exc: BaseException, request_id: str) -> Record:
    """The error object the Lambda Python runtime reports for an unhandled exception."""
    return {
        "errorMessage": str(exc),
        "errorType": type(exc).__name__,
        "requestId": request_id,
        "stackTrace": traceback.format_list(traceback.extract_tb(exc.__traceback__)),
    }
