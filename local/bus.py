"""Local event bus and Lambda invoker: EventBridge PutEvents and Lambda Invoke over HTTP, in one server.

    with LocalBus(handler, dlq_url=aws.dlq_url, sqs_client=aws.sqs(), concurrency=2) as bus:
        env["AWS_ENDPOINT_URL_EVENTBRIDGE"] = env["AWS_ENDPOINT_URL_LAMBDA"] = bus.endpoint_url
        ...
        bus.wait_idle(10)
        bus.stats

The server speaks enough of two AWS protocols that unmodified boto3 clients work against it:
- EventBridge `PutEvents` (awsJson1.1, `POST /`, `X-Amz-Target: AWSEvents.PutEvents`). Each entry becomes an
  EventBridge event and is matched against one rule's pattern (by default contract.SLA_BREACH_EVENT_PATTERN,
  the pattern the deployed rule uses). Matches are invoked asynchronously; the rest are dropped and counted.
- Lambda `Invoke` (`POST /2015-03-31/functions/{name}/invocations`). `Event` queues an asynchronous
  invocation (202), `RequestResponse` runs the handler now (200, `X-Amz-Function-Error: Unhandled` when it
  raised), `DryRun` answers 204.

Asynchronous invocations are modelled on Lambda's own event queue (AsyncInvoker): K workers, K being the
reserved concurrency; a failed attempt is retried twice more after short delays (Lambda waits about 1 and
2 minutes); an event that still fails, or that gets older than the maximum event age, becomes an
on-failure destination record sent to the DLQ. Retries keep the first attempt's request id, as Lambda's do,
but each attempt gets a fresh context (and deadline).

Not modelled: other buses and rules, input transformers, EventBridge's own target retries (it invokes
asynchronously and Lambda accepts at once), Lambda payload size limits, versions and aliases, on-success
destinations, X-Amz-Log-Type tail logs, interrupting a handler at its timeout (a late return is turned into
a timeout error afterwards, which is what the retry logic needs).
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
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote, urlsplit

import boto3

from escalation.contract import SLA_BREACH_EVENT_PATTERN
from local.background_server import BackgroundHttpServer, Service
from local.event_pattern import matches, validate_pattern
from local.lambda_context import (
    DEFAULT_ACCOUNT_ID,
    DEFAULT_FUNCTION_NAME,
    DEFAULT_MEMORY_MB,
    DEFAULT_REGION,
    DEFAULT_TIMEOUT_SECONDS,
    LambdaHandler,
    function_arn,
    new_context,
)

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

logger = logging.getLogger(__name__)

DEFAULT_RETRY_DELAYS: tuple[float, ...] = (0.5, 1.0)  # Lambda: 2 retries, about 1 and 2 minutes apart
DEFAULT_MAX_EVENT_AGE_SECONDS = 6 * 3600.0  # Lambda's default (and maximum)
MAX_PUT_EVENTS_ENTRIES = 10
HISTORY_LIMIT = 1000
_INVOKE_PREFIX = "/2015-03-31/functions/"
_INVOKE_SUFFIX = "/invocations"

Record = dict[str, Any]
FailureDestination = Callable[[Record], None]


def _iso_now(millis: bool = True) -> str:
    now = datetime.now(UTC)
    if millis:
        return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"
    return now.strftime("%Y-%m-%dT%H:%M:%SZ")


def sqs_destination(sqs_client: SQSClient, queue_url: str) -> FailureDestination:
    """An on-failure destination that sends each record to an SQS queue, as Lambda does."""

    def send(record: Record) -> None:
        sqs_client.send_message(QueueUrl=queue_url, MessageBody=json.dumps(record))

    return send


# -- asynchronous invoker ---------------------------------------------------------------------------


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
        *,
        function_name: str = DEFAULT_FUNCTION_NAME,
        concurrency: int = 1,
        retry_delays: Sequence[float] = DEFAULT_RETRY_DELAYS,
        max_event_age_seconds: float = DEFAULT_MAX_EVENT_AGE_SECONDS,
        timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
        memory_mb: int = DEFAULT_MEMORY_MB,
        on_failure: FailureDestination | None = None,
        region: str = DEFAULT_REGION,
        account_id: str = DEFAULT_ACCOUNT_ID,
    ) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        if len(retry_delays) > 2:
            raise ValueError("Lambda retries an asynchronous invocation at most twice")
        self.handler = handler
        self.function_name = function_name
        self.function_arn = function_arn(function_name, region=region, account_id=account_id)
        self.concurrency = concurrency
        self.retry_delays = tuple(retry_delays)
        self.max_event_age_seconds = max_event_age_seconds
        self.timeout_seconds = timeout_seconds
        self.memory_mb = memory_mb
        self.on_failure = on_failure
        self._region = region
        self._account_id = account_id
        self._cond = threading.Condition()
        self._heap: list[_Pending] = []
        self._seq = itertools.count()
        self._pending = 0  # queued + waiting for a retry + running
        self._stopping = False
        self._slots = threading.BoundedSemaphore(concurrency)
        self._workers: list[threading.Thread] = []
        self._stats = InvokerStats()
        # The latest on-failure records, delivered or not (bounded: long runs must not grow forever).
        self._destination_records: deque[Record] = deque(maxlen=HISTORY_LIMIT)

    # -- lifecycle

    def start(self) -> AsyncInvoker:
        if self._workers:
            return self
        self._stopping = False
        for i in range(self.concurrency):
            worker = threading.Thread(target=self._work, name=f"lambda-{self.function_name}-{i}", daemon=True)
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
        context = new_context(
            self.function_name,
            timeout_seconds=self.timeout_seconds,
            memory_mb=self.memory_mb,
            request_id=request_id,
            region=self._region,
            account_id=self._account_id,
        )
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
        if error is None and elapsed > self.timeout_seconds:
            message = f"Task timed out after {self.timeout_seconds:.2f} seconds"
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
        if time.monotonic() - item.enqueued_at > self.max_event_age_seconds:
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
        if item.attempts <= len(self.retry_delays):
            with self._cond:
                self._stats.retries += 1
                item.due = time.monotonic() + self.retry_delays[item.attempts - 1]
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
                "functionArn": f"{self.function_arn}:$LATEST",
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


# -- event bus --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BusStats:
    """Event-bus counters plus the invoker's (see InvokerStats for the meaning of those)."""

    events_received: int
    events_rejected: int  # entries PutEvents refused (FailedEntryCount)
    events_matched: int
    events_dropped: int  # accepted but not matching the rule's pattern
    async_accepted: int
    sync_invocations: int
    throttled: int
    invocations: int
    errors: int
    retries: int
    succeeded: int
    failures: int
    expired: int
    destination_records: int
    destination_errors: int


