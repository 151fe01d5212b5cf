"""A fault-injecting HTTP proxy between the handler's boto3 clients and a local endpoint (moto, the
Connect emulator, the local bus).

    proxy = FaultProxy("moto", upstream_url).start()
    os.environ["AWS_ENDPOINT_URL"] = proxy.url            # the handler's clients now go through it
    proxy.faults.add(FaultRule("dynamodb", "PutItem", "500", first=3, body_contains="ledger"))

Each request is told apart by the signing service in its SigV4 `Authorization` header and the operation
botocore called: `X-Amz-Target` (JSON protocols: DynamoDB, SQS, EventBridge), `Action=` (query: SNS) or
the method and path of the operation in botocore's own service model (REST: Connect, Scheduler). A
matching rule answers instead of the upstream, in the protocol's own shape, so botocore classifies it
as it would AWS's answer:

- `500`: an internal error (botocore retries it);
- `throttle`: the service's throttling error (429 for REST services, 400 otherwise);
- `drop`: the connection is closed without an answer (botocore: connection closed, retried);
- `drop-after`: the request reaches the upstream, takes effect, and its answer is dropped.

A rule fails the first `first` matching requests (every attempt botocore makes counts), or every one
while it stays in place (`first=None`). Nothing here is known to the production code: only botocore's
`AWS_ENDPOINT_URL*` variables point its clients here.
"""

from __future__ import annotations

import http.client
import json
import random
import re
import threading
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from typing import Literal
from urllib.parse import parse_qs, urlsplit

import botocore.session

from local.background_server import HttpService
from local.http_service import HandlerOptions, HttpRequest, HttpResponse

Mode = Literal["500", "throttle", "drop", "drop-after"]
MODES: tuple[Mode, ...] = ("500", "throttle", "drop", "drop-after")

# The internal-error code each service answers with (from its botocore model), and its protocol.
_INTERNAL_CODES = {
    "connect": "InternalServiceException",
    "scheduler": "InternalServerException",
    "dynamodb": "InternalServerError",
    "sqs": "InternalError",
    "events": "InternalException",
    "sns": "InternalError",
}
_HOP_BY_HOP = frozenset({"connection", "keep-alive", "transfer-encoding", "content-length", "host"})
_SIGNING_SERVICE = re.compile(r"Credential=[^/]+/[^/]+/[^/]+/([^/]+)/aws4_request")


@dataclass(frozen=True)
class FaultRule:
    """Fail requests of `operation` on `service` (botocore's signing name) in `mode`."""

    service: str
    operation: str
    mode: Mode
    first: int | None = None  # the first N matching requests; None: every one while the rule stands
    body_contains: str | None = None  # only requests whose path or body holds this text
    # Seeded chance that a matching request starts a fault, which then lasts `burst` requests (a burst
    # longer than botocore's attempts reaches the handler).
    probability: float = 1.0
    burst: int = 1


@dataclass
class _Armed:
    rule: FaultRule
    matched: int = 0
    burst_left: int = 0


@dataclass
class FaultPlan:
    """The rules in force, shared by every proxy of a stack; what was injected, counted."""

    _rules: list[_Armed] = field(default_factory=list)
    injected: Counter[str] = field(default_factory=Counter)
    seen: Counter[str] = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _random: random.Random = field(default_factory=lambda: random.Random(7))

    def seed(self, seed: int) -> None:
        with self._lock:
            self._random.seed(seed)

    def add(self, *rules: FaultRule) -> None:
        with self._lock:
            self._rules.extend(_Armed(rule) for rule in rules)

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def take(self, service: str, operation: str, text: str) -> Mode | None:
        """The mode of the first rule this request matches (counting it against the rule), or None."""
        with self._lock:
            self.seen[f"{service}:{operation}"] += 1
            for armed in self._rules:
                rule = armed.rule
                if (rule.service, rule.operation) != (service, operation):
                    continue
                if rule.body_contains is not None and rule.body_contains not in text:
                    continue
                if rule.first is not None and armed.matched >= rule.first:
                    continue
                if armed.burst_left > 0:
                    armed.burst_left -= 1
                elif rule.probability >= 1.0 or self._random.random() < rule.probability:
                    armed.burst_left = rule.burst - 1
                else:
                    continue
                armed.matched += 1
                self.injected[f"{service}:{operation}:{rule.mode}"] += 1
                return rule.mode
        return None


def _path_pattern(request_uri: str) -> re.Pattern[str]:
    parts = []
    for segment in request_uri.split("?", maxsplit=1)[0].split("/"):
        if segment.startswith("{") and segment.endswith("+}"):
            parts.append(".+")
        elif segment.startswith("{"):
            parts.append("[^/]+")
        else:
            parts.append(re.escape(segment))
    return re.compile("^" + "/".join(parts) + "/?$")


@cache
def _rest_operations(service: str) -> tuple[tuple[str, re.Pattern[str], str], ...]:
    """(HTTP method, path pattern, operation) of every operation of a REST service's botocore model."""
    model = botocore.session.get_session().get_service_model(service)
    routes = []
    for name in model.operation_names:
        http = model.operation_model(name).http
        routes.append((str(http["method"]), _path_pattern(str(http["requestUri"])), name))
    # Literal paths before templated ones: /contact/transfer is not /contact/{id}.
    return tuple(sorted(routes, key=lambda route: route[1].pattern.count("[^/]+")))


