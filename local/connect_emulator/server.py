"""The emulator: Connect's rest-json API plus the JSON admin interface under `/_emulator/`, over HTTP.

`ConnectEmulator.call` is the whole request path; the HTTP handler only reads the request, calls it
and writes the answer. A Connect call goes: route (botocore model) -> rate quota -> fault draw ->
parse + validate -> state -> serialize; `*_after_effect` faults act on the answer only.
Connect paths never start with `/_`, so the admin prefix cannot collide with a real operation.
"""

from __future__ import annotations

import functools
import threading
import traceback
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Self, overload

from local.background_server import BackgroundHttpServer
from local.http_service import HandlerOptions, HttpResponse, from_call, request_handler_class

from .admin import (
    ADMIN_CALLS,
    ADMIN_PREFIX,
    FaultPlan,
    FaultScope,
    QuotaPlan,
    QuotaScale,
    Stats,
)
from .contact_events import EventDeliveryPlan, EventSink
from .errors import ConnectError, throttled
from .faults import DEFAULT_FAULT_OPERATION, NO_FAULT, Fault, FaultInjector, FaultKind, FaultPlanSnapshot
from .operations import OPERATIONS
from .protocol import (
    RouteMatch,
    match_route,
    parse_query,
    parse_request,
    serialize_error,
    serialize_output,
    service_model,
)
from .quota import DEFAULT_BURST, DEFAULT_RATE, QuotaSnapshot, RateQuota
from .records import LedgerEntry
from .state import ConnectState
from .validation import validate_input

IDLE_TIMEOUT_SECONDS = 60.0  # idle keep-alive connections end eventually


class _StateCall[Argument, Answer]:
    """A `ConnectState` admin call offered as the emulator's own method, without a forwarding copy."""

    def __init__(self, call: Callable[[ConnectState, Argument], Answer]) -> None:
        self._call = call

    @overload
    def __get__(self, emulator: None, owner: type[Any]) -> Self: ...

    @overload
    def __get__(self, emulator: ConnectEmulator, owner: type[Any]) -> Callable[[Argument], Answer]: ...

    def __get__(
        self, emulator: ConnectEmulator | None, owner: type[Any]
    ) -> Self | Callable[[Argument], Answer]:
        if emulator is None:
            return self
        return functools.partial(self._call, emulator.state)


@dataclass(frozen=True)
class EmulatorOptions:
    """How a ConnectEmulator starts, and what its reset() restores: quotas, faults, account, logging.

    rate/burst apply to every operation (rate None: unlimited), `quotas` overrides them per operation,
    scale multiplies every refill rate; the fault settings are one FaultPlan for fault_operation, and
    seed makes the fault draws reproducible.
    """

    rate: float | None = DEFAULT_RATE
    burst: int = DEFAULT_BURST
    scale: float = 1.0
    seed: int | None = None
    region: str = "us-east-1"
    account_id: str = "123456789012"
    quotas: Mapping[str, tuple[float | None, int]] = field(default_factory=dict)
    fault_operation: str = DEFAULT_FAULT_OPERATION
    fault_probabilities: Mapping[str, float] = field(default_factory=dict)
    fault_script: Sequence[str] = ()
    slow_seconds: float | None = None
    timeout_seconds: float | None = None
    verbose: bool = False


