"""The contact-event path and bareSched: warm in this process, cold in fresh children (bench.contact_events).

The events, the SLA policies (a copy of the bundled routing rules with them), the warm execution
environment (ours and bareSched, each Scheduler client answered by botocore's Stubber) and the cold
children (bench/_cold_child.py against moto's Scheduler); the benchmark and its figures are in
bench/contact_events.py.
"""

# ruff: noqa: PLC0415 - imports are deferred on purpose: the environment is set first
from __future__ import annotations

import gc
import json
import os
import sys
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import baseline_calls, stubbed
from bench.common import (
    INSTANCE_ID,
    ROUTING_RULES_FILE,
    handler_extra_env,
)
from bench.importtime import importtime_report, parse_importtime
from local.aws_isolation import isolated_aws_variables

ACCOUNT = "123456789012"
INSTANCE_ARN = f"arn:aws:connect:us-east-1:{ACCOUNT}:instance/{INSTANCE_ID}"
ONE_SCHEDULE_QUEUE, TWO_SCHEDULES_QUEUE = "queue-tier1", "queue-tier2"
SLA_SECONDS, WARN_AT_PERCENT = 3600, 80
SLA_POLICIES = [
    {"name": "tier1-hour", "match": {"queues": [ONE_SCHEDULE_QUEUE]}, "seconds": SLA_SECONDS},
    {
        "name": "tier2-hour",
        "match": {"queues": [TWO_SCHEDULES_QUEUE]},
        "seconds": SLA_SECONDS,
        "warnAtPercent": WARN_AT_PERCENT,
    },
]
BASE_POLICIES = {ONE_SCHEDULE_QUEUE: (SLA_SECONDS, 0), TWO_SCHEDULES_QUEUE: (SLA_SECONDS, WARN_AT_PERCENT)}
TARGET_WARM = 1.5
TARGET_COLD = 1.3
TARGET_IGNORED_MS = 1.0

# Warm variants: (who, what); who is ours or baresched.
CASES = ("queued-1", "queued-2", "connected", "ignored")
VARIANTS = tuple(f"{who}-{case}" for case in CASES for who in ("ours", "baresched"))


def sla_rules_file(directory: Path) -> Path:
    """The bundled routing rules with the bench's SLA policies."""
    document = json.loads(ROUTING_RULES_FILE.read_text())
    document["sla"] = SLA_POLICIES
    path = directory / "routing_rules_sla.json"
    path.write_text(json.dumps(document))
    return path


def sla_settings_env(group: str, dead_letter_arn: str) -> dict[str, str]:
    """The handler's SLA-timer settings (as the stack sets them), and bareSched's policies."""
    return {
        "SLA_TIMERS_ENABLED": "true",
        "SLA_SCHEDULE_GROUP": group,
        "SLA_TIMER_TARGET_ARN": f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:escalation",
        "SLA_SCHEDULER_ROLE_ARN": f"arn:aws:iam::{ACCOUNT}:role/escalation-sla-scheduler",
        "SLA_SCHEDULE_DLQ_ARN": dead_letter_arn,
        "SLA_TIMED_CHANNELS": "TASK,EMAIL",
        "BENCH_SCHED_POLICIES": json.dumps(BASE_POLICIES),
    }


def contact_event(case: str, contact_id: str | None = None) -> dict[str, Any]:
    """A Connect contact event as the deployed rule hands it over, for one of CASES."""
    contact_id = contact_id or str(uuid.uuid4())
    now = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    event_type = {"connected": "CONNECTED_TO_AGENT", "ignored": "INITIATED"}.get(case, "QUEUED")
    detail: dict[str, Any] = {
        "eventType": event_type,
        "contactId": contact_id,
        "initialContactId": contact_id,
        "channel": "TASK",
        "instanceArn": INSTANCE_ARN,
        "initiationMethod": "API",
        "initiationTimestamp": now,
    }
    if case.startswith("queued"):
        queue = ONE_SCHEDULE_QUEUE if case == "queued-1" else TWO_SCHEDULES_QUEUE
        detail["queueInfo"] = {
            "queueArn": f"{INSTANCE_ARN}/queue/{queue}",
            "queueType": "STANDARD",
            "enqueueTimestamp": now,
        }
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": baseline_calls.CONTACT_EVENT_DETAIL_TYPE,
        "source": baseline_calls.CONTACT_EVENT_SOURCE,
        "account": ACCOUNT,
        "time": now,
        "region": "us-east-1",
        "resources": [INSTANCE_ARN],
        "detail": detail,
    }


