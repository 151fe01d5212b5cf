"""Local API: an HTTP server playing API Gateway (REST API, Lambda proxy integration) for the handler.

Routes, as the deployed stack has them:
- `POST /escalations` (contract.API_PATH): authorised like a Cognito user-pool authorizer, then turned into
  an API Gateway REST proxy event (payload format 1.0) and passed to `handler(event, context)` in process.
- `GET /escalations/{escalationId}` and `GET /contacts/{contactId}/escalations`: the same, with the path
  parameters in `pathParameters` (API_ROUTES lists what the stack routes to the handler).
- `GET /openapi.json`: the file given as `openapi_path`, without authorisation (absent if none given).
- Anything else: 403 `{"message": "Missing Authentication Token"}`, which is how API Gateway answers an
  unknown path or method.

LOCAL-ONLY DEV TOKENS. There is no Cognito here, so the server accepts unsigned development tokens:

    Authorization: Bearer local-dev.<base64url(JSON claims), no padding>

(the `Bearer ` prefix is optional, as it is for a Cognito authorizer). The claims are the ID-token claims
the handler reads, for example
`{"sub": "...", "cognito:username": "alice", "cognito:groups": ["supervisors"],
  "custom:connect_user_id": "agent-1", "token_use": "id", "aud": "local-dev-client", "exp": 1767225600}`.
Build one with `make_dev_token(user_id, groups, username)`. They are not JWTs and carry no signature: the
deployed Cognito authorizer rejects them, and nothing outside this module accepts them. A missing or
malformed token, a token without `sub`, or one whose `exp` has passed gets 401 `{"message": "Unauthorized"}`
and the handler is not called.

As API Gateway does, claims reach the handler in `requestContext.authorizer.claims` as strings: lists
become comma-separated (`"cognito:groups": "agents,supervisors"`), `exp`/`iat` become dates like
`"Tue Apr 04 18:39:39 UTC 2023"`, other values str().

Not modelled: CORS preflight, throttling/usage plans, request validators, binary media types (a body that
is not UTF-8 is passed base64-encoded with isBase64Encoded=true), payload size limits.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import re
import time
import uuid
from collections import deque
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote

from escalation.contract import API_PATH, CONTACT_ESCALATIONS_PATH, ESCALATION_PATH
from local.background_server import BackgroundHttpServer, Service
from local.http_service import HttpRequest, HttpResponse, request_handler_class
from local.lambda_context import DEFAULT_ACCOUNT_ID, FunctionConfig, LambdaHandler, new_context

logger = logging.getLogger(__name__)

DEV_TOKEN_PREFIX = "local-dev."  # noqa: S105 - a marker, not a secret
LOCAL_CLIENT_ID = "local-dev-client"  # the app client the dev tokens are issued to (their `aud`)
OPENAPI_PATH = "/openapi.json"
# (method, resource) of every route the stack sends to the handler, resources in API Gateway's syntax.
API_ROUTES = (("POST", API_PATH), ("GET", ESCALATION_PATH), ("GET", CONTACT_ESCALATIONS_PATH))


def match_route(method: str, path: str) -> tuple[str, dict[str, str]] | None:
    """The route's resource and path parameters, or None when no route of API_ROUTES takes the request."""
    for route_method, resource in API_ROUTES:
        pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(resource))
        found = re.fullmatch(pattern, path) if method == route_method else None
        if found:
            return resource, {name: unquote(value) for name, value in found.groupdict().items()}
    return None


DEFAULT_STAGE = "local"
HISTORY_LIMIT = 1000
INTEGRATION_TIMEOUT_SECONDS = 29.0  # API Gateway's default integration timeout

_UNAUTHORIZED = (HTTPStatus.UNAUTHORIZED, "UnauthorizedException", "Unauthorized")
_MISSING_TOKEN = (HTTPStatus.FORBIDDEN, "MissingAuthenticationTokenException", "Missing Authentication Token")
_BAD_GATEWAY = (HTTPStatus.BAD_GATEWAY, "InternalServerErrorException", "Internal server error")
_TIMEOUT = (HTTPStatus.GATEWAY_TIMEOUT, "IntegrationTimeoutException", "Endpoint request timed out")


# -- dev tokens ------------------------------------------------------------------------------------


def make_dev_token(
    user_id: str,
    groups: Sequence[str],
    username: str,
    *,
    sub: str | None = None,
    expires_in: int = 3600,
    extra_claims: Mapping[str, Any] | None = None,
) -> str:
    """A LOCAL-ONLY token (`local-dev.<base64url claims>`) for `Authorization: Bearer <token>`.

    user_id is the caller's Connect user id (claim `custom:connect_user_id`); sub defaults to a stable
    UUID derived from the username, as Cognito's sub is stable per user.
    """
    now = int(time.time())
    claims: dict[str, Any] = {
        "sub": sub or str(uuid.uuid5(uuid.NAMESPACE_URL, f"local-dev:{username}")),
        "cognito:username": username,
        "cognito:groups": list(groups),
        "custom:connect_user_id": user_id,
        "token_use": "id",
        "aud": LOCAL_CLIENT_ID,
        "iss": "local-dev",
        "auth_time": now,
        "iat": now,
        "exp": now + expires_in,
    }
    claims.update(extra_claims or {})
    payload = base64.urlsafe_b64encode(json.dumps(claims, separators=(",", ":")).encode()).rstrip(b"=")
    return DEV_TOKEN_PREFIX + payload.decode("ascii")


