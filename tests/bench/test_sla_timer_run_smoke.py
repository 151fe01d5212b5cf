"""bench.sla_timer_run at a tiny size: it runs end to end through the local stack and writes its files.

Whether the SLA promises hold is `bench.sla_timer_run.check` (the benchmark's `--check`); here only that it
measures what it reports, and that `check` names each broken promise.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bench.sla_timer_run import check
from tests.bench.bench_support import run_benchmark

pytestmark = pytest.mark.integration


def test_the_benchmark_runs_at_a_tiny_size_and_writes_its_figures(tmp_path: Path) -> None:
    run_benchmark("sla_timer_run", ("--size", "5"), tmp_path)

    result: dict[str, Any] = json.loads((tmp_path / "sla_timers.json").read_text())
    assert (tmp_path / "sla_timers.md").read_text().startswith("# sla_timers")
    figures = result["figures"]
    assert (figures["contacts"], figures["picked_up"], figures["breached"]) == (5, 4, 1)
    assert figures["picked_up_escalated"] == 0
    # Every contact event reached the handler: 5 QUEUED and 4 CONNECTED_TO_AGENT at least.
    assert result["events_routed"] >= 9
    assert result["cost_per_contact"]["handler_invocations"] >= 9 / 5
    assert result["target"]["met"] == (check(result) == [])


def _result(**figures: int) -> dict[str, Any]:
    base = {
        "contacts": 10,
        "picked_up": 8,
        "breached": 2,
        "schedules_after_queueing": 10,
        "schedules_after_pickup": 2,
        "breaches_escalated_once": 2,
        "breaches_escalated_more_than_once": 0,
        "picked_up_escalated": 0,
        "schedules_leaked": 0,
        "schedules_dead_lettered": 0,
    }
    return {"figures": {**base, **figures}}


def test_check_passes_the_promised_figures_and_names_each_broken_one() -> None:
    assert check(_result()) == []
    failures = check(_result(schedules_leaked=1, breaches_escalated_more_than_once=1))
    assert failures == [
        "breaches_escalated_more_than_once = 1, expected 0",
        "schedules_leaked = 1, expected 0",
    ]
