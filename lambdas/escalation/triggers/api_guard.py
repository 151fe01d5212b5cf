"""What `POST /escalations` refuses in its body: size, media type and encoding before the resolver reads
it, hostile JSON while it parses it (the resolver's JSON deserializer is `parse_json_object`).

Plain `json.loads` lets a deeply nested body, an integer past Python's digit limit or a huge body
raise plain RecursionError/ValueError/MemoryError, which would look like our own bugs (500, DLQ, alert).
Here each of those is a 4xx answer, decided with bounded work.
"""

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from escalation.domain.policy import ApiAnswer

# Far above the largest valid body (ids of 256, a reason of 128, a note of 1024 characters, each up to
# 4 UTF-8 bytes, JSON escapes included), far below API Gateway's own 10 MB.
MAX_BODY_BYTES = 64 * 1024
# A valid body nests two levels (body, target); anything deeper is refused without a schema walk.
MAX_JSON_DEPTH = 8
# Python refuses to convert integers longer than this (sys.int_info.default_max_str_digits).
_MAX_INT_DIGITS = 4300

JSON_MEDIA_TYPE = "application/json"
PAYLOAD_TOO_LARGE = ApiAnswer(413, "PAYLOAD_TOO_LARGE")  # the gateway's own code for the same answer
UNSUPPORTED_MEDIA_TYPE = ApiAnswer(415, "UNSUPPORTED_MEDIA_TYPE")
INVALID_BODY = ApiAnswer(400, "INVALID_BODY")
SEND_JSON = "send the body as application/json"


@dataclass(frozen=True)
class Refused:
    answer: ApiAnswer
    message: str


class _HostileJson(ValueError):
    pass


def declared_media_type(headers: Mapping[str, Any]) -> str:
    """The Content-Type's media type, lower-cased (media types compare case-insensitively)."""
    value = next((v for k, v in headers.items() if str(k).lower() == "content-type"), "")
    return str(value).split(";", 1)[0].strip().lower()


def canonical_content_type(event: dict[str, Any]) -> dict[str, Any]:
    """The event with one `content-type: application/json` header: Powertools compares it case-sensitively."""
    canonical = dict(event)
    for key in ("headers", "multiValueHeaders"):
        headers = event.get(key)
        if isinstance(headers, Mapping):
            kept = {name: value for name, value in headers.items() if str(name).lower() != "content-type"}
            kept["content-type"] = [JSON_MEDIA_TYPE] if key == "multiValueHeaders" else JSON_MEDIA_TYPE
            canonical[key] = kept
    return canonical


def _depth_at_most(value: Any, limit: int) -> bool:
    """Whether `value` nests at most `limit` containers deep, without recursion."""
    level: list[Any] = [value]
    for _ in range(limit + 1):
        children: list[Any] = []
        for item in level:
            if isinstance(item, dict):
                children.extend(item.values())
            elif isinstance(item, list):
                children.extend(item)
        if not children:
            return True
        level = children
    return False


def _parse_int(digits: str) -> int:
    if len(digits.lstrip("-")) > _MAX_INT_DIGITS:
        raise _HostileJson("a number has more digits than any field accepts")
    return int(digits)


def _parse_float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise _HostileJson("a number is out of range")
    return value


def _refuse_constant(name: str) -> Any:
    raise _HostileJson(f"{name} is not JSON")


def _body_bytes(event: Mapping[str, Any]) -> bytes | Refused | None:
    body = event.get("body")
    if body is None or body == "":
        return None  # Powertools answers the missing body with the schema's own message
    if not isinstance(body, str):
        return Refused(INVALID_BODY, "the body is not text")
    too_large = Refused(PAYLOAD_TOO_LARGE, f"the body is larger than {MAX_BODY_BYTES} bytes")
    if event.get("isBase64Encoded"):
        if len(body) > (MAX_BODY_BYTES + 2) // 3 * 4 + 4:  # the base64 form of more than the bound
            return too_large
        try:
            raw = base64.b64decode(body, validate=False)
        except (binascii.Error, ValueError):
            return Refused(INVALID_BODY, "the body is not valid base64")
    else:
        if len(body) > MAX_BODY_BYTES:  # each character is at least one byte
            return too_large
        raw = body.encode("utf-8", "surrogatepass")
    return too_large if len(raw) > MAX_BODY_BYTES else raw


class BodyRefused(Exception):
    """Raised by `parse_json_object` inside Powertools: the body is JSON, but hostile or not an object."""

    def __init__(self, refused: Refused) -> None:
        super().__init__(refused.message)
        self.refused = refused


def parse_json_object(text: str) -> dict[str, Any]:
    """The resolver's JSON deserializer: the request body, parsed once, with bounded work.

    Raises BodyRefused for a number or constant no field accepts, a body that is not an object, or one
    nested too deeply; json.JSONDecodeError for malformed JSON (Powertools answers it with its position).
    """
    too_deep = Refused(INVALID_BODY, f"the body nests deeper than {MAX_JSON_DEPTH} levels")
    try:
        document = json.loads(
            text, parse_int=_parse_int, parse_float=_parse_float, parse_constant=_refuse_constant
        )
    except _HostileJson as error:
        raise BodyRefused(Refused(INVALID_BODY, str(error))) from None
    except RecursionError:
        raise BodyRefused(too_deep) from None
    if not isinstance(document, dict):
        raise BodyRefused(Refused(INVALID_BODY, "the body must be a JSON object"))
    if not _depth_at_most(document, MAX_JSON_DEPTH):
        raise BodyRefused(too_deep)
    return document


def check_body(event: Mapping[str, Any]) -> Refused | None:
    """Why the request's body must be refused before the resolver reads it (its size and encoding), or
    None: its JSON is then parsed once, by the resolver, with `parse_json_object`."""
    raw = _body_bytes(event)
    if raw is None or isinstance(raw, Refused):
        return raw
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return Refused(INVALID_BODY, "the body is not UTF-8 encoded JSON")
    return None
