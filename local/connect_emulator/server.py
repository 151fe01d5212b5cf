"""The HTTP server: Connect's rest-json API plus a JSON admin interface under `/_emulator/`.

Request pipeline for a Connect call: route (botocore model) -> rate quota -> fault draw ->
parse + validate -> state -> serialize; `*_after_effect` faults act on the answer only.
Connect paths never start with `/_`, so the admin prefix cannot collide with a real operation.
"""

from __future__ import annotations

import contextlib
import json
import socket
import sys
import threading
import traceback
import uuid
from collections.abc import Callable, Mapping, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypedDict, cast
from urllib.parse import urlsplit

from .errors import ConnectError, throttled
from .faults import DEFAULT_FAULT_OPERATION, FaultInjector, FaultKind, FaultPlanSnapshot
from .protocol import (
    WireResponse,
    match_route,
    parse_query,
    parse_request,
    serialize_error,
    serialize_output,
    service_model,
    validate_input,
)
from .quota import DEFAULT_BURST, DEFAULT_RATE, QuotaSnapshot, RateQuota
from .state import ConnectState, ContactRecord, LedgerEntry

ADMIN_PREFIX = "/_emulator/"


class Stats(TypedDict):
    requests: dict[str, int]
    throttled: dict[str, int]
    faults: dict[str, int]