def expected_calls(case: str) -> list[str]:
    return {
        "queued-1": ["CreateSchedule"],
        "queued-2": ["CreateSchedule", "CreateSchedule"],
        "connected": ["DeleteSchedule", "DeleteSchedule"],
        "ignored": [],
    }[case]


# -- the warm environment ---------------------------------------------------------------------------


@dataclass
class WarmEnvironment:
    """Ours and bareSched in this process, each Scheduler client with its Stubber."""

    ours: Callable[[dict[str, Any], Any], Any]
    ours_stub: Any
    bare_client: Any
    bare_stub: Any
    settings: baseline_calls.ScheduleSettings

    def handler(self, variant: str) -> Callable[[dict[str, Any], Any], Any]:
        if variant.startswith("ours-"):
            return self.ours
        return lambda event, _context: baseline_calls.bare_sched(self.bare_client, event, self.settings)

    def prepare(self, variant: str) -> dict[str, Any]:
        """Queue the answers to the variant's calls; returns its event."""
        case = variant.split("-", 1)[1]
        stub = self.ours_stub if variant.startswith("ours-") else self.bare_stub
        for operation in expected_calls(case):
            if operation == "CreateSchedule":
                stub.add_response(
                    "create_schedule", {"ScheduleArn": f"arn:aws:scheduler:::schedule/{uuid.uuid4()}"}
                )
            else:
                stub.add_response("delete_schedule", {})
        return contact_event(case)

    def check_drained(self) -> None:
        self.ours_stub.assert_no_pending_responses()
        self.bare_stub.assert_no_pending_responses()

    def close(self) -> None:
        self.ours_stub.deactivate()
        self.bare_stub.deactivate()


def check_answer(variant: str, answer: Any) -> None:
    case = variant.split("-", 1)[1]
    if variant.startswith("ours-"):
        want = {"queued-1": "ARMED", "queued-2": "ARMED", "connected": "CANCELLED", "ignored": "IGNORED"}[
            case
        ]
        ok = isinstance(answer, dict) and answer.get("status") == want
    else:
        created, deleted = answer
        ok = created + deleted == len(expected_calls(case))
    if not ok:
        raise RuntimeError(f"{variant}: unexpected answer {answer!r}")


def start_warm(tmp_dir: Path) -> WarmEnvironment:
    """This process as one execution environment serving contact events (no moto, every call stubbed)."""
    os.environ.update(isolated_aws_variables(tmp_dir))
    os.environ.update(handler_extra_env(sla_rules_file(tmp_dir)))
    prefix = f"bench-{uuid.uuid4().hex[:8]}"
    os.environ.update(
        sla_settings_env(f"{prefix}-sla", f"arn:aws:sqs:us-east-1:{ACCOUNT}:{prefix}-schedule-dlq")
    )
    os.environ.update(
        {
            "DLQ_URL": f"https://sqs.us-east-1.amazonaws.com/{ACCOUNT}/{prefix}-dlq",
            "ALERT_TOPIC_ARN": f"arn:aws:sns:us-east-1:{ACCOUNT}:{prefix}-alerts",
            "DEAD_LETTER_MAC_KEY_ID": f"arn:aws:kms:us-east-1:{ACCOUNT}:key/{prefix}-mac",
            "IDEMPOTENCY_TABLE": f"{prefix}-idempotency",
            "LEDGER_TABLE": f"{prefix}-ledger",
        }
    )
    for name in [key for key in os.environ if key.startswith("AWS_ENDPOINT_URL")]:
        del os.environ[name]

    import boto3
    from botocore.stub import Stubber

    with stubbed.quiet_stdout():
        from escalation import composition

        composition.reset()
        sys.modules.pop("escalation.handler", None)
        from escalation.handler import handler as ours

        clients = composition.aws_clients()
        composition.aws_clients = lambda session=None: clients  # noqa: ARG005 - same signature
        composition.components()
        ours_stub = Stubber(clients.scheduler())
        ours_stub.activate()
    bare_client = boto3.session.Session().client("scheduler")
    bare_stub = Stubber(bare_client)
    bare_stub.activate()
    settings = baseline_calls.ScheduleSettings(
        group=os.environ["SLA_SCHEDULE_GROUP"],
        target_arn=os.environ["SLA_TIMER_TARGET_ARN"],
        role_arn=os.environ["SLA_SCHEDULER_ROLE_ARN"],
        dead_letter_arn=os.environ["SLA_SCHEDULE_DLQ_ARN"],
        policies=dict(BASE_POLICIES),
    )
    return WarmEnvironment(ours, ours_stub, bare_client, bare_stub, settings)


