"""bench.fault_soak at a tiny size: it runs end to end through the local stack and writes its files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bench.fault_soak_figures import CHECKED, check
from tests.bench.bench_support import run_benchmark

pytestmark = pytest.mark.integration


def test_the_soak_runs_at_a_tiny_size_and_keeps_its_promises(tmp_path: Path) -> None:
    run_benchmark("fault_soak", ("--size", "20", "--fault-chance", "0.05", "--check"), tmp_path)

    result: dict[str, Any] = json.loads((tmp_path / "fault_soak.json").read_text())
    assert (tmp_path / "fault_soak.md").read_text().startswith("# fault_soak")
    figures = result["figures"]
    assert (figures["escalations"], figures["api"], figures["events"]) == (20, 10, 10)
    assert figures["at_transfer_limit"] == 2  # a tenth of each half
    assert figures["in_dlq"] >= figures["at_transfer_limit"]
    assert figures["requests_failed"] > 0  # the faults really were injected
    assert all(figures[name] == 0 for name in CHECKED)


def test_check_names_each_broken_promise() -> None:
    figures = dict.fromkeys(CHECKED, 0) | {"lost": 2, "alerts_lost": 1}
    assert check({"figures": figures}) == ["lost = 2, expected 0", "alerts_lost = 1, expected 0"]
