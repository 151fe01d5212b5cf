# ruff: noqa: PLC0415 - the handler's imports are what a cold start measures
import time

_T0 = time.perf_counter()  # the first line: everything after it is inside the measured cold start

# A cold start as Lambda sees it: a fresh interpreter imports the handler, initialises and serves one
# request. Run by path (not -m) so that nothing of the `bench` package is imported before _T0.
#   python bench/_cold_child.py ours|bare <event.json> <result.json>
import json  # noqa: E402 - after the clock on purpose
import os  # noqa: E402
import sys  # noqa: E402
from typing import Any  # noqa: E402


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
    answer = handler(event, _Context())
    return imported, isinstance(answer, dict) and answer.get("statusCode") == 200, answer


def _bare(event: dict[str, Any]) -> tuple[float, bool, Any]:
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


def main() -> None:
    kind, event_path, result_path = sys.argv[1:4]
    with open(event_path) as handle:
        event = json.load(handle)
    imported, ok, answer = (_ours if kind == "ours" else _bare)(event)
    done = time.perf_counter()
    with open(result_path, "w") as handle:
        json.dump(
            {
                "kind": kind,
                "ok": ok,
                "init_seconds": imported - _T0,
                "total_seconds": done - _T0,
                "answer": str(answer)[:300] if not ok else None,
            },
            handle,
        )


main()
