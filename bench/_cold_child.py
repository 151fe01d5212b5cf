# ruff: noqa: PLC0415 - the handler's imports are what a cold start measures
import time

_T0 = time.perf_counter()  # the first line: everything after it is inside the measured cold start

# A cold start as Lambda sees it: a fresh interpreter imports the handler, initialises and serves one
# request. Run by path (not -m) so that nothing of the `bench` package is imported before _T0 (the
# baselines import bench.baseline_calls, standard library only, inside the measured window).
#   python bench/_cold_child.py ours|bare1|bare5|bare9|baresched <event.json> <result.json>
# ours answers an API request (200) or a contact event (timers ARMED or CANCELLED); baresched makes a
# contact event's Scheduler calls (BENCH_SCHED_POLICIES: its SLA policies, as JSON).
# BENCH_COLD_GC_UNPAUSED=1: the handler's gc.disable() is made a no-op (the collector runs through init).
# BENCH_COLD_BREAKDOWN=1: time spent creating botocore clients, and the AWS operations called in their
# order, are recorded too.
import gc  # noqa: E402 - after the clock on purpose
import json  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
from typing import Any  # noqa: E402

_GC_COLLECTIONS = [0, 0, 0]  # per generation
_GC_CLOCK = {"seconds": 0.0, "started": 0.0}


def _on_gc(phase: str, info: dict[str, Any]) -> None:
    if phase == "start":
        _GC_CLOCK["started"] = time.perf_counter()
    else:
        _GC_CLOCK["seconds"] += time.perf_counter() - _GC_CLOCK["started"]
        _GC_COLLECTIONS[info["generation"]] += 1


gc.callbacks.append(_on_gc)
if os.environ.get("BENCH_COLD_GC_UNPAUSED"):
    gc.disable = lambda: None

_CLIENTS = {"count": 0, "seconds": 0.0}
_OPERATIONS: list[str] = []


