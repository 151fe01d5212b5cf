"""An HTTP server on a background thread: the lifecycle the local API, bus and stack pieces share
(`HttpService`, the Service each of them is built on).

Kept rather than werkzeug.serving.make_server: it serves local.http_service's request handlers (see why
there), and stopping also ends idle keep-alive connections, which socketserver's servers leave open.
"""

from __future__ import annotations

import contextlib
import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self

from local.http_service import Handle, HandlerOptions, request_handler_class


def started[Value](value: Value | None, service: str) -> Value:
    """What a service holds only while started (its server, its address), or RuntimeError saying so."""
    if value is None:
        raise RuntimeError(f"{service} is not started")
    return value


class Service:
    """Something with start() and stop() that is also a context manager."""

    def start(self) -> Self:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


class _TrackingHTTPServer(ThreadingHTTPServer):
    """A threading server that knows its open connections, so stopping can end idle keep-alive ones."""

    daemon_threads = True
    allow_reuse_address = True  # many servers come and go on free ports in the tests

    def __init__(self, address: tuple[str, int], handler_class: type[BaseHTTPRequestHandler]) -> None:
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, handler_class)

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self._connections_lock:
                self._connections.discard(request)

    def close_open_connections(self) -> None:
        # Keep-alive handler threads would otherwise wait on idle sockets after shutdown.
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            return  # the client went away (often on purpose: timeouts and drops)
        super().handle_error(request, client_address)


class BackgroundHttpServer:
    def __init__(self, name: str, host: str, port: int) -> None:
        self.name = name
        self._address = (host, port)
        self._server: _TrackingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        # Set while stopping, so handlers that sleep (injected delays) can wait on it and end early.
        self.stopping = threading.Event()

    @property
    def running(self) -> bool:
        return self._server is not None

    def serve(self, handler_class: type[BaseHTTPRequestHandler]) -> None:
        server = _TrackingHTTPServer(self._address, handler_class)
        self.stopping.clear()
        self._server = server
        # A short poll interval so that shutdown() returns at once (the default is half a second).
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name=self.name, daemon=True
        )
        self._thread.start()

    def shutdown(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        self.stopping.set()
        server.shutdown()
        server.close_open_connections()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    @property
    def url(self) -> str:
        host, port = started(self._server, self.name).server_address[:2]
        return f"http://{host!s}:{port}"


class HttpService(Service):
    """A Service that is one BackgroundHttpServer: it serves one `handle`, stopping shuts it down."""

    def __init__(self, name: str, host: str, port: int) -> None:
        self._http = BackgroundHttpServer(name, host, port)

    def _serve(self, handle: Handle, options: HandlerOptions) -> bool:
        """Start serving `handle`; False, and nothing done, when it already serves."""
        if self._http.running:
            return False
        self._http.serve(request_handler_class(handle, options))
        return True

    def stop(self) -> None:
        self._http.shutdown()

    @property
    def url(self) -> str:
        """Where it listens (the actual port, also when asked for port 0)."""
        return self._http.url
