"""contact_events: the busiest path, contact events arming and cancelling SLA timers, against bareSched.

    python -m bench.contact_events [--size 3000] [--rounds 10] [--warmup 200] [--cold-size 10]

Every timed contact invokes the handler 2-4 times through its contact events (INITIATED, QUEUED,
CONNECTED_TO_AGENT, DISCONNECTED), more than through any other trigger. The baseline, bareSched
(bench.baseline_calls.bare_sched), reads the event as plainly as it can and makes the same Scheduler
calls on one session's client: CreateSchedule for the breach (and the warning when the policy has one)
on QUEUED, DeleteSchedule of both names on CONNECTED_TO_AGENT, nothing on an event it ignores. The SLA
policies (in a copy of the bundled routing rules): queue-tier1 one hour without a warning (one
schedule), queue-tier2 one hour with a warning at 80 % (two schedules).

Warm (one execution environment in this process, as bench.warm_overhead): ours is the deployed handler
(`escalation.handler.handler` with its Logger, Metrics and Tracer decorators; tracing disabled, as in
warm_overhead: X-Ray's patch is process-wide), its Scheduler client answered by botocore's Stubber (the
request is still validated and serialised; only the network is left out), bareSched's likewise.
Variants: QUEUED arming one schedule, QUEUED arming two, CONNECTED_TO_AGENT cancelling (two
DeleteSchedule calls), and an ignored event (INITIATED, not a transfer: no call). CPU is
time.thread_time() around the handler call; variants interleaved in rounds (order rotating); ratios
are medians of per-round p50 ratios with their IQR.

Cold (bench/_cold_child.py as bench.cold_start runs it, as Lambda does: ours from the package the stack
deploys, tracing active, no bytecode written): a fresh process whose first event is QUEUED (one
schedule), and one whose first event is CONNECTED_TO_AGENT (its schedules armed beforehand), against
bareSched's cold start on the same events, Scheduler in moto's server over HTTP on 127.0.0.1;
interleaved, ratios paired per round (in-child time, first line to answer).

Targets: warm <= 1.5x bareSched (QUEUED and CONNECTED_TO_AGENT), cold <= 1.3x bareSched cold, an
ignored event under 1 ms of CPU warm.
"""

from __future__ import annotations

import argparse
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench import contact_event_paths as paths
from bench.common import (
    RESULTS_DIR,
    iqr_text,
    load_average,
    markdown_table,
    median,
    percentile,
    ratio,
    spread,
    spread_text,
    verdict_at_most,
    write_results,
)
from bench.contact_event_breakdown import warm_breakdown

NAME = "contact_events"
WARM_JUDGED = {"queued": "queued-1", "queued_two": "queued-2", "connected": "connected"}


def run(
    size: int = 3000,
    rounds: int = 10,
    warmup: int = 200,
    cold_size: int = 10,
    importtime_runs: int = 3,
    results_dir: Path = RESULTS_DIR,
) -> dict[str, Any]:
    load_at_start = load_average()
    with tempfile.TemporaryDirectory(prefix="bench-contact-") as tmp:
        warm = paths.run_warm(size, rounds, warmup, Path(tmp), warm_breakdown)
    with tempfile.TemporaryDirectory(prefix="bench-contact-cold-") as tmp:
        cold = paths.run_cold(cold_size, Path(tmp), importtime_runs)
    result = summarise(warm, cold, size=size, rounds=rounds, warmup=warmup, cold_size=cold_size)
    result["load_average_at_start"] = load_at_start
    result["load_average_at_end"] = load_average()
    write_results(NAME, result, _markdown(result), results_dir)
    return result


def paired_p50(samples: dict[str, list[list[float]]], ours: str, baseline: str) -> dict[str, float]:
    return spread(
        [
            ratio(percentile(o, 50), percentile(b, 50))
            for o, b in zip(samples[ours], samples[baseline], strict=True)
        ]
    )


def paired_cold(samples: dict[str, list[dict[str, float]]], ours: str, baseline: str) -> dict[str, float]:
    key = "in_child_seconds"
    return spread([o[key] / b[key] for o, b in zip(samples[ours], samples[baseline], strict=True) if b[key]])


