"""AWS Lambda list prices the cost figures use (us-east-1, first pricing tier), and when they were read.

Read on 2026-12-05 from transcriptions of https://aws.amazon.com/lambda/pricing/ (the page renders its
rate tables client-side): requests and duration by architecture, and SnapStart's two charges for
Python (the same for both architectures). Check them against the page before relying on a figure.
"""

from __future__ import annotations

from typing import Final

PRICES_READ_ON: Final = "2026-12-05"
PRICES_SOURCE: Final = "https://aws.amazon.com/lambda/pricing/ (us-east-1, first tier)"
REGION: Final = "us-east-1"

REQUEST_USD_PER_MILLION: Final = 0.20  # both architectures
DURATION_USD_PER_GB_SECOND: Final[dict[str, float]] = {
    "arm64": 0.0000133334,
    "x86_64": 0.0000166667,
}
# SnapStart for Python and .NET: the snapshot cache of each published version (billed while the
# version exists, at least 3 hours) and each restore of a new execution environment from it.
SNAPSTART_CACHE_USD_PER_GB_SECOND: Final = 0.0000015046
SNAPSTART_RESTORE_USD_PER_GB: Final = 0.0001397998
SNAPSTART_MINIMUM_CACHE_HOURS: Final = 3

# Lambda's documented rule: a function's CPU share is proportional to its memory; 1,769 MB is one vCPU.
MB_PER_VCPU: Final = 1769
BILLING_GRANULARITY_MS: Final = 1  # duration is billed per millisecond, rounded up
