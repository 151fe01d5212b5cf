"""Redrive the escalation DLQ: send each failed event back through the function's asynchronous Invoke.

    python -m tools.redrive --queue-url URL --function-name NAME [--max N] [--dry-run]

Works against the deployed DLQ and the local one alike: it uses standard boto3 `sqs` and `lambda` clients,
so credentials, region and endpoints come from the usual environment (AWS_PROFILE, AWS_REGION,
AWS_ENDPOINT_URL_SQS / AWS_ENDPOINT_URL_LAMBDA for the local stack, ...).

The DLQ holds two kinds of message, and the original event is taken from either:
- a Lambda on-failure destination record (`{"version": "1.0", "requestContext": {...}, "requestPayload":
  <event>, ...}`), written by Lambda when an asynchronous invocation failed all its attempts or got too old;
- the handler's own dead-letter record (`{"kind": "escalation-dead-letter", ..., "originalEvent": <event>}`),
  written when the handler decided an escalation could not be completed.

Each event is re-submitted with `Invoke(InvocationType="Event")`, the path EventBridge itself uses, and the
message is deleted only once Lambda has accepted it (202). A message that is neither kind is left in place
and reported; so is one whose invoke failed. Messages not deleted are made visible again at the end so the
queue is left as found. Exit status: 0, or 1 when any invoke (or delete) failed.

Note for operators: if the function's idempotency key covers the whole event, redriving an event whose
earlier invocation completed (for example one the handler dead-lettered and then returned from) may be
answered from the idempotency record instead of running again, until that record expires.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol, cast

import boto3
from botocore.exceptions import BotoCoreError, ClientError

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

DEAD_LETTER_KIND = "escalation-dead-letter"
_SQS_MAX_BATCH = 10

Source = Literal["destination", "dead-letter"]
Outcome = Literal["redriven", "would-redrive", "skipped", "failed"]


class LambdaInvokeClient(Protocol):
    """The one call needed from a boto3 `lambda` client (no type stubs for it are installed)."""

    def invoke(self, *, FunctionName: str, InvocationType: str, Payload: bytes) -> Mapping[str, Any]: ...  # noqa: N803


class UnrecognisedMessageError(ValueError):
    """The message body is neither a destination record nor a handler dead-letter record."""


@dataclass(frozen=True)
class MessageOutcome:
    message_id: str
    outcome: Outcome
    source: Source | None
    detail: str = ""


@dataclass
class RedriveSummary:
    received: int = 0
    redriven: int = 0  # in a dry run: how many would be
    skipped: int = 0  # unrecognised messages, left in the queue
    failed: int = 0  # invoke (or delete) failures, left in the queue
    dry_run: bool = False
    outcomes: list[MessageOutcome] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.failed == 0


def extract_event(body: str) -> tuple[Source, Any]:
    """The original event in a DLQ message body, and which kind of record carried it."""
    try:
        record = json.loads(body)
    except ValueError as exc:
        raise UnrecognisedMessageError("body is not JSON") from exc
    if not isinstance(record, dict):
        raise UnrecognisedMessageError("body is not a JSON object")
    if record.get("kind") == DEAD_LETTER_KIND:
        event = record.get("originalEvent")
        if not isinstance(event, dict):
            raise UnrecognisedMessageError("dead-letter record without an originalEvent object")
        return "dead-letter", event
    if isinstance(record.get("requestContext"), dict) and "requestPayload" in record:
        event = record["requestPayload"]
        if event is None:
            raise UnrecognisedMessageError("destination record with an empty requestPayload")
        return "destination", event
    raise UnrecognisedMessageError("neither a Lambda destination record nor an escalation dead-letter record")


def redrive(
    queue_url: str,
    function_name: str,
    max_messages: int | None = None,
    dry_run: bool = False,
    *,
    sqs_client: SQSClient | None = None,
    lambda_client: LambdaInvokeClient | None = None,
    wait_seconds: int = 1,
    visibility_timeout: int = 60,
) -> RedriveSummary:
    """Redrive up to max_messages (all when None) messages from queue_url into function_name."""
    sqs = sqs_client or boto3.client("sqs")
    summary = RedriveSummary(dry_run=dry_run)
    if dry_run:
        lam: LambdaInvokeClient | None = None
    else:
        lam = lambda_client or cast(LambdaInvokeClient, boto3.client("lambda"))
    seen: set[str] = set()
    to_release: list[str] = []  # receipt handles of messages left in the queue

    while max_messages is None or summary.received < max_messages:
        batch = (
            _SQS_MAX_BATCH if max_messages is None else min(_SQS_MAX_BATCH, max_messages - summary.received)
        )
        messages = sqs.receive_message(
            QueueUrl=queue_url,
            MaxNumberOfMessages=batch,
            WaitTimeSeconds=wait_seconds,
            VisibilityTimeout=visibility_timeout,
        ).get("Messages", [])
        fresh = [m for m in messages if m["MessageId"] not in seen]
        if not fresh:
            # Empty, or only messages seen before (visibility timeout shorter than this run): stop.
            to_release.extend(m["ReceiptHandle"] for m in messages)
            break
        for message in fresh:
            seen.add(message["MessageId"])
            summary.received += 1
            outcome = _redrive_one(
                sqs=sqs,
                lam=lam,
                queue_url=queue_url,
                function_name=function_name,
                body=message["Body"],
                dry_run=dry_run,
                message_id=message["MessageId"],
                receipt_handle=message["ReceiptHandle"],
            )
            summary.outcomes.append(outcome)
            if outcome.outcome in ("redriven", "would-redrive"):
                summary.redriven += 1
            elif outcome.outcome == "skipped":
                summary.skipped += 1
            else:
                summary.failed += 1
            if outcome.outcome != "redriven":
                to_release.append(message["ReceiptHandle"])

    for handle in to_release:
        # On failure it reappears by itself when the visibility timeout ends.
        with contextlib.suppress(BotoCoreError, ClientError):
            sqs.change_message_visibility(QueueUrl=queue_url, ReceiptHandle=handle, VisibilityTimeout=0)
    return summary


def _redrive_one(
    *,
    sqs: SQSClient,
    lam: LambdaInvokeClient | None,
    queue_url: str,
    function_name: str,
    body: str,
    dry_run: bool,
    message_id: str,
    receipt_handle: str,
) -> MessageOutcome:
    try:
        source, event = extract_event(body)
    except UnrecognisedMessageError as exc:
        return MessageOutcome(message_id, "skipped", None, str(exc))
    if dry_run or lam is None:
        return MessageOutcome(message_id, "would-redrive", source)
    try:
        response = lam.invoke(
            FunctionName=function_name, InvocationType="Event", Payload=json.dumps(event).encode()
        )
    except (BotoCoreError, ClientError) as exc:
        return MessageOutcome(message_id, "failed", source, f"invoke failed: {exc}")
    status = response.get("StatusCode")
    if status != 202:
        return MessageOutcome(message_id, "failed", source, f"invoke answered status {status}, not 202")
    try:
        sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=receipt_handle)
    except (BotoCoreError, ClientError) as exc:
        # The event is already re-submitted; the message stays, so a second run would submit it again.
        return MessageOutcome(message_id, "failed", source, f"re-invoked but not deleted: {exc}")
    return MessageOutcome(message_id, "redriven", source)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.redrive",
        description="Re-submit the events in the escalation DLQ to the function (asynchronous Invoke).",
    )
    parser.add_argument("--queue-url", required=True, help="URL of the DLQ")
    parser.add_argument("--function-name", required=True, help="function name or ARN")
    parser.add_argument("--max", type=int, default=None, dest="max_messages", help="at most N messages")
    parser.add_argument(
        "--dry-run", action="store_true", help="report what would be redriven, change nothing"
    )
    parser.add_argument("--wait-seconds", type=int, default=1, help="SQS long-poll wait per receive (0-20)")
    args = parser.parse_args(argv)
    if args.max_messages is not None and args.max_messages < 1:
        parser.error("--max must be at least 1")

    try:
        summary = redrive(
            args.queue_url,
            args.function_name,
            args.max_messages,
            args.dry_run,
            wait_seconds=args.wait_seconds,
        )
    except (BotoCoreError, ClientError) as exc:
        print(f"redrive: cannot read the queue: {exc}", file=sys.stderr)
        return 2
    for item in summary.outcomes:
        line = f"{item.outcome:<13} {item.message_id} {item.source or '-'}"
        print(f"{line} {item.detail}".rstrip())
    prefix = "dry run: " if summary.dry_run else ""
    verb = "would redrive" if summary.dry_run else "redriven"
    print(
        f"{prefix}received {summary.received}, {verb} {summary.redriven}, "
        f"skipped {summary.skipped}, failed {summary.failed}"
    )
    return 0 if summary.ok else 1


if __name__ == "__main__":
    sys.exit(main())
