"""Smoke tests for the benchmarks: each runs as its own command at a tiny size and writes its files.

No timing is asserted (figures at these sizes mean nothing); only that the benchmark ran end to end
and its JSON and markdown have the fields the summary and readers rely on.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from bench import baseline_calls, run_all
from bench.cold_start import SHIPPED_MODELS_DIR
from tests.bench.bench_support import run_benchmark

pytestmark = pytest.mark.integration

SMOKE_COMMANDS: dict[str, Sequence[str]] = {
    "warm_overhead": ("--size", "20", "--rounds", "2", "--warmup", "2"),
    "memory": ("--size", "10", "--checkpoint", "5"),
    "cold_start": ("--size", "1", "--importtime-runs", "1", "--breakdown-runs", "1"),
    "burst_drain": ("--size", "12", "--rate", "40", "--concurrency", "2", "--rounds", "2"),
    "contact_events": (
        "--size",
        "20",
        "--rounds",
        "2",
        "--warmup",
        "2",
        "--cold-size",
        "1",
        "--importtime-runs",
        "1",
    ),
    "cost": (),  # from the files the others wrote
}
MACHINE_FIELDS = {"nproc", "cpu_model", "python", "boto3", "botocore", "aws_lambda_powertools"}


@pytest.fixture(scope="module")
def results_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("bench-results")
    for name, arguments in SMOKE_COMMANDS.items():
        run_benchmark(name, arguments, directory)
    return directory


def _load(results_dir: Path, name: str) -> dict[str, Any]:
    md = (results_dir / f"{name}.md").read_text()
    assert md.startswith(f"# {name}")
    assert "Machine:" in md
    result: dict[str, Any] = json.loads((results_dir / f"{name}.json").read_text())
    assert result["benchmark"] == name
    assert result["machine"].keys() >= MACHINE_FIELDS
    assert result["date"]
    assert {"met", "verdict"} <= result["target"].keys() or "verdicts" in result["target"]
    return result


def test_burst_drain_writes_its_figures(results_dir: Path) -> None:
    result = _load(results_dir, "burst_drain")
    assert result["parameters"]["events"] == 12
    assert result["ideal_seconds"] > 0
    assert {"ours", "naive-default"} <= result["summary"].keys()
    for figures in result["summary"].values():
        assert {
            "median_drain_seconds",
            "median_ratio_to_ideal",
            "max_lost",
            "max_transferred_twice",
            "median_dead_lettered",
            "median_transfer_requests",
            "median_transfer_throttled",
            "median_lambda_retries",
        } <= figures.keys()
        spread = figures["ratio_to_ideal_spread"]
        assert spread["n"] == figures["runs"] == 2
        assert spread["min"] <= spread["q1"] <= spread["median"] <= spread["q3"] <= spread["max"]
    ours = result["runs"]["ours"][0]
    assert ours["transferred"] + ours["dead_lettered"] + ours["lost"] >= 12


def test_cold_start_runs_as_lambda_against_the_baselines(results_dir: Path) -> None:
    result = _load(results_dir, "cold_start")
    assert {
        "ours",
        "bare1",
        "bare5",
        "bare9",
        "bare9-shipped-models",
        "ours-stock-package",
        "ours-gc-unpaused",
    } == result["summary"].keys()
    for figures in result["summary"].values():
        assert figures["runs"] == 1
        assert figures["median_in_child_ms"] > 0
        assert figures["median_subprocess_wall_ms"] >= figures["median_in_child_ms"]
    for baseline in ("bare1", "bare5", "bare9", "bare9_same_models"):
        low, high = result[f"ratio_to_{baseline}_iqr"]
        assert 0 < low <= result[f"ratio_to_{baseline}"] <= high
    target = result["target"]
    assert target["judged_on"] == ["bare9", "bare1"]
    assert target["verdict"].startswith("bare9: ")
    assert target["ratio_to_bare9_at_most"] == pytest.approx(1.3)
    assert {"verdict_bare9", "verdict_bare5", "verdict_bare1"} <= target.keys()
    # The like-for-like baseline made ours' nine calls against the emulator and moto, in ours' order.
    calls = result["bare9_makes_ours_calls"]
    # Plus, once per environment, the escalation-id secret (KMS GenerateMac), counted in ours' time.
    assert calls["ours"] == ["GenerateMac", *baseline_calls.BARE9_API_OPERATIONS]
    assert calls["ours_once_per_environment"] == ["GenerateMac"]
    assert calls["bare9"] == calls["ours"][1:]
    assert calls["same"]
    assert result["breakdown"]["bare9"]["clients_created"] == 3
    models = result["parameters"]["shipped_models"]
    assert models["directory"] == "lambdas/escalation/botocore_models"
    assert models["present"] == any(SHIPPED_MODELS_DIR.glob("*/*/service-2.json"))
    spreads = result["ratio_spreads"]
    assert {"ours_over_ours_stock_package", "bare9_shipped_models_over_bare9"} <= spreads.keys()
    assert "packaging_saves_ms_ours" in result
    # Ours pauses the collector through init; the diagnostic variant does not.
    assert result["summary"]["ours"]["median_gc_ms"] < result["summary"]["ours-gc-unpaused"]["median_gc_ms"]
    assert result["breakdown"]["ours"]["collector_on_after_first_answer"]
    assert result["breakdown"]["ours"]["tracing_active"]  # as deployed: the Tracer patched botocore
    # Connect, DynamoDB and EventBridge (the escalation event), and KMS for the escalation-id secret
    # (once per environment): the dead-letter and alert clients wait for a failure.
    assert result["breakdown"]["ours"]["clients_created"] == 4
    assert len(result["importtime_ours"]["top_by_self_ms"]) == 15


def test_warm_overhead_measures_both_paths_against_bare9(results_dir: Path) -> None:
    result = _load(results_dir, "warm_overhead")
    assert {
        "bare1",
        "bare5",
        "bare9",
        "ours",
        "ours-noop-idempotency",
        "ours-all-stubbed",
        "ours-api-all-stubbed",
    } == result["summary"].keys()
    for figures in result["summary"].values():
        assert figures["escalations"] == 20
        assert 0 < figures["p50_ms"] <= figures["p99_ms"]
    for baseline in ("bare9", "bare5"):
        for path in ("api", "event"):
            low, high = result[f"ratio_to_{baseline}_{path}_iqr"]
            assert 0 < low <= result[f"ratio_to_{baseline}_{path}"] <= high
    target = result["target"]
    assert target["judged_on"] == "bare9"
    assert target["ratio_to_bare9_at_most"] == pytest.approx(1.8)
    assert {"verdict_api", "verdict_event", "verdict_api_bare5", "verdict_event_bare5"} <= target.keys()
    operations = result["operations"]
    assert operations["bare9"] == operations["ours-all-stubbed"] == list(baseline_calls.BARE9_OPERATIONS)
    assert operations["ours-api-all-stubbed"] == list(baseline_calls.BARE9_API_OPERATIONS)
    assert operations["bare5"] == list(baseline_calls.BARE5_OPERATIONS)
    assert operations["bare1"] == ["TransferContact"]
    # Without the idempotency store, the same calls but the record's put and update.
    assert operations["ours-noop-idempotency"] == operations["ours-all-stubbed"][1:-1]
    assert result["bare9_makes_ours_calls"] == {"event_path_same_order": True, "api_path_same_calls": True}
    assert "idempotency_layer_ms_p50" in result


def test_memory_measures_the_handler_alone_with_every_call_stubbed(results_dir: Path) -> None:
    result = _load(results_dir, "memory")
    summary = result["summary"]
    assert {"ours-all-stubbed", "ours-api-all-stubbed", "bare9", "bare1"} == summary.keys()
    for figures in summary.values():
        assert figures["peak_rss_mb"] > 0
        assert "growth_mib" in figures
        assert not figures["imported"]["moto"]
    assert summary["ours-all-stubbed"]["imported"]["production_handler"]
    assert not summary["bare9"]["imported"]["production_handler"]
    assert result["target"]["judged_on"] == ["ours-all-stubbed", "ours-api-all-stubbed"]
    assert result["target"]["peak_mb_at_most"] == pytest.approx(153.6)


def test_the_contact_event_path_is_measured_against_baresched(results_dir: Path) -> None:
    result = _load(results_dir, "contact_events")
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


def test_cost_is_computed_from_the_measured_files_at_three_sizes(results_dir: Path) -> None:
    result = _load(results_dir, "cost")
    assert set(result["sizes"]) == {"128", "256", "512"}
    assert result["parameters"]["prices"]["read_on"]
    for figures in result["sizes"].values():
        for architecture in ("arm64", "x86_64"):
            assert figures[architecture]["usd_per_million_timed_contacts"] > 0
            assert figures[architecture]["usd_per_million_escalations_api"] > 0
    # CPU scales with the share of a vCPU: half the memory, twice the CPU time.
    assert result["sizes"]["128"]["api_p99_cpu_ms"] == pytest.approx(
        2 * result["sizes"]["256"]["api_p99_cpu_ms"], rel=0.01
    )
    assert result["deployed_memory_mb"] == 256
    assert result["target"]["met"] == (result["chosen_memory_mb"] == 256)
    warm = json.loads((results_dir / "warm_overhead.json").read_text())
    assert result["measured"]["cpu_ms"]["api"]["p99"] == warm["summary"]["ours-api-all-stubbed"]["p99_ms"]


def test_summary_has_a_row_per_figure(results_dir: Path, tmp_path: Path) -> None:
    results = {name: json.loads((results_dir / f"{name}.json").read_text()) for name in SMOKE_COMMANDS}
    path = run_all.write_summary(results, seconds=1.0, results_dir=tmp_path)
    text = path.read_text()
    for name in SMOKE_COMMANDS:
        assert f"| {name}:" in text
        assert f"`{name}.json` (" in text
    assert "| figure | ours | target | baseline beside it | met / missed | from |" in text


def test_the_performance_table_is_rewritten_from_the_results_files(results_dir: Path, tmp_path: Path) -> None:
    doc = tmp_path / "performance.md"
    doc.write_text(
        f"intro\n{run_all.TABLE_BEGIN}\n| stale |\n{run_all.TABLE_END}\n"
        f"costs\n{run_all.COST_BEGIN}\n| stale cost |\n{run_all.COST_END}\nafter\n"
    )
    run_all.update_performance_doc(results_dir, doc, cost_docs=(doc,))
    text = doc.read_text()
    assert "| stale cost |" not in text
    costs = text[text.index(run_all.COST_BEGIN) : text.index(run_all.COST_END)]
    assert "| 256 MB (deployed) | arm64 |" in costs
    text = text[: text.index("costs\n")] + "after\n"
    assert "| stale |" not in text
    assert text.startswith("intro\n")
    assert text.endswith(f"{run_all.TABLE_END}\nafter\n")
    table = text[text.index(run_all.TABLE_BEGIN) : text.index(run_all.TABLE_END)]
    for source in (
        "cold_start.json",
        "warm_overhead.json",
        "burst_drain.json",
        "memory.json",
        "contact_events.json",
        "cost.json",
    ):
        assert source in table
    assert "(breakdown)" not in table  # only figures with a target
    for baseline in ("<= 1.3x bare9", "<= 1.8x bare9", "<= 1.3x bare5", "<= 2.0x bare5", "<= 1.5x bare1"):
        assert baseline in table


def test_a_results_file_from_an_older_benchmark_is_named_not_misread(tmp_path: Path) -> None:
    (tmp_path / "cold_start.json").write_text(json.dumps({"date": "2026-01-01", "summary": {}}))
    with pytest.raises(RuntimeError, match=r"cold_start\.json has no .*run that benchmark again"):
        run_all.summary_rows({}, tmp_path)


def test_the_performance_doc_has_the_table_markers() -> None:
    text = run_all.PERFORMANCE_DOC.read_text()
    assert text.index(run_all.TABLE_BEGIN) < text.index(run_all.TABLE_END)
    for doc in (run_all.PERFORMANCE_DOC, run_all.SLA_TIMERS_DOC):  # the cost tables come from cost.json
        text = doc.read_text()
        assert text.index(run_all.COST_BEGIN) < text.index(run_all.COST_END), doc
