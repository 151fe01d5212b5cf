"""Where a warm API escalation's CPU goes, step by step (bench.warm_overhead writes it into its results).

In the all-stubbed environment of bench.stubbed, `count` API escalations (ours-api-all-stubbed) run with
a thread-CPU clock around each step of the path, and `count` of bare9's with the same clock around each
AWS call:

- handler: the whole invocation (Powertools' Logger, Metrics and Tracer decorators, dispatch);
- api_trigger: `triggers.api.handle` (the guard, the resolver with its validation, the route);
- guard: the media type and the body's size and encoding (`api_guard.declared_media_type`, `check_body`);
- parse: the body's JSON, once (`api_guard.parse_json_object`, called by the resolver);
- use_case: `EscalationService.escalate` (idempotency layer, the nine AWS calls, the ledger's items);
- idempotency_layer: `DynamoDbIdempotency.run` minus the escalation it wraps;
- aws_call.<Operation>: botocore's client-side cost of each call (validation, serialisation, its
  events; the Stubber answers in place of the network), for ours and for bare9;
- serialisation: the result's JSON form (`EscalationResult.to_dict`).

Each wrapper costs a few tenths of a microsecond; the steps nest (use_case holds the AWS calls), so the
figures are read against each other, not added up. body_validation is timed alone: pydantic validating
the request body into EscalationBody, as the resolver does.
"""

# ruff: noqa: PLC0415 - the handler's modules are imported once the environment is set (bench.stubbed)
from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from bench import stubbed


class _Clock:
    def __init__(self) -> None:
        self.total: dict[str, float] = defaultdict(float)

    def wrap(self, name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.thread_time()
            try:
                return function(*args, **kwargs)
            finally:
                self.total[name] += time.thread_time() - started

        return timed


@contextmanager
def _patched(target: Any, name: str, replacement: Any) -> Iterator[None]:
    original = getattr(target, name)
    setattr(target, name, replacement)
    try:
        yield
    finally:
        setattr(target, name, original)


def _per_call_clock(clock: _Clock) -> Any:
    import botocore.client

    make_api_call = botocore.client.BaseClient._make_api_call  # type: ignore[attr-defined]

    def timed(self: Any, operation_name: str, api_params: Any) -> Any:
        started = time.thread_time()
        try:
            return make_api_call(self, operation_name, api_params)
        finally:
            clock.total[f"aws_call.{operation_name}"] += time.thread_time() - started

    return _patched(botocore.client.BaseClient, "_make_api_call", timed)


def api_breakdown(env: stubbed.Environment, count: int) -> dict[str, Any]:
    """Microseconds of CPU per escalation for each step (module docstring), ours on the API path and
    bare9 (its AWS calls only)."""
    from escalation.adapters.dynamodb_idempotency import DynamoDbIdempotency
    from escalation.domain.model import EscalationResult
    from escalation.triggers import api, api_guard
    from escalation.triggers.api_models import EscalationBody

    ours, bare = _Clock(), _Clock()
    service = env.service
    app = api.app
    run_idempotent = DynamoDbIdempotency.run

    def idempotent(self: Any, key: str, operation: Callable[[], Any]) -> Any:
        started = time.thread_time()
        inner = [0.0]

        def timed_operation() -> Any:
            began = time.thread_time()
            try:
                return operation()
            finally:
                inner[0] += time.thread_time() - began

        try:
            return run_idempotent(self, key, timed_operation)
        finally:
            ours.total["idempotency_layer"] += time.thread_time() - started - inner[0]

    env.use(stubbed.OURS_API_ALL_STUBBED)
    with (
        _patched(api, "handle", ours.wrap("api_trigger", api.handle)),
        _patched(api_guard, "check_body", ours.wrap("guard", api_guard.check_body)),
        _patched(api_guard, "declared_media_type", ours.wrap("guard", api_guard.declared_media_type)),
        _patched(app, "_json_body_deserializer", ours.wrap("parse", app._json_body_deserializer)),
        _patched(service, "escalate", ours.wrap("use_case", service.escalate)),
        _patched(DynamoDbIdempotency, "run", idempotent),
        _patched(EscalationResult, "to_dict", ours.wrap("serialisation", EscalationResult.to_dict)),
        _per_call_clock(ours),
    ):
        handler = ours.wrap("handler", env.handler(stubbed.OURS_API_ALL_STUBBED))
        for _ in range(count):
            event, context = env.prepare(stubbed.OURS_API_ALL_STUBBED), stubbed.new_context()
            with stubbed.quiet_stdout():
                stubbed.check_answer(stubbed.OURS_API_ALL_STUBBED, handler(event, context))
    env.use(stubbed.BARE9)
    with _per_call_clock(bare):
        handler = bare.wrap("handler", env.handler(stubbed.BARE9))
        for _ in range(count):
            event = env.prepare(stubbed.BARE9)
            stubbed.check_answer(stubbed.BARE9, handler(event, stubbed.new_context()))
    body = {"contactId": "00000000-0000-4000-8000-000000000001", "reason": "CUSTOMER_UNHAPPY"}
    for _ in range(200):
        EscalationBody.model_validate(body)
    started = time.thread_time()
    for _ in range(count):
        EscalationBody.model_validate(body)
    validation_us = (time.thread_time() - started) / count * 1e6

    def per_escalation(clock: _Clock) -> dict[str, float]:
        return {name: round(seconds / count * 1e6, 1) for name, seconds in sorted(clock.total.items())}

    return {
        "escalations": count,
        "ours_api_us": {**per_escalation(ours), "body_validation": round(validation_us, 1)},
        "bare9_us": per_escalation(bare),
    }
