"""In-memory fakes of the ports and of the Lambda runtime, shared by the unit tests."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

from botocore.exceptions import EndpointConnectionError

from escalation.domain.business_hours import EffectiveDay, EffectiveHours, QueueHours
from escalation.domain.errors import (
    AlertNotPublished,
    ConnectCallFailed,
    DeadLetterNotWritten,
    IdempotencyStoreUnavailable,
    LedgerUnavailable,
)
from escalation.domain.ledger import EscalationEvent, LedgerEntry, LedgerStatus
from escalation.domain.model import Contact, EscalationResult, Target
from escalation.domain.policy import Failure
from escalation.domain.timer_events import SlaTimer
from escalation.ports import TransferReceipt
from tests.unit.builders import REGION


@dataclass
class FakeLambdaContext:
    function_name: str = "escalation-handler"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = f"arn:aws:lambda:{REGION}:123456789012:function:escalation-handler"
    aws_request_id: str = "52fdfc07-2182-454f-963f-5f0f9a621d72"
    remaining_ms: int = 30_000

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


class FakeTime:
    """A clock that only moves when something sleeps on it (for Pacer's clock and sleep)."""

    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


class ClientsByAttempts:
    """The Connect adapter's client source: one client for every attempt budget, each budget asked noted."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.budgets_asked: list[int] = []

    def __call__(self, attempts: int) -> Any:
        self.budgets_asked.append(attempts)
        return self.client


class UnreachableTransfers:
    """A Connect client, except that TransferContact cannot reach Connect."""

    def __init__(self, client: Any) -> None:
        self._client = client

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def transfer_contact(self, **_: Any) -> Any:
        raise EndpointConnectionError(endpoint_url=f"https://connect.{REGION}.amazonaws.com")


def failed(operation: str, failure: Failure, code: str | None = None) -> ConnectCallFailed:
    return ConnectCallFailed(failure, operation, code or failure.value.split(":")[0], "stubbed", 1)


@dataclass
class FakeContactCenter:
    """Connect in memory: records every call, fails an operation on demand (once per queued failure)."""

    contacts: dict[str, Contact] = field(default_factory=dict)
    available_agents: set[str] = field(default_factory=set)
    failures: dict[str, list[ConnectCallFailed]] = field(default_factory=dict)
    calls: list[tuple[str, Any]] = field(default_factory=list)
    queue_names: dict[str, str | None] = field(default_factory=dict)
    user_names: dict[str, str | None] = field(default_factory=dict)

    def fail(self, operation: str, failure: Failure, code: str | None = None) -> None:
        self.failures.setdefault(operation, []).append(failed(operation, failure, code))

    def _maybe_fail(self, operation: str) -> None:
        queued = self.failures.get(operation)
        if queued:
            raise queued.pop(0)

    def describe_contact(self, contact_id: str) -> Contact:
        self.calls.append(("DescribeContact", contact_id))
        self._maybe_fail("DescribeContact")
        if contact_id not in self.contacts:
            raise failed("DescribeContact", Failure.CONTACT_NOT_FOUND)
        return self.contacts[contact_id]

    def is_agent_available(self, user_id: str, channel: str) -> bool:
        self.calls.append(("GetCurrentUserData", (user_id, channel)))
        self._maybe_fail("GetCurrentUserData")
        return user_id in self.available_agents

    def update_attributes(self, contact_id: str, attributes: Any) -> None:
        self.calls.append(("UpdateContactAttributes", (contact_id, dict(attributes))))
        self._maybe_fail("UpdateContactAttributes")

    def transfer(self, contact_id: str, target: Target, client_token: str) -> TransferReceipt:
        self.calls.append(("TransferContact", (contact_id, target, client_token)))
        self._maybe_fail("TransferContact")
        new_id = f"{contact_id}-next"
        if contact_id in self.contacts:
            # The chain's next contact, as Connect creates it (same chain, no agent yet).
            old = self.contacts[contact_id]
            self.contacts.setdefault(new_id, replace(old, contact_id=new_id, agent_id=None))
        return TransferReceipt(new_id, f"arn:contact/{new_id}", 1)

    def describe_queue(self, queue_id: str) -> QueueHours:
        self.calls.append(("DescribeQueue", queue_id))
        self._maybe_fail("DescribeQueue")
        if queue_id not in self.queue_names:
            raise failed("DescribeQueue", Failure.TARGET_NOT_FOUND)
        return QueueHours(queue_id, self.queue_names[queue_id], None)

    def user_name(self, user_id: str) -> str | None:
        self.calls.append(("DescribeUser", user_id))
        self._maybe_fail("DescribeUser")
        if user_id not in self.user_names:
            raise failed("DescribeUser", Failure.TARGET_NOT_FOUND)
        return self.user_names[user_id]

    def operations(self) -> list[str]:
        return [name for name, _ in self.calls]

    def availability_checks(self) -> list[tuple[str, str]]:
        """(user id, channel) of every GetCurrentUserData call, in order."""
        return [args for name, args in self.calls if name == "GetCurrentUserData"]

    def transfers(self) -> list[tuple[str, Target, str]]:
        return [args for name, args in self.calls if name == "TransferContact"]

    def attribute_writes(self) -> list[dict[str, str]]:
        return [args[1] for name, args in self.calls if name == "UpdateContactAttributes"]


@dataclass
class DictIdempotency:
    """The IdempotentRunner port over a dict: a repeat answers the first result, failures are forgotten."""

    _records: dict[str, EscalationResult] = field(default_factory=dict)
    unavailable: bool = False  # the store cannot be reached: nothing runs

    def run(self, key: str, operation: Callable[[], EscalationResult]) -> EscalationResult:
        if self.unavailable:
            raise IdempotencyStoreUnavailable("the store is unavailable (test)")
        if key in self._records:
            return replace(self._records[key], replayed=True)
        result = operation()
        self._records[key] = result
        return result

    def forget(self) -> None:
        """Every record gone, as when they expired."""
        self._records.clear()

    def remembered_keys(self) -> set[str]:
        """The keys whose first result a repeat would be answered with."""
        return set(self._records)


@dataclass
class InMemoryLedger:
    """The EscalationLedger port over a dict; `unavailable` fails every call as an outage would."""

    entries: dict[tuple[str, str], LedgerEntry] = field(default_factory=dict)
    saved: list[LedgerEntry] = field(default_factory=list)
    unavailable: bool = False
    refused_statuses: set[LedgerStatus] = field(default_factory=set)  # saves of these fail, once each

    def _check(self) -> None:
        if self.unavailable:
            raise LedgerUnavailable("the ledger is unavailable (test)")

    def chain(self, chain_id: str) -> list[LedgerEntry]:
        self._check()
        return [entry for (chain, _), entry in self.entries.items() if chain == chain_id]

    def get(self, escalation_id: str) -> LedgerEntry | None:
        self._check()
        return next((e for (_, eid), e in self.entries.items() if eid == escalation_id), None)

    def save(self, entry: LedgerEntry) -> None:
        self._check()
        if entry.status in self.refused_statuses:
            self.refused_statuses.discard(entry.status)
            raise LedgerUnavailable(f"the ledger refused a {entry.status.value} entry (test)")
        self.saved.append(entry)
        self.entries[(entry.chain_id, entry.escalation_id)] = entry

    def statuses(self) -> list[LedgerStatus]:
        """The status of every stored entry, in the order they were first saved."""
        return [entry.status for entry in self.entries.values()]


@dataclass
class RecordingEvents:
    """The EscalationEvents port: keeps what was published."""

    published: list[tuple[EscalationEvent, dict[str, Any]]] = field(default_factory=list)

    def publish(self, event: EscalationEvent, entry: LedgerEntry) -> None:
        self.published.append((event, entry.event_detail()))

    def kinds(self) -> list[EscalationEvent]:
        return [kind for kind, _ in self.published]


@dataclass
class InMemorySlaTimers:
    """Scheduler in memory: armed timers by name, and every arm and cancel asked for."""

    armed: dict[str, SlaTimer] = field(default_factory=dict)
    calls: list[tuple[str, str]] = field(default_factory=list)

    def arm(self, timer: SlaTimer) -> bool:
        self.calls.append(("arm", timer.name))
        if timer.name in self.armed:
            return False
        self.armed[timer.name] = timer
        return True

    def cancel(self, name: str) -> bool:
        self.calls.append(("cancel", name))
        return self.armed.pop(name, None) is not None


@dataclass
class RecordingDeadLetters:
    """The DeadLetters port: keeps every record; `down` refuses them as SQS would when unavailable."""

    records: list[dict[str, Any]] = field(default_factory=list)
    down: bool = False

    def send(self, record: Any) -> None:
        if self.down:
            raise DeadLetterNotWritten("the queue is unavailable (test)")
        self.records.append(dict(record))


@dataclass
class RecordingAlerts:
    """The Alerts port: keeps every (subject, alert) published; `down` refuses them."""

    published: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    down: bool = False

    def publish(self, subject: str, alert: Any) -> None:
        if self.down:
            raise AlertNotPublished("the topic is unavailable (test)")
        self.published.append((subject, dict(alert)))


@dataclass
class InMemoryAlertWindow:
    """The AlertWindow port over a dict of claims: (about, code) -> confirmed."""

    claims: dict[tuple[str, str], bool] = field(default_factory=dict)

    def first_in_window(self, about: str, error_code: str) -> bool:
        if (about, error_code) in self.claims:
            return False
        self.claims[(about, error_code)] = False
        return True

    def confirm(self, about: str, error_code: str) -> None:
        self.claims[(about, error_code)] = True

    def release(self, about: str, error_code: str) -> None:
        self.claims.pop((about, error_code), None)


@dataclass
class InMemoryDeadLetterMarks:
    """The DeadLetterMarks port over a set."""

    marks: set[str] = field(default_factory=set)

    def written(self, key: str) -> bool:
        return key in self.marks

    def note_written(self, key: str) -> None:
        self.marks.add(key)


@dataclass
class FakeQueueCalendars:
    """Connect's queues and hours of operation in memory: each hours id is a time zone and weekly open
    intervals (minutes, by date.weekday()), with dates closed by holiday; every call is recorded."""

    queues: dict[str, str | None] = field(default_factory=dict)  # queue id -> hours id
    hours: dict[str, tuple[str, dict[int, tuple[tuple[int, int], ...]]]] = field(default_factory=dict)
    closed: set[date] = field(default_factory=set)
    calls: list[tuple[str, ...]] = field(default_factory=list)
    failures: dict[str, ConnectCallFailed] = field(default_factory=dict)

    def describe_queue(self, queue_id: str) -> QueueHours:
        self.calls.append(("DescribeQueue", queue_id))
        if "DescribeQueue" in self.failures:
            raise self.failures["DescribeQueue"]
        if queue_id not in self.queues:
            raise failed("DescribeQueue", Failure.CALENDAR_NOT_FOUND)
        return QueueHours(queue_id, queue_id, self.queues[queue_id])

    def effective_hours(self, hours_id: str, first: date, last: date) -> EffectiveHours:
        self.calls.append(("GetEffectiveHoursOfOperations", hours_id, first.isoformat(), last.isoformat()))
        if "GetEffectiveHoursOfOperations" in self.failures:
            raise self.failures["GetEffectiveHoursOfOperations"]
        if hours_id not in self.hours:
            raise failed("GetEffectiveHoursOfOperations", Failure.CALENDAR_NOT_FOUND)
        time_zone, weekly = self.hours[hours_id]
        days = []
        day = first
        while day <= last:
            days.append(EffectiveDay(day, () if day in self.closed else weekly.get(day.weekday(), ())))
            day += timedelta(days=1)
        return EffectiveHours(time_zone, tuple(days))

    def fetched_windows(self) -> list[tuple[str, ...]]:
        return [call for call in self.calls if call[0] == "GetEffectiveHoursOfOperations"]


NINE_TO_FIVE = (9 * 60, 17 * 60)
WEEKDAYS_NINE_TO_FIVE = {weekday: (NINE_TO_FIVE,) for weekday in range(5)}
