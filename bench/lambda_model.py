"""Lambda's asynchronous invocation, modelled with processes: K execution environments, one event queue.

The parent holds the event queue (as Lambda's service does): it hands events to K worker processes
(multiprocessing, spawn: each imports its handler afresh and builds its own boto3 clients, as an
execution environment does), and applies Lambda's retry semantics to what comes back: a raised
exception is retried up to twice more after a delay, then becomes an on-failure record. Workers pull
the next event as soon as they are free, so at most K invocations run at once (reserved concurrency K).

Two kinds of handler run in the workers:
- "ours": the production handler, `escalation.handler.handler`, imported with the environment given.
- "naive": what one would write without this service: `boto3.client("connect")` at init with botocore's
  default retry configuration (or the mode given), one `transfer_contact` per event, no ClientToken
  (botocore then fills in a fresh uuid4 per call), no idempotency, no dead-lettering of its own.
"""

# ruff: noqa: PLC0415 - imports are deferred on purpose: environment variables first, or import cost measured
from __future__ import annotations

import heapq
import multiprocessing
import os
import queue
import sys
import time
import traceback
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from bench.common import LAMBDA_TIMEOUT_SECONDS, QUEUE_FLOW, TARGET_QUEUE

Handler = Callable[[dict[str, Any], Any], Any]

# Message tags on the results queue.
_READY, _OK, _ERROR, _DONE = "ready", "ok", "error", "done"


@dataclass(frozen=True)
class WorkerSpec:
    kind: str  # "ours" | "naive"
    env: Mapping[str, str]  # set before the handler is imported
    output_path: str  # the handler's stdout (Powertools logs and EMF metrics) goes here
    naive_retry_mode: str | None = None  # None: botocore's default (whatever this botocore resolves)
    # Diagnosis only: give ours' Connect client this retry mode instead of the production one (standard).
    ours_retry_mode: str | None = None
    timeout_seconds: float = LAMBDA_TIMEOUT_SECONDS


def _retries(mode: str, total_max_attempts: int | None = None) -> Any:
    """botocore's `retries` config (typed loosely: the stubs want a Literal mode)."""
    retries: dict[str, Any] = {"mode": mode}
    if total_max_attempts is not None:
        retries["total_max_attempts"] = total_max_attempts
    return retries


def _naive_handler(retry_mode: str | None) -> Handler:
    import boto3
    from botocore.config import Config

    client = boto3.client("connect", config=Config(retries=_retries(retry_mode)) if retry_mode else None)
    instance_id = os.environ["CONNECT_INSTANCE_ID"]

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:  # noqa: ARG001 - Lambda's signature
        client.transfer_contact(
            InstanceId=instance_id,
            ContactId=event["detail"]["contactId"],
            ContactFlowId=QUEUE_FLOW,
            QueueId=TARGET_QUEUE,
        )
        return {"status": "TRANSFERRED"}

    return handler


def _override_connect_client(mode: str) -> None:
    """Build the adapter's Connect clients with another retry mode (this process only)."""
    from botocore.config import Config

    from escalation.adapters import connect

    def config(max_attempts: int) -> Config:
        return Config(
            retries=_retries(mode, max_attempts),
            connect_timeout=connect.CONNECT_TIMEOUT_SECONDS,
            read_timeout=connect.READ_TIMEOUT_SECONDS,
        )

    connect.client_config = config


def _load_handler(spec: WorkerSpec) -> Handler:
    if spec.kind == "ours":
        from escalation.handler import handler

        if spec.ours_retry_mode:
            _override_connect_client(spec.ours_retry_mode)
        return cast(Handler, handler)
    if spec.kind == "naive":
        return _naive_handler(spec.naive_retry_mode)
    raise ValueError(f"unknown handler kind {spec.kind!r}")


def resolved_retry_mode(spec: WorkerSpec) -> str:
    """The retry mode the naive client gets (botocore's default depends on its version)."""
    if spec.naive_retry_mode:
        return spec.naive_retry_mode
    import botocore.session

    return str(botocore.session.get_session().get_config_variable("retry_mode"))


def worker_main(
    spec: WorkerSpec, index: int, tasks: multiprocessing.Queue[Any], results: multiprocessing.Queue[Any]
) -> None:
    """One execution environment: import the handler, then serve events until a None arrives."""
    os.environ.update(spec.env)
    # Before the import: Powertools' Logger binds sys.stdout when it is created.
    sys.stdout = open(spec.output_path, "a", buffering=1 << 16)  # noqa: SIM115 - lives as long as the process
    from local.lambda_context import FunctionConfig, new_context

    handler = _load_handler(spec)
    results.put((_READY, index, time.monotonic()))
    invocations = 0
    while True:
        item = tasks.get()
        if item is None:
            break
        seq, attempt, event = item
        invocations += 1
        context = new_context(FunctionConfig(timeout_seconds=spec.timeout_seconds))
        try:
            answer = handler(event, context)
        except Exception as error:
            results.put(
                (_ERROR, seq, attempt, f"{type(error).__name__}: {str(error)[:200]}", time.monotonic())
            )
            continue
        except BaseException:
            traceback.print_exc(file=sys.stderr)
            raise
        status = str(answer.get("status", "?")) if isinstance(answer, dict) else "?"
        results.put((_OK, seq, attempt, status, time.monotonic()))
    sys.stdout.flush()
    results.put((_DONE, index, {"invocations": invocations, "cpu_seconds": time.process_time()}))


