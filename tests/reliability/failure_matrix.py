"""The failure matrix, written once: every dependency, failure mode and moment → what the service does.

`ROWS` is the one table. tests/reliability/test_failure_matrix.py runs each row through the production
handler on the local stack, with local.fault_proxy failing the row's calls, and checks what the row
says; `python -m tools.failure_table` writes the README's reliability table from the same rows (and a
test checks that the committed table is the generated one).

How a row is run: a fresh contact, the row's calls failing for one whole invocation (every attempt
botocore makes: `Row.first` requests), then healed. The API answer is the first request's; the desktop
then retries with the same Idempotency-Key while the answer asks it to (429, 503, 409 in progress). The
event outcome is the first invocation's (raise: Lambda retries it); Lambda's retry then runs healed.
DLQ records, alerts and the ledger are read at the end; metrics are those of the first attempt.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from local.fault_proxy import Mode

Scenario = Literal["transfer", "vip-transfer", "failure", "timer-arm", "timer-cancel"]

# botocore attempts per call in the suite (tests/reliability/test_failure_matrix.py sets them): the
# idempotency table's client has its own (3, adapters/dynamodb_idempotency.py), Connect's is
# CONNECT_MAX_ATTEMPTS, every other client AWS_MAX_ATTEMPTS.
SUITE_ATTEMPTS = {"dynamodb": 3, "connect": 2, "default": 2}

# Scenarios: what the escalation would do without the fault.
SCENARIOS: dict[Scenario, str] = {
    "transfer": "a TASK escalated to the Tier 2 queue",
    "vip-transfer": "a VIP task, whose agent target is offline, falls back to a queue",
    "failure": "TransferContact denied by IAM (ALERT + DLQ record)",
    "timer-arm": "an EMAIL queued under an SLA policy arms its timer",
    "timer-cancel": "an EMAIL picked up in time cancels its timer",
}


@dataclass(frozen=True)
class Row:
    dependency: str
    service: str  # botocore's signing name, as the proxy matches it
    operation: str
    when: str
    mode: Mode
    scenario: Scenario
    api: str | None  # the first API answer: "200 TRANSFERRED", "503 UPSTREAM_UNAVAILABLE", ... (None: no API)
    event: Literal["return", "raise"]  # the first invocation of the event
    dlq: int  # the handler's dead-letter records at the end (per path)
    alerts: int  # alerts published at the end (the event path; the API's too unless api_alerts says)
    ledger: str  # the ledger's status at the end ("-": no escalation)
    metrics: tuple[str, ...] = ()  # metrics the first attempt emits beyond the escalation's own
    body_contains: str | None = None  # tells this call from others of the same operation
    api_says: str | None = None  # text the first API answer's message holds
    error_log: bool = False  # the first attempt logs at ERROR what did not reach its channel
    note: str = ""
    api_alerts: int | None = None  # alerts at the end on the API path, when not `alerts`

    def alerts_on(self, path: str) -> int:
        return self.api_alerts if path == "api" and self.api_alerts is not None else self.alerts

    @property
    def id(self) -> str:
        return f"{self.dependency}-{self.operation}-{self.when}-{self.mode}".replace(" ", "_")

    @property
    def first(self) -> int:
        """How many requests fail: every attempt of one invocation's call."""
        return SUITE_ATTEMPTS.get(self.service, SUITE_ATTEMPTS["default"])


BEFORE = "before the Connect call"
AFTER = "after the Connect call"
RESULT_WRITE = "during the result write"
RECORDING = "recording a failure"
TIMERS = "contact event"

_ERRORS: tuple[Mode, ...] = ("500", "throttle", "drop")


def _each_mode(**fields: object) -> list[Row]:
    return [Row(mode=mode, **fields) for mode in _ERRORS]  # type: ignore[arg-type]


