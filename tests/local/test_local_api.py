"""local.api: API Gateway REST proxy events (format 1.0), the Cognito-like authorizer and unknown routes."""

from __future__ import annotations

import base64
import http.client
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from escalation.contract import API_PATH
from local.api import ApiOptions, LocalApi
from local.dev_tokens import authorizer_claims, make_dev_token, parse_dev_token
from local.lambda_context import FunctionConfig
from tests.local.helpers import RecordingHandler

pytestmark = pytest.mark.integration


@pytest.fixture
def api(handler: RecordingHandler, tmp_path: Path) -> Iterator[LocalApi]:
    spec = tmp_path / "openapi.json"
    spec.write_text('{"openapi": "3.0.3"}')
    with LocalApi(
        handler, FunctionConfig(timeout_seconds=10), ApiOptions(port=0, openapi_path=spec)
    ) as running:
        yield running


def request(
    api: LocalApi, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    url = urlsplit(api.url)
    conn = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port, timeout=5)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def bearer(**kwargs: Any) -> dict[str, str]:
    token = make_dev_token("agent-7", ["agents", "supervisors"], "alice", **kwargs)
    return {"Authorization": f"Bearer {token}"}


def test_post_escalations_builds_a_rest_v1_event_with_claims(
    api: LocalApi, handler: RecordingHandler
) -> None:
    handler.result = {
        "statusCode": 202,
        "headers": {"Content-Type": "application/json"},
        "multiValueHeaders": {"X-Trace": ["a", "b"]},
        "body": '{"escalationId": "e-1"}',
    }
    body = json.dumps({"contactId": "c-1", "reason": "angry customer"}).encode()
    headers = {"Content-Type": "application/json", "X-Client": "ccp", **bearer()}

    status, resp_headers, resp_body = request(api, "POST", f"{API_PATH}?dry=1&dry=2&x=", body, headers)

    assert status == 202
    assert json.loads(resp_body) == {"escalationId": "e-1"}
    assert resp_headers["content-type"] == "application/json"
    assert resp_headers["x-trace"] in ("a, b", "b")  # http.client folds repeated headers
    event, context = handler.only_call()
    assert event["resource"] == API_PATH
    assert event["path"] == API_PATH
    assert event["httpMethod"] == "POST"
    assert event["headers"]["X-Client"] == "ccp"
    assert event["multiValueHeaders"]["X-Client"] == ["ccp"]
    assert event["queryStringParameters"] == {"dry": "2", "x": ""}
    assert event["multiValueQueryStringParameters"] == {"dry": ["1", "2"], "x": [""]}
    assert event["pathParameters"] is None
    assert json.loads(event["body"]) == {"contactId": "c-1", "reason": "angry customer"}
    assert event["isBase64Encoded"] is False

    ctx = event["requestContext"]
    assert ctx["stage"] == "local"
    assert ctx["resourcePath"] == API_PATH
    assert ctx["httpMethod"] == "POST"
    assert ctx["path"] == f"/local{API_PATH}"
    assert ctx["identity"]["sourceIp"] == "127.0.0.1"
    assert ctx["requestId"] == resp_headers["x-amzn-requestid"]
    claims = ctx["authorizer"]["claims"]
    assert claims["cognito:username"] == "alice"
    assert claims["cognito:groups"] == "agents,supervisors"  # a string, as API Gateway passes it
    assert claims["custom:connect_user_id"] == "agent-7"
    assert claims["sub"]
    assert claims["token_use"] == "id"
    assert claims["exp"].endswith(" UTC " + claims["exp"][-4:])
    assert all(isinstance(v, str) for v in claims.values())

    assert context.function_name == "escalation"
    assert context.aws_request_id
    assert context.invoked_function_arn.endswith(":function:escalation")
    assert context.memory_limit_in_mb == 256
    assert context.log_group_name == "/aws/lambda/escalation"
    assert 0 < context.get_remaining_time_in_millis() <= 10_000


def test_binary_body_is_passed_base64_encoded(api: LocalApi, handler: RecordingHandler) -> None:
    # No request model for this media type: the gateway passes the body on.
    request(api, "POST", API_PATH, b"\xff\xfe\x00", {"Content-Type": "application/octet-stream", **bearer()})
    [event] = handler.events
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == b"\xff\xfe\x00"


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": ""},
        {"Authorization": "Bearer eyJhbGciOiJSUzI1NiJ9.e30.sig"},  # a real-looking JWT is not accepted
        {"Authorization": "Bearer local-dev.!!!not-base64"},
        {"Authorization": "Bearer local-dev." + base64.urlsafe_b64encode(b"[1]").decode()},
        {
            "Authorization": "Bearer local-dev."
            + base64.urlsafe_b64encode(b'{"cognito:username":"x"}').decode()
        },
    ],
)
def test_missing_or_invalid_token_is_401_without_calling_the_handler(
    api: LocalApi, handler: RecordingHandler, headers: dict[str, str]
) -> None:
    status, resp_headers, body = request(api, "POST", API_PATH, b"{}", headers)

    assert status == 401
    assert json.loads(body)["error"] == "UNAUTHENTICATED"
    assert resp_headers["x-amzn-errortype"] == "UnauthorizedException"
    assert handler.calls == []


