"""Local API: an HTTP server playing API Gateway (REST API, Lambda proxy integration) for the handler.

Routes, as the deployed stack has them:
- `POST /escalations` (contract.API_PATH): authorised like a Cognito user-pool authorizer, validated
  against the method's request model, throttled like the stage, then turned into an API Gateway REST
  proxy event (payload format 1.0) and passed to `handler(event, context)` in process.
- `GET /escalations/{escalationId}` and `GET /contacts/{contactId}/escalations`: the same, with the path
  parameters in `pathParameters` (API_ROUTES lists what the stack routes to the handler); they have no
  request model. `GET /escalation-options?contactId=...`: likewise, refused by the gateway (400) without
  its required query parameter.
- `GET /openapi.json`: the file given as `openapi_path`, without authorisation (absent if none given).
- Anything else: 403 Missing Authentication Token, which is how API Gateway answers an unknown path
  or method.

API Gateway answers some requests itself, before the handler, in this order: over 10 MB (413), no or
an invalid token (401), a body the request model refuses (400), over the stage throttle (429); and the
handler failing or timing out (502, 504). Each answer has the body and headers the stack's gateway
responses give it (`infra/gateway_responses.py`: `{"error": CODE, "message": ...}`, with CORS headers
when a desktop origin is set), see `local/gateway.py`.

LOCAL-ONLY DEV TOKENS. There is no Cognito here, so the server accepts unsigned development tokens:

    Authorization: Bearer local-dev.<base64url(JSON claims), no padding>

(the `Bearer ` prefix is optional, as it is for a Cognito authorizer). The claims are the ID-token claims
the handler reads, for example
`{"sub": "...", "cognito:username": "alice", "cognito:groups": ["supervisors"],
  "custom:connect_user_id": "agent-1", "token_use": "id", "aud": "local-dev-client", "exp": 1767225600}`.
Build one with `make_dev_token(user_id, groups, username)`. They are not JWTs and carry no signature: the
deployed Cognito authorizer rejects them, and nothing outside this module accepts them. A missing or
malformed token, a token without `sub`, or one whose `exp` has passed gets 401 (the UNAUTHORIZED
gateway response) and the handler is not called.

As API Gateway does, claims reach the handler in `requestContext.authorizer.claims` as strings: lists
become comma-separated (`"cognito:groups": "agents,supervisors"`), `exp`/`iat` become dates like
`"Tue Apr 04 18:39:39 UTC 2023"`, other values str().

With a desktop origin (ApiOptions.desktop_origin, from DESKTOP_ORIGIN) an OPTIONS request on a route gets
the stack's CORS preflight answer (`local.gateway.cors_preflight`); without one, 403 as for any method
the API does not route.

Not modelled: usage plans, binary media types (a body that is not UTF-8 is passed
base64-encoded with isBase64Encoded=true).
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import logging
import re
import time
import uuid
from collections import deque
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote

from escalation.contract import (
    API_PATH,
    CONTACT_ESCALATIONS_PATH,
    ESCALATION_OPTIONS_PATH,
    ESCALATION_OPTIONS_QUERY,
    ESCALATION_PATH,
)
from infra.gateway_responses import THROTTLE_BURST, THROTTLE_RATE
from local.background_server import HttpService
from local.dev_tokens import (
    authorizer_claims,
    parse_dev_token,
)
from local.gateway import (
    BAD_REQUEST_BODY,
    INTEGRATION_FAILURE,
    INTEGRATION_TIMEOUT,
    MAX_PAYLOAD_BYTES,
    MISSING_AUTHENTICATION_TOKEN,
    REQUEST_TOO_LARGE,
    THROTTLED,
    UNAUTHORIZED,
    GatewayRefusal,
    RequestModel,
    StageThrottle,
    cors_preflight,
    gateway_response,
    malformed_request,
    missing_parameters,
)
from local.http_service import HandlerOptions, Headers, HttpRequest, HttpResponse
from local.lambda_context import DEFAULT_ACCOUNT_ID, FunctionConfig, LambdaHandler, new_context

logger = logging.getLogger(__name__)

OPENAPI_PATH = "/openapi.json"
# (method, resource) of every route the stack sends to the handler, resources in API Gateway's syntax.
API_ROUTES = (
    ("POST", API_PATH),
    ("GET", ESCALATION_PATH),
    ("GET", CONTACT_ESCALATIONS_PATH),
    ("GET", ESCALATION_OPTIONS_PATH),
)
# The query string parameters each route's method declares required (the stack's request validator).
REQUIRED_QUERY: dict[str, tuple[str, ...]] = {ESCALATION_OPTIONS_PATH: (ESCALATION_OPTIONS_QUERY,)}


def match_route(method: str, path: str) -> tuple[str, dict[str, str]] | None:
    """The route's resource and path parameters, or None when no route of API_ROUTES takes the request."""
    for route_method, resource in API_ROUTES:
        pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(resource))
        found = re.fullmatch(pattern, path) if method == route_method else None
        if found:
            return resource, {name: unquote(value) for name, value in found.groupdict().items()}
    return None