def operations_of(env: WarmEnvironment, variant: str) -> list[str]:
    """The AWS operations one event of `variant` calls, in order."""
    import botocore.client

    called: list[str] = []
    make_api_call = botocore.client.BaseClient._make_api_call  # type: ignore[attr-defined]

    def recorded(self: Any, operation_name: str, api_params: Any) -> Any:
        called.append(operation_name)
        return make_api_call(self, operation_name, api_params)

    botocore.client.BaseClient._make_api_call = recorded  # type: ignore[attr-defined]
    try:
        once(env, variant)
    finally:
        botocore.client.BaseClient._make_api_call = make_api_call  # type: ignore[attr-defined]
    return called


def once(env: WarmEnvironment, variant: str) -> Any:
    event = env.prepare(variant)
    with stubbed.quiet_stdout():
        answer = env.handler(variant)(event, stubbed.new_context())
    check_answer(variant, answer)
    return answer


def _measure(env: WarmEnvironment, variant: str, count: int) -> list[float]:
    handler = env.handler(variant)
    samples: list[float] = []
    for _ in range(count):
        event = env.prepare(variant)
        context = stubbed.new_context()
        with stubbed.quiet_stdout():
            started = time.thread_time()
            answer = handler(event, context)
            samples.append(time.thread_time() - started)
        check_answer(variant, answer)
    return samples


