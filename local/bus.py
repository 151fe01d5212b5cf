"""Local event bus and Lambda invoker: EventBridge PutEvents and Lambda Invoke over HTTP, in one server.

    invoker = AsyncInvoker(handler, FunctionConfig(reserved_concurrency=2))
    with LocalBus(invoker, BusOptions(dlq_url=aws.dlq_url, sqs_client=aws.sqs())) as bus:
        env["AWS_ENDPOINT_URL_EVENTBRIDGE"] = env["AWS_ENDPOINT_URL_LAMBDA"] = bus.endpoint_url
        ...
        bus.wait_idle(10)
        bus.stats

Each PutEvents entry (checked by local.eventbridge_entries) becomes an EventBridge event and is matched
against the bus's rules (with moto's EventBridge pattern matcher), all targeting the one function (by
default one rule, contract.SLA_BREACH_EVENT_PATTERN, the pattern the deployed rule uses; `add_rule` adds
more, such as the contact-event rule). As in EventBridge, each matching rule invokes its target:
asynchronously, through local.lambda_invoker (Lambda's event queue, retries and on-failure destination,
here the DLQ); events no rule matches are dropped and counted. AWS services' own events (`aws.*`
sources, which PutEvents refuses) enter through `publish`, the bus's internal path. The wire protocols
are in local.bus_protocol.

Not modelled: other buses, other targets, input transformers, EventBridge's own target retries (it
invokes asynchronously and Lambda accepts at once).
"""

from __future__ import annotations

import json
import logging
import threading
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any, cast

import boto3
from moto.events.exceptions import InvalidEventPatternException
from moto.events.models import EventPattern

from escalation.contract import SLA_BREACH_EVENT_PATTERN
from local.background_server import HttpService
from local.bus_protocol import MAX_PUT_EVENTS_ENTRIES, bus_handle, internal_error
from local.eventbridge_entries import EntryError, EventBusTarget, to_event
from local.http_service import HandlerOptions
from local.lambda_context import (
    DEFAULT_MAX_EVENT_AGE_SECONDS,
    DEFAULT_RETRY_DELAYS,
    FunctionConfig,
)
from local.lambda_invoker import (
    HISTORY_LIMIT,
    AsyncInvoker,
    InvokeResult,
    InvokerStats,
    Record,
    TooManyRequestsError,
    sqs_destination,
)

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

logger = logging.getLogger(__name__)


def event_rule(pattern: Mapping[str, Any]) -> EventPattern:
    """A rule's pattern, matched as moto's EventBridge matches it (exact values, prefix, exists,
    equals-ignore-case, ...); a pattern EventBridge would refuse raises ValueError."""
    if not pattern:
        raise ValueError("an event pattern is a non-empty JSON object")
    try:
        return EventPattern.load(json.dumps(pattern))
    except InvalidEventPatternException as error:
        raise ValueError(error.message) from error


def matches(pattern: Mapping[str, Any], event: Mapping[str, Any]) -> bool:
    """Whether an event matches a rule's pattern."""
    return _matched(event_rule(pattern), event)


def _matched(rule: EventPattern, event: Mapping[str, Any]) -> bool:
    # moto types an event as its own TypedDict of EventBridge's event fields: the shape of ours.
    return rule.matches_event(cast(Any, event))


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


@dataclass(frozen=True)
class BusOptions:
    """Where a LocalBus listens, the rules' patterns it applies and where on-failure records go.

    With dlq_url, on-failure records go to that queue through sqs_client (or a default boto3 SQS client
    built from the environment when none is given).
    """

    dlq_url: str | None = None
    sqs_client: SQSClient | None = None
    event_patterns: Sequence[Mapping[str, Any]] = field(default_factory=lambda: (SLA_BREACH_EVENT_PATTERN,))
    event_bus_name: str = "default"
    host: str = "127.0.0.1"
    port: int = 0


class LocalBus(HttpService):
    """One HTTP endpoint for EventBridge PutEvents and Lambda Invoke, in front of the function's invoker
    (started and stopped with the bus)."""

    def __init__(self, invoker: AsyncInvoker, options: BusOptions | None = None) -> None:
        options = options or BusOptions()
        self.invoker = invoker
        self.function = invoker.function
        self.rules = [event_rule(pattern) for pattern in options.event_patterns]
        self.target = EventBusTarget(options.event_bus_name, self.function.account_id, self.function.region)
        self._dlq_url = options.dlq_url
        self._sqs_client = options.sqs_client
        super().__init__("local-bus", options.host, options.port)
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
        self._serve(
            bus_handle(self),
            HandlerOptions(server_version="LocalEventBus", on_error=internal_error, methods=("GET", "POST")),
        )
        logger.info("local event bus / Lambda endpoint on %s", self.endpoint_url)
        return self

    def stop(self) -> None:
        super().stop()
        self.invoker.stop()

    @property
    def endpoint_url(self) -> str:
        """The url, as the AWS_ENDPOINT_URL_EVENTBRIDGE and _LAMBDA the handler is given."""
        return self.url

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
            event = to_event(self.target, entry)
            if isinstance(event, EntryError):
                with self._lock:
                    self._counts["rejected"] += 1
                results.append(event.result_entry())
                continue
            results.append({"EventId": event["id"]})
            self._route(event)
        return results

    def publish(self, event: Mapping[str, Any]) -> None:
        """The internal path for an AWS service's own events (already formed, any source)."""
        self._route(dict(event))

    def add_rule(self, pattern: Mapping[str, Any]) -> None:
        """Another rule on this bus, targeting the same function."""
        rule = event_rule(pattern)
        with self._lock:
            self.rules.append(rule)

    def _route(self, event: dict[str, Any]) -> None:
        with self._lock:
            rules = sum(1 for rule in self.rules if _matched(rule, event))
            self._counts["received"] += 1
            self._counts["matched" if rules else "dropped"] += 1
            (self.matched_events if rules else self.dropped_events).append(event)
        for _ in range(rules):
            self.invoker.submit(event)
        if not rules:
            logger.info(
                "event %s (%s / %s) matches no rule; dropped",
                event["id"],
                event["source"],
                event["detail-type"],
            )

    # -- Lambda

    def resolve_function(self, name: str) -> bool:
        """Whether a FunctionName (name, partial or full ARN, optionally :$LATEST) is this function."""
        for candidate in (name, name.removesuffix(":$LATEST")):
            function = self.function
            if candidate in (
                function.function_name,
                function.function_arn,
                f"{function.account_id}:function:{function.function_name}",
            ):
                return True
        return False


__all__ = [
    "DEFAULT_MAX_EVENT_AGE_SECONDS",
    "DEFAULT_RETRY_DELAYS",
    "MAX_PUT_EVENTS_ENTRIES",
    "AsyncInvoker",
    "BusStats",
    "FunctionConfig",
    "InvokeResult",
    "InvokerStats",
    "LocalBus",
    "TooManyRequestsError",
    "sqs_destination",
]