@dataclass
class DrainReport:
    events: int
    drain_seconds: float  # clock start (all events queued) to the last event's end
    completed: int  # events that ended with a handler answer
    on_failure: list[int]  # seqs given up after Lambda's retries (on-failure destination records)
    lambda_retries: int  # attempts re-queued after an error
    invocations: int
    statuses: dict[str, int]  # handler answers by "status"
    errors: dict[str, int]  # raised exceptions by "Type: message" prefix
    timed_out: bool  # the bounded wait ran out before the queue drained
    ready_seconds: float  # spawning + importing the K environments (before the clock)
    worker_cpu_seconds: list[float] = field(default_factory=list)


def _error_key(text: str) -> str:
    return text.split(" after ", maxsplit=1)[0][:80]


def run_async_lambda(
    spec: WorkerSpec,
    events: Sequence[dict[str, Any]],
    *,
    concurrency: int,
    retry_delays: Sequence[float],
    max_wait_seconds: float,
) -> DrainReport:
    """Invoke the handler asynchronously once per event with K environments; wait (bounded) for the end."""
    context = multiprocessing.get_context("spawn")
    tasks: multiprocessing.Queue[Any] = context.Queue()
    results: multiprocessing.Queue[Any] = context.Queue()
    workers = [
        context.Process(target=worker_main, args=(spec, i, tasks, results), daemon=True, name=f"env-{i}")
        for i in range(concurrency)
    ]
    spawned = time.monotonic()
    for worker in workers:
        worker.start()
    try:
        ready = 0
        give_up = time.monotonic() + 120
        while ready < concurrency:
            if time.monotonic() > give_up or not all(worker.is_alive() for worker in workers):
                raise RuntimeError("an execution environment failed to start (see its traceback above)")
            try:
                tag, *_ = results.get(timeout=1)
            except queue.Empty:
                continue
            ready += tag == _READY
        ready_seconds = time.monotonic() - spawned
        return _drive(tasks, results, events, concurrency, retry_delays, max_wait_seconds, ready_seconds)
    finally:
        for worker in workers:
            worker.join(timeout=10)
        for worker in workers:
            if worker.is_alive():
                worker.terminate()
                worker.join(timeout=5)


@dataclass
class _DrainTally:
    """What the driver has seen so far: answers, errors, retries due, and what Lambda gave up on."""

    outstanding: int
    started: float
    retry_delays: Sequence[float]
    statuses: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    on_failure: list[int] = field(default_factory=list)
    delayed: list[tuple[float, int, int]] = field(default_factory=list)  # (due, seq, attempt)
    retries: int = 0
    invocations: int = 0
    completed: int = 0
    last_end: float = 0.0

    def answered(self, status: str, ended: float) -> None:
        self.invocations += 1
        self.completed += 1
        self.outstanding -= 1
        self.statuses[status] += 1
        self.last_end = max(self.last_end, ended)

    def failed(self, seq: int, attempt: int, text: str, ended: float) -> None:
        """Lambda's async model: retry after the attempt's delay, or give up to the on-failure destination."""
        self.invocations += 1
        self.errors[_error_key(text)] += 1
        if attempt < len(self.retry_delays):
            self.retries += 1
            heapq.heappush(self.delayed, (time.monotonic() + self.retry_delays[attempt], seq, attempt + 1))
        else:
            self.on_failure.append(seq)
            self.outstanding -= 1
            self.last_end = max(self.last_end, ended)

    def requeue_due(self, tasks: multiprocessing.Queue[Any], events: Sequence[dict[str, Any]]) -> float:
        """Put the retries that are due back on the queue; how long to wait for the next result."""
        now = time.monotonic()
        while self.delayed and self.delayed[0][0] <= now:
            _, seq, attempt = heapq.heappop(self.delayed)
            tasks.put((seq, attempt, events[seq]))
        return min(0.05, max(0.0, self.delayed[0][0] - now)) if self.delayed else 0.05


def _worker_cpu(results: multiprocessing.Queue[Any], concurrency: int) -> list[float]:
    cpu: list[float] = []
    stop_by = time.monotonic() + 30
    while len(cpu) < concurrency and time.monotonic() < stop_by:
        try:
            message = results.get(timeout=1)
        except queue.Empty:
            continue
        if message[0] == _DONE:
            cpu.append(float(message[2]["cpu_seconds"]))
    return cpu


def _drive(
    tasks: multiprocessing.Queue[Any],
    results: multiprocessing.Queue[Any],
    events: Sequence[dict[str, Any]],
    concurrency: int,
    retry_delays: Sequence[float],
    max_wait_seconds: float,
    ready_seconds: float,
) -> DrainReport:
    started = time.monotonic()
    tally = _DrainTally(outstanding=len(events), started=started, retry_delays=retry_delays, last_end=started)
    for seq, event in enumerate(events):
        tasks.put((seq, 0, event))
    deadline = started + max_wait_seconds
    while tally.outstanding and time.monotonic() < deadline:
        wait = tally.requeue_due(tasks, events)
        try:
            message = results.get(timeout=wait)
        except queue.Empty:
            continue
        if message[0] == _OK:
            _, _seq, _attempt, status, ended = message
            tally.answered(status, ended)
        elif message[0] == _ERROR:
            _, seq, attempt, text, ended = message
            tally.failed(seq, attempt, text, ended)
    timed_out = tally.outstanding > 0
    for _ in range(concurrency):
        tasks.put(None)
    return DrainReport(
        events=len(events),
        drain_seconds=tally.last_end - started,
        completed=tally.completed,
        on_failure=tally.on_failure,
        lambda_retries=tally.retries,
        invocations=tally.invocations,
        statuses=dict(tally.statuses),
        errors=dict(tally.errors),
        timed_out=timed_out,
        ready_seconds=ready_seconds,
        worker_cpu_seconds=_worker_cpu(results, concurrency),
    )
