"""Send a sample event from `events/` to the local stack (`make serve`), as AWS would deliver it.

    .venv/bin/python -m local.send_event events/sla-breach.json --contact-id <id> [--bus-url URL]

- An EventBridge event (it has `source` and `detail-type`) is put on the local bus with PutEvents, so the
  rule's pattern decides whether the function gets it, as in AWS; the function runs asynchronously and
  its outcome is in the handler log, the DLQ or the alert topic. With `--invoke` it is given to the
  function directly instead (as an event the rule should not have sent, such as `foreign-event.json`).
- An API Gateway request (`httpMethod`, `requestContext`) is given to the function with a synchronous
  Lambda Invoke, and the function's answer is printed (also for `--invoke`). It skips the local API's
  token check: the sample carries the caller's claims as API Gateway's authorizer would have set them.

A contact event sample is sent with its times set to now. `--contact-id` replaces the sample's
placeholder contact id (`detail.contactId`, or `contactId` in the request body). The bus URL defaults
to the one the running `make serve` wrote in `.local-run/serve.json`.
Only boto3 and the standard library: it runs from the repository root without PYTHONPATH.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3

from local.lambda_context import DEFAULT_FUNCTION_NAME, DEFAULT_REGION
from local.run_info import DEFAULT_RUN_DIR, RunInfo, RunInfoMissingError

# The local bus and Lambda endpoint take any credentials; fixed dummies keep a profile's real ones out.
_LOCAL_KEY = "local"


class PutEventsRefusedError(RuntimeError):
    """The bus refused the entry (as EventBridge refuses an `aws.*` source from an account)."""


def is_eventbridge_event(event: dict[str, Any]) -> bool:
    return "source" in event and "detail-type" in event


def with_contact_id(event: dict[str, Any], contact_id: str) -> dict[str, Any]:
    """The sample with its contact id replaced (an EventBridge event's detail, or an API request's body)."""
    event = json.loads(json.dumps(event))  # a deep copy
    if is_eventbridge_event(event):
        event["detail"]["contactId"] = contact_id
        return event
    try:
        body = json.loads(event.get("body") or "{}")
    except ValueError:
        raise SystemExit("this sample's body is not JSON: it has no contact id to replace") from None
    body["contactId"] = contact_id
    event["body"] = json.dumps(body)
    return event


def stamped_now(event: dict[str, Any], now: datetime) -> dict[str, Any]:
    """A sample whose detail has an enqueue time (a contact event) with its times set to now: the
    handler drops a contact event whose enqueue time is more than a year old, as the sample's soon is."""
    event = json.loads(json.dumps(event))  # a deep copy
    detail = event.get("detail")
    queue = detail.get("queueInfo") if isinstance(detail, dict) else None
    if isinstance(queue, dict) and "enqueueTimestamp" in queue:
        stamp = now.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        queue["enqueueTimestamp"] = stamp
        event["time"] = stamp
    return event


def put_on_bus(event: dict[str, Any], bus_url: str) -> str:
    """PutEvents with the event's source, detail type and detail: the bus's event id."""
    client = boto3.client(
        "events", endpoint_url=bus_url, region_name=DEFAULT_REGION,
        aws_access_key_id=_LOCAL_KEY, aws_secret_access_key=_LOCAL_KEY,
    )  # fmt: skip
    result = client.put_events(
        Entries=[
            {
                "Source": str(event["source"]),
                "DetailType": str(event["detail-type"]),
                "Detail": json.dumps(event["detail"]),
                "Resources": list(event.get("resources", [])),
            }
        ]
    )["Entries"][0]
    if "ErrorCode" in result:
        raise PutEventsRefusedError(
            f"PutEvents refused the event: {result['ErrorCode']}: {result.get('ErrorMessage')}"
        )
    return str(result["EventId"])


def invoke_function(event: dict[str, Any], bus_url: str, function_name: str) -> Any:
    """A synchronous Invoke: the function's answer (or its error object)."""
    client = boto3.client(
        "lambda", endpoint_url=bus_url, region_name=DEFAULT_REGION,
        aws_access_key_id=_LOCAL_KEY, aws_secret_access_key=_LOCAL_KEY,
    )  # fmt: skip
    response = client.invoke(
        FunctionName=function_name, InvocationType="RequestResponse", Payload=json.dumps(event).encode()
    )
    return json.loads(response["Payload"].read() or b"null")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m local.send_event", description="Send a sample event to the local stack."
    )
    parser.add_argument("event_file", type=Path, help="a file from events/")
    parser.add_argument("--contact-id", help="replaces the sample's placeholder contact id")
    parser.add_argument("--bus-url", help="the local bus (default: from the running make serve)")
    parser.add_argument("--function-name", default=DEFAULT_FUNCTION_NAME, help="the local function's name")
    parser.add_argument(
        "--invoke", action="store_true", help="give an EventBridge event to the function directly (no rule)"
    )
    parser.add_argument(
        "--run-dir", type=Path, default=DEFAULT_RUN_DIR, help="the serve process's run directory"
    )
    args = parser.parse_args(argv)
    bus_url = args.bus_url
    if bus_url is None:
        try:
            bus_url = RunInfo.load(args.run_dir).bus_url
        except RunInfoMissingError as error:
            print(error, file=sys.stderr)
            return 2
    event = stamped_now(json.loads(args.event_file.read_text()), datetime.now(UTC))
    if args.contact_id:
        event = with_contact_id(event, args.contact_id)
    if is_eventbridge_event(event) and not args.invoke:
        try:
            event_id = put_on_bus(event, bus_url)
        except PutEventsRefusedError as error:
            print(f"{error} (--invoke gives the event to the function directly)", file=sys.stderr)
            return 1
        print(f"PutEvents accepted {args.event_file.name} (event id {event_id}); the function runs it")
        print("asynchronously: see the handler log, the DLQ (tools.redrive --dry-run) or `make metrics`.")
    else:
        answer = invoke_function(event, bus_url, args.function_name)
        print(json.dumps(answer, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
