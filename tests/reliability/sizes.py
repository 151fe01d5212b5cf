"""How big the reliability runs are: CI defaults, overridable by environment variable for benchmarks."""

from __future__ import annotations

import os


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    value = int(raw) if raw else default
    if value < 1:
        raise ValueError(f"{name} must be at least 1, got {value}")
    return value


FAULT_ESCALATIONS = env_int("RELIABILITY_FAULT_ESCALATIONS", 300)  # full size: 2000
DUPLICATE_CONTACTS = env_int("RELIABILITY_DUPLICATE_CONTACTS", 30)  # per trigger
MAX_EXAMPLES = env_int("RELIABILITY_MAX_EXAMPLES", 100)
FAULT_SEED = env_int("RELIABILITY_SEED", 20240611)