def test_expired_token_is_401(api: LocalApi, handler: RecordingHandler) -> None:
    status, _, _ = request(api, "POST", API_PATH, b"{}", bearer(expires_in=-1))
    assert status == 401
    assert handler.calls == []


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", API_PATH),
        ("POST", "/nope"),
        ("POST", f"{API_PATH}/x"),
        ("DELETE", "/"),
        ("POST", "/openapi.json"),
    ],
)
def test_unknown_routes_answer_like_api_gateway(
    api: LocalApi, handler: RecordingHandler, method: str, path: str
) -> None:
    status, resp_headers, body = request(api, method, path, b"", bearer())

    assert status == 403
    assert json.loads(body) == {"error": "REQUEST_REFUSED", "message": "Missing Authentication Token"}
    assert resp_headers["x-amzn-errortype"] == "MissingAuthenticationTokenException"
    assert handler.calls == []


def test_openapi_is_served_without_a_token(api: LocalApi) -> None:
    status, headers, body = request(api, "GET", "/openapi.json")
    assert status == 200
    assert headers["content-type"] == "application/json"
    assert json.loads(body) == {"openapi": "3.0.3"}


def test_openapi_is_an_unknown_route_when_no_file_is_given(handler: RecordingHandler) -> None:
    with LocalApi(handler, options=ApiOptions(port=0)) as api:
        status, _, _ = request(api, "GET", "/openapi.json")
    assert status == 403


def test_handler_error_or_malformed_result_is_502(api: LocalApi, handler: RecordingHandler) -> None:
    valid = json.dumps({"contactId": "c-1", "reason": "r"}).encode()
    handler.fail_times = 1
    status, _, body = request(api, "POST", API_PATH, valid, bearer())
    assert status == 502
    assert json.loads(body) == {"error": "GATEWAY_ERROR", "message": "Internal server error"}

    handler.result = {"body": "no status code"}
    status, _, body = request(api, "POST", API_PATH, valid, bearer())
    assert status == 502
    assert json.loads(body) == {"error": "GATEWAY_ERROR", "message": "Internal server error"}


def test_a_dev_token_parses_back_to_its_claims_with_or_without_bearer() -> None:
    token = make_dev_token("agent-1", ["agents"], "bob", extra_claims={"email": "bob@example.com"})

    assert token.startswith("local-dev.")
    assert "=" not in token
    claims = parse_dev_token(token)  # the Bearer prefix is optional
    assert claims is not None
    assert claims == parse_dev_token(f"Bearer {token}")
    assert claims["custom:connect_user_id"] == "agent-1"
    assert claims["cognito:groups"] == ["agents"]
    assert claims["email"] == "bob@example.com"
    assert claims["sub"] == parse_dev_token(make_dev_token("agent-1", [], "bob"))["sub"]  # type: ignore[index]
    assert authorizer_claims({"cognito:groups": [], "email_verified": True, "n": 3}) == {
        "cognito:groups": "",
        "email_verified": "true",
        "n": "3",
    }


def test_cors_preflight_is_answered_for_the_desktop_origin_without_a_token(handler: RecordingHandler) -> None:
    origin = "http://127.0.0.1:3001"
    with LocalApi(handler, options=ApiOptions(port=0, desktop_origin=origin)) as api:
        status, headers, body = request(api, "OPTIONS", "/escalations", b"", {"Origin": origin})
        unrouted, _, _ = request(api, "OPTIONS", "/nowhere", b"", {"Origin": origin})
    assert status == 204
    assert body == b""
    assert headers["access-control-allow-origin"] == origin
    assert set(headers["access-control-allow-headers"].split(",")) == {
        "Authorization",
        "Content-Type",
        "Idempotency-Key",
    }
    assert "POST" in headers["access-control-allow-methods"].split(",")
    assert handler.calls == []
    assert unrouted == 403


def test_without_a_desktop_origin_a_preflight_is_an_unknown_method(api: LocalApi) -> None:
    status, _, _ = request(api, "OPTIONS", "/escalations", b"", {"Origin": "http://127.0.0.1:3001"})
    assert status == 403
