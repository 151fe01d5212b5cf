"""`make bench`: every benchmark at full size, then bench/results/SUMMARY.md (one table).

    python -m bench.run_all [--quick] [--results-dir DIR]

Order: the CPU-sensitive in-process ones first (warm_overhead, memory), then cold_start, then the long
burst_drain, then contact_events (warm in process, then cold children), then cost (from their files).
`--quick` runs tiny sizes (a smoke run; its figures mean nothing).
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from bench import burst_drain, cold_start, contact_events, cost, memory, warm_overhead
from bench.common import REPO_ROOT, RESULTS_DIR, machine, machine_line, markdown_table, now_iso, spread_text

Row = list[str]


def _burst_rows(r: dict[str, Any]) -> list[Row]:
    ours = r["summary"]["ours"]
    naive = {k: v for k, v in r["summary"].items() if k.startswith("naive")}
    beside = "; ".join(f"{k}: {spread_text(v['ratio_to_ideal_spread'])}" for k, v in naive.items())
    lost = "; ".join(f"{k}: {v['max_lost']}" for k, v in naive.items())
    twice = "; ".join(f"{k}: {v['max_transferred_twice']}" for k, v in naive.items())
    dead = "; ".join(f"{k}: {v['median_dead_lettered']:g}" for k, v in naive.items())
    diag = {k: v for k, v in r["summary"].items() if k.startswith("diag")}
    diag_text = "; ".join(f"{k}: {v['median_ratio_to_ideal']:.2f}x" for k, v in diag.items())
    return [
        [
            "burst_drain: drain time / ideal",
            f"{spread_text(ours['ratio_to_ideal_spread'])}; median {ours['median_drain_seconds']:.1f} s, "
            f"ideal {r['ideal_seconds']:.1f} s",
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
        f"{k}: {spread_text(v['ratio_to_ideal_spread'])}" for k, v in r["summary"].items() if k != "ours"
    )
    return [
        [
            "burst_drain at Connect's real 2/s and Lambda's real retry delays, "
            f"N = {r['parameters']['events']}",
            f"{spread_text(ours['ratio_to_ideal_spread'])} ideal (median "
            f"{ours['median_drain_seconds']:.0f} s vs {r['ideal_seconds']:.1f} s), lost {ours['max_lost']}, "
            f"twice {ours['max_transferred_twice']}, "
            f"Lambda retries {ours['median_lambda_retries']:g}",
            "<= 1.10x, 0, 0",
            others,
            r["target"]["verdict"],
        ]
    ]


def _iqr_text(iqr: Sequence[float]) -> str:
    return f"IQR {iqr[0]:.2f}-{iqr[1]:.2f}x"


def _cold_rows(r: dict[str, Any]) -> list[Row]:
    s = r["summary"]
    spreads = r["ratio_spreads"]
    t = r["target"]
    models = "shipped" if r["parameters"]["shipped_models"]["present"] else "absent: equal to stock"
    return [
        [
            "cold_start: first API answer vs bare9, the same nine calls (per-round ratio, in child)",
            f"{spread_text(spreads['ours_over_bare9'])}, {_iqr_text(r['ratio_to_bare9_iqr'])}; "
            f"ours {s['ours']['median_in_child_ms']:.0f} ms",
            f"<= {t['ratio_to_bare9_at_most']:.1f}x bare9",
            f"bare9 {s['bare9']['median_in_child_ms']:.0f} ms; ours over bare9 with ours' service models "
            f"({models}) {spread_text(spreads['ours_over_bare9_same_models'])}",
            t["verdict_bare9"],
        ],
        [
            "cold_start: first API answer vs bare1 (per-round ratio, in child)",
            f"{spread_text(spreads['ours_over_bare1'])}, {_iqr_text(r['ratio_to_bare1_iqr'])}",
            f"<= {t['ratio_to_bare1_at_most']:.1f}x bare1",
            f"bare1 {s['bare1']['median_in_child_ms']:.0f} ms",
            t["verdict_bare1"],
        ],
        [
            "cold_start: first API answer vs bare5, five calls: not like-for-like since the ledger "
            "(per-round ratio, in child)",
            f"{spread_text(spreads['ours_over_bare5'])}, {_iqr_text(r['ratio_to_bare5_iqr'])}",
            f"<= {t['ratio_to_bare5_at_most']:.1f}x bare5",
            f"bare5 {s['bare5']['median_in_child_ms']:.0f} ms",
            t["verdict_bare5"],
        ],
        [
            "cold_start: collector paused through init (ours-gc-unpaused / ours)",
            f"saves {r['gc_pause_saves_ms']:.0f} ms; {spread_text(spreads['ours_gc_unpaused_over_ours'])}",
            "(breakdown)",
            f"GC in ours-gc-unpaused {s['ours-gc-unpaused']['median_gc_ms']:.0f} ms, ours "
            f"{s['ours']['median_gc_ms']:.0f} ms",
            "-",
        ],
        [
            f"cold_start: the package (bytecode, no plugin search, {models}; ours / ours-stock-package)",
            f"saves {r['packaging_saves_ms_ours']:.0f} ms; "
            f"{spread_text(spreads['ours_over_ours_stock_package'])}",
            "(investigation)",
            f"bare9-shipped-models / bare9: {spread_text(spreads['bare9_shipped_models_over_bare9'])}",
            "-",
        ],
    ]


def _warm_rows(r: dict[str, Any]) -> list[Row]:
    s = r["summary"]
    spreads = r["ratio_spreads"]
    t = r["target"]
    baselines = (
        f"bare9 {s['bare9']['p50_ms']:.3f} ms, bare5 {s['bare5']['p50_ms']:.3f} ms, "
        f"bare1 {s['bare1']['p50_ms']:.3f} ms"
    )
    rows = []
    for path, variant in (("API", "ours-api-all-stubbed"), ("event", "ours-all-stubbed")):
        key = path.lower()
        rows += [
            [
                f"warm_overhead: CPU per escalation, {path} path, every call stubbed, vs bare9 "
                "(per-round p50 ratio)",
                f"{spread_text(spreads[f'ours_{key}_over_bare9'])}; p50 {s[variant]['p50_ms']:.2f} ms",
                f"<= {t['ratio_to_bare9_at_most']:.1f}x bare9",
                baselines,
                t[f"verdict_{key}"],
            ],
            [
                f"warm_overhead: CPU per escalation, {path} path, vs bare5: five calls, not like-for-like "
                "since the ledger (per-round p50 ratio)",
                spread_text(spreads[f"ours_{key}_over_bare5"]),
                f"<= {t['ratio_to_bare5_at_most']:.1f}x bare5",
                f"bare5 {s['bare5']['p50_ms']:.3f} ms",
                t[f"verdict_{key}_bare5"],
            ],
        ]
    return [
        *rows,
        [
            "warm_overhead: event path with DynamoDB/EventBridge/SQS/SNS in moto in process",
            f"p50 {s['ours']['p50_ms']:.2f} ms",
            "(breakdown)",
            f"moto's DynamoDB emulation {r['moto_dynamodb_emulation_ms_p50']:.2f} ms of it",
            "-",
        ],
    ]


def _memory_rows(r: dict[str, Any]) -> list[Row]:
    s = r["summary"]
    v = r["target"]["verdicts"]
    beside = f"bare9 {s['bare9']['peak_rss_mb']:.1f} MB, bare1 {s['bare1']['peak_rss_mb']:.1f} MB"
    return [
        [
            "memory: peak RSS, ours-all-stubbed (event path)",
            f"{s['ours-all-stubbed']['peak_rss_mb']:.1f} MB",
            "<= 153.6 MB",
            beside,
            v["ours-all-stubbed"]["peak"],
        ],
        [
            "memory: growth 1000 -> 5000, ours-all-stubbed",
            f"{s['ours-all-stubbed']['growth_mib']:+.2f} MiB",
            "<= 1 MiB (noise)",
            f"bare9 {s['bare9']['growth_mib']:+.2f} MiB, bare1 {s['bare1']['growth_mib']:+.2f} MiB",
            v["ours-all-stubbed"]["growth"],
        ],
        [
            "memory: peak / growth, ours-api-all-stubbed (API path)",
            f"{s['ours-api-all-stubbed']['peak_rss_mb']:.1f} MB / "
            f"{s['ours-api-all-stubbed']['growth_mib']:+.2f} MiB",
            "<= 153.6 MB, <= 1 MiB",
            beside,
            f"peak {v['ours-api-all-stubbed']['peak']}; growth {v['ours-api-all-stubbed']['growth']}",
        ],
    ]


PERFORMANCE_DOC = REPO_ROOT / "docs" / "performance.md"
SLA_TIMERS_DOC = REPO_ROOT / "docs" / "sla-timers.md"
COST_BEGIN = "<!-- cost table: written by `python -m bench.run_all --docs` from bench/results/cost.json -->"
COST_END = "<!-- end of cost table -->"
TABLE_BEGIN = "<!-- benchmark table: written by `python -m bench.run_all --docs` from bench/results/ -->"
TABLE_END = "<!-- end of benchmark table -->"
HEADER = ["figure", "ours", "target", "baseline beside it", "met / missed", "from"]
BUILDERS: dict[str, Callable[[dict[str, Any]], list[Row]]] = {
    "burst_drain": _burst_rows,
    "burst_drain_real_rate": _real_rate_rows,  # a separate, longer run (see bench/burst_drain.py)
    "cold_start": _cold_rows,
    "warm_overhead": _warm_rows,
    "memory": _memory_rows,
    "contact_events": contact_events.summary_rows,
    "cost": cost.summary_rows,
}


def summary_rows(results: dict[str, dict[str, Any]], results_dir: Path) -> list[Row]:
    """Every figure with the results file it comes from; files not in `results` are read from results_dir."""
    rows: list[Row] = []
    for name, build in BUILDERS.items():
        saved = results_dir / f"{name}.json"
        result = results.get(name) or (json.loads(saved.read_text()) if saved.exists() else None)
        if result is None:
            continue
        try:
            built = build(result)
        except KeyError as missing:
            raise RuntimeError(
                f"{name}.json has no {missing}: it was written by an older version of bench.{name}; "
                "run that benchmark again"
            ) from None
        rows += [[*row, f"`{name}.json` ({result['date'][:10]})"] for row in built]
    return rows


def write_summary(
    results: dict[str, dict[str, Any]], seconds: float, results_dir: Path, reused: Sequence[str] = ()
) -> Path:
    text = (
        f"# Benchmark summary\n\n{machine_line(machine())} Date: {now_iso()}. "
        f"Total run time {seconds / 60:.1f} min"
        + (f" ({', '.join(reused)} read back from their files, not run)" if reused else "")
        + ".\n\n"
        "Each baseline ran in the same run as ours; figures are medians (or p50/p99) and ratios. Details, "
        "parameters and caveats: the per-benchmark files beside this one.\n\n"
        + markdown_table(HEADER, summary_rows(results, results_dir))
        + "\n"
    )
    path = results_dir / "SUMMARY.md"
    path.write_text(text)
    return path


def _replace_between(doc: Path, begin: str, end: str, table: str) -> None:
    text = doc.read_text()
    start, stop = text.index(begin) + len(begin), text.index(end)
    doc.write_text(f"{text[:start]}\n{table}\n{text[stop:]}")


def update_performance_doc(
    results_dir: Path = RESULTS_DIR,
    doc: Path = PERFORMANCE_DOC,
    cost_docs: Sequence[Path] = (PERFORMANCE_DOC, SLA_TIMERS_DOC),
) -> str:
    """Rewrite docs/performance.md's benchmark table (between its markers) from the results: targets only;
    and the cost table (bench/results/cost.json) wherever a doc of `cost_docs` has its markers."""
    rows = [row for row in summary_rows({}, results_dir) if row[4] != "-"]
    table = markdown_table(HEADER, rows)
    _replace_between(doc, TABLE_BEGIN, TABLE_END, table)
    saved = results_dir / "cost.json"
    if saved.exists():
        costs = cost.cost_table(json.loads(saved.read_text()))
        for path in cost_docs:
            if path.exists() and COST_BEGIN in path.read_text():
                _replace_between(path, COST_BEGIN, COST_END, costs)
    return table


def run(
    quick: bool = False, results_dir: Path = RESULTS_DIR, reuse: Sequence[str] = ()
) -> dict[str, dict[str, Any]]:
    """Run every benchmark; the ones named in `reuse` are read back from their last result file."""
    started = time.monotonic()
    if quick:
        runners: dict[str, Callable[[], dict[str, Any]]] = {
            "warm_overhead": lambda: warm_overhead.run(size=50, rounds=2, warmup=5, results_dir=results_dir),
            "memory": lambda: memory.run(size=20, checkpoint=10, results_dir=results_dir),
            "cold_start": lambda: cold_start.run(
                size=1, importtime_runs=1, breakdown_runs=1, results_dir=results_dir
            ),
            "burst_drain": lambda: burst_drain.run(
                size=20, rate=40.0, concurrency=2, results_dir=results_dir
            ),
            "contact_events": lambda: contact_events.run(
                size=20, rounds=2, warmup=2, cold_size=1, importtime_runs=1, results_dir=results_dir
            ),
            "cost": lambda: cost.run(results_dir),
        }
    else:
        runners = {
            "warm_overhead": lambda: warm_overhead.run(results_dir=results_dir),
            "memory": lambda: memory.run(results_dir=results_dir),
            "cold_start": lambda: cold_start.run(results_dir=results_dir),
            "burst_drain": lambda: burst_drain.run(
                rounds=3, baselines=("default", "legacy"), diagnose=True, results_dir=results_dir
            ),
            "contact_events": lambda: contact_events.run(results_dir=results_dir),
            "cost": lambda: cost.run(results_dir),  # from the files the others wrote
        }
    results: dict[str, dict[str, Any]] = {}
    reused = [name for name in runners if name in reuse and (results_dir / f"{name}.json").exists()]
    for name, run_one in runners.items():
        saved = results_dir / f"{name}.json"
        results[name] = json.loads(saved.read_text()) if name in reused else run_one()
    path = write_summary(results, time.monotonic() - started, results_dir, reused)
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
    parser.add_argument(
        "--docs",
        action="store_true",
        help="then rewrite docs/performance.md's benchmark table from the results files",
    )
    args = parser.parse_args(argv)
    run(quick=args.quick, results_dir=args.results_dir, reuse=[n for n in args.reuse.split(",") if n])
    if args.docs:
        update_performance_doc(args.results_dir)


if __name__ == "__main__":
    main()
