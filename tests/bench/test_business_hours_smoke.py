"""bench.business_hours at a tiny size: it runs end to end against the Connect emulator and writes its
figures; the calendar cache keeps a burst on one queue to a few Connect calls per cache window."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.bench.bench_support import run_benchmark

pytestmark = pytest.mark.integration


def test_the_benchmark_runs_at_a_tiny_size_and_writes_its_figures(tmp_path: Path) -> None:
    run_benchmark(
        "business_hours",
        ("--size", "40", "--minutes", "12", "--uncached-size", "5", "--rounds", "1", "--arms", "5"),
        tmp_path,
    )

    result: dict[str, Any] = json.loads((tmp_path / "business_hours.json").read_text())
    assert (tmp_path / "business_hours.md").read_text().startswith("# business_hours")
    burst = result["burst"]
    assert burst["events"] == 40
    assert burst["cache_windows"] == 3  # 12 minutes cut into 300 s windows
    # One DescribeQueue and one GetEffectiveHoursOfOperations per window (the deadlines fall in one week).
    assert burst["calls_per_window"] == [2, 2, 2]
    assert burst["armed"] == 80  # a breach and a warning schedule per contact
    assert result["burst_without_cache"]["connect_calls"] == {
        "DescribeQueue": 5,
        "GetEffectiveHoursOfOperations": 5,
    }
    arming = result["arming"]
    assert arming["p50_us"]["wall"] > 0
    assert arming["p50_us"]["business"] > 0
    assert result["target"]["met"] == (arming["ratio_business_to_wall"] <= 1.3)
