"""local.gateway through the local API: the answers API Gateway gives itself, before the handler, with
the bodies and headers of the stack's gateway responses, in API Gateway's order."""

from __future__ import annotations

import http.client
import json
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from pydantic import ValidationError

from escalation.contract import API_PATH, ESCALATION_OPTIONS_PATH
from escalation.triggers.api_models import EscalationBody
from infra.gateway_responses import THROTTLE_BURST, THROTTLE_RATE, answer_headers, gateway_answer
from local.api import ApiOptions, LocalApi
from local.dev_tokens import make_dev_token
from local.gateway import MAX_PAYLOAD_BYTES, RequestModel
from tests.local.helpers import RecordingHandler

pytestmark = pytest.mark.integration

ORIGIN = "https://desktop.example.com"
TOKEN = {"Authorization": "Bearer " + make_dev_token("agent-7", ["agents"], "alice")}
JSON = {"Content-Type": "application/json"}
VALID = json.dumps({"contactId": "c-1", "reason": "CUSTOMER_UNHAPPY"}).encode()
# API Gateway's own headers on every answer it gives itself, besides those the gateway response sets.
OWN_HEADERS = {"content-type", "content-length", "x-amzn-errortype", "x-amzn-requestid", "server", "date"}


@pytest.fixture
def api(handler: RecordingHandler) -> Iterator[LocalApi]:
    with LocalApi(handler, options=ApiOptions(port=0)) as running:
        yield running


class Client:
    """One keep-alive connection to the local API."""

    def __init__(self, api: LocalApi) -> None:
        url = urlsplit(api.url)
        self._conn = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port, timeout=10)

    def send(
        self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        self._conn.request(method, path, body=body, headers=headers or {})
        resp = self._conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()

    def close(self) -> None:
        self._conn.close()


def send(
    api: LocalApi, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
) -> Any:
    client = Client(api)
    try:
        return client.send(method, path, body, headers)
    finally:
        client.close()


def assert_gateway_answer(
    answer: tuple[int, dict[str, str], bytes], response_type: str, origin: str | None = None
) -> None:
    """Status, body and headers exactly as infra/gateway_responses.py defines them."""
    status, headers, body = answer
    defined = gateway_answer(response_type)
    assert status == defined.status
    assert json.loads(body) == json.loads(defined.body_template())  # a fixed message: the template is JSON
    expected = {name.lower(): value for name, value in answer_headers(defined, origin).items()}
    assert {name: value for name, value in headers.items() if name not in OWN_HEADERS} == expected
    assert headers["content-type"] == "application/json"


def test_a_request_over_10_mb_is_413_before_anything_else(api: LocalApi, handler: RecordingHandler) -> None:
    oversized = b" " * (MAX_PAYLOAD_BYTES + 1)
    assert_gateway_answer(
        send(api, "POST", API_PATH, oversized, JSON), "REQUEST_TOO_LARGE"
    )  # no token either
    assert handler.calls == []


def test_no_token_is_401_and_an_unknown_route_403_even_with_a_bad_body(
    api: LocalApi, handler: RecordingHandler
) -> None:
    assert_gateway_answer(send(api, "POST", API_PATH, b"{not json", JSON), "UNAUTHORIZED")

    status, headers, body = send(api, "POST", "/nope", b"{not json", {**JSON, **TOKEN})
    assert (status, headers["x-amzn-errortype"]) == (403, "MissingAuthenticationTokenException")
    assert json.loads(body) == {"error": "REQUEST_REFUSED", "message": "Missing Authentication Token"}
    assert handler.calls == []


def test_the_options_route_without_its_contact_id_is_400_naming_it(
    api: LocalApi, handler: RecordingHandler
) -> None:
    status, headers, body = send(api, "GET", ESCALATION_OPTIONS_PATH, headers=TOKEN)
    assert (status, headers["x-amzn-errortype"]) == (400, "BadRequestException")
    assert json.loads(body) == {
        "error": "INVALID_PARAMETERS",
        "message": "Missing required request parameters: [contactId]",
    }
    assert handler.calls == []
    status, _, _ = send(api, "GET", f"{ESCALATION_OPTIONS_PATH}?contactId=c-1", headers=TOKEN)
    assert status == 200
    ((event, _),) = handler.calls
    assert (event["resource"], event["queryStringParameters"]) == (
        ESCALATION_OPTIONS_PATH,
        {"contactId": "c-1"},
    )


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"",
        b"[]",
        json.dumps({"reason": "CUSTOMER_UNHAPPY"}).encode(),
        json.dumps({"contactId": "c-1", "reason": "CUSTOMER_UNHAPPY", "priority": 1}).encode(),
        json.dumps({"contactId": "c" * 257, "reason": "CUSTOMER_UNHAPPY"}).encode(),
        json.dumps({"contactId": 7, "reason": "CUSTOMER_UNHAPPY"}).encode(),
    ],
)
def test_a_body_the_request_model_refuses_is_400(
    api: LocalApi, handler: RecordingHandler, body: bytes
) -> None:
    assert_gateway_answer(send(api, "POST", API_PATH, body, {**JSON, **TOKEN}), "BAD_REQUEST_BODY")
    assert handler.calls == []