def _connect_rows(operation: str, when: str, scenario: Scenario) -> list[Row]:
    # Connect's own error policy: throttled → 429, internal → 503 + alert, no answer → 503.
    base = {"dependency": f"Connect {operation}", "service": "connect", "operation": operation, "when": when}
    return [
        Row(**base, mode="500", scenario=scenario, api="503 UPSTREAM_UNAVAILABLE", event="raise", dlq=0,
            alerts=1, ledger="TRANSFERRED", metrics=("ConnectError", "DecisionRetry")),
        Row(**base, mode="throttle", scenario=scenario, api="429 THROTTLED", event="raise", dlq=0, alerts=0,
            ledger="TRANSFERRED", metrics=("ConnectError", "DecisionRetry")),
        Row(**base, mode="drop", scenario=scenario, api="503 UPSTREAM_UNAVAILABLE", event="raise", dlq=0,
            alerts=0, ledger="TRANSFERRED", metrics=("ConnectError", "DecisionRetry")),
    ]  # fmt: skip


ROWS: tuple[Row, ...] = (
    # -- the idempotency store (Powertools' records)
    *_each_mode(dependency="idempotency store", service="dynamodb", operation="PutItem", when=BEFORE,
                scenario="transfer", api="503 UPSTREAM_UNAVAILABLE", event="raise", dlq=0, alerts=0,
                ledger="TRANSFERRED", metrics=("DecisionRetry",), body_contains="INPROGRESS",
                api_says="this request transferred nothing"),
    *_each_mode(dependency="idempotency store", service="dynamodb", operation="UpdateItem", when=RESULT_WRITE,
                scenario="transfer", api="200 TRANSFERRED", event="return", dlq=0, alerts=0,
                ledger="TRANSFERRED", metrics=("ResultNotStored",), body_contains="COMPLETED",
                error_log=True, note="the result is answered; the store's failure is logged at ERROR"),
    # -- the escalation ledger
    *_each_mode(dependency="ledger", service="dynamodb", operation="Query", when=BEFORE,
                scenario="transfer", api="503 UPSTREAM_UNAVAILABLE", event="raise", dlq=0, alerts=0,
                ledger="TRANSFERRED", metrics=("DecisionRetry",)),
    *_each_mode(dependency="ledger", service="dynamodb", operation="PutItem", when=BEFORE,
                scenario="transfer", api="503 UPSTREAM_UNAVAILABLE", event="raise", dlq=0, alerts=0,
                ledger="TRANSFERRED", metrics=("DecisionRetry",), body_contains='"PENDING"'),
    *_each_mode(dependency="ledger", service="dynamodb", operation="PutItem", when=RESULT_WRITE,
                scenario="transfer", api="503 UPSTREAM_UNAVAILABLE", event="raise", dlq=0, alerts=0,
                ledger="TRANSFERRED", metrics=("DecisionRetry",), body_contains='"TRANSFERRED"',
                api_says="was transferred", note="the retry completes the ledger (same ClientToken)"),
    # -- Connect, each call
    *_connect_rows("DescribeContact", BEFORE, "transfer"),
    *_connect_rows("GetCurrentUserData", BEFORE, "vip-transfer"),
    *_connect_rows("TransferContact", BEFORE, "transfer"),
    Row("Connect TransferContact", "connect", "TransferContact", AFTER, "drop-after", "transfer",
        "503 UPSTREAM_UNAVAILABLE", "raise", 0, 0, "TRANSFERRED", ("ConnectError", "DecisionRetry"),
        note="the transfer took effect, its answer was lost: the retry's ClientToken finds it"),
    *_each_mode(dependency="Connect UpdateContactAttributes", service="connect",
                operation="UpdateContactAttributes", when=AFTER, scenario="transfer", api="200 TRANSFERRED",
                event="return", dlq=0, alerts=0, ledger="TRANSFERRED", metrics=("ConnectError",),
                note="the level is not written on the new contact; the ledger holds it"),
    # -- EventBridge (escalation events, best effort)
    *_each_mode(dependency="EventBridge PutEvents", service="events", operation="PutEvents", when=AFTER,
                scenario="transfer", api="200 TRANSFERRED", event="return", dlq=0, alerts=0,
                ledger="TRANSFERRED", metrics=("EscalationEventPublishFailed",),
                note="the escalation event is lost (counted); the escalation stands"),
    # -- recording a failure: the DLQ, the alert topic, the alert window, the dead-letter marks
    *_each_mode(dependency="SQS (DLQ)", service="sqs", operation="SendMessage", when=RECORDING,
                scenario="failure", api="503 UPSTREAM_UNAVAILABLE", event="raise", dlq=1, alerts=1,
                ledger="FAILED", metrics=("DeadLetterWriteFailed",), error_log=True,
                api_says="could not be written",
                note="one ERROR line holds the record; the alert says the DLQ write failed; "
                "the retry writes it"),
    *_each_mode(dependency="SNS (alerts)", service="sns", operation="Publish", when=RECORDING,
                scenario="failure", api="502 ACCESS_DENIED", event="raise", dlq=1, alerts=1, ledger="FAILED",
                metrics=("AlertPublishFailed",), error_log=True, api_alerts=0,
                note="the event's retry pages once and writes no second record; on the API path nothing "
                "retries: the record is in the DLQ (alarmed) and the alert in the ERROR log"),
    *_each_mode(dependency="alert window", service="dynamodb", operation="PutItem", when=RECORDING,
                scenario="failure", api="502 ACCESS_DENIED", event="return", dlq=1, alerts=1, ledger="FAILED",
                body_contains="alert#", note="the window cannot be read: the alert is published"),
    *_each_mode(dependency="dead-letter marks", service="dynamodb", operation="GetItem", when=RECORDING,
                scenario="failure", api="502 ACCESS_DENIED", event="return", dlq=1, alerts=1, ledger="FAILED",
                body_contains="deadletter#", note="a mark that cannot be read counts as absent"),
    # -- EventBridge Scheduler (SLA timers, from Connect's contact events)
    *_each_mode(dependency="Scheduler CreateSchedule", service="scheduler", operation="CreateSchedule",
                when=TIMERS, scenario="timer-arm", api=None, event="raise", dlq=0, alerts=0, ledger="-",
                note="Lambda's retry arms the timer (a name already taken is fine)"),
    *_each_mode(dependency="Scheduler DeleteSchedule", service="scheduler", operation="DeleteSchedule",
                when=TIMERS, scenario="timer-cancel", api=None, event="raise", dlq=0, alerts=0, ledger="-",
                note="Lambda's retry cancels the timer (one already gone is fine)"),
)  # fmt: skip