class ConnectEmulator:
    """An Amazon Connect emulator for an unmodified boto3 `connect` client.

    >>> with ConnectEmulator(rate=None) as emulator:
    ...     client = boto3.client("connect", endpoint_url=emulator.endpoint_url, ...)

    Seeding, ledger, quota, fault and deny-list methods are mirrored over HTTP by
    `EmulatorAdminClient`, so another process can drive a running emulator the same way.
    """

    def __init__(
        self,
        *,
        rate: float | None = DEFAULT_RATE,
        burst: int = DEFAULT_BURST,
        scale: float = 1.0,
        seed: int | None = None,
        region: str = "us-east-1",
        account_id: str = "123456789012",
        quotas: Mapping[str, tuple[float | None, int]] | None = None,
        fault_operation: str = DEFAULT_FAULT_OPERATION,
        fault_probabilities: Mapping[str, float] | None = None,
        fault_script: Sequence[str] | None = None,
        slow_seconds: float | None = None,
        timeout_seconds: float | None = None,
        verbose: bool = False,
    ) -> None:
        self.state = ConnectState(region=region, account_id=account_id)
        self.verbose = verbose
        self._counts_lock = threading.Lock()
        self._requests: dict[str, int] = {}
        self._throttled: dict[str, int] = {}
        self._server: _EmulatorHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.endpoint_url: str = ""

        # Kept so reset() restores the start configuration.
        self._initial_quota = (rate, burst, scale, dict(quotas or {}))
        self._initial_faults = (
            seed,
            fault_operation,
            dict(fault_probabilities or {}),
            list(fault_script or []),
            slow_seconds,
            timeout_seconds,
        )
        self.quota = RateQuota(rate, burst, scale)
        self.faults = FaultInjector(seed)
        self._apply_initial_config()

    def _apply_initial_config(self) -> None:
        rate, burst, scale, quotas = self._initial_quota
        self.quota.configure(rate, burst)
        self.quota.set_scale(scale)
        for operation, (op_rate, op_burst) in quotas.items():
            self.quota.configure(op_rate, op_burst, operation)
        seed, operation, probabilities, script, slow, timeout = self._initial_faults
        self.faults.clear()
        self.faults.reseed(seed)
        if probabilities or script or slow is not None or timeout is not None:
            self.faults.configure(
                operation,
                probabilities=probabilities,
                script=script,
                slow_seconds=slow,
                timeout_seconds=timeout,
            )

    # ---- lifecycle ---------------------------------------------------------------------------

    def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve on a background thread (port 0 = a free port); returns the endpoint URL."""
        if self._server is not None:
            raise RuntimeError("the emulator is already running")
        service_model()  # load the model before the first request, not during it
        server = _EmulatorHTTPServer((host, port), _Handler, self)
        self._server = server
        bound_host, bound_port = server.server_address[:2]
        shown_host = bound_host if isinstance(bound_host, str) else bound_host.decode()
        self.endpoint_url = f"http://{shown_host}:{bound_port}"
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self.endpoint_url

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.stopping.set()  # wakes handlers held by slow/timeout faults
        server.close_open_connections()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def serve_until(self, stop: threading.Event) -> None:
        stop.wait()
        self.stop()

    def __enter__(self) -> ConnectEmulator:
        if self._server is None:
            self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # ---- admin API (mirrored over HTTP by EmulatorAdminClient) -------------------------------

    def health(self) -> dict[str, bool]:
        return {"ok": True}

    def reset(self) -> None:
        """Forget all data, ledger, tokens and deny rules; restore the start quota and faults."""
        self.state.reset()
        self._apply_initial_config()
        with self._counts_lock:
            self._requests.clear()
            self._throttled.clear()

    def add_instance(self, instance_id: str | None = None) -> str:
        return self.state.add_instance(instance_id)

    def add_queue(
        self,
        instance_id: str,
        queue_id: str | None = None,
        name: str | None = None,
        status: str = "ENABLED",
    ) -> str:
        return self.state.add_queue(instance_id, queue_id, name, status)

    def add_flow(
        self,
        instance_id: str,
        flow_id: str | None = None,
        flow_type: str = "QUEUE_TRANSFER",
        queue_id: str | None = None,
        name: str | None = None,
    ) -> str:
        return self.state.add_flow(instance_id, flow_id, flow_type, queue_id, name)

    def add_agent(
        self,
        instance_id: str,
        agent_id: str | None = None,
        status: str = "Available",
        slots: Mapping[str, int] | None = None,
        active_slots: Mapping[str, int] | None = None,
    ) -> str:
        return self.state.add_agent(instance_id, agent_id, status, slots, active_slots)

    def set_agent_status(self, instance_id: str, agent_id: str, status: str) -> None:
        self.state.set_agent_status(instance_id, agent_id, status)

    def add_contact(
        self,
        instance_id: str,
        channel: str = "TASK",
        *,
        queue_id: str | None = None,
        agent_id: str | None = None,
        attributes: Mapping[str, str] | None = None,
        transfer_count: int = 0,
        ended: bool = False,
        contact_id: str | None = None,
        initiation_method: str = "API",
        name: str | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> str:
        return self.state.add_contact(
            instance_id,
            channel,
            queue_id=queue_id,
            agent_id=agent_id,
            attributes=attributes,
            transfer_count=transfer_count,
            ended=ended,
            contact_id=contact_id,
            initiation_method=initiation_method,
            name=name,
            tags=tags,
        )

    def get_contact(self, instance_id: str, contact_id: str) -> ContactRecord:
        return self.state.get_contact(instance_id, contact_id)

    def contact_arn(self, instance_id: str, contact_id: str) -> str:
        return self.state.contact_arn(instance_id, contact_id)

    def ledger(self) -> list[LedgerEntry]:
        return self.state.ledger()

    def set_quota(
        self, rate: float | None = DEFAULT_RATE, burst: int = DEFAULT_BURST, operation: str | None = None
    ) -> None:
        """Rate (requests/s, None = unlimited) and burst for every operation or just one."""
        self.quota.configure(rate, burst, operation)

    def set_quota_scale(self, scale: float) -> None:
        self.quota.set_scale(scale)

    def get_quota(self) -> QuotaSnapshot:
        return self.quota.snapshot()

    def set_faults(
        self,
        operation: str = DEFAULT_FAULT_OPERATION,
        *,
        probabilities: Mapping[str, float] | None = None,
        script: Sequence[str] | None = None,
        slow_seconds: float | None = None,
        timeout_seconds: float | None = None,
        seed: int | None = None,
    ) -> None:
        """Faults for `operation`: a script consumed one call at a time, then probabilities.

        A given `seed` reseeds the shared random generator (reproducible probabilistic runs).
        """
        self.faults.configure(
            operation,
            probabilities=probabilities,
            script=script,
            slow_seconds=slow_seconds,
            timeout_seconds=timeout_seconds,
        )
        if seed is not None:
            self.faults.reseed(seed)

    def clear_faults(self, operation: str | None = None) -> None:
        self.faults.clear(operation)

    def get_faults(self) -> dict[str, FaultPlanSnapshot]:
        return self.faults.snapshot()

    def deny(self, operation: str, target_id: str | None = None) -> None:
        self.state.deny(operation, target_id)

    def allow(self, operation: str, target_id: str | None = None) -> None:
        self.state.allow(operation, target_id)

    def stats(self) -> Stats:
        with self._counts_lock:
            return {
                "requests": dict(self._requests),
                "throttled": dict(self._throttled),
                "faults": self.faults.injected_counts(),
            }

    def _admin_methods(self) -> dict[str, Callable[..., Any]]:
        return {name: getattr(self, name) for name in ADMIN_METHODS}

    def _count(self, table: dict[str, int], operation: str) -> None:
        with self._counts_lock:
            table[operation] = table.get(operation, 0) + 1


ADMIN_METHODS = (
    "health",
    "reset",
    "add_instance",
    "add_queue",
    "add_flow",
    "add_agent",
    "set_agent_status",
    "add_contact",
    "get_contact",
    "contact_arn",
    "ledger",
    "set_quota",
    "set_quota_scale",
    "get_quota",
    "set_faults",
    "clear_faults",
    "get_faults",
    "deny",
    "allow",
    "stats",
)


class _EmulatorHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    # Quiet start/stop in tests: many servers come and go on free ports.
    allow_reuse_address = True

    def __init__(
        self,
        address: tuple[str, int],
        handler: type[BaseHTTPRequestHandler],
        emulator: ConnectEmulator,
    ) -> None:
        self.emulator = emulator
        self.stopping = threading.Event()
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, handler)

    def track(self, connection: socket.socket, open_: bool) -> None:
        with self._connections_lock:
            if open_:
                self._connections.add(connection)
            else:
                self._connections.discard(connection)

    def close_open_connections(self) -> None:
        # Keep-alive handler threads would otherwise wait on idle sockets after stop().
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        error = sys.exc_info()[1]
        if isinstance(error, ConnectionError | TimeoutError):
            return  # the client went away (often on purpose: timeouts and drops)
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as botocore's connection pool expects
    server_version = "ConnectEmulator"
    timeout = 60  # idle keep-alive connections end eventually

    @property
    def _server(self) -> _EmulatorHTTPServer:
        return cast(_EmulatorHTTPServer, self.server)

    def setup(self) -> None:
        super().setup()
        # Headers and body go out as separate writes; without NODELAY, Nagle plus the client's
        # delayed ACK add ~40 ms to every answer.
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._server.track(self.connection, True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self._server.track(self.connection, False)

    def log_message(self, format: str, *args: Any) -> None:  # the base class names it `format`
        if self._server.emulator.verbose:
            super().log_message(format, *args)

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def do_PATCH(self) -> None:
        self._dispatch("PATCH")

    def _read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _dispatch(self, method: str) -> None:
        body = self._read_body()
        url = urlsplit(self.path)
        try:
            if url.path.startswith(ADMIN_PREFIX):
                self._admin(url.path[len(ADMIN_PREFIX) :], body)
            else:
                self._connect(method, url.path, url.query, body)
        except (ConnectionError, TimeoutError):
            self.close_connection = True

    # ---- Connect API -------------------------------------------------------------------------

    def _connect(self, method: str, path: str, raw_query: str, body: bytes) -> None:
        emulator = self._server.emulator
        request_id = str(uuid.uuid4())
        fault_kind = FaultKind.OK
        fault_delay = 0.0
        try:
            query = parse_query(raw_query)
            match = match_route(method, path, query)
            if match is None:
                raise ConnectError(
                    "UnknownOperationException",
                    f"No Connect operation matches {method} {path}.",
                    status=404,
                )
            operation = match.operation
            emulator._count(emulator._requests, operation.name)
            if not emulator.quota.try_acquire(operation.name):
                emulator._count(emulator._throttled, operation.name)
                raise throttled()
            fault = emulator.faults.draw(operation.name)
            fault_kind, fault_delay = fault.kind, fault.delay
            if not fault_kind.after_effect:
                if fault_kind is FaultKind.THROTTLE:
                    raise throttled("Rate exceeded (injected fault)")
                if fault_kind is FaultKind.INTERNAL:
                    raise ConnectError(
                        "InternalServiceException", "Request processing failed (injected fault)."
                    )
                if fault_kind is FaultKind.DROP:
                    self.close_connection = True
                    return
                if fault_delay and self._server.stopping.wait(fault_delay):
                    self.close_connection = True
                    return
            params = parse_request(operation, match.labels, query, dict(self.headers), body)
            validate_input(operation, params)
            result = emulator.state.handle(operation.name, params)
            response = serialize_output(operation, result)
        except ConnectError as error:
            response = serialize_error(error)
        except Exception as error:  # a bug in the emulator: answer like the service would
            traceback.print_exc()
            response = serialize_error(ConnectError("InternalServiceException", f"Emulator error: {error!r}"))
        if fault_kind.after_effect:
            if fault_kind.base is FaultKind.DROP:
                self.close_connection = True
                return
            if self._server.stopping.wait(fault_delay):
                self.close_connection = True
                return
        response.headers["x-amzn-RequestId"] = request_id
        self._write(response)

    # ---- admin API ---------------------------------------------------------------------------

    def _admin(self, name: str, body: bytes) -> None:
        methods = self._server.emulator._admin_methods()
        method = methods.get(name.strip("/"))
        if method is None:
            self._write_json(404, {"error": f"unknown admin method {name!r}", "methods": sorted(methods)})
            return
        try:
            kwargs = json.loads(body) if body.strip() else {}
            if not isinstance(kwargs, dict):
                raise TypeError("the body must be a JSON object of keyword arguments")
            result = method(**kwargs)
        except (TypeError, ValueError, KeyError) as error:
            self._write_json(400, {"error": str(error), "type": type(error).__name__})
            return
        self._write_json(200, {"result": result})

    def _write_json(self, status: int, document: Mapping[str, Any]) -> None:
        headers = {"Content-Type": "application/json"}
        self._write(WireResponse(status, headers, json.dumps(document).encode()))

    def _write(self, response: WireResponse) -> None:
        self.send_response(response.status)
        for key, value in response.headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        self.wfile.write(response.body)