def test_the_model_applies_to_json_only_as_it_is_declared(api: LocalApi, handler: RecordingHandler) -> None:
    status, _, _ = send(api, "POST", API_PATH, b"{not json", {"Content-Type": "text/plain", **TOKEN})
    assert status == 200  # passed on: the handler answers for the media type
    status, _, _ = send(
        api, "POST", API_PATH, VALID, {"Content-Type": "application/json; charset=utf-8", **TOKEN}
    )
    assert status == 200
    assert len(handler.calls) == 2
    assert_gateway_answer(send(api, "POST", API_PATH, b"{}", TOKEN), "BAD_REQUEST_BODY")  # no type: JSON


@pytest.mark.parametrize(
    "body",
    [
        {"contactId": "c-1", "reason": "CUSTOMER_UNHAPPY", "unknown": "x"},
        {"contactId": "c-1", "reason": "CUSTOMER_UNHAPPY", "target": {"queueId": "q", "flow": "f"}},
        {"contactId": "c-1", "reason": "r" * 129},
        {"contactId": "c-1", "reason": "CUSTOMER_UNHAPPY", "note": "n" * 1025},
        {"contactId": "", "reason": "CUSTOMER_UNHAPPY"},
    ],
)
def test_the_gateway_model_refuses_unknown_fields_and_oversized_strings_like_the_handler(
    body: dict[str, Any],
) -> None:
    assert not RequestModel().accepts("application/json", json.dumps(body).encode())
    with pytest.raises(ValidationError):
        EscalationBody.model_validate(body)


def test_both_accept_a_full_valid_body() -> None:
    body = {
        "contactId": "c-1",
        "reason": "CUSTOMER_UNHAPPY",
        "target": {"queueId": "q-1"},
        "note": "n" * 1024,
    }
    assert RequestModel().accepts("application/json", json.dumps(body).encode())
    EscalationBody.model_validate(body)


def test_past_the_stage_burst_requests_are_429_with_retry_after(handler: RecordingHandler) -> None:
    with LocalApi(handler, options=ApiOptions(port=0, throttle_rate=0.01, throttle_burst=2)) as api:
        client = Client(api)
        try:
            invalid = client.send("POST", API_PATH, b"{}", {**JSON, **TOKEN})  # refused first: takes no token
            answers = [client.send("POST", API_PATH, VALID, {**JSON, **TOKEN}) for _ in range(3)]
        finally:
            client.close()
    assert invalid[0] == 400
    assert [status for status, _, _ in answers] == [200, 200, 429]
    assert_gateway_answer(answers[2], "THROTTLED")
    assert answers[2][1]["retry-after"] == "1"
    assert len(handler.calls) == 2


