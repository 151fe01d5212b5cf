"""`python -X importtime` in a cold-start child: what it imported, and which modules and packages cost most.

Shared by the cold-start benchmarks (bench.cold_start, bench.contact_event_paths).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from bench.common import median


def parse_importtime(stderr: str) -> dict[str, tuple[int, int]]:
    """module -> (self us, cumulative us) from `python -X importtime` output."""
    parsed: dict[str, tuple[int, int]] = {}
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        try:
            self_us, cumulative_us, name = (part.strip() for part in line[len("import time:") :].split("|"))
            parsed[name] = (int(self_us), int(cumulative_us))
        except ValueError:
            continue
    return parsed


def importtime_report(samples: Sequence[dict[str, tuple[int, int]]], top: int = 15) -> dict[str, Any]:
    modules = set().union(*(s.keys() for s in samples))
    self_ms = {m: median([s[m][0] / 1000 for s in samples if m in s]) for m in modules}
    cumulative_ms = {m: median([s[m][1] / 1000 for s in samples if m in s]) for m in modules}
    by_package: dict[str, float] = defaultdict(float)
    for module, value in self_ms.items():
        by_package[module.split(".")[0]] += value
    return {
        "top_by_self_ms": [
            {"module": m, "self_ms": round(self_ms[m], 2), "cumulative_ms": round(cumulative_ms[m], 2)}
            for m in sorted(modules, key=lambda m: -self_ms[m])[:top]
        ],
        "top_packages_by_self_ms": [
            {"package": p, "self_ms": round(v, 2)}
            for p, v in sorted(by_package.items(), key=lambda kv: -kv[1])[:top]
        ],
        "total_import_ms": round(sum(self_ms.values()), 1),
        "modules_imported": len(modules),
    }