def operation_of(request: HttpRequest) -> tuple[str, str]:
    """(signing service, operation) of a botocore request; ("", "") when it cannot be told."""
    found = _SIGNING_SERVICE.search(request.header("Authorization") or "")
    service = found.group(1) if found else ""
    target = request.header("X-Amz-Target")
    if target:
        return service, target.rsplit(".", 1)[-1]
    if request.method == "POST" and b"Action=" in request.body:
        action = parse_qs(request.body.decode("utf-8", "replace")).get("Action")
        if action:
            return service, action[0]
    if service in ("connect", "scheduler"):
        for method, pattern, name in _rest_operations(service):
            if method == request.method and pattern.match(request.path):
                return service, name
    return service, ""


def fault_response(service: str, mode: Mode) -> HttpResponse:
    throttled = mode == "throttle"
    code = "ThrottlingException" if throttled else _INTERNAL_CODES.get(service, "InternalFailure")
    message = f"injected by local.fault_proxy ({mode})"
    if service == "sns":
        status = 400 if throttled else 500
        body = (
            "<ErrorResponse><Error><Type>{}</Type><Code>{}</Code><Message>{}</Message></Error>"
            "<RequestId>fault-proxy</RequestId></ErrorResponse>"
        ).format("Sender" if throttled else "Receiver", "Throttling" if throttled else code, message)
        return HttpResponse.of(status, {"Content-Type": "text/xml"}, body.encode())
    if service in ("connect", "scheduler"):
        status = 429 if throttled else 500
        return HttpResponse.json(status, {"message": message}, {"x-amzn-ErrorType": code})
    status = 400 if throttled else 500
    return HttpResponse.json(
        status, {"__type": code, "message": message}, content_type="application/x-amz-json-1.0"
    )


class FaultProxy(HttpService):
    """One upstream endpoint behind a proxy on 127.0.0.1 that applies `faults`."""

    def __init__(self, name: str, upstream_url: str, faults: FaultPlan | None = None) -> None:
        self.name = name
        self.faults = faults or FaultPlan()
        split = urlsplit(upstream_url)
        self._upstream = (split.hostname or "127.0.0.1", split.port or 80)
        super().__init__(f"fault-proxy-{name}", "127.0.0.1", 0)
        self._local = threading.local()

    def start(self) -> FaultProxy:
        self._serve(self._handle, HandlerOptions(server_version=f"FaultProxy-{self.name}"))
        return self

    def _handle(self, request: HttpRequest) -> HttpResponse | None:
        service, operation = operation_of(request)
        text = request.path + "\n" + request.body.decode("utf-8", "replace")
        mode = self.faults.take(service, operation, text)
        if mode in ("500", "throttle"):
            return fault_response(service, mode)
        if mode == "drop":
            return None
        answer = self._forward(request)
        return None if mode == "drop-after" else answer

    def _connection(self) -> http.client.HTTPConnection:
        connection: http.client.HTTPConnection | None = getattr(self._local, "connection", None)
        if connection is None:
            connection = http.client.HTTPConnection(*self._upstream, timeout=60)
            self._local.connection = connection
        return connection

    def _forward(self, request: HttpRequest) -> HttpResponse:
        path = request.path + (f"?{request.query}" if request.query else "")
        headers = {name: value for name, value in request.headers if name.lower() not in _HOP_BY_HOP}
        for attempt in range(2):  # a kept-alive upstream connection may have been closed meanwhile
            connection = self._connection()
            try:
                connection.request(request.method, path, body=request.body, headers=headers)
                upstream = connection.getresponse()
                body = upstream.read()
            except (http.client.HTTPException, OSError):
                connection.close()
                self._local.connection = None
                if attempt:
                    raise
                continue
            kept: Iterable[tuple[str, str]] = (
                (name, value) for name, value in upstream.getheaders() if name.lower() not in _HOP_BY_HOP
            )
            return HttpResponse.of(upstream.status, kept, body)
        raise AssertionError("unreachable")


# The handler's endpoint variables a stack puts its proxies in front of (EventBridge's once the bus runs).
PROXIED_ENDPOINTS = ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_CONNECT", "AWS_ENDPOINT_URL_SCHEDULER")


class FaultProxies:
    """The proxies of one stack, all applying `plan`; when not `enabled`, endpoints are left as they are."""

    def __init__(self, plan: FaultPlan, *, enabled: bool) -> None:
        self.plan = plan
        self._enabled = enabled
        self._running: list[FaultProxy] = []

    def front(self, variable: str, upstream_url: str) -> str:
        """The URL to put in `variable`: a new proxy's in front of `upstream_url` (when enabled)."""
        if not self._enabled:
            return upstream_url
        proxy = FaultProxy(variable.removeprefix("AWS_ENDPOINT_URL_").lower(), upstream_url, self.plan)
        self._running.append(proxy.start())
        return proxy.url

    def stop(self) -> None:
        for proxy in self._running:
            proxy.stop()
        self._running.clear()


def describe(plan: FaultPlan) -> str:
    """The injected faults, as one JSON line (for test output)."""
    return json.dumps(dict(plan.injected), sort_keys=True)