def summarise(
    warm: dict[str, Any], cold: dict[str, Any], *, size: int, rounds: int, warmup: int, cold_size: int
) -> dict[str, Any]:
    samples = warm["samples"]
    flat = {variant: [v for r in per_round for v in r] for variant, per_round in samples.items()}
    summary = {
        variant: {
            "p50_ms": percentile(values, 50) * 1000,
            "p99_ms": percentile(values, 99) * 1000,
            "mean_ms": sum(values) / len(values) * 1000,
            "events": len(values),
        }
        for variant, values in flat.items()
    }
    result: dict[str, Any] = {}
    spreads: dict[str, dict[str, float]] = {}
    verdicts: dict[str, str] = {}
    met = True
    for key, case in WARM_JUDGED.items():
        paired = paired_p50(samples, f"ours-{case}", f"baresched-{case}")
        spreads[f"ours_{case}_over_baresched"] = paired
        result[f"ratio_to_baresched_warm_{key}"] = paired["median"]
        result[f"ratio_to_baresched_warm_{key}_iqr"] = [paired["q1"], paired["q3"]]
        verdict = verdict_at_most(paired["median"], paths.TARGET_WARM)
        verdicts[f"warm_{key}"] = verdict.text
        met = met and verdict.met
    # As the ratios: the median of the per-round p50s, with their IQR.
    ignored_per_round = [percentile(r, 50) * 1000 for r in samples["ours-ignored"]]
    ignored = percentile(ignored_per_round, 50)
    result["ignored_event_cpu_ms"] = ignored
    result["ignored_event_cpu_ms_iqr"] = [
        percentile(ignored_per_round, 25),
        percentile(ignored_per_round, 75),
    ]
    verdict = verdict_at_most(ignored, paths.TARGET_IGNORED_MS, " ms")
    verdicts["ignored"] = verdict.text
    met = met and verdict.met
    cold_summary = {
        variant: {
            "median_in_child_ms": median([s["in_child_seconds"] * 1000 for s in values]),
            "median_init_ms": median([s["init_seconds"] * 1000 for s in values]),
            "median_subprocess_wall_ms": median([s["subprocess_wall_seconds"] * 1000 for s in values]),
            "runs": len(values),
        }
        for variant, values in cold["samples"].items()
    }
    for case, key in (
        ("queued", "ratio_to_baresched_cold"),
        ("connected", "ratio_to_baresched_cold_connected"),
    ):
        paired = paired_cold(cold["samples"], f"ours-{case}", f"baresched-{case}")
        spreads[f"cold_ours_{case}_over_baresched"] = paired
        result[key] = paired["median"]
        result[f"{key}_iqr"] = [paired["q1"], paired["q3"]]
        verdict = verdict_at_most(paired["median"], paths.TARGET_COLD)
        verdicts[f"cold_{case}"] = verdict.text
        met = met and verdict.met
    operations = warm["operations"]
    return {
        "parameters": {
            "events_per_variant": size,
            "rounds": rounds,
            "warmup_per_variant": warmup,
            "cold_runs_per_variant": cold_size,
            "sla_policies": paths.SLA_POLICIES,
            "clock": "time.thread_time around the handler call (warm); time.perf_counter in the child (cold)",
            "scheduler": "botocore Stubber on each variant's client (warm); moto's server over HTTP (cold)",
            "tracing": "disabled warm (process-wide X-Ray patch); active cold, as deployed",
            "ratios": "median of per-round ratios (warm: p50s), IQR beside",
            "baseline": "bareSched: the event read plainly, the same Scheduler calls on one client",
        },
        **result,
        "ratio_spreads": spreads,
        "target": {
            "warm_ratio_to_baresched_at_most": paths.TARGET_WARM,
            "cold_ratio_to_baresched_at_most": paths.TARGET_COLD,
            "ignored_event_cpu_ms_below": paths.TARGET_IGNORED_MS,
            "judged_on": "baresched",
            "met": met,
            "verdicts": verdicts,
            "verdict": "; ".join(f"{k}: {v}" for k, v in verdicts.items()),
        },
        "operations": operations,
        "baresched_makes_ours_calls": all(
            operations[f"ours-{case}"] == operations[f"baresched-{case}"] == paths.expected_calls(case)
            for case in paths.CASES
        ),
        "summary": summary,
        "cold_summary": cold_summary,
        "warm_breakdown_us": warm["breakdown_us"],
        "cold_breakdown": cold["breakdown"],
        "importtime_ours_queued": cold["importtime_ours_queued"],
    }


