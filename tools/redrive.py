"""Redrive the escalation DLQ: send each failed event back through the function's asynchronous Invoke.

    python -m tools.redrive --queue-url URL --function-name NAME --mac-key-id KEY [--dry-run]
                            [--include CODE] [--max N] [--operator NAME]

Works against the deployed DLQ and the local one alike: it uses standard boto3 `sqs` and `lambda` clients,
so credentials, region and endpoints come from the usual environment (AWS_PROFILE, AWS_REGION,
AWS_ENDPOINT_URL_SQS / AWS_ENDPOINT_URL_LAMBDA for the local stack, ...).

The DLQ holds two kinds of message (tools/dead_letter_records.py): Lambda's on-failure destination records
and the handler's own dead-letter records. Each is replayed only when KMS VerifyMac accepts its MAC with
the key given by --mac-key-id (the stack's DeadLetterMacKeyArn output): a record with no MAC, a wrong one
or one made with another key is refused, never replayed, listed and kept. A recorded API escalation is
replayed as the recorded request, with its recorded requester, and the ledger records the redrive and
its operator; a stored HTTP request is never replayed. Everything printed has its control characters
escaped: a record's text cannot forge a line of the report.

One run terminates and does no harm:
- it handles each message that was in the queue when it started at most once. Messages sent after the
  start (for example the dead-letter records of redriven events that failed again) are left for the next
  run. "After the start" is read from SQS's SentTimestamp against this machine's clock, so a clock behind
  SQS's leaves a few older messages for the next run, never the other way round;
- records that fail verification are refused and kept; a dry run verifies too;
- records whose cause a redrive can never fix (an invalid event, another Connect instance, an unknown
  contact, a contact at its transfer limit) are kept and listed, and redriven only when named with
  `--include CODE`;
- a message is deleted only once Lambda has accepted its event (202); every message not deleted is made
  visible again at the end, so the queue is left as found.

Exit status: 0; 1 when any invoke (or delete) failed or a record was refused; 2 when the queue cannot
be read.
"""

from __future__ import annotations

import argparse
import contextlib
import getpass
import json
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Protocol, cast

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from tools.dead_letter_records import (
    DeadLetter,
    MacChecker,
    RefusedRecordError,
    Source,
    UnrecognisedMessageError,
    printable,
    read_dead_letter,
    replay_payload,
    verification_failure,
)
from tools.redrive_report import MessageOutcome, ProgressPrinter, RedriveSummary, report_lines

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import MessageTypeDef

__all__ = ["DeadLetter", "UnrecognisedMessageError", "extract_event", "main", "redrive"]
# Error codes whose cause lies in the event itself, or in the contact, not in anything an operator can
# fix before a redrive: redriving them only writes the same record (and the same alert) again. The
# transfer limit is one: a contact transferred 11 times stays so (our own refusal, or Connect's).
NEVER_FIXED_BY_REDRIVE = frozenset(
    {
        "INVALID_EVENT",
        "FOREIGN_INSTANCE",
        "CONTACT_NOT_FOUND",
        "TRANSFER_LIMIT_REACHED",
        "ServiceQuotaExceededException",
    }
)
_SQS_MAX_BATCH = 10
# Receives in a row that bring nothing the run should handle before it stops (only messages it already
# holds, or ones sent after it started).
_IDLE_RECEIVES_TO_STOP = 3


class LambdaInvokeClient(Protocol):
    """The one call needed from a boto3 `lambda` client (no type stubs for it are installed)."""

    def invoke(self, *, FunctionName: str, InvocationType: str, Payload: bytes) -> Mapping[str, Any]: ...  # noqa: N803


@dataclass(frozen=True)
class RedriveOptions:
    max_messages: int | None = None  # at most this many messages taken (None: all present at the start)
    dry_run: bool = False
    include: frozenset[str] = frozenset()  # codes from NEVER_FIXED_BY_REDRIVE to redrive anyway
    mac_key_id: str = ""  # the KMS HMAC key records are verified with (the stack's DeadLetterMacKeyArn)
    operator: str = ""  # who runs the redrive, recorded in the ledger (default: this machine's user)
    wait_seconds: int = 1
    visibility_timeout: int = 300  # held messages stay invisible while the run goes on


