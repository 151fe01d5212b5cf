"""The HTTP skeleton the local servers share: request and response values, and one request handler.

Kept rather than werkzeug's WSGI server (which comes with moto's): WSGI joins repeated headers into one,
upper-cases their names and drops those with "_", which API Gateway's `headers`/`multiValueHeaders`
keep, and a WSGI app cannot close a connection unanswered, as the emulator's dropped-answer fault does.

A server is a function `handle(HttpRequest) -> HttpResponse | None`; `request_handler_class(handle, options)`
turns it into a BaseHTTPRequestHandler that reads the request, calls it and writes the answer
(None closes the connection without answering, as a dropped connection does). A function written as
`call(method, path, query, headers, body)` plugs in through `from_call(call)`.

    server = BackgroundHttpServer("name", "127.0.0.1", 0)
    server.serve(request_handler_class(handle, HandlerOptions(server_version="Name")))
"""

from __future__ import annotations

import contextlib
import json
import logging
import socket
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any, ClassVar
from urllib.parse import urlsplit

logger = logging.getLogger(__name__)

Headers = tuple[tuple[str, str], ...]
# Framing headers the skeleton writes itself; a handler's own values for them are ignored.
_FRAMING_HEADERS = frozenset({"content-length", "connection", "transfer-encoding"})


def _header_pairs(headers: Mapping[str, str] | Iterable[tuple[str, str]]) -> Headers:
    items = headers.items() if isinstance(headers, Mapping) else headers
    return tuple((str(name), str(value)) for name, value in items)


@dataclass(frozen=True)
class HttpRequest:
    """One request as received: headers in arrival order with their original case, body read whole."""

    method: str
    path: str  # without the query string
    query: str  # the raw query string, without "?"
    headers: Headers
    body: bytes
    client_ip: str = "127.0.0.1"
    server_port: int = 0

    def header(self, name: str) -> str | None:
        """The last value of a header, matched case-insensitively (None when absent)."""
        lowered = name.lower()
        found = None
        for key, value in self.headers:
            if key.lower() == lowered:
                found = value
        return found

    def header_map(self) -> dict[str, str]:
        """The headers as a dict with lower-case names (the last value wins)."""
        return {key.lower(): value for key, value in self.headers}


@dataclass(frozen=True)
class HttpResponse:
    """One answer: status, headers (repeatable, in order) and body bytes. Content-Length is added."""

    status: int
    headers: Headers = field(default=())
    body: bytes = b""

    @classmethod
    def of(
        cls, status: int, headers: Mapping[str, str] | Iterable[tuple[str, str]] = (), body: bytes = b""
    ) -> HttpResponse:
        """A response from headers given as a mapping or as (name, value) pairs."""
        return cls(status, _header_pairs(headers), body)

    @classmethod
    def json(
        cls,
        status: int,
        document: Any,
        headers: Mapping[str, str] | Iterable[tuple[str, str]] = (),
        *,
        content_type: str = "application/json",
    ) -> HttpResponse:
        return cls(
            status, (("Content-Type", content_type), *_header_pairs(headers)), json.dumps(document).encode()
        )

    def with_header(self, name: str, value: str) -> HttpResponse:
        return HttpResponse(self.status, (*self.headers, (name, value)), self.body)


ALL_METHODS = ("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS")
Handle = Callable[[HttpRequest], HttpResponse | None]
Call = Callable[[str, str, str, Mapping[str, str], bytes], HttpResponse | None]


def from_call(call: Call) -> Handle:
    """A `handle` for a function taking (method, path, query, headers as a dict, body)."""

    def handle(request: HttpRequest) -> HttpResponse | None:
        return call(request.method, request.path, request.query, dict(request.headers), request.body)

    return handle


@dataclass(frozen=True)
class HandlerOptions:
    """How a request handler class serves.

    server_version names it in the Server header and the logs; on_error builds the answer when `handle`
    raises (default: a bare 500); idle_timeout ends idle keep-alive connections; verbose, when it returns
    True, logs each request at INFO instead of DEBUG; methods other than `methods` get 501.
    """

    server_version: str
    on_error: Callable[[], HttpResponse] | None = None
    idle_timeout: float | None = None
    verbose: Callable[[], bool] = lambda: False
    methods: Iterable[str] = ALL_METHODS


@dataclass(frozen=True)
class _Served:
    handle: Handle
    options: HandlerOptions

    def failed(self) -> HttpResponse:
        on_error = self.options.on_error
        return on_error() if on_error is not None else HttpResponse(500)


class _KeepAliveRequestHandler(BaseHTTPRequestHandler):
    """Reads a request, answers it through `served.handle`, writes the answer; one subclass per server."""

    protocol_version = "HTTP/1.1"  # keep-alive, as botocore's connection pool expects
    served: ClassVar[_Served]

    def setup(self) -> None:
        super().setup()
        # Headers and body go out as separate writes; without NODELAY, Nagle plus the client's
        # delayed ACK add about 40 ms to every answer.
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        split = urlsplit(self.path)
        request = HttpRequest(
            method=self.command,
            path=split.path,
            query=split.query,
            headers=tuple(self.headers.items()),
            body=body,
            client_ip=self.client_address[0],
            server_port=self.connection.getsockname()[1],
        )
        try:
            response = self.served.handle(request)
        except (ConnectionError, TimeoutError):
            self.close_connection = True
            return
        except Exception:
            logger.exception(
                "%s failed on %s %s", self.served.options.server_version, request.method, request.path
            )
            response = self.served.failed()
        if response is None:
            self.close_connection = True
            return
        self._write(response)

    def _write(self, response: HttpResponse) -> None:
        self.send_response(response.status)
        for name, value in response.headers:
            if name.lower() not in _FRAMING_HEADERS:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if response.body and self.command != "HEAD":
            self.wfile.write(response.body)

    def log_message(self, format: str, *args: Any) -> None:  # the base class names it `format`
        options = self.served.options
        level = logging.INFO if options.verbose() else logging.DEBUG
        logger.log(level, "%s %s " + format, options.server_version, self.address_string(), *args)


def request_handler_class(handle: Handle, options: HandlerOptions) -> type[BaseHTTPRequestHandler]:
    """A keep-alive request handler class that answers `options.methods` through `handle`."""
    attributes: dict[str, Any] = {
        "served": _Served(handle, options),
        "timeout": options.idle_timeout,
        "server_version": options.server_version,
    }
    for method in options.methods:
        attributes[f"do_{method}"] = _KeepAliveRequestHandler._serve
    # type() names the class (__name__ and __qualname__) after the server.
    return type(f"{options.server_version}RequestHandler", (_KeepAliveRequestHandler,), attributes)
