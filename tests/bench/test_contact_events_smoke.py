"""bench.contact_events at a tiny size: the contact-event path warm and cold against bareSched, end to end,
with the figures and keys the summary and readers rely on (no timing asserted)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.bench.bench_support import run_benchmark

pytestmark = pytest.mark.integration


def test_the_contact_event_path_is_measured_against_baresched(tmp_path: Path) -> None:
    run_benchmark(
        "contact_events",
        ("--size", "20", "--rounds", "2", "--warmup", "2", "--cold-size", "1", "--importtime-runs", "1"),
        tmp_path,
    )

    result: dict[str, Any] = json.loads((tmp_path / "contact_events.json").read_text())
    assert (tmp_path / "contact_events.md").read_text().startswith("# contact_events")
    for key in (
        "ratio_to_baresched_warm_queued",
        "ratio_to_baresched_warm_queued_two",
        "ratio_to_baresched_warm_connected",
        "ratio_to_baresched_cold",
        "ratio_to_baresched_cold_connected",
        "ignored_event_cpu_ms",
    ):
        low, high = result[f"{key}_iqr"]
        assert 0 < low <= result[key] <= high
    assert len(result["load_average_at_start"]) == len(result["load_average_at_end"]) == 3
    # Like-for-like: ours and bareSched made the same Scheduler calls for each event.
    operations = result["operations"]
    assert operations["ours-queued-1"] == operations["baresched-queued-1"] == ["CreateSchedule"]
    assert operations["ours-queued-2"] == ["CreateSchedule", "CreateSchedule"]
    assert operations["ours-connected"] == operations["baresched-connected"] == ["DeleteSchedule"] * 2
    assert operations["ours-ignored"] == operations["baresched-ignored"] == []
    assert result["baresched_makes_ours_calls"]
    for variant, figures in result["summary"].items():
        assert figures["events"] == 20, variant
    steps = result["warm_breakdown_us"]
    assert {
        "powertools_decorators_with_one_metric_us",
        "parse_event_us",
        "plan_and_create_schedule_us",
    } <= set(steps)
    assert all(value > 0 for value in steps.values())
    cold = result["cold_breakdown"]
    assert cold["ours-queued"]["operations"] == cold["baresched-queued"]["operations"] == ["CreateSchedule"]
    assert cold["ours-queued"]["tracing_active"]  # as deployed
    assert cold["baresched-queued"]["clients_created"] == 1
    target = result["target"]
    assert target["warm_ratio_to_baresched_at_most"] == pytest.approx(1.5)
    assert target["cold_ratio_to_baresched_at_most"] == pytest.approx(1.3)
    assert target["ignored_event_cpu_ms_below"] == pytest.approx(1.0)
    assert set(target["verdicts"]) == {
        "warm_queued",
        "warm_queued_two",
        "warm_connected",
        "ignored",
        "cold_queued",
        "cold_connected",
    }
