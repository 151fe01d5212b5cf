"""What a DLQ message says, whether this stack's function wrote it, and what a redrive may replay.

Two kinds of message reach the handler DLQ (its queue policy lets nothing else send to it):
- a Lambda on-failure destination record (`{"version": "1.0", "requestContext": {...}, "requestPayload":
  <event>, "responsePayload": {"errorMessage": ...}}`), written by Lambda when an asynchronous invocation
  failed all its attempts; the handler's retry error carries the MAC of the event it was invoked with;
- the handler's own dead-letter record (`{"kind": "escalation-dead-letter", ..., "mac": ...}`).

A record is replayed only once KMS VerifyMac, with the key the operator names, accepts its MAC
(lambdas/escalation/record_mac.py says what the MAC covers). An API escalation is replayed as the
escalation request the handler recorded after it had authorised the requester, never from a stored HTTP
event, whose claims no one checks again; an HTTP event is never replayed at all.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from botocore.exceptions import BotoCoreError, ClientError

# The MAC's definition lives once, with the function's code (standard library only); this tool runs
# without PYTHONPATH, so the code root is put on the path, after anything already there.
_LAMBDA_ROOT = str(Path(__file__).resolve().parent.parent / "lambdas")
if _LAMBDA_ROOT not in sys.path:
    sys.path.append(_LAMBDA_ROOT)

from escalation.contract import REDRIVE_EVENT_KEY  # noqa: E402 - after the path above, on purpose
from escalation.record_mac import (  # noqa: E402 - likewise
    MAC_ALGORITHM,
    MAC_FIELD,
    decode_mac,
    event_message,
    mac_in_error_message,
    record_message,
)

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient

DEAD_LETTER_KIND = "escalation-dead-letter"

Source = Literal["destination", "dead-letter"]


class UnrecognisedMessageError(ValueError):
    """The message body is neither a destination record nor a handler dead-letter record."""


class RefusedRecordError(ValueError):
    """The record is not replayed: its MAC is missing or wrong, or what it would replay is not allowed."""


@dataclass(frozen=True)
class DeadLetter:
    """What a DLQ message says: where it came from, the original event, and why it failed."""

    source: Source
    event: Any
    error_code: str  # the handler's errorCode, or Lambda's errorType/condition for a destination record
    decision: str  # the handler's decision; a destination record is Lambda's retries running out
    record: dict[str, Any]  # the whole message body, as parsed


def read_dead_letter(record: Any) -> DeadLetter:
    """The original event in a parsed DLQ message body, which kind of record carried it, and why."""
    if not isinstance(record, dict):
        raise UnrecognisedMessageError("body is not a JSON object")
    if record.get("kind") == DEAD_LETTER_KIND:
        event = record.get("originalEvent")
        if not isinstance(event, dict):
            raise UnrecognisedMessageError("dead-letter record without an originalEvent object")
        code, decision = str(record.get("errorCode") or "-"), str(record.get("decision") or "-")
        return DeadLetter("dead-letter", event, code, decision, record)
    context = record.get("requestContext")
    if isinstance(context, dict) and "requestPayload" in record:
        event = record["requestPayload"]
        if event is None:
            raise UnrecognisedMessageError("destination record with an empty requestPayload")
        response = record.get("responsePayload")
        error_type = response.get("errorType") if isinstance(response, dict) else None
        code = str(error_type or context.get("condition") or "-")
        return DeadLetter("destination", event, code, "RETRY", record)
    raise UnrecognisedMessageError("neither a Lambda destination record nor an escalation dead-letter record")


def _is_http_event(event: Any) -> bool:
    return isinstance(event, dict) and "httpMethod" in event


class MacChecker:
    """KMS VerifyMac with the key the operator names (the stack's DeadLetterMacKeyArn output)."""

    def __init__(self, kms: KMSClient, key_id: str) -> None:
        self._kms = kms
        self._key_id = key_id

    def check(self, dead_letter: DeadLetter) -> None:
        """Returns when KMS accepts the record's MAC; else raises RefusedRecordError saying why."""
        if dead_letter.source == "dead-letter":
            mac, message = decode_mac(dead_letter.record.get(MAC_FIELD)), record_message(dead_letter.record)
        else:
            response = dead_letter.record.get("responsePayload")
            error = response.get("errorMessage") if isinstance(response, dict) else None
            mac, message = mac_in_error_message(error), event_message(dead_letter.event)
        if mac is None:
            raise RefusedRecordError("no MAC: not written by this stack's function")
        try:
            self._kms.verify_mac(Message=message, Mac=mac, KeyId=self._key_id, MacAlgorithm=MAC_ALGORITHM)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "KMSInvalidMacException":
                raise RefusedRecordError(
                    "MAC does not verify with the stack's key: forged or altered"
                ) from exc
            raise


def replay_payload(dead_letter: DeadLetter, operator: str) -> dict[str, Any]:
    """The event the function is invoked with for a verified record; RefusedRecordError if none may be."""
    event = dead_letter.event
    if dead_letter.source == "dead-letter" and dead_letter.record.get("trigger") == "API":
        request = dead_letter.record.get("request")
        if not isinstance(request, dict):
            raise RefusedRecordError("an API escalation without its recorded request is not replayed")
        return {REDRIVE_EVENT_KEY: {"request": request, "operator": operator}}
    if isinstance(event, dict) and isinstance(event.get(REDRIVE_EVENT_KEY), dict):
        # A redrive that failed again: the same recorded request, redriven by this operator now.
        return {REDRIVE_EVENT_KEY: {**event[REDRIVE_EVENT_KEY], "operator": operator}}
    if _is_http_event(event):
        raise RefusedRecordError("an HTTP request is never replayed: its claims would not be checked again")
    if not isinstance(event, dict):
        raise RefusedRecordError("the original event is not a JSON object")
    return event


def verification_failure(error: BotoCoreError | ClientError) -> str:
    return f"cannot verify the MAC: {error}"


def printable(text: object) -> str:
    """Text safe for a terminal: control and other non-printable characters escaped (\\n, \\x1b, ...)."""
    out = []
    for char in str(text):
        if char == "\\":
            out.append("\\\\")
        elif char.isprintable():
            out.append(char)
        else:
            out.append(char.encode("unicode_escape", "backslashreplace").decode("ascii"))
    return "".join(out)