def _cells(row: Row) -> tuple[str, ...]:
    """A row's table cells, the fault mode left out (rows alike but for it share a line)."""
    answer = (
        "-"
        if row.api is None
        else row.api + (f" (\u201c\u2026{row.api_says}\u2026\u201d)" if row.api_says else "")
    )
    alerts = str(row.alerts) + (f" (API: {row.api_alerts})" if row.api_alerts is not None else "")
    metrics = ", ".join(row.metrics) or "-"
    if row.error_log:
        metrics += "; an ERROR log line"
    return (row.dependency, row.operation, row.when, answer, row.event, str(row.dlq), alerts, row.ledger,
            metrics, row.note)  # fmt: skip


def markdown_table(rows: tuple[Row, ...] = ROWS) -> str:
    """The docs' reliability table: one line per dependency, call and moment; modes alike share it."""
    grouped: dict[tuple[str, ...], list[str]] = {}
    for row in rows:
        grouped.setdefault(_cells(row), []).append(row.mode)
    lines = [
        "| dependency | call | when | fault | API answer (first) | event (first) | DLQ records | alerts "
        "| ledger | metrics | note |",
        "|" + "---|" * 11,
    ]
    for cells, modes in grouped.items():
        line = (*cells[:3], " / ".join(modes), *cells[3:])
        lines.append("| " + " | ".join(line) + " |")
    return "\n".join(lines) + "\n"
