"""Fault injection per operation: a scripted sequence first, then seeded probabilities.

Kinds and what the client sees:
  ok                    no fault
  throttle              429 ThrottlingException, no effect
  internal              500 InternalServiceException, no effect
  slow                  held `slow_seconds`, then processed and answered normally
  timeout               held `timeout_seconds` (longer than the client's read timeout), then
                        processed and answered: the effect lands after the client gave up
  drop                  connection closed without an answer, no effect
  slow_after_effect     processed at once, answer held `slow_seconds`
  timeout_after_effect  processed at once, answer held `timeout_seconds`
  drop_after_effect     processed at once, connection closed without an answer

The `*_after_effect` kinds are the ones that prove ClientToken idempotency: the transfer happened,
the caller cannot know, and its retry must replay rather than transfer again.
"""

from __future__ import annotations

import random
import threading
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TypedDict

DEFAULT_FAULT_OPERATION = "TransferContact"
DEFAULT_SLOW_SECONDS = 0.25
DEFAULT_TIMEOUT_SECONDS = 5.0


class FaultKind(StrEnum):
    OK = "ok"
    THROTTLE = "throttle"
    INTERNAL = "internal"
    SLOW = "slow"
    TIMEOUT = "timeout"
    DROP = "drop"
    SLOW_AFTER_EFFECT = "slow_after_effect"
    TIMEOUT_AFTER_EFFECT = "timeout_after_effect"
    DROP_AFTER_EFFECT = "drop_after_effect"

    @property
    def after_effect(self) -> bool:
        return self.value.endswith("_after_effect")

    @property
    def base(self) -> FaultKind:
        """The kind without its `_after_effect` suffix."""
        return FaultKind(self.value.removesuffix("_after_effect"))


@dataclass(frozen=True)
class Fault:
    kind: FaultKind
    delay: float = 0.0  # seconds to hold the request (or its answer) for slow/timeout kinds


NO_FAULT = Fault(FaultKind.OK)


@dataclass
class OperationFaults:
    probabilities: dict[FaultKind, float] = field(default_factory=dict)
    script: deque[FaultKind] = field(default_factory=deque)
    slow_seconds: float = DEFAULT_SLOW_SECONDS
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS


class FaultPlanSnapshot(TypedDict):
    probabilities: dict[str, float]
    script: list[str]
    slow_seconds: float
    timeout_seconds: float


def parse_kind(value: str) -> FaultKind:
    try:
        return FaultKind(value)
    except ValueError:
        known = ", ".join(kind.value for kind in FaultKind)
        raise ValueError(f"unknown fault kind {value!r} (known: {known})") from None


def _parse_probabilities(probabilities: Mapping[str, float]) -> dict[FaultKind, float]:
    parsed = {parse_kind(kind): float(p) for kind, p in probabilities.items()}
    if any(not 0.0 <= p <= 1.0 for p in parsed.values()):
        raise ValueError("fault probabilities must be within [0, 1]")
    if sum(parsed.values()) > 1.0 + 1e-9:
        raise ValueError("fault probabilities must add up to at most 1")
    return parsed


class FaultInjector:
    """Thread-safe; all random draws come from one `random.Random(seed)`."""

    def __init__(self, seed: int | None = None) -> None:
        self._lock = threading.Lock()
        self._random = random.Random(seed)
        self._plans: dict[str, OperationFaults] = {}
        self._injected: dict[str, int] = {}

    def reseed(self, seed: int | None) -> None:
        with self._lock:
            self._random.seed(seed)

    def configure(
        self,
        operation: str = DEFAULT_FAULT_OPERATION,
        *,
        probabilities: Mapping[str, float] | None = None,
        script: Iterable[str] | None = None,
        slow_seconds: float | None = None,
        timeout_seconds: float | None = None,
    ) -> None:
        """Replace the operation's probabilities and/or script; unspecified parts are kept."""
        parsed_probabilities = None if probabilities is None else _parse_probabilities(probabilities)
        parsed_script = None if script is None else deque(parse_kind(kind) for kind in script)
        for name, seconds in (("slow_seconds", slow_seconds), ("timeout_seconds", timeout_seconds)):
            if seconds is not None and seconds < 0:
                raise ValueError(f"{name} must be >= 0")
        with self._lock:
            plan = self._plans.setdefault(operation, OperationFaults())
            if parsed_probabilities is not None:
                plan.probabilities = parsed_probabilities
            if parsed_script is not None:
                plan.script = parsed_script
            if slow_seconds is not None:
                plan.slow_seconds = float(slow_seconds)
            if timeout_seconds is not None:
                plan.timeout_seconds = float(timeout_seconds)

    def clear(self, operation: str | None = None) -> None:
        with self._lock:
            if operation is None:
                self._plans.clear()
                self._injected.clear()
            else:
                self._plans.pop(operation, None)

    def draw(self, operation: str) -> Fault:
        """The fault for this call of `operation` (consumes one script entry or one draw)."""
        with self._lock:
            plan = self._plans.get(operation)
            if plan is None:
                return NO_FAULT
            if plan.script:
                kind = plan.script.popleft()
            elif plan.probabilities:
                kind = self._roll(plan.probabilities)
            else:
                return NO_FAULT
            if kind is not FaultKind.OK:
                self._injected[kind.value] = self._injected.get(kind.value, 0) + 1
            if kind.base is FaultKind.SLOW:
                return Fault(kind, plan.slow_seconds)
            if kind.base is FaultKind.TIMEOUT:
                return Fault(kind, plan.timeout_seconds)
            return Fault(kind)

    def _roll(self, probabilities: Mapping[FaultKind, float]) -> FaultKind:
        draw = self._random.random()
        cumulative = 0.0
        for kind, probability in probabilities.items():
            cumulative += probability
            if draw < cumulative:
                return kind
        return FaultKind.OK

    def snapshot(self) -> dict[str, FaultPlanSnapshot]:
        with self._lock:
            return {
                operation: {
                    "probabilities": {k.value: p for k, p in plan.probabilities.items()},
                    "script": [kind.value for kind in plan.script],
                    "slow_seconds": plan.slow_seconds,
                    "timeout_seconds": plan.timeout_seconds,
                }
                for operation, plan in self._plans.items()
            }

    def injected_counts(self) -> dict[str, int]:
        with self._lock:
            return dict(self._injected)