def is_routed_path(path: str) -> bool:
    """Whether any route of API_ROUTES has this path (whatever its method): where a preflight is answered."""
    return any(match_route(method, path) is not None for method, _ in API_ROUTES)


DEFAULT_STAGE = "local"
HISTORY_LIMIT = 1000
INTEGRATION_TIMEOUT_SECONDS = 29.0  # API Gateway's default integration timeout


# -- event ----------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class ApiRoute:
    """The API, stage and resource a request reached, as a proxy event's requestContext names them."""

    resource: str | None = None  # None: the request's path
    stage: str = DEFAULT_STAGE
    account_id: str = DEFAULT_ACCOUNT_ID
    api_id: str = "local"


def build_rest_event(
    request: HttpRequest,
    claims: Mapping[str, Any] | None = None,
    route: ApiRoute | None = None,
    path_parameters: Mapping[str, str] | None = None,
    request_id: str | None = None,
) -> dict[str, Any]:
    """An API Gateway REST proxy event (payload format 1.0) for one request."""
    route = route or ApiRoute()
    method, path, headers, body = request.method, request.path, request.headers, request.body
    resource = route.resource or path
    single_headers: dict[str, str] = {}
    multi_headers: dict[str, list[str]] = {}
    for name, value in headers:
        single_headers[name] = value  # API Gateway keeps the last value in `headers`
        multi_headers.setdefault(name, []).append(value)

    pairs = parse_qsl(request.query, keep_blank_values=True)
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
        "accountId": route.account_id,
        "apiId": route.api_id,
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
            "sourceIp": request.client_ip,
            "user": None,
            "userAgent": user_agent,
            "userArn": None,
        },
        "path": f"/{route.stage}{path}",
        "protocol": "HTTP/1.1",
        "requestId": request_id or str(uuid.uuid4()),
        "requestTime": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
        "requestTimeEpoch": int(now.timestamp() * 1000),
        "resourceId": "local",
        "resourcePath": resource,
        "stage": route.stage,
    }
    if claims is not None:
        request_context["authorizer"] = {"claims": authorizer_claims(claims)}
    return {
        "resource": resource,
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


@dataclasses.dataclass(frozen=True)
class ApiOptions:
    """Where a LocalApi listens and how its stage behaves.

    port=0 picks a free port. The stage throttle defaults to the stack's (throttle_rate None: none);
    desktop_origin adds the stack's CORS headers to the gateway's own answers.
    """

    host: str = "127.0.0.1"
    port: int = 3000
    openapi_path: str | Path | None = None
    stage: str = DEFAULT_STAGE
    integration_timeout_seconds: float = INTEGRATION_TIMEOUT_SECONDS
    throttle_rate: float | None = THROTTLE_RATE
    throttle_burst: int = THROTTLE_BURST
    desktop_origin: str | None = None


class LocalApi(HttpService):
    """API Gateway (REST, Lambda proxy, Cognito authorizer with LOCAL-ONLY dev tokens) on 127.0.0.1.

    `url` is the actual address (also when ApiOptions.port is 0).
    """

    def __init__(
        self,
        handler: LambdaHandler,
        function: FunctionConfig | None = None,
        options: ApiOptions | None = None,
    ) -> None:
        options = options or ApiOptions()
        self.handler = handler
        self.desktop_origin = options.desktop_origin
        self._model = RequestModel()
        self._throttle = StageThrottle(options.throttle_rate, options.throttle_burst)
        # Default: a Lambda timeout as long as the integration's, so the gateway times out first.
        self.function = function or FunctionConfig(timeout_seconds=INTEGRATION_TIMEOUT_SECONDS)
        self.openapi_path = Path(options.openapi_path) if options.openapi_path is not None else None
        self.stage = options.stage
        self.integration_timeout_seconds = options.integration_timeout_seconds
        super().__init__("local-api", options.host, options.port)
        # The latest events passed to the handler, for tests; bounded so a long `serve` or bench run
        # does not grow without limit.
        self.events: deque[dict[str, Any]] = deque(maxlen=HISTORY_LIMIT)

    def start(self) -> LocalApi:
        options = HandlerOptions(
            server_version="LocalApiGateway",
            on_error=lambda: self._refuse(INTEGRATION_FAILURE),
            max_body_bytes=MAX_PAYLOAD_BYTES,
            on_bad_framing=self._refuse_framing,
        )
        if self._serve(self._handle, options):
            logger.info("local API on %s", self.url)
        return self

    def _refuse(self, refusal: GatewayRefusal) -> HttpResponse:
        return gateway_response(refusal, self.desktop_origin)

    def _refuse_framing(self, status: int, message: str) -> HttpResponse:
        # Over the payload limit is API Gateway's 413; its documentation is silent on the rest: 400.
        return self._refuse(REQUEST_TOO_LARGE if status == 413 else malformed_request(message))

    # Called from the request threads. What API Gateway answers itself comes first, in its order.
    def _handle(self, request: HttpRequest) -> HttpResponse:  # noqa: PLR0911 - one return per outcome
        if request.method == "GET" and request.path == OPENAPI_PATH and self.openapi_path is not None:
            return HttpResponse(200, (("Content-Type", "application/json"),), self.openapi_path.read_bytes())
        if request.method == "OPTIONS" and self.desktop_origin and is_routed_path(request.path):
            return cors_preflight(self.desktop_origin)
        if len(request.body) > MAX_PAYLOAD_BYTES:
            return self._refuse(REQUEST_TOO_LARGE)
        matched = match_route(request.method, request.path)
        if matched is None:
            return self._refuse(MISSING_AUTHENTICATION_TOKEN)
        resource, path_parameters = matched
        claims = parse_dev_token(request.header("Authorization"))
        if claims is None:
            return self._refuse(UNAUTHORIZED)
        missing = [
            name for name in REQUIRED_QUERY.get(resource, ()) if name not in _query_names(request.query)
        ]
        if missing:
            return self._refuse(missing_parameters(missing))
        # Only POST /escalations has a request model; the GET routes have no body to validate.
        if resource == API_PATH and not self._model.accepts(request.header("Content-Type"), request.body):
            return self._refuse(BAD_REQUEST_BODY)
        if not self._throttle.try_acquire():
            return self._refuse(THROTTLED)
        return self._integrate(
            request, claims, ApiRoute(resource=resource, stage=self.stage), path_parameters
        )

    def _integrate(
        self, request: HttpRequest, claims: dict[str, Any], route: ApiRoute, path_parameters: dict[str, str]
    ) -> HttpResponse:
        forwarded = dataclasses.replace(request, headers=_forwarded(request))
        event = build_rest_event(forwarded, claims, route, path_parameters)
        self.events.append(event)
        context = new_context(self.function)
        started = time.monotonic()
        try:
            result = self.handler(event, context)
        except Exception:
            # A Lambda that fails makes API Gateway answer 502 with a generic message.
            logger.exception("handler raised; answering 502 as API Gateway would")
            return self._refuse(INTEGRATION_FAILURE)
        if time.monotonic() - started > self.integration_timeout_seconds:
            return self._refuse(INTEGRATION_TIMEOUT)
        try:
            response = _proxy_result(result)
        except (_ProxyResultError, binascii.Error) as exc:
            logger.error("malformed Lambda proxy response (%s): %r", exc, result)
            return self._refuse(INTEGRATION_FAILURE)
        return response.with_header("x-amzn-RequestId", event["requestContext"]["requestId"])


def _query_names(query: str) -> set[str]:
    return {name for name, _ in parse_qsl(query, keep_blank_values=True)}


def _forwarded(request: HttpRequest) -> Headers:
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
    return tuple(headers)
