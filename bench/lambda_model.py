"""Lambda's asynchronous invocation with K execution environments that are processes.

local.lambda_invoker's AsyncInvoker is the one model of Lambda's asynchronous invocation (event queue,
K concurrent slots, retries after a delay, event age, on-failure records); here each of its K slots
hands the invocation to one of K worker processes (multiprocessing, spawn: each imports its handler
afresh and builds its own boto3 clients, as an execution environment does) and waits for the answer.
A raised exception comes back as an error, which the invoker retries or gives up on, as Lambda does.

Two kinds of handler run in the workers:
- "ours": the production handler, `escalation.handler.handler`, imported with the environment given.
- "naive": what one would write without this service: `boto3.client("connect")` at init with botocore's
  default retry configuration (or the mode given), one `transfer_contact` per event, no ClientToken
  (botocore then fills in a fresh uuid4 per call), no idempotency, no dead-lettering of its own.
"""

# ruff: noqa: PLC0415 - imports are deferred on purpose: environment variables first, or import cost measured
from __future__ import annotations

import json
import multiprocessing
import os
import queue
import sys
import threading
import time
import traceback
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.context import SpawnProcess
from typing import Any, cast

from bench.common import LAMBDA_TIMEOUT_SECONDS, QUEUE_FLOW, TARGET_QUEUE
from escalation.contract import ASYNC_MAX_EVENT_AGE_SECONDS
from local.lambda_context import FunctionConfig, LocalLambdaContext, new_context
from local.lambda_invoker import AsyncInvoker, Record

Handler = Callable[[dict[str, Any], Any], Any]

# Message tags from a worker.
_READY, _OK, _ERROR, _DONE = "ready", "ok", "error", "done"
START_TIMEOUT_SECONDS = 120.0


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


def worker_main(spec: WorkerSpec, connection: Connection) -> None:
    """One execution environment: import the handler, then answer invocations until a None arrives."""
    os.environ.update(spec.env)
    # Before the import: Powertools' Logger binds sys.stdout when it is created.
    sys.stdout = open(spec.output_path, "a", buffering=1 << 16)  # noqa: SIM115 - lives as long as the process
    handler = _load_handler(spec)
    function = FunctionConfig(timeout_seconds=spec.timeout_seconds)
    connection.send((_READY, None))
    while True:
        item = connection.recv()
        if item is None:
            break
        request_id, event = item
        try:
            answer = handler(event, new_context(function, request_id=request_id))
        except Exception as error:
            connection.send((_ERROR, f"{type(error).__name__}: {str(error)[:200]}"))
            continue
        except BaseException:
            traceback.print_exc(file=sys.stderr)
            raise
        connection.send((_OK, answer))
    sys.stdout.flush()
    connection.send((_DONE, time.process_time()))


def _ready(connection: Connection) -> bool:
    try:
        return bool(connection.poll(START_TIMEOUT_SECONDS)) and connection.recv()[0] == _READY
    except (EOFError, OSError):  # the environment died while importing its handler
        return False


class InvocationError(Exception):
    """The handler raised in its execution environment (the text is the worker's)."""


@dataclass
class _Answers:
    """What the environments answered: statuses, error texts, and when the last invocation ended."""

    statuses: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    last_end: float = 0.0


class ProcessEnvironments:
    """K spawned execution environments; `handler` runs an invocation in a free one and returns its answer."""

    def __init__(self, spec: WorkerSpec, concurrency: int) -> None:
        context = multiprocessing.get_context("spawn")
        self._lock = threading.Lock()
        self.answers = _Answers()
        self._free: queue.SimpleQueue[Connection] = queue.SimpleQueue()
        self._connections: list[Connection] = []
        self._workers: list[SpawnProcess] = []
        spawned = time.monotonic()
        for index in range(concurrency):
            parent, child = context.Pipe()
            worker = context.Process(target=worker_main, args=(spec, child), daemon=True, name=f"env-{index}")
            worker.start()
            self._workers.append(worker)
            self._connections.append(parent)
        for worker, connection in zip(self._workers, self._connections, strict=True):
            if not _ready(connection):
                self.close()
                raise RuntimeError(f"{worker.name} failed to start (see its traceback above)")
            self._free.put(connection)
        self.ready_seconds = time.monotonic() - spawned

    def handler(self, event: dict[str, Any], context: LocalLambdaContext) -> Any:
        connection = self._free.get()
        try:
            connection.send((context.aws_request_id, event))
            tag, answer = connection.recv()
        finally:
            self._free.put(connection)
        with self._lock:
            self.answers.last_end = max(self.answers.last_end, time.monotonic())
            if tag == _ERROR:
                self.answers.errors[_error_key(answer)] += 1
            else:
                status = answer.get("status", "?") if isinstance(answer, dict) else "?"
                self.answers.statuses[str(status)] += 1
        if tag == _ERROR:
            raise InvocationError(answer)
        return answer

    def close(self) -> list[float]:
        """Stop the environments; the CPU seconds each used."""
        cpu: list[float] = []
        for connection in self._connections:
            try:
                connection.send(None)
                while connection.poll(30):
                    tag, value = connection.recv()
                    if tag == _DONE:
                        cpu.append(float(value))
                        break
            except (OSError, EOFError):
                continue
        for worker in self._workers:
            worker.join(timeout=10)
            if worker.is_alive():
                worker.terminate()
                worker.join(timeout=5)
        return cpu


@dataclass
class DrainReport:
    events: int
    drain_seconds: float  # clock start (events being queued) to the last invocation's end
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
    environments = ProcessEnvironments(spec, concurrency)
    function = FunctionConfig(
        timeout_seconds=spec.timeout_seconds,
        reserved_concurrency=concurrency,
        retry_delays=tuple(retry_delays),
        max_event_age_seconds=ASYNC_MAX_EVENT_AGE_SECONDS,
    )
    given_up: list[Record] = []
    invoker = AsyncInvoker(environments.handler, function, on_failure=given_up.append).start()
    try:
        started = time.monotonic()
        for event in events:
            invoker.submit(event)
        drained = invoker.wait_idle(max_wait_seconds)
    finally:
        invoker.stop()
        cpu = environments.close()
    seq_of = {json.dumps(event, sort_keys=True): seq for seq, event in enumerate(events)}
    stats = invoker.stats
    answers = environments.answers
    return DrainReport(
        events=len(events),
        drain_seconds=max(0.0, answers.last_end - started),
        completed=stats.succeeded,
        on_failure=[seq_of[json.dumps(record["requestPayload"], sort_keys=True)] for record in given_up],
        lambda_retries=stats.retries,
        invocations=stats.invocations,
        statuses=dict(answers.statuses),
        errors=dict(answers.errors),
        timed_out=not drained,
        ready_seconds=environments.ready_seconds,
        worker_cpu_seconds=cpu,
    )