@dataclass(frozen=True)
class RedriveClients:
    """The AWS clients a run uses; a None one is built by boto3 from the environment."""

    sqs: SQSClient | None = None
    lambda_invoke: LambdaInvokeClient | None = None
    kms: KMSClient | None = None


def _parse(body: str) -> DeadLetter:
    try:
        record = json.loads(body)
    except ValueError as exc:
        raise UnrecognisedMessageError("body is not JSON") from exc
    return read_dead_letter(record)


def extract_event(body: str) -> tuple[Source, Any]:
    """The original event in a DLQ message body, and which kind of record carried it."""
    dead_letter = _parse(body)
    return dead_letter.source, dead_letter.event


class _Run:
    """One pass over the queue: each message present at the start is handled at most once."""

    def __init__(  # noqa: PLR0913 - the clients, the queue, the function and the options
        self,
        sqs: SQSClient,
        lam: LambdaInvokeClient | None,
        *,
        checker: MacChecker,
        queue_url: str,
        function_name: str,
        options: RedriveOptions,
    ) -> None:
        self._sqs = sqs
        self._lam = lam
        self._checker = checker
        self._queue_url = queue_url
        self._function_name = function_name
        self._options = options
        self._started_ms = int(time.time() * 1000)
        self.summary = RedriveSummary(dry_run=options.dry_run)
        self._to_release: dict[str, str] = {}  # message id → latest receipt handle, for messages kept
        self._handled: set[str] = set()

    def run(self, on_progress: Callable[[RedriveSummary], None] | None) -> RedriveSummary:
        idle_receives = 0
        try:
            while idle_receives < _IDLE_RECEIVES_TO_STOP and not self._taken_enough():
                messages = self._receive()
                if not messages:
                    break
                fresh = [message for message in messages if self._is_fresh(message)]
                idle_receives = 0 if fresh else idle_receives + 1
                for message in fresh:
                    if self._taken_enough():
                        self._hold(message)
                        continue
                    self._handle(message)
                    if on_progress is not None:
                        on_progress(self.summary)
        finally:
            self._release_all()
        self.summary.left_for_next_run = len(
            [handle for handle in self._to_release if handle not in self._handled]
        )
        return self.summary

    def _taken_enough(self) -> bool:
        limit = self._options.max_messages
        return limit is not None and self.summary.received >= limit

    def _receive(self) -> list[MessageTypeDef]:
        return self._sqs.receive_message(
            QueueUrl=self._queue_url,
            MaxNumberOfMessages=_SQS_MAX_BATCH,
            WaitTimeSeconds=self._options.wait_seconds,
            VisibilityTimeout=self._options.visibility_timeout,
            MessageSystemAttributeNames=["SentTimestamp"],
        ).get("Messages", [])

    def _is_fresh(self, message: MessageTypeDef) -> bool:
        """Not handled yet in this run and present when it started; anything else is held, then released."""
        message_id = message["MessageId"]
        if message_id in self._handled:
            self._hold(message)
            return False
        sent_ms = int(message.get("Attributes", {}).get("SentTimestamp", "0"))
        if sent_ms >= self._started_ms:
            self._hold(message)
            return False
        return True

    def _hold(self, message: MessageTypeDef) -> None:
        self._to_release[message["MessageId"]] = message["ReceiptHandle"]

    def _handle(self, message: MessageTypeDef) -> None:
        self._handled.add(message["MessageId"])
        outcome = self._redrive_one(message)
        self.summary.outcomes.append(outcome)
        if outcome.outcome != "redriven":
            self._hold(message)

    def _redrive_one(self, message: MessageTypeDef) -> MessageOutcome:  # noqa: PLR0911 - one return per outcome
        message_id = message["MessageId"]
        try:
            dead_letter = _parse(message["Body"])
        except UnrecognisedMessageError as exc:
            return MessageOutcome(message_id, "skipped", None, detail=str(exc))
        source, code, decision = dead_letter.source, dead_letter.error_code, dead_letter.decision
        try:
            self._checker.check(dead_letter)
            event = replay_payload(dead_letter, self._options.operator)
        except RefusedRecordError as exc:
            return MessageOutcome(message_id, "refused", source, code, decision, str(exc))
        except (BotoCoreError, ClientError) as exc:
            return MessageOutcome(message_id, "failed", source, code, decision, verification_failure(exc))
        if code in NEVER_FIXED_BY_REDRIVE and code not in self._options.include:
            return MessageOutcome(
                message_id, "kept", source, code, decision, f"a redrive cannot fix it (--include {code})"
            )
        if self._lam is None:
            return MessageOutcome(message_id, "would-redrive", source, code, decision)
        payload = json.dumps(event).encode()
        try:
            response = self._lam.invoke(
                FunctionName=self._function_name, InvocationType="Event", Payload=payload
            )
        except (BotoCoreError, ClientError) as exc:
            return MessageOutcome(message_id, "failed", source, code, decision, f"invoke failed: {exc}")
        status = response.get("StatusCode")
        if status != 202:
            detail = f"invoke answered status {status}, not 202"
            return MessageOutcome(message_id, "failed", source, code, decision, detail)
        try:
            self._sqs.delete_message(QueueUrl=self._queue_url, ReceiptHandle=message["ReceiptHandle"])
        except (BotoCoreError, ClientError) as exc:
            # The event is already re-submitted; the message stays, so a second run would submit it again.
            detail = f"re-invoked but not deleted: {exc}"
            return MessageOutcome(message_id, "failed", source, code, decision, detail)
        return MessageOutcome(message_id, "redriven", source, code, decision)

    def _release_all(self) -> None:
        for handle in self._to_release.values():
            # On failure it reappears by itself when the visibility timeout ends.
            with contextlib.suppress(BotoCoreError, ClientError):
                self._sqs.change_message_visibility(
                    QueueUrl=self._queue_url, ReceiptHandle=handle, VisibilityTimeout=0
                )


