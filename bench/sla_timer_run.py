"""sla_timer_run: N queued contacts through the local stack's SLA timers; what is armed, cancelled, fired.

    python -m bench.sla_timer_run [--size 10000] [--pickup 0.8] [--sla-seconds 3600] [--check]

The production handler runs in process in a LocalStack with SLA timers on: the Connect emulator's
contact events reach it through the contact-event rule, it creates and deletes schedules through
moto's Scheduler API, and local.scheduler fires them. Steps: N TASK contacts are queued (QUEUED: the
handler arms a timer each); `--pickup` of them are accepted by an agent (CONNECTED_TO_AGENT: their
timers are cancelled); the scheduler's clock then jumps past the SLA, and the rest breach.

Reported, as measured: schedules after queueing and after pickup, escalations per breached contact,
escalations of picked-up contacts (wrong), schedules left at the end (leaked), schedules dead-lettered,
and the cost per contact: the handler's Scheduler API calls (counted on every botocore client in the
process except the local scheduler's own) and handler invocations. `--check` applies `check()` to the
result: the figures the SLA timers promise (N armed, pickups cancelled, exactly one escalation per
breach, none wrong, none leaked); it exits non-zero listing what failed.
"""

# ruff: noqa: PLC0415 - imports are deferred on purpose: the environment is set first
from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench.common import (
    INSTANCE_ID,
    RESULTS_DIR,
    ROUTING_RULES_FILE,
    SOURCE_QUEUE,
    markdown_table,
    write_results,
)
from local.aws_isolation import isolated_aws_variables

NAME = "sla_timers"  # its results keep the name of what they measure: bench/results/sla_timers.*
SCHEDULER_OPERATIONS = ("CreateSchedule", "DeleteSchedule")


@dataclass(frozen=True)
class Parameters:
    size: int = 10_000
    pickup: float = 0.8  # share of contacts an agent accepts before the deadline
    sla_seconds: int = 3600
    concurrency: int = 2
    drain_timeout: float = 1800.0  # real seconds allowed for each step to settle


def sla_rules(sla_seconds: int) -> dict[str, Any]:
    """The bundled routing rules plus one SLA policy on the source queue's tasks."""
    document: dict[str, Any] = json.loads(ROUTING_RULES_FILE.read_text())
    document["sla"] = [
        {"name": "bench", "match": {"queues": [SOURCE_QUEUE], "channels": ["TASK"]}, "seconds": sla_seconds}
    ]
    return document


def handler_reads_sla_policies() -> bool:
    """Whether this checkout's routing-rules model has SLA policies (otherwise the document is refused)."""
    from escalation.domain.routing import RoutingRules

    return "sla" in RoutingRules.model_fields


@contextlib.contextmanager
def counting_api_calls(excluded: list[Any]) -> Iterator[Counter[str]]:
    """Count every botocore API call in this process as "service:Operation", except excluded clients'."""
    from botocore.client import BaseClient

    counts: Counter[str] = Counter()
    original = getattr(BaseClient, "_make_api_call")  # noqa: B009 - a private method, on purpose

    def counted(client: BaseClient, operation: str, params: Any) -> Any:
        if not any(client is other for other in excluded):
            counts[f"{client.meta.service_model.service_name}:{operation}"] += 1
        return original(client, operation, params)

    setattr(BaseClient, "_make_api_call", counted)  # noqa: B010
    try:
        yield counts
    finally:
        setattr(BaseClient, "_make_api_call", original)  # noqa: B010


def _settle(stack: Any, timeout: float, done: Any = None) -> bool:
    deadline = time.monotonic() + timeout
    while done is not None and not done() and time.monotonic() < deadline:
        time.sleep(0.2)
    return bool(stack.bus.wait_idle(max(1.0, deadline - time.monotonic())))


@contextlib.contextmanager
def failed_attempts() -> Iterator[list[dict[str, str]]]:
    """Every failed handler attempt the local Lambda invoker logs, as {errorType, errorMessage}."""
    import logging

    seen: list[dict[str, str]] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if " failed: " in record.getMessage() and len(record.args or ()) == 3:
                _, error_type, message = record.args  # type: ignore[misc]
                seen.append({"errorType": str(error_type), "errorMessage": str(message)[:300]})

    source = logging.getLogger("local.lambda_invoker")
    collector, level = Collect(), source.level
    source.addHandler(collector)
    source.setLevel(logging.INFO)
    try:
        yield seen
    finally:
        source.removeHandler(collector)
        source.setLevel(level)


def _drive(stack: Any, params: Parameters, clock: Any) -> dict[str, Any]:
    from local.connect_emulator import ContactAcceptance

    started = time.monotonic()
    contacts = [stack.add_contact("TASK", queue_id=SOURCE_QUEUE) for _ in range(params.size)]
    _settle(stack, params.drain_timeout)
    armed = len(stack.schedules())
    picked = contacts[: round(params.size * params.pickup)]
    for contact in picked:
        stack.connect.accept_contact(ContactAcceptance(INSTANCE_ID, contact))
    _settle(stack, params.drain_timeout)
    after_pickup = len(stack.schedules())
    clock.advance(params.sla_seconds + 120)
    _settle(stack, params.drain_timeout, lambda: not stack.scheduler.pending())
    transfers = Counter(entry["contact_id"] for entry in stack.transfers())
    breached = contacts[len(picked) :]
    return {
        "contacts": params.size,
        "picked_up": len(picked),
        "breached": len(breached),
        "schedules_after_queueing": armed,
        "schedules_after_pickup": after_pickup,
        "breaches_escalated_once": sum(1 for c in breached if transfers[c] == 1),
        "breaches_escalated_more_than_once": sum(1 for c in breached if transfers[c] > 1),
        "breaches_not_escalated": sum(1 for c in breached if transfers[c] == 0),
        "picked_up_escalated": sum(1 for c in picked if transfers[c]),
        "schedules_leaked": len(stack.schedules()),
        "seconds": round(time.monotonic() - started, 1),
    }