def test_the_default_throttle_is_the_stacks(api: LocalApi, handler: RecordingHandler) -> None:
    client = Client(api)
    started = time.monotonic()
    try:
        statuses = [
            client.send("POST", API_PATH, VALID, {**JSON, **TOKEN})[0] for _ in range(THROTTLE_BURST + 10)
        ]
    finally:
        client.close()
    elapsed = time.monotonic() - started
    accepted = statuses.count(200)
    assert set(statuses) == {200, 429}
    assert THROTTLE_BURST <= accepted <= THROTTLE_BURST + THROTTLE_RATE * elapsed + 1


def test_with_a_desktop_origin_every_gateway_answer_carries_the_cors_headers(
    handler: RecordingHandler,
) -> None:
    with LocalApi(
        handler, options=ApiOptions(port=0, desktop_origin=ORIGIN, throttle_rate=0.01, throttle_burst=1)
    ) as api:
        assert_gateway_answer(send(api, "POST", API_PATH, b"{}", JSON), "UNAUTHORIZED", ORIGIN)
        assert_gateway_answer(
            send(api, "POST", API_PATH, b"{}", {**JSON, **TOKEN}), "BAD_REQUEST_BODY", ORIGIN
        )
        send(api, "POST", API_PATH, VALID, {**JSON, **TOKEN})
        throttled = send(api, "POST", API_PATH, VALID, {**JSON, **TOKEN})
        assert_gateway_answer(throttled, "THROTTLED", ORIGIN)
        assert throttled[1]["access-control-allow-origin"] == ORIGIN
        assert throttled[1]["retry-after"] == "1"
        _, headers, _ = send(api, "GET", "/nope")
        assert headers["access-control-allow-origin"] == ORIGIN


def raw_exchange(api: LocalApi, request: bytes) -> tuple[int, dict[str, str], dict[str, Any]]:
    """Send bytes as they are (framing a client library would not produce) and read one answer."""
    import socket  # noqa: PLC0415 - only these tests write raw HTTP

    url = urlsplit(api.url)
    with socket.create_connection((url.hostname or "127.0.0.1", url.port or 80), timeout=10) as sock:
        sock.sendall(request)
        response = http.client.HTTPResponse(sock)
        response.begin()
        body = response.read()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, json.loads(body)


def raw_post(framing: str, body: bytes = b"") -> bytes:
    head = f"POST {API_PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
    return (head + TOKEN_LINE + framing + "\r\n").encode() + body


TOKEN_LINE = f"Authorization: {TOKEN['Authorization']}\r\n"


@pytest.mark.parametrize(
    ("framing", "body", "status"),
    [
        ("Transfer-Encoding: chunked\r\n", b"5\r\nhello\r\n0\r\n\r\n", 400),
        ("Content-Length: abc\r\n", b"{}", 400),
        ("Content-Length: -5\r\n", b"{}", 400),
        ("Content-Length: 2\r\nContent-Length: 3\r\n", b"{}", 400),
        # Far over 10 MB and never sent: answered at once (a body just over it is read first).
        (f"Content-Length: {3 * MAX_PAYLOAD_BYTES}\r\n", b"{}", 413),
        ("Content-Length: 99999999999999999999\r\n", b"", 413),
    ],
    ids=["chunked", "not-a-number", "negative", "conflicting", "over-10-mb", "huge"],
)
def test_malformed_framing_is_answered_in_the_error_shape_unread(
    api: LocalApi, handler: RecordingHandler, framing: str, body: bytes, status: int
) -> None:
    answered, headers, payload = raw_exchange(api, raw_post(framing, body))

    assert answered == status
    assert set(payload) == {"error", "message"}
    assert headers["content-type"] == "application/json"
    assert handler.calls == []