def parse_dev_token(authorization: str | None) -> dict[str, Any] | None:
    """The claims of a valid dev token in an Authorization header value, or None when it must be refused."""
    if not authorization:
        return None
    token = authorization.strip()
    if token[:7].lower() == "bearer ":
        token = token[7:].strip()
    if not token.startswith(DEV_TOKEN_PREFIX):
        return None
    payload = token[len(DEV_TOKEN_PREFIX) :]
    try:
        raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
        claims = json.loads(raw)
    except (binascii.Error, ValueError):
        return None
    if not isinstance(claims, dict) or not isinstance(claims.get("sub"), str) or not claims["sub"]:
        return None
    exp = claims.get("exp")
    if exp is not None and (not isinstance(exp, int | float) or exp <= time.time()):
        return None
    return claims


def _claim_date(epoch: Any) -> str:
    return datetime.fromtimestamp(float(epoch), UTC).strftime("%a %b %d %H:%M:%S UTC %Y")


def authorizer_claims(claims: Mapping[str, Any]) -> dict[str, str]:
    """Token claims flattened to strings the way API Gateway's Cognito authorizer hands them over."""
    out: dict[str, str] = {}
    for key, value in claims.items():
        if key in ("exp", "iat") and isinstance(value, int | float):
            out[key] = _claim_date(value)
        elif isinstance(value, list | tuple):
            out[key] = ",".join(str(v) for v in value)
        elif isinstance(value, bool):
            out[key] = "true" if value else "false"
        else:
            out[key] = str(value)
    return out


# -- event ----------------------------------------------------------------------------------------


def build_rest_event(
    *,
    method: str,
    path: str,
    headers: Sequence[tuple[str, str]],
    query: str = "",
    body: bytes = b"",
    claims: Mapping[str, Any] | None = None,
    resource: str | None = None,
    path_parameters: Mapping[str, str] | None = None,
    stage: str = DEFAULT_STAGE,
    source_ip: str = "127.0.0.1",
    request_id: str | None = None,
    account_id: str = DEFAULT_ACCOUNT_ID,
    api_id: str = "local",
) -> dict[str, Any]:
    """An API Gateway REST proxy event (payload format 1.0) for one request."""
    single_headers: dict[str, str] = {}
    multi_headers: dict[str, list[str]] = {}
    for name, value in headers:
        single_headers[name] = value  # API Gateway keeps the last value in `headers`
        multi_headers.setdefault(name, []).append(value)

    pairs = parse_qsl(query, keep_blank_values=True)
    single_query: dict[str, str] = {}
    multi_query: dict[str, list[str]] = {}
    for name, value in pairs:
        single_query[name] = value
        multi_query.setdefault(name, []).append(value)

    text: str | None
    is_base64 = False
    if not body:
        text = None
    else:
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            text, is_base64 = base64.b64encode(body).decode("ascii"), True

    now = datetime.now(UTC)
    user_agent = next((v for k, v in headers if k.lower() == "user-agent"), None)
    request_context: dict[str, Any] = {
        "accountId": account_id,
        "apiId": api_id,
        "domainName": "localhost",
        "domainPrefix": "localhost",
        "extendedRequestId": uuid.uuid4().hex[:16],
        "httpMethod": method,
        "identity": {
            "accessKey": None,
            "accountId": None,
            "caller": None,
            "cognitoAuthenticationProvider": None,
            "cognitoAuthenticationType": None,
            "cognitoIdentityId": None,
            "cognitoIdentityPoolId": None,
            "principalOrgId": None,
            "sourceIp": source_ip,
            "user": None,
            "userAgent": user_agent,
            "userArn": None,
        },
        "path": f"/{stage}{path}",
        "protocol": "HTTP/1.1",
        "requestId": request_id or str(uuid.uuid4()),
        "requestTime": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
        "requestTimeEpoch": int(now.timestamp() * 1000),
        "resourceId": "local",
        "resourcePath": resource or path,
        "stage": stage,
    }
    if claims is not None:
        request_context["authorizer"] = {"claims": authorizer_claims(claims)}
    return {
        "resource": resource or path,
        "path": path,
        "httpMethod": method,
        "headers": single_headers or None,
        "multiValueHeaders": multi_headers or None,
        "queryStringParameters": single_query or None,
        "multiValueQueryStringParameters": multi_query or None,
        "pathParameters": dict(path_parameters) if path_parameters else None,
        "stageVariables": None,
        "requestContext": request_context,
        "body": text,
        "isBase64Encoded": is_base64,
    }


# -- server ---------------------------------------------------------------------------------------