def _record_breakdown() -> None:
    """Time client creation and list the operations called (installed after the clock's `imported`)."""
    import botocore.client
    import botocore.session

    make_api_call = botocore.client.BaseClient._make_api_call  # type: ignore[attr-defined]

    def recorded(self: Any, operation_name: str, api_params: Any) -> Any:
        _OPERATIONS.append(operation_name)
        return make_api_call(self, operation_name, api_params)

    botocore.client.BaseClient._make_api_call = recorded  # type: ignore[attr-defined]

    create = botocore.session.Session.create_client

    def timed(self: Any, *args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return create(self, *args, **kwargs)
        finally:
            _CLIENTS["count"] += 1
            _CLIENTS["seconds"] += time.perf_counter() - started

    botocore.session.Session.create_client = timed  # type: ignore[method-assign]


class _Context:
    """The attributes of Lambda's context that Powertools reads, with a 20 s countdown."""

    function_name = "escalation"
    function_version = "$LATEST"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:escalation"
    memory_limit_in_mb = 256
    aws_request_id = "00000000-0000-4000-8000-000000000000"
    log_group_name = "/aws/lambda/escalation"
    log_stream_name = "2026/01/01/[$LATEST]cold"
    identity = None
    client_context = None
    tenant_id = None

    def __init__(self) -> None:
        self._deadline = time.monotonic() + 20.0

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def _ours(event: dict[str, Any]) -> tuple[float, bool, Any]:
    sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - Powertools' logs and metrics; bound at import
    from escalation.handler import handler

    imported = time.perf_counter()
    if os.environ.get("BENCH_COLD_BREAKDOWN"):
        _record_breakdown()  # after the import: the handler builds its clients on first use
    answer = handler(event, _Context())
    ok = isinstance(answer, dict) and (
        answer.get("statusCode") == 200 or answer.get("status") in ("ARMED", "CANCELLED")
    )
    return imported, ok, answer


def _bare1(event: dict[str, Any]) -> tuple[float, bool, Any]:
    import boto3

    client = boto3.client("connect")
    imported = time.perf_counter()
    answer = client.transfer_contact(
        InstanceId=event["instanceId"],
        ContactId=event["contactId"],
        ContactFlowId=event["flowId"],
        QueueId=event["queueId"],
    )
    return imported, bool(answer.get("ContactId")), answer.get("ContactId")


def _bare_escalation(event: dict[str, Any]) -> Any:
    from bench.baseline_calls import Escalation

    return Escalation(
        instance_id=event["instanceId"],
        contact_id=event["contactId"],
        flow_id=event["flowId"],
        queue_id=event["queueId"],
        reason="CUSTOMER_UNHAPPY",
        idempotency_table=os.environ["IDEMPOTENCY_TABLE"],
        ledger_table=os.environ["LEDGER_TABLE"],
        event_bus=os.environ.get("EVENT_BUS_NAME") or "default",
    )


def _bare5(event: dict[str, Any]) -> tuple[float, bool, Any]:
    """Ours' five calls before the ledger, on one session's Connect and DynamoDB clients; nothing else."""
    import boto3

    from bench import baseline_calls

    if os.environ.get("BENCH_COLD_BREAKDOWN"):
        _record_breakdown()  # before the clients: their creation is timed as ours' is
    session = boto3.session.Session()
    connect = session.client("connect")
    dynamodb = session.client("dynamodb")
    imported = time.perf_counter()
    new_contact_id = baseline_calls.bare5(connect, dynamodb, _bare_escalation(event))
    return imported, bool(new_contact_id), new_contact_id


def _bare9(event: dict[str, Any]) -> tuple[float, bool, Any]:
    """Ours' nine calls in its API path's order, on one session's Connect, DynamoDB and EventBridge
    clients; nothing else. AWS_DATA_PATH, when set, gives it the service models ours ships."""
    import boto3

    from bench import baseline_calls

    if os.environ.get("BENCH_COLD_BREAKDOWN"):
        _record_breakdown()  # before the clients: their creation is timed as ours' is
    session = boto3.session.Session()
    connect = session.client("connect")
    dynamodb = session.client("dynamodb")
    events = session.client("events")
    imported = time.perf_counter()
    new_contact_id = baseline_calls.bare9(connect, dynamodb, events, _bare_escalation(event), api_path=True)
    return imported, bool(new_contact_id), new_contact_id


def _baresched(event: dict[str, Any]) -> tuple[float, bool, Any]:
    """A contact event's Scheduler calls on one session's Scheduler client; nothing else."""
    import boto3

    from bench import baseline_calls

    if os.environ.get("BENCH_COLD_BREAKDOWN"):
        _record_breakdown()
    scheduler = boto3.session.Session().client("scheduler")
    imported = time.perf_counter()
    settings = baseline_calls.ScheduleSettings(
        group=os.environ["SLA_SCHEDULE_GROUP"],
        target_arn=os.environ["SLA_TIMER_TARGET_ARN"],
        role_arn=os.environ["SLA_SCHEDULER_ROLE_ARN"],
        dead_letter_arn=os.environ["SLA_SCHEDULE_DLQ_ARN"],
        policies={q: (s, w) for q, (s, w) in json.loads(os.environ["BENCH_SCHED_POLICIES"]).items()},
    )
    created, deleted = baseline_calls.bare_sched(scheduler, event, settings)
    return imported, bool(created or deleted), (created, deleted)


def _xray_patched_botocore() -> bool:
    """Whether the X-Ray SDK instrumented botocore (Powertools' Tracer does when tracing is active)."""
    patcher = sys.modules.get("aws_xray_sdk.core.patcher")
    return "botocore" in getattr(patcher, "_PATCHED_MODULES", ())


def _escalation_package() -> str | None:
    """Where the production package was imported from (None when it was not imported)."""
    package = sys.modules.get("escalation")
    return os.path.dirname(package.__file__) if package is not None and package.__file__ else None


def main() -> None:
    kind, event_path, result_path = sys.argv[1:4]
    with open(event_path) as handle:
        event = json.load(handle)
    imported, ok, answer = {
        "ours": _ours,
        "bare1": _bare1,
        "bare5": _bare5,
        "bare9": _bare9,
        "baresched": _baresched,
    }[kind](event)
    done = time.perf_counter()
    with open(result_path, "w") as handle:
        json.dump(
            {
                "kind": kind,
                "ok": ok,
                "init_seconds": imported - _T0,
                "total_seconds": done - _T0,
                "gc_collections": _GC_COLLECTIONS,
                "gc_seconds": _GC_CLOCK["seconds"],
                "gc_enabled_at_end": gc.isenabled(),
                "clients_created": _CLIENTS["count"],
                "xray_patched_botocore": _xray_patched_botocore(),
                "client_creation_seconds": _CLIENTS["seconds"],
                "operations": _OPERATIONS,
                "escalation_package": _escalation_package(),
                "answer": str(answer)[:300] if not ok else None,
            },
            handle,
        )


main()