class ConnectEmulator:
    """An Amazon Connect emulator for an unmodified boto3 `connect` client.

    >>> with ConnectEmulator(EmulatorOptions(rate=None)) as emulator:
    ...     client = boto3.client("connect", endpoint_url=emulator.endpoint_url, ...)

    It implements `EmulatorAdmin` (seeding, ledger, quota, faults, IAM policy, deny-list), which
    `EmulatorAdminClient` offers over HTTP, so another process can drive a running emulator the
    same way.
    """

    def __init__(self, options: EmulatorOptions | None = None) -> None:
        options = options or EmulatorOptions()
        self.state = ConnectState(OPERATIONS, region=options.region, account_id=options.account_id)
        self.verbose = options.verbose
        self._counts_lock = threading.Lock()
        self._requests: dict[str, int] = {}
        self._throttled: dict[str, int] = {}
        self._http: BackgroundHttpServer | None = None
        # Set on stop(): wakes requests held by slow/timeout faults.
        self._stopping = threading.Event()
        self.endpoint_url: str = ""

        # Kept so reset() restores the start configuration.
        self._initial_quota = (options.rate, options.burst, options.scale, dict(options.quotas))
        self._initial_faults = FaultPlan(
            options.fault_operation,
            probabilities=dict(options.fault_probabilities),
            script=list(options.fault_script),
            slow_seconds=options.slow_seconds,
            timeout_seconds=options.timeout_seconds,
            seed=options.seed,
        )
        self.quota = RateQuota(options.rate, options.burst, options.scale)
        self.faults = FaultInjector(options.seed)
        self._apply_initial_config()

    def _apply_initial_config(self) -> None:
        rate, burst, scale, quotas = self._initial_quota
        self.quota.configure(rate, burst)
        self.quota.set_scale(scale)
        for operation, (op_rate, op_burst) in quotas.items():
            self.quota.configure(op_rate, op_burst, operation)
        plan = self._initial_faults
        self.faults.clear()
        self.faults.reseed(plan.seed)
        if (
            plan.probabilities
            or plan.script
            or plan.slow_seconds is not None
            or plan.timeout_seconds is not None
        ):
            self._configure_faults(plan)

    # ---- lifecycle ---------------------------------------------------------------------------

    def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve on a background thread (port 0 = a free port); returns the endpoint URL."""
        if self._http is not None:
            raise RuntimeError("the emulator is already running")
        service_model()  # load the model before the first request, not during it
        http = BackgroundHttpServer("connect-emulator", host, port)
        self._stopping = http.stopping
        http.serve(
            request_handler_class(
                from_call(self.call),
                HandlerOptions(
                    server_version="ConnectEmulator",
                    idle_timeout=IDLE_TIMEOUT_SECONDS,
                    verbose=lambda: self.verbose,
                ),
            )
        )
        self._http = http
        self.endpoint_url = http.url
        return self.endpoint_url

    def stop(self) -> None:
        http, self._http = self._http, None
        if http is not None:
            http.shutdown()

    def serve_until(self, stop: threading.Event) -> None:
        stop.wait()
        self.stop()

    def __enter__(self) -> ConnectEmulator:
        if self._http is None:
            self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # ---- admin API (EmulatorAdmin) -----------------------------------------------------------

    def health(self) -> dict[str, bool]:
        return {"ok": True}

    def reset(self) -> None:
        """Forget all data, ledger, tokens and deny rules; restore the start quota and faults."""
        self.state.reset()
        self.state.events.configure(EventDeliveryPlan())
        self._apply_initial_config()
        with self._counts_lock:
            self._requests.clear()
            self._throttled.clear()

    # Seeding, contact records and the deny-list are the state's own calls.
    add_instance = _StateCall(ConnectState.add_instance)
    add_hours_of_operation = _StateCall(ConnectState.add_hours_of_operation)
    add_hours_override = _StateCall(ConnectState.add_hours_override)
    add_queue = _StateCall(ConnectState.add_queue)
    add_flow = _StateCall(ConnectState.add_flow)
    add_agent = _StateCall(ConnectState.add_agent)
    set_agent_status = _StateCall(ConnectState.set_agent_status)
    add_contact = _StateCall(ConnectState.add_contact)
    get_contact = _StateCall(ConnectState.get_contact)
    contact_arn = _StateCall(ConnectState.contact_arn)
    route_next = _StateCall(ConnectState.route_next)
    accept_contact = _StateCall(ConnectState.accept_contact)
    deny = _StateCall(ConnectState.deny)
    allow = _StateCall(ConnectState.allow)
    set_policy = _StateCall(ConnectState.set_policy)

    def clear_denials(self) -> None:
        self.state.clear_denials()

    def set_event_delivery(self, plan: EventDeliveryPlan) -> None:
        self.state.events.configure(plan)

    def flush_contact_events(self) -> int:
        return self.state.events.flush()

    def connect_event_sink(self, sink: EventSink | None) -> None:
        """Where contact events go (in process only: a callable, such as the local bus's internal path)."""
        self.state.events.connect(sink)

    def ledger(self) -> list[LedgerEntry]:
        return self.state.ledger()

    def set_quota(self, plan: QuotaPlan) -> None:
        self.quota.configure(plan.rate, plan.burst, plan.operation)

    def set_quota_scale(self, scale: QuotaScale) -> None:
        self.quota.set_scale(scale.scale)

    def get_quota(self) -> QuotaSnapshot:
        return self.quota.snapshot()

    def set_faults(self, plan: FaultPlan) -> None:
        self._configure_faults(plan)
        if plan.seed is not None:
            self.faults.reseed(plan.seed)

    def _configure_faults(self, plan: FaultPlan) -> None:
        self.faults.configure(
            plan.operation,
            probabilities=plan.probabilities,
            script=plan.script,
            slow_seconds=plan.slow_seconds,
            timeout_seconds=plan.timeout_seconds,
        )

    def clear_faults(self, scope: FaultScope) -> None:
        self.faults.clear(scope.operation)

    def get_faults(self) -> dict[str, FaultPlanSnapshot]:
        return self.faults.snapshot()

    def stats(self) -> Stats:
        with self._counts_lock:
            return {
                "requests": dict(self._requests),
                "throttled": dict(self._throttled),
                "faults": self.faults.injected_counts(),
            }

    # ---- the request path --------------------------------------------------------------------

    def call(
        self, method: str, path: str, query: str, headers: Mapping[str, str], body: bytes
    ) -> HttpResponse | None:
        """Answer one HTTP request (`query` still encoded); None: close the connection unanswered
        (a drop fault, or stop() while the request was held)."""
        if path.startswith(ADMIN_PREFIX):
            return self._admin_call(path[len(ADMIN_PREFIX) :], body)
        return self._connect_call(method, path, query, headers, body)

    def _connect_call(
        self, method: str, path: str, raw_query: str, headers: Mapping[str, str], body: bytes
    ) -> HttpResponse | None:
        request_id = str(uuid.uuid4())
        fault = NO_FAULT
        try:
            query = parse_query(raw_query)
            match = self._admitted_route(method, path, query)
            fault = self.faults.draw(match.operation.name)
            if not fault.kind.after_effect and self._strike_before(fault):
                return None
            params = parse_request(match.operation, match.labels, query, headers, body)
            validate_input(match.operation, params)
            result = self.state.handle(match.operation.name, params)
            response = serialize_output(match.operation, result)
        except ConnectError as error:
            response = serialize_error(error)
        except Exception as error:  # a bug in the emulator: answer like the service would
            traceback.print_exc()
            response = serialize_error(ConnectError("InternalServiceException", f"Emulator error: {error!r}"))
        if fault.kind.after_effect and (
            fault.kind.base is FaultKind.DROP or self._stopping.wait(fault.delay)
        ):
            return None
        return response.with_header("x-amzn-RequestId", request_id)

    def _admitted_route(self, method: str, path: str, query: Mapping[str, list[str]]) -> RouteMatch:
        """The operation a request names, counted and within its rate quota (else a ConnectError)."""
        match = match_route(method, path, query)
        if match is None:
            raise ConnectError(
                "UnknownOperationException", f"No Connect operation matches {method} {path}.", status=404
            )
        name = match.operation.name
        self._count(self._requests, name)
        if not self.quota.try_acquire(name):
            self._count(self._throttled, name)
            raise throttled()
        return match

    def _strike_before(self, fault: Fault) -> bool:
        """Act out a fault that strikes before processing: raise its error, or hold the request for its
        delay; True: close the connection unanswered (a drop, or stop() while held)."""
        if fault.kind is FaultKind.THROTTLE:
            raise throttled("Rate exceeded (injected fault)")
        if fault.kind is FaultKind.INTERNAL:
            raise ConnectError("InternalServiceException", "Request processing failed (injected fault).")
        if fault.kind is FaultKind.DROP:
            return True
        return bool(fault.delay) and self._stopping.wait(fault.delay)

    def _admin_call(self, name: str, body: bytes) -> HttpResponse:
        call = ADMIN_CALLS.get(name.strip("/"))
        if call is None:
            return _json_response(
                404, {"error": f"unknown admin method {name!r}", "methods": sorted(ADMIN_CALLS)}
            )
        try:
            result = call.invoke(self, body)
        except (TypeError, ValueError, KeyError) as error:
            return _json_response(400, {"error": str(error), "type": type(error).__name__})
        return _json_response(200, {"result": result})

    def _count(self, table: dict[str, int], operation: str) -> None:
        with self._counts_lock:
            table[operation] = table.get(operation, 0) + 1


def _json_response(status: int, document: Mapping[str, Any]) -> HttpResponse:
    return HttpResponse.json(status, document)
