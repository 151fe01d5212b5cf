"""What a dead-letter record's MAC covers, and where it travels: written once for the function, which
signs, and for tools/redrive.py, which verifies with KMS VerifyMac before it replays anything.

- The handler's own record carries `mac`: KMS GenerateMac (HMAC_SHA_256, the stack's HMAC key) over the
  record's canonical form: the record without `mac`, as JSON with sorted keys and no whitespace. KMS
  takes at most 4,096 bytes and a record may hold 250 KB, so the MAC'd message is that form's SHA-256
  digest behind a label naming what it is (a record, or a retried event: one can never pass for the
  other).
- Lambda writes its on-failure records itself, so they cannot carry a field of ours; the handler puts
  the MAC of the event it was invoked with into the error it raises for a retry, and Lambda copies that
  error into the record (`responsePayload.errorMessage`). A record of an invocation that timed out or
  crashed has no MAC: the redrive refuses it like a forged one.

Standard library only: the redrive runs outside the Lambda's dependencies.
"""

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Mapping
from typing import Any, Final

MAC_FIELD: Final = "mac"
MAC_ALGORITHM: Final = "HMAC_SHA_256"
# How a retry error names the MAC of its event: "<why> [event-mac:<base64>]".
_ERROR_MAC = re.compile(r"\[event-mac:([A-Za-z0-9+/=]{1,200})\]\s*$")


def canonical(value: Any) -> bytes:
    """The bytes a MAC covers: JSON with sorted keys, no whitespace, UTF-8 (lone surrogates kept)."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return text.encode("utf-8", "surrogatepass")


def _labelled_digest(label: str, content: bytes) -> bytes:
    return f"{label}\n{hashlib.sha256(content).hexdigest()}".encode("ascii")


def record_message(record: Mapping[str, Any]) -> bytes:
    """What a dead-letter record's MAC is computed over: its canonical form without `mac`, digested."""
    content = canonical({key: value for key, value in record.items() if key != MAC_FIELD})
    return _labelled_digest("escalation-dead-letter-record/v1", content)


def event_message(event: Any) -> bytes:
    """What a retry error's MAC is computed over: the invoked event's canonical form, digested."""
    return _labelled_digest("escalation-retried-event/v1", canonical(event))


def encode_mac(mac: bytes) -> str:
    return base64.b64encode(mac).decode("ascii")


def decode_mac(text: Any) -> bytes | None:
    """The MAC's bytes, or None when there is none or it is not base64."""
    if not isinstance(text, str) or not text:
        return None
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None


def retry_error_message(why: str, event_mac: bytes) -> str:
    return f"{why} [event-mac:{encode_mac(event_mac)}]"


def mac_in_error_message(message: Any) -> bytes | None:
    """The event MAC a retry error carries (see retry_error_message), or None."""
    if not isinstance(message, str):
        return None
    found = _ERROR_MAC.search(message)
    return decode_mac(found.group(1)) if found else None
