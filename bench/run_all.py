"""`make bench`: every benchmark at full size, then bench/results/SUMMARY.md (one table).

    python -m bench.run_all [--quick] [--results-dir DIR]

Order: the CPU-sensitive in-process ones first (warm_overhead, memory), then cold_start, then the long
burst_drain. `--quick` runs tiny sizes (a smoke run; its figures mean nothing).
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from bench import burst_drain, cold_start, memory, warm_overhead
from bench.common import RESULTS_DIR, machine, machine_line, markdown_table, now_iso

Row = list[str]


def _burst_rows(r: dict[str, Any]) -> list[Row]:
    ours = r["summary"]["ours"]
    naive = {k: v for k, v in r["summary"].items() if k.startswith("naive")}
    beside = "; ".join(f"{k}: {v['median_ratio_to_ideal']:.2f}x" for k, v in naive.items())
    lost = "; ".join(f"{k}: {v['max_lost']}" for k, v in naive.items())
    twice = "; ".join(f"{k}: {v['max_transferred_twice']}" for k, v in naive.items())
    dead = "; ".join(f"{k}: {v['median_dead_lettered']:g}" for k, v in naive.items())
    diag = {k: v for k, v in r["summary"].items() if k.startswith("diag")}
    diag_text = "; ".join(f"{k}: {v['median_ratio_to_ideal']:.2f}x" for k, v in diag.items())
    return [
        [
            "burst_drain: drain time / ideal",
            f"{ours['median_ratio_to_ideal']:.2f}x ({ours['median_drain_seconds']:.1f} s, ideal "
            f"{r['ideal_seconds']:.1f} s)",
            "<= 1.10x",
            beside + (f" (diagnosis: {diag_text})" if diag_text else ""),
            r["target"]["verdict"],
        ],
        ["burst_drain: lost", str(ours["max_lost"]), "0", lost, "met" if ours["max_lost"] == 0 else "missed"],
        [
            "burst_drain: transferred twice",
            str(ours["max_transferred_twice"]),
            "0",
            twice,
            "met" if ours["max_transferred_twice"] == 0 else "missed",
        ],
        ["burst_drain: dead-lettered", f"{ours['median_dead_lettered']:g}", "-", dead, "-"],
        [
            "burst_drain: TransferContact requests / throttled",
            f"{ours['median_transfer_requests']:.0f} / {ours['median_transfer_throttled']:.0f}",
            "-",
            "; ".join(
                f"{k}: {v['median_transfer_requests']:.0f} / {v['median_transfer_throttled']:.0f}"
                for k, v in naive.items()
            ),
            "-",
        ],
    ]


def _real_rate_rows(r: dict[str, Any]) -> list[Row]:
    ours = r["summary"]["ours"]
    others = "; ".join(
        f"{k}: {v['median_ratio_to_ideal']:.2f}x" for k, v in r["summary"].items() if k != "ours"
    )
    return [
        [
            f"burst_drain at Connect's real 2/s, N = {r['parameters']['events']} "
            f"(`burst_drain_real_rate`, run {r['date']})",
            f"{ours['median_ratio_to_ideal']:.2f}x ideal ({ours['median_drain_seconds']:.0f} s vs "
            f"{r['ideal_seconds']:.1f} s), lost {ours['max_lost']}, twice {ours['max_transferred_twice']}, "
            f"Lambda retries {ours['median_lambda_retries']:g}",
            "<= 1.10x, 0, 0",
            others,
            r["target"]["verdict"],
        ]
    ]


def _cold_rows(r: dict[str, Any]) -> list[Row]:
    s = r["summary"]
    ratios = r["ratios"]
    return [
        [
            "cold_start: first answer, in child (median)",
            f"{s['ours']['median_in_child_ms']:.0f} ms = {ratios['ours_over_bare_in_child']:.2f}x bare",
            "<= 1.0x bare",
            f"bare {s['bare']['median_in_child_ms']:.0f} ms",
            r["target"]["verdict"],
        ],
        [
            "cold_start: subprocess wall (median)",
            f"{s['ours']['median_subprocess_wall_ms']:.0f} ms = "
            f"{ratios['ours_over_bare_subprocess_wall']:.2f}x bare",
            "<= 1.0x bare",
            f"bare {s['bare']['median_subprocess_wall_ms']:.0f} ms",
            "met" if ratios["ours_over_bare_subprocess_wall"] <= 1.0 else "missed",
        ],
        [
            "cold_start: trimmed Connect model (AWS_DATA_PATH)",
            f"saves {r['trimmed_model_saves_ms_ours']:.0f} ms "
            f"({ratios['ours_trimmed_over_ours_in_child']:.2f}x)",
            "(investigation)",
            f"bare saves {r['trimmed_model_saves_ms_bare']:.0f} ms",
            "-",
        ],
    ]


def _warm_rows(r: dict[str, Any]) -> list[Row]:
    s = r["summary"]
    ratios = r["ratios"]
    return [
        [
            "warm_overhead: CPU per escalation p50 / p99",
            f"{s['ours']['p50_ms']:.2f} / {s['ours']['p99_ms']:.2f} ms = "
            f"{ratios['ours']['p50_over_bare']:.1f}x / "
            f"{ratios['ours']['p99_over_bare']:.1f}x bare",
            "<= 2x bare",
            f"bare {s['bare']['p50_ms']:.3f} / {s['bare']['p99_ms']:.3f} ms",
            r["target"]["verdict"],
        ],
        [
            "warm_overhead: ours, idempotency no-op",
            f"{s['ours-noop-idempotency']['p50_ms']:.2f} ms p50 = "
            f"{ratios['ours-noop-idempotency']['p50_over_bare']:.1f}x bare",
            "(breakdown)",
            f"idempotency layer {r['idempotency_layer_ms_p50']:.2f} ms, of it moto's emulation "
            f"{r['moto_dynamodb_emulation_ms_p50']:.2f} ms",
            "-",
        ],
        [
            "warm_overhead: ours, every AWS call stubbed",
            f"{s['ours-all-stubbed']['p50_ms']:.2f} ms p50 = "
            f"{ratios['ours-all-stubbed']['p50_over_bare']:.1f}x bare",
            "(breakdown)",
            f"bare-same-calls {s['bare-same-calls']['p50_ms']:.3f} ms: ours "
            f"{r['ours_all_stubbed_over_bare_same_calls_p50']:.1f}x that",
            "-",
        ],
    ]


def _memory_rows(r: dict[str, Any]) -> list[Row]:
    s = r["summary"]
    v = r["target"]["verdicts"]
    return [
        [
            "memory: peak RSS, ours-all-stubbed",
            f"{s['ours-all-stubbed']['peak_rss_mb']:.1f} MB",
            "<= 153.6 MB",
            f"bare {s['bare']['peak_rss_mb']:.1f} MB",
            v["ours-all-stubbed"]["peak"],
        ],
        [
            "memory: growth 1000 -> 5000, ours-all-stubbed",
            f"{s['ours-all-stubbed']['growth_mib']:+.2f} MiB",
            "<= 1 MiB (noise)",
            f"bare {s['bare']['growth_mib']:+.2f} MiB",
            v["ours-all-stubbed"]["growth"],
        ],
        [
            "memory: peak / growth, ours with moto in process",
            f"{s['ours']['peak_rss_mb']:.1f} MB / {s['ours']['growth_mib']:+.2f} MiB",
            "(same targets)",
            "moto's modules and stored records included",
            f"peak {v['ours']['peak']}; growth {v['ours']['growth']}",
        ],
    ]


def write_summary(results: dict[str, dict[str, Any]], seconds: float, results_dir: Path) -> Path:
    rows: list[Row] = []
    builders: dict[str, Callable[[dict[str, Any]], list[Row]]] = {
        "burst_drain": _burst_rows,
        "cold_start": _cold_rows,
        "warm_overhead": _warm_rows,
        "memory": _memory_rows,
    }
    for name, build in builders.items():
        if name in results:
            rows += build(results[name])
        if name == "burst_drain":
            real_rate = results_dir / "burst_drain_real_rate.json"
            if real_rate.exists():  # a separate, longer run (see bench/burst_drain.py)
                rows += _real_rate_rows(json.loads(real_rate.read_text()))
    text = (
        f"# Benchmark summary\n\n{machine_line(machine())} Date: {now_iso()}. "
        f"Total run time {seconds / 60:.1f} min.\n\n"
        "Each baseline ran in the same run as ours; figures are medians (or p50/p99) and ratios. Details, "
        "parameters and caveats: the per-benchmark files beside this one.\n\n"
        + markdown_table(["figure", "ours", "target", "baseline beside it", "met / missed"], rows)
        + "\n"
    )
    path = results_dir / "SUMMARY.md"
    path.write_text(text)
    return path


def run(
    quick: bool = False, results_dir: Path = RESULTS_DIR, reuse: Sequence[str] = ()
) -> dict[str, dict[str, Any]]:
    """Run every benchmark; the ones named in `reuse` are read back from their last result file."""
    started = time.monotonic()
    if quick:
        runners: dict[str, Callable[[], dict[str, Any]]] = {
            "warm_overhead": lambda: warm_overhead.run(size=50, rounds=2, warmup=5, results_dir=results_dir),
            "memory": lambda: memory.run(size=20, checkpoint=10, results_dir=results_dir),
            "cold_start": lambda: cold_start.run(size=1, importtime_runs=1, results_dir=results_dir),
            "burst_drain": lambda: burst_drain.run(
                size=20, rate=40.0, concurrency=2, results_dir=results_dir
            ),
        }
    else:
        runners = {
            "warm_overhead": lambda: warm_overhead.run(results_dir=results_dir),
            "memory": lambda: memory.run(results_dir=results_dir),
            "cold_start": lambda: cold_start.run(results_dir=results_dir),
            "burst_drain": lambda: burst_drain.run(
                rounds=2, baselines=("default", "legacy"), diagnose=True, results_dir=results_dir
            ),
        }
    results: dict[str, dict[str, Any]] = {}
    for name, run_one in runners.items():
        saved = results_dir / f"{name}.json"
        results[name] = json.loads(saved.read_text()) if name in reuse and saved.exists() else run_one()
    path = write_summary(results, time.monotonic() - started, results_dir)
    print(path.read_text())
    return results


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.run_all", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes: a smoke run, not figures")
    parser.add_argument("--results-dir", type=Path, default=RESULTS_DIR)
    parser.add_argument(
        "--reuse",
        default="",
        help="comma-separated benchmarks to read from their last result file instead of running again",
    )
    args = parser.parse_args(argv)
    run(quick=args.quick, results_dir=args.results_dir, reuse=[n for n in args.reuse.split(",") if n])


if __name__ == "__main__":
    main()