def redrive(
    queue_url: str,
    function_name: str,
    options: RedriveOptions | None = None,
    *,
    clients: RedriveClients | None = None,
    on_progress: Callable[[RedriveSummary], None] | None = None,
) -> RedriveSummary:
    """One redrive run of queue_url into function_name (see the module docstring for what it promises)."""
    options = options or RedriveOptions()
    clients = clients or RedriveClients()
    sqs = clients.sqs or boto3.client("sqs")
    checker = MacChecker(clients.kms or boto3.client("kms"), options.mac_key_id)
    if not options.operator:
        options = replace(options, operator=getpass.getuser())
    lam: LambdaInvokeClient | None = None
    if not options.dry_run:
        lam = clients.lambda_invoke or cast(LambdaInvokeClient, boto3.client("lambda"))
    run = _Run(sqs, lam, checker=checker, queue_url=queue_url, function_name=function_name, options=options)
    return run.run(on_progress)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.redrive",
        description="Re-submit the events in the escalation DLQ to the function (asynchronous Invoke).",
    )
    parser.add_argument("--queue-url", required=True, help="URL of the DLQ")
    parser.add_argument("--function-name", required=True, help="function name or ARN")
    parser.add_argument(
        "--mac-key-id",
        required=True,
        help="the KMS HMAC key that signs the records (the stack's DeadLetterMacKeyArn output)",
    )
    parser.add_argument(
        "--operator", default="", help="who redrives, as the ledger records it (default: this machine's user)"
    )
    parser.add_argument("--max", type=int, default=None, dest="max_messages", help="at most N messages")
    parser.add_argument(
        "--dry-run", action="store_true", help="list the queue by error code and decision; change nothing"
    )
    parser.add_argument(
        "--include",
        action="append",
        default=[],
        choices=sorted(NEVER_FIXED_BY_REDRIVE),
        metavar="CODE",
        help="also redrive records with this error code, which are kept by default; repeatable",
    )
    parser.add_argument("--wait-seconds", type=int, default=1, help="SQS long-poll wait per receive (0-20)")
    args = parser.parse_args(argv)
    if args.max_messages is not None and args.max_messages < 1:
        parser.error("--max must be at least 1")
    options = RedriveOptions(
        max_messages=args.max_messages,
        dry_run=args.dry_run,
        include=frozenset(args.include),
        wait_seconds=args.wait_seconds,
        mac_key_id=args.mac_key_id,
        operator=args.operator,
    )
    try:
        summary = redrive(args.queue_url, args.function_name, options, on_progress=ProgressPrinter())
    except (BotoCoreError, ClientError) as exc:
        print(printable(f"redrive: cannot read the queue: {exc}"), file=sys.stderr)
        return 2
    for line in report_lines(summary):
        print(line)
    return 0 if summary.ok else 1


if __name__ == "__main__":
    sys.exit(main())