class _ProxyResultError(ValueError):
    """The handler returned something API Gateway would answer 502 for."""


def _proxy_result(result: Any) -> HttpResponse:
    if not isinstance(result, Mapping) or not isinstance(result.get("statusCode"), int):
        raise _ProxyResultError("result must be an object with an integer statusCode")
    headers: list[tuple[str, str]] = []
    for name, value in (result.get("headers") or {}).items():
        headers.append((str(name), str(value)))
    for name, values in (result.get("multiValueHeaders") or {}).items():
        if not isinstance(values, list):
            raise _ProxyResultError("multiValueHeaders values must be lists")
        headers.extend((str(name), str(v)) for v in values)
    body = result.get("body")
    if body is None:
        data = b""
    elif not isinstance(body, str):
        raise _ProxyResultError("body must be a string")
    elif result.get("isBase64Encoded"):
        data = base64.b64decode(body)
    else:
        data = body.encode("utf-8")
    return HttpResponse.of(int(result["statusCode"]), headers, data)


class LocalApi(Service):
    """API Gateway (REST, Lambda proxy, Cognito authorizer with LOCAL-ONLY dev tokens) on 127.0.0.1.

    port=0 picks a free port; `url` is then the actual address.
    """

    def __init__(
        self,
        handler: LambdaHandler,
        function: FunctionConfig | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 3000,
        openapi_path: str | Path | None = None,
        stage: str = DEFAULT_STAGE,
        integration_timeout_seconds: float = INTEGRATION_TIMEOUT_SECONDS,
    ) -> None:
        self.handler = handler
        # Default: a Lambda timeout as long as the integration's, so the gateway times out first.
        self.function = function or FunctionConfig(timeout_seconds=INTEGRATION_TIMEOUT_SECONDS)
        self.openapi_path = Path(openapi_path) if openapi_path is not None else None
        self.stage = stage
        self.integration_timeout_seconds = integration_timeout_seconds
        self._http = BackgroundHttpServer("local-api", host, port)
        # The latest events passed to the handler, for tests; bounded so a long `serve` or bench run
        # does not grow without limit.
        self.events: deque[dict[str, Any]] = deque(maxlen=HISTORY_LIMIT)

    def start(self) -> LocalApi:
        if not self._http.running:
            self._http.serve(
                request_handler_class(self._handle, server_version="LocalApiGateway", on_error=_bad_gateway)
            )
            logger.info("local API on %s", self.url)
        return self

    def stop(self) -> None:
        self._http.shutdown()

    @property
    def url(self) -> str:
        return self._http.url

    # Called from the request threads.
    def _handle(self, request: HttpRequest) -> HttpResponse:  # noqa: PLR0911 - one return per outcome
        path = request.path
        if request.method == "GET" and path == OPENAPI_PATH and self.openapi_path is not None:
            return HttpResponse(200, (("Content-Type", "application/json"),), self.openapi_path.read_bytes())
        route = match_route(request.method, path)
        if route is None:
            return _gateway_error(*_MISSING_TOKEN)
        resource, path_parameters = route

        claims = parse_dev_token(request.header("Authorization"))
        if claims is None:
            return _gateway_error(*_UNAUTHORIZED)

        event = build_rest_event(
            method=request.method,
            path=path,
            headers=_forwarded(request),
            query=request.query,
            body=request.body,
            claims=claims,
            resource=resource,
            path_parameters=path_parameters,
            stage=self.stage,
            source_ip=request.client_ip,
        )
        self.events.append(event)
        context = new_context(self.function)
        started = time.monotonic()
        try:
            result = self.handler(event, context)
        except Exception:
            # A Lambda that fails makes API Gateway answer 502 with a generic message.
            logger.exception("handler raised; answering 502 as API Gateway would")
            return _bad_gateway()
        if time.monotonic() - started > self.integration_timeout_seconds:
            return _gateway_error(*_TIMEOUT)
        try:
            response = _proxy_result(result)
        except (_ProxyResultError, binascii.Error) as exc:
            logger.error("malformed Lambda proxy response (%s): %r", exc, result)
            return _bad_gateway()
        return response.with_header("x-amzn-RequestId", event["requestContext"]["requestId"])


def _forwarded(request: HttpRequest) -> list[tuple[str, str]]:
    """The request's headers plus those API Gateway adds in front of the integration."""
    headers = list(request.headers)
    present = {name.lower() for name, _ in headers}
    for name, value in (
        ("X-Forwarded-For", request.client_ip),
        ("X-Forwarded-Port", str(request.server_port)),
        ("X-Forwarded-Proto", "http"),
    ):
        if name.lower() not in present:
            headers.append((name, value))
    return headers


def _gateway_error(status: int, error_type: str, message: str) -> HttpResponse:
    headers = (("x-amzn-ErrorType", error_type), ("x-amzn-RequestId", str(uuid.uuid4())))
    return HttpResponse.json(status, {"message": message}, headers)


def _bad_gateway() -> HttpResponse:
    return _gateway_error(*_BAD_GATEWAY)