class LocalBus(Service):
    """One HTTP endpoint for EventBridge PutEvents and Lambda Invoke, backed by an AsyncInvoker.

    With dlq_url, on-failure records go to that queue through sqs_client (or a default boto3 SQS client
    built from the environment when none is given).
    """

    def __init__(
        self,
        handler: LambdaHandler,
        *,
        dlq_url: str | None = None,
        sqs_client: SQSClient | None = None,
        function_name: str = DEFAULT_FUNCTION_NAME,
        concurrency: int = 1,
        retry_delays: Sequence[float] = DEFAULT_RETRY_DELAYS,
        max_event_age_seconds: float = DEFAULT_MAX_EVENT_AGE_SECONDS,
        timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
        memory_mb: int = DEFAULT_MEMORY_MB,
        event_pattern: Mapping[str, Any] = SLA_BREACH_EVENT_PATTERN,
        event_bus_name: str = "default",
        host: str = "127.0.0.1",
        port: int = 0,
        region: str = DEFAULT_REGION,
        account_id: str = DEFAULT_ACCOUNT_ID,
    ) -> None:
        validate_pattern(event_pattern)
        self.event_pattern = event_pattern
        self.event_bus_name = event_bus_name
        self.region = region
        self.account_id = account_id
        self._dlq_url = dlq_url
        self._sqs_client = sqs_client
        self.invoker = AsyncInvoker(
            handler,
            function_name=function_name,
            concurrency=concurrency,
            retry_delays=retry_delays,
            max_event_age_seconds=max_event_age_seconds,
            timeout_seconds=timeout_seconds,
            memory_mb=memory_mb,
            region=region,
            account_id=account_id,
        )
        self._http = BackgroundHttpServer("local-bus", host, port)
        self._lock = threading.Lock()
        self._counts = {"received": 0, "rejected": 0, "matched": 0, "dropped": 0}
        self.matched_events: deque[Record] = deque(maxlen=HISTORY_LIMIT)  # latest, for tests and the demo
        self.dropped_events: deque[Record] = deque(maxlen=HISTORY_LIMIT)

    # -- lifecycle

    def start(self) -> LocalBus:
        if self._http.running:
            return self
        if self._dlq_url is not None and self.invoker.on_failure is None:
            if self._sqs_client is None:
                self._sqs_client = boto3.client("sqs")
            self.invoker.on_failure = sqs_destination(self._sqs_client, self._dlq_url)
        self.invoker.start()
        self._http.serve(_make_request_handler(self))
        logger.info("local event bus / Lambda endpoint on %s", self.endpoint_url)
        return self

    def stop(self) -> None:
        self._http.shutdown()
        self.invoker.stop()

    @property
    def endpoint_url(self) -> str:
        return self._http.url

    @property
    def function_name(self) -> str:
        return self.invoker.function_name

    @property
    def function_arn(self) -> str:
        return self.invoker.function_arn

    @property
    def destination_records(self) -> list[Record]:
        return self.invoker.destination_records

    def wait_idle(self, timeout: float) -> bool:
        return self.invoker.wait_idle(timeout)

    @property
    def stats(self) -> BusStats:
        inv = self.invoker.stats
        with self._lock:
            counts = dict(self._counts)
        return BusStats(
            events_received=counts["received"],
            events_rejected=counts["rejected"],
            events_matched=counts["matched"],
            events_dropped=counts["dropped"],
            **{f.name: getattr(inv, f.name) for f in fields(InvokerStats)},
        )

    # -- EventBridge

    def put_events(self, entries: Sequence[Mapping[str, Any]]) -> list[Record]:
        """PutEvents semantics for already-parsed entries: one result entry per input entry."""
        results: list[Record] = []
        for entry in entries:
            event, error = self._to_event(entry)
            if error is not None:
                with self._lock:
                    self._counts["rejected"] += 1
                results.append({"ErrorCode": error[0], "ErrorMessage": error[1]})
                continue
            assert event is not None
            results.append({"EventId": event["id"]})
            matched = matches(self.event_pattern, event)
            with self._lock:
                self._counts["received"] += 1
                self._counts["matched" if matched else "dropped"] += 1
                (self.matched_events if matched else self.dropped_events).append(event)
            if matched:
                self.invoker.submit(event)
            else:
                logger.info(
                    "event %s (%s / %s) matches no rule; dropped",
                    event["id"],
                    event["source"],
                    event["detail-type"],
                )
        return results

    def _entry_problem(self, entry: Mapping[str, Any]) -> tuple[str, str] | None:
        """PutEvents' per-entry error (ErrorCode, ErrorMessage), or None for a valid entry."""
        bus = entry.get("EventBusName") or "default"
        if bus != self.event_bus_name and not str(bus).endswith(f":event-bus/{self.event_bus_name}"):
            return "InvalidArgument", f"Event bus {bus} does not exist."
        for name in ("Source", "DetailType", "Detail"):
            value = entry.get(name)
            if not value or not isinstance(value, str):
                return (
                    "InvalidArgument",
                    f"Parameter {name} is not valid. Reason: {name} is a required argument.",
                )
        if entry["Source"].startswith("aws."):
            return "NotAuthorizedForSourceException", "Not authorized for the source."
        try:
            detail = json.loads(entry["Detail"])
        except ValueError:
            detail = None
        if not isinstance(detail, dict):
            return "MalformedDetail", "Detail is malformed."
        return None

    def _to_event(self, entry: Mapping[str, Any]) -> tuple[Record | None, tuple[str, str] | None]:
        problem = self._entry_problem(entry)
        if problem is not None:
            return None, problem
        detail_obj = json.loads(entry["Detail"])
        raw_time = entry.get("Time")
        if isinstance(raw_time, int | float):  # botocore sends timestamps as epoch seconds in awsJson
            event_time = datetime.fromtimestamp(raw_time, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        elif isinstance(raw_time, str) and raw_time:
            event_time = raw_time
        else:
            event_time = _iso_now(millis=False)
        source, detail_type = entry["Source"], entry["DetailType"]
        resources = entry.get("Resources") or []
        event: Record = {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": detail_type,
            "source": source,
            "account": self.account_id,
            "time": event_time,
            "region": self.region,
            "resources": list(resources),
            "detail": detail_obj,
        }
        return event, None

    # -- Lambda

    def resolve_function(self, name: str) -> bool:
        """Whether a FunctionName (name, partial or full ARN, optionally :$LATEST) is this function."""
        for candidate in (name, name.removesuffix(":$LATEST")):
            if candidate in (
                self.function_name,
                self.function_arn,
                f"{self.account_id}:function:{self.function_name}",
            ):
                return True
        return False


# -- HTTP -------------------------------------------------------------------------------------------

_Response = tuple[int, list[tuple[str, str]], bytes]


def _json_error(status: int, error_type: str, message: str, request_id: str) -> _Response:
    # awsJson1.1 and rest-json clients both find the code in x-amzn-ErrorType; __type is the JSON fallback.
    body = {"__type": error_type, "Type": "User", "message": message}
    headers = [
        ("Content-Type", "application/x-amz-json-1.1"),
        ("x-amzn-ErrorType", error_type),
        ("x-amzn-RequestId", request_id),
    ]
    return status, headers, json.dumps(body).encode()


def _handle_put_events(bus: LocalBus, body: bytes, request_id: str) -> _Response:
    try:
        request = json.loads(body or b"{}")
    except ValueError:
        return _json_error(400, "SerializationException", "Request body is not valid JSON", request_id)
    entries = request.get("Entries") if isinstance(request, dict) else None
    if not isinstance(entries, list) or not entries or not all(isinstance(e, dict) for e in entries):
        return _json_error(
            400, "ValidationException", "Entries must be a non-empty list of objects.", request_id
        )
    if len(entries) > MAX_PUT_EVENTS_ENTRIES:
        return _json_error(
            400,
            "ValidationException",
            "1 validation error detected: Value at 'entries' failed to satisfy constraint: "
            "Member must have length less than or equal to 10",
            request_id,
        )
    results = bus.put_events(entries)
    failed = sum(1 for r in results if "ErrorCode" in r)
    payload = json.dumps({"FailedEntryCount": failed, "Entries": results}).encode()
    return 200, [("Content-Type", "application/x-amz-json-1.1"), ("x-amzn-RequestId", request_id)], payload


def _handle_invoke(  # noqa: PLR0911 - one return per Lambda Invoke outcome
    bus: LocalBus, name: str, query: str, headers: Mapping[str, str], body: bytes
) -> _Response:
    request_id = str(uuid.uuid4())
    qualifier = parse_qs(query).get("Qualifier", [None])[0]
    if not bus.resolve_function(name) or qualifier not in (None, "$LATEST"):
        return _json_error(404, "ResourceNotFoundException", f"Function not found: {name}", request_id)
    try:
        event = json.loads(body) if body.strip() else {}
    except ValueError as exc:
        return _json_error(
            400,
            "InvalidRequestContentException",
            f"Could not parse request body into json: {exc}",
            request_id,
        )
    invocation_type = headers.get("x-amz-invocation-type", "RequestResponse")
    base = [("x-amzn-RequestId", request_id), ("X-Amz-Executed-Version", "$LATEST")]
    if invocation_type == "DryRun":
        return 204, base, b""
    if invocation_type == "Event":
        bus.invoker.submit(event, request_id=request_id)
        return 202, [("x-amzn-RequestId", request_id)], b""
    if invocation_type != "RequestResponse":
        return _json_error(400, "InvalidParameterValueException", "Unsupported InvocationType", request_id)
    try:
        result = bus.invoker.invoke(event)
    except TooManyRequestsError:
        status, err_headers, data = _json_error(429, "TooManyRequestsException", "Rate Exceeded.", request_id)
        body_obj = json.loads(data)
        body_obj["Reason"] = "ReservedFunctionConcurrentInvocationLimitExceeded"
        return status, err_headers, json.dumps(body_obj).encode()
    out = [("x-amzn-RequestId", result.request_id), ("X-Amz-Executed-Version", "$LATEST")]
    if result.error:
        out.append(("X-Amz-Function-Error", "Unhandled"))
    out.append(("Content-Type", "application/json"))
    return 200, out, json.dumps(result.payload).encode()


def _make_request_handler(bus: LocalBus) -> type[BaseHTTPRequestHandler]:
    class _RequestHandler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "LocalEventBus"

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length > 0 else b""
            headers = {k.lower(): v for k, v in self.headers.items()}
            split = urlsplit(self.path)
            request_id = str(uuid.uuid4())
            try:
                target = headers.get("x-amz-target", "")
                if split.path == "/" and target == "AWSEvents.PutEvents":
                    response = _handle_put_events(bus, body, request_id)
                elif split.path == "/" and target:
                    op = target.rsplit(".", 1)[-1]
                    response = _json_error(
                        400, "UnknownOperationException", f"{op} is not supported locally", request_id
                    )
                elif split.path.startswith(_INVOKE_PREFIX) and split.path.endswith(_INVOKE_SUFFIX):
                    name = unquote(split.path[len(_INVOKE_PREFIX) : -len(_INVOKE_SUFFIX)])
                    response = _handle_invoke(bus, name, split.query, headers, body)
                else:
                    response = _json_error(404, "UnknownOperationException", "Unknown route", request_id)
            except Exception:
                logger.exception("local bus failed")
                response = _json_error(500, "ServiceException", "Internal error in the local bus", request_id)
            self._send(response)

        def do_GET(self) -> None:
            self._send(_json_error(404, "UnknownOperationException", "Unknown route", str(uuid.uuid4())))

        def _send(self, response: _Response) -> None:
            status, headers, data = response
            self.send_response(status)
            for name, value in headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if data:
                self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            logger.debug("%s " + format, self.address_string(), *args)

    return _RequestHandler


__all__ = [
    "DEFAULT_MAX_EVENT_AGE_SECONDS",
    "DEFAULT_RETRY_DELAYS",
    "AsyncInvoker",
    "BusStats",
    "InvokeResult",
    "InvokerStats",
    "LocalBus",
    "TooManyRequestsError",
    "sqs_destination",
]
