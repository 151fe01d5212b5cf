"""Client-side pacing of TransferContact: each execution environment keeps to its share of the quota.

Connect's TransferContact quota (2/s, burst 5 by default) is shared by the whole account. Left to
retries, K environments in a burst alternately overshoot it (throttles, backoff) and leave it idle
(every one sleeping); botocore's adaptive mode learns a rate per client, too slowly and never below
0.5/s. Spacing each environment's calls 1/share apart, with share = quota / reserved concurrency,
keeps the K environments together at the quota (see bench/results/burst_drain.md).
"""

import threading
import time
from collections.abc import Callable


class Pacer:
    """Spaces calls at least 1/rate apart (a burst of one), never waiting past a caller's limit."""

    def __init__(
        self,
        rate_per_second: float,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        if rate_per_second <= 0:
            raise ValueError("a pacer needs a positive rate")
        self._interval = 1.0 / rate_per_second
        self._clock = clock or time.monotonic
        self._sleep = sleep or time.sleep
        self._next_slot = 0.0
        self._lock = threading.Lock()

    def acquire(self, max_wait_seconds: float) -> float:
        """Wait for the next slot (at most max_wait_seconds) and take it; returns the seconds waited.

        A caller that cannot wait the whole time still goes ahead: Connect's own quota is then the
        judge, and a throttle meets the error policy as usual.
        """
        with self._lock:
            now = self._clock()
            slot = max(now, self._next_slot)
            self._next_slot = slot + self._interval
        wait = min(slot - now, max(max_wait_seconds, 0.0))
        if wait > 0:
            self._sleep(wait)
        return wait