def _queue_depth(sqs: Any, queue_url: str) -> int:
    """Messages in a queue, without receiving them (reading thousands back one batch at a time is slow)."""
    attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessages"])
    return int(attributes["Attributes"]["ApproximateNumberOfMessages"])


def run(params: Parameters, results_dir: Path = RESULTS_DIR) -> dict[str, Any]:
    from escalation.contract import EnvVar
    from local.scheduler import ShiftedClock
    from local.stack import LocalStack, StackOptions

    timers_supported = handler_reads_sla_policies()
    clock = ShiftedClock()
    with tempfile.TemporaryDirectory(prefix="bench-sla-") as tmp:
        rules = Path(tmp) / "routing_rules.json"
        document = (
            sla_rules(params.sla_seconds) if timers_supported else json.loads(ROUTING_RULES_FILE.read_text())
        )
        rules.write_text(json.dumps(document))
        os.environ.update(isolated_aws_variables(Path(tmp)))
        options = StackOptions(
            api_port=0,
            transfer_rate=None,
            api_throttle_rate=None,
            concurrency=params.concurrency,
            sla_timers=True,
            scheduler_clock=clock,
            handler_log=Path(tmp) / "handler.log",
            extra_env={EnvVar.ROUTING_RULES: str(rules)},
        )
        with LocalStack(options) as stack, failed_attempts() as attempts_failed:
            assert stack.scheduler is not None
            with counting_api_calls([stack.scheduler.clients.scheduler]) as calls:
                figures = _drive(stack, params, clock)
            stats = stack.bus.stats
            figures["schedules_dead_lettered"] = stack.scheduler.stats.dead_lettered
            figures["handler_dead_letters"] = _queue_depth(stack.aws.sqs(), stack.aws.dlq_url)
    scheduler_calls = {op: calls[f"scheduler:{op}"] for op in SCHEDULER_OPERATIONS}
    n = max(1, params.size)
    result: dict[str, Any] = {
        "parameters": asdict(params),
        "handler_reads_sla_policies": timers_supported,
        "figures": figures,
        "cost_per_contact": {
            "scheduler_api_calls": round(sum(scheduler_calls.values()) / n, 3),
            "handler_invocations": round(stats.invocations / n, 3),
        },
        "scheduler_api_calls": scheduler_calls,
        "handler_invocations": stats.invocations,
        "events_routed": stats.events_matched,
        # Every invocation beyond one per routed event or fired timer is a retry by the local Lambda
        # invoker; these say which attempts failed and why (errorType, errorMessage).
        "handler_attempts_failed": stats.errors,
        "handler_retries": stats.retries,
        "failed_attempts": attempts_failed,
    }
    failures = check(result)
    result["target"] = {"met": not failures, "verdict": "met" if not failures else "; ".join(failures)}
    write_results(NAME, result, _markdown(result), results_dir)
    return result


def check(result: dict[str, Any]) -> list[str]:
    """What the SLA timers promise, as failures (empty: all met)."""
    f = result["figures"]
    expectations = {
        "schedules_after_queueing": f["contacts"],
        "schedules_after_pickup": f["breached"],
        "breaches_escalated_once": f["breached"],
        "breaches_escalated_more_than_once": 0,
        "picked_up_escalated": 0,
        "schedules_leaked": 0,
        "schedules_dead_lettered": 0,
    }
    return [f"{key} = {f[key]}, expected {want}" for key, want in expectations.items() if f[key] != want]


def _markdown(result: dict[str, Any]) -> str:
    f, cost = result["figures"], result["cost_per_contact"]
    rows = [[key.replace("_", " "), value] for key, value in f.items()]
    rows += [
        ["Scheduler API calls per contact", cost["scheduler_api_calls"]],
        ["handler invocations per contact", cost["handler_invocations"]],
    ]
    note = (
        ""
        if result["handler_reads_sla_policies"]
        else "\nThis checkout's handler has no SLA policies: no timers are armed.\n"
    )
    return (
        f"N = {f['contacts']} TASK contacts queued, {f['picked_up']} picked up, {f['breached']} left to "
        f"breach.\n{note}\n{markdown_table(['figure', 'value'], rows)}\n\n"
        f"Promises (`--check`): {result['target']['verdict']}.\n"
    )


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog=f"python -m bench.{NAME}", description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=Parameters.size, help="contacts queued (N)")
    parser.add_argument("--pickup", type=float, default=Parameters.pickup, help="share picked up in time")
    parser.add_argument("--sla-seconds", type=int, default=Parameters.sla_seconds)
    parser.add_argument("--concurrency", type=int, default=Parameters.concurrency)
    parser.add_argument("--check", action="store_true", help="exit 1 unless every promise is met")
    parser.add_argument("--results-dir", type=Path, default=RESULTS_DIR)
    args = parser.parse_args(argv)
    params = Parameters(args.size, args.pickup, args.sla_seconds, args.concurrency)
    result = run(params, args.results_dir)
    failures = check(result)
    if args.check and failures:
        print("\n".join(failures), file=sys.stderr)
        sys.exit(1)
    return result


if __name__ == "__main__":
    main()
