"""Connect's API rate quota: one token bucket per operation, shared by every caller.

Connect's default is 2 requests/s with a burst of 5 (per account and Region). `scale` multiplies
every refill rate so a benchmark can run the same shape of load faster; bursts are not scaled.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypedDict

DEFAULT_RATE = 2.0
DEFAULT_BURST = 5


@dataclass(frozen=True)
class QuotaSetting:
    """`rate` None means unlimited."""

    rate: float | None
    burst: int


class QuotaSnapshot(TypedDict):
    default: dict[str, float | int | None]
    operations: dict[str, dict[str, float | int | None]]
    scale: float


class TokenBucket:
    """Starts full; refills `rate` tokens per second up to `burst`."""

    def __init__(self, rate: float, burst: int, now: float) -> None:
        self.rate = rate
        self.burst = burst
        self._tokens = float(burst)
        self._updated = now

    def try_take(self, now: float) -> bool:
        elapsed = max(0.0, now - self._updated)
        self._tokens = min(float(self.burst), self._tokens + elapsed * self.rate)
        self._updated = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return True
        return False


def _validated(rate: float | None, burst: int) -> QuotaSetting:
    if rate is not None and rate < 0:
        raise ValueError("rate must be >= 0 (or None for unlimited)")
    if burst < 1:
        raise ValueError("burst must be >= 1")
    return QuotaSetting(None if rate is None else float(rate), int(burst))


class RateQuota:
    """Per-operation token buckets; thread-safe. Changing a setting refills that bucket."""

    def __init__(
        self,
        rate: float | None = DEFAULT_RATE,
        burst: int = DEFAULT_BURST,
        scale: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._lock = threading.Lock()
        self._clock = clock
        self._default = _validated(rate, burst)
        self._overrides: dict[str, QuotaSetting] = {}
        self._scale = self._checked_scale(scale)
        self._buckets: dict[str, TokenBucket] = {}

    @staticmethod
    def _checked_scale(scale: float) -> float:
        if scale <= 0:
            raise ValueError("scale must be > 0")
        return float(scale)

    def configure(self, rate: float | None, burst: int, operation: str | None = None) -> None:
        """Set the default for every operation (operation None) or one operation's quota."""
        setting = _validated(rate, burst)
        with self._lock:
            if operation is None:
                self._default = setting
                self._overrides.clear()
                self._buckets.clear()
            else:
                self._overrides[operation] = setting
                self._buckets.pop(operation, None)

    def set_scale(self, scale: float) -> None:
        with self._lock:
            self._scale = self._checked_scale(scale)
            self._buckets.clear()

    def try_acquire(self, operation: str) -> bool:
        """Take one request's token; False means the caller is over the quota."""
        with self._lock:
            setting = self._overrides.get(operation, self._default)
            if setting.rate is None:
                return True
            now = self._clock()
            bucket = self._buckets.get(operation)
            if bucket is None:
                bucket = TokenBucket(setting.rate * self._scale, setting.burst, now)
                self._buckets[operation] = bucket
            return bucket.try_take(now)

    def snapshot(self) -> QuotaSnapshot:
        with self._lock:
            return {
                "default": {"rate": self._default.rate, "burst": self._default.burst},
                "operations": {
                    name: {"rate": setting.rate, "burst": setting.burst}
                    for name, setting in self._overrides.items()
                },
                "scale": self._scale,
            }