def _markdown(result: dict[str, Any]) -> str:
    p = result["parameters"]
    t = result["target"]
    rows = [
        [variant, f"{s['p50_ms']:.3f}", f"{s['p99_ms']:.3f}", f"{s['mean_ms']:.3f}", s["events"]]
        for variant, s in result["summary"].items()
    ]
    cold_rows = [
        [
            variant,
            f"{s['median_in_child_ms']:.0f}",
            f"{s['median_init_ms']:.0f}",
            f"{s['median_subprocess_wall_ms']:.0f}",
            s["runs"],
        ]
        for variant, s in result["cold_summary"].items()
    ]
    return (
        f"Contact events through the deployed handler against bareSched ({p['baseline']}). Warm: "
        f"{p['events_per_variant']} events per variant in {p['rounds']} interleaved rounds after "
        f"{p['warmup_per_variant']} warm-up each; cold: {p['cold_runs_per_variant']} interleaved rounds. "
        f"Scheduler: {p['scheduler']}. Tracing {p['tracing']}. Ratios: {p['ratios']}.\n\n"
        f"Targets (warm <= {t['warm_ratio_to_baresched_at_most']:.1f}x bareSched, cold <= "
        f"{t['cold_ratio_to_baresched_at_most']:.1f}x, an ignored event < "
        f"{t['ignored_event_cpu_ms_below']:g} ms of CPU): **{'met' if t['met'] else 'missed'}**.\n"
        + "\n".join(f"- {name}: {text}" for name, text in t["verdicts"].items())
        + "\n\nbareSched made ours' calls for every event: "
        + ("yes" if result["baresched_makes_ours_calls"] else "NO")
        + f" ({'; '.join(f'{k}: {len(v)}' for k, v in result['operations'].items())}).\n\n"
        + markdown_table(
            ["ratio (per round)", "median (min-max)", "IQR"],
            [
                [name, spread_text(v), f"{v['q1']:.2f}-{v['q3']:.2f}x"]
                for name, v in result["ratio_spreads"].items()
            ],
        )
        + "\n\nWarm CPU per event:\n\n"
        + markdown_table(["variant", "p50 ms", "p99 ms", "mean ms", "events"], rows)
        + "\n\nWarm breakdown of QUEUED arming one schedule, each step timed alone "
        "(bench/contact_event_breakdown.py), microseconds of CPU:\n\n"
        + markdown_table(["step", "us"], [[k, f"{v:.1f}"] for k, v in result["warm_breakdown_us"].items()])
        + "\n\nCold start, first event to answer:\n\n"
        + markdown_table(["variant", "in-child ms", "init ms", "subprocess wall ms", "runs"], cold_rows)
    )


def summary_rows(r: dict[str, Any]) -> list[list[str]]:
    """Its rows in bench/results/SUMMARY.md and docs/performance.md (bench.run_all)."""
    spreads = r["ratio_spreads"]
    v = r["target"]["verdicts"]
    s = r["summary"]
    cold = r["cold_summary"]
    rows = [
        [
            f"contact_events: warm CPU, {label}, vs bareSched (per-round p50 ratio)",
            f"{spread_text(spreads[f'ours_{case}_over_baresched'])}, "
            f"{iqr_text(r[f'ratio_to_baresched_warm_{key}_iqr'])}; p50 {s[f'ours-{case}']['p50_ms']:.3f} ms",
            "<= 1.5x bareSched",
            f"bareSched {s[f'baresched-{case}']['p50_ms']:.3f} ms",
            v[f"warm_{key}"],
        ]
        for label, case, key in (
            ("QUEUED arming one schedule", "queued-1", "queued"),
            ("QUEUED arming two", "queued-2", "queued_two"),
            ("CONNECTED_TO_AGENT cancelling", "connected", "connected"),
        )
    ]
    rows.append(
        [
            "contact_events: warm CPU of an ignored event",
            f"{r['ignored_event_cpu_ms']:.3f} ms",
            "< 1 ms",
            f"bareSched {s['baresched-ignored']['p50_ms']:.3f} ms",
            v["ignored"],
        ]
    )
    rows += [
        [
            f"contact_events: cold start, first event {label}, vs bareSched (per-round ratio, in child)",
            f"{spread_text(spreads[f'cold_ours_{case}_over_baresched'])}, {iqr_text(r[f'{key}_iqr'])}; "
            f"ours {cold[f'ours-{case}']['median_in_child_ms']:.0f} ms",
            "<= 1.3x bareSched",
            f"bareSched {cold[f'baresched-{case}']['median_in_child_ms']:.0f} ms",
            v[f"cold_{case}"],
        ]
        for label, case, key in (
            ("QUEUED", "queued", "ratio_to_baresched_cold"),
            ("CONNECTED_TO_AGENT", "connected", "ratio_to_baresched_cold_connected"),
        )
    ]
    return rows


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog=f"python -m bench.{NAME}", description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=3000, help="warm events per variant")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--cold-size", type=int, default=10, help="cold starts per variant (interleaved)")
    parser.add_argument("--importtime-runs", type=int, default=3)
    parser.add_argument("--results-dir", type=Path, default=RESULTS_DIR)
    args = parser.parse_args(argv)
    return run(args.size, args.rounds, args.warmup, args.cold_size, args.importtime_runs, args.results_dir)


if __name__ == "__main__":
    main()