def run_warm(
    size: int,
    rounds: int,
    warmup: int,
    tmp_dir: Path,
    breakdown_of: Callable[[WarmEnvironment, int], dict[str, float]],
) -> dict[str, Any]:
    """Per variant: its rounds' samples (seconds) and the operations one event made; then
    `breakdown_of` the same warm environment (bench.contact_event_breakdown.warm_breakdown)."""
    env = start_warm(tmp_dir)
    samples: dict[str, list[list[float]]] = {variant: [] for variant in VARIANTS}
    try:
        operations = {variant: operations_of(env, variant) for variant in VARIANTS}
        for variant in VARIANTS:
            for _ in range(warmup):
                once(env, variant)
        per_round = [size // rounds + (1 if i < size % rounds else 0) for i in range(rounds)]
        gc.collect()
        for round_index, count in enumerate(per_round):
            shift = round_index % len(VARIANTS)
            for variant in VARIANTS[shift:] + VARIANTS[:shift]:
                samples[variant].append(_measure(env, variant, count))
        env.check_drained()
        breakdown = breakdown_of(env, max(100, size // 2))
    finally:
        env.close()
    return {"samples": samples, "operations": operations, "breakdown_us": breakdown}


# -- cold -------------------------------------------------------------------------------------------

COLD_CASES = ("queued", "connected")
COLD_VARIANTS = tuple(f"{who}-{case}" for case in COLD_CASES for who in ("ours", "baresched"))


def run_cold(size: int, tmp_dir: Path, importtime_runs: int = 0) -> dict[str, Any]:
    """Per cold variant, one sample per round (in-child seconds, first line to answer, and wall);
    then a breakdown child of each (clients created and their time, the operations called) and
    `python -X importtime` of ours' QUEUED child."""
    import socket

    from bench import cold_start
    from bench.common import LAMBDAS_DIR, python_path_env, stripped_environ, traced_handler_env
    from infra import package
    from local.aws import LocalAws

    samples: dict[str, list[dict[str, float]]] = {variant: [] for variant in COLD_VARIANTS}
    xray_sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)  # bound, never read
    xray_sink.bind(("127.0.0.1", 0))
    package_dir = tmp_dir / "package"
    package.build(LAMBDAS_DIR, package_dir)
    rules = sla_rules_file(tmp_dir)
    aws = LocalAws().start()
    try:
        scheduler = aws.scheduler()
        base_env = {
            **stripped_environ(),
            **isolated_aws_variables(tmp_dir),
            # No Connect call on this path: the endpoint is never reached.
            **aws.handler_env("http://127.0.0.1:9"),
            **traced_handler_env(xray_sink.getsockname()[1], rules),
            **sla_settings_env(aws.schedule_group, aws.schedule_dlq_arn),
            "PYTHONPATH": python_path_env(),
            "PYTHONDONTWRITEBYTECODE": "1",  # /var/task is read-only
        }
        ours_env = {**base_env, **cold_start.package_env(package_dir), "ROUTING_RULES": str(rules)}
        settings = baseline_calls.ScheduleSettings(
            group=aws.schedule_group,
            target_arn=base_env["SLA_TIMER_TARGET_ARN"],
            role_arn=base_env["SLA_SCHEDULER_ROLE_ARN"],
            dead_letter_arn=aws.schedule_dlq_arn,
            policies=dict(BASE_POLICIES),
        )

        def child_of(
            variant: str, flags: Sequence[str] = (), extra: Mapping[str, str] | None = None
        ) -> tuple[Any, str]:
            who, case = variant.split("-", 1)
            contact_id = str(uuid.uuid4())
            if case == "connected":  # its two schedules exist, as after its QUEUED event
                baseline_calls.bare_sched(scheduler, contact_event("queued-2", contact_id), settings)
            event = contact_event("queued-1" if case == "queued" else case, contact_id)
            env = ours_env if who == "ours" else base_env
            child, wall, stderr = cold_start.run_child(
                "ours" if who == "ours" else "baresched", event, {**env, **(extra or {})}, tmp_dir, flags
            )
            if not child["ok"]:
                raise RuntimeError(f"{variant} did not answer as expected: {child['answer']}")
            imported_from = child["escalation_package"]
            expected = (package_dir / "escalation").resolve() if who == "ours" else None
            if (Path(imported_from).resolve() if imported_from else None) != expected:
                raise RuntimeError(f"{variant} imported the handler from {imported_from}, not {expected}")
            child["subprocess_wall_seconds"] = wall
            return child, stderr

        def one(variant: str) -> dict[str, float]:
            child, _ = child_of(variant)
            return {
                "in_child_seconds": child["total_seconds"],
                "init_seconds": child["init_seconds"],
                "subprocess_wall_seconds": child["subprocess_wall_seconds"],
            }

        for variant in COLD_VARIANTS:  # unmeasured: the page cache is warm for all
            one(variant)
        for round_index in range(size):
            shift = round_index % len(COLD_VARIANTS)
            for variant in COLD_VARIANTS[shift:] + COLD_VARIANTS[:shift]:
                samples[variant].append(one(variant))
        breakdown = {
            variant: child_of(variant, extra=cold_start.BREAKDOWN_ENV)[0] for variant in COLD_VARIANTS
        }
        importtimes = [
            parse_importtime(child_of("ours-queued", ["-X", "importtime"])[1]) for _ in range(importtime_runs)
        ]
    finally:
        aws.stop()
        xray_sink.close()
    return {
        "samples": samples,
        "breakdown": {
            variant: {
                "clients_created": child["clients_created"],
                "client_creation_ms": child["client_creation_seconds"] * 1000,
                "operations": child["operations"],
                "tracing_active": child["xray_patched_botocore"],
            }
            for variant, child in breakdown.items()
        },
        "importtime_ours_queued": importtime_report(importtimes) if importtimes else None,
    }
