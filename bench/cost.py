"""cost: Lambda cost per million timed contacts and per million escalations, from the measured figures.

    python -m bench.cost [--results-dir DIR]

Nothing is run: the figures come from the results files of the same directory, written by
bench.warm_overhead (warm CPU per escalation, API and event paths, every AWS call stubbed),
bench.contact_events (warm CPU per contact event) and bench.memory (peak RSS), with the list prices of
bench.lambda_prices. For each memory size in MEMORY_SIZES_MB and each architecture:

- duration of an invocation = the measured CPU scaled to the size + the time its AWS calls wait on the
  network. Scaling, per Lambda's documented rule (CPU share proportional to memory, 1,769 MB = one
  vCPU): CPU at M MB = local CPU x 1769 / M for M < 1769, counting one core of this machine as one
  vCPU. The network wait is not measured here (every call is stubbed): ASSUMED_WAIT_MS_PER_CALL per
  AWS call, the same at every size, is an assumption;
- billed per millisecond (rounded up), GB-s = billed seconds x M / 1024, plus the request charge.

The mix per timed contact (as docs/sla-timers.md states it): four contact events reach the handler
(INITIATED ignored; QUEUED arming a breach and a warning schedule; CONNECTED_TO_AGENT and DISCONNECTED
each deleting both), and 20 % of contacts breach, firing both schedules (each counted at the event
path's escalation, an upper bound for the warning). The deployed size is the cheapest whose API path
keeps its p99 CPU within API_P99_CPU_BUDGET_MS and whose measured peak memory keeps 40 % headroom
(bench.memory's rule).
"""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench import lambda_prices as prices
from bench.common import RESULTS_DIR, load_average, markdown_table, write_results
from infra.config import DEFAULT_MEMORY_MB

NAME = "cost"
MEMORY_SIZES_MB = (128, 256, 512)
ARCHITECTURES = ("arm64", "x86_64")
# The agent waits on the Escalate click: the handler's own CPU at p99 stays within 100 ms at the deployed
# size, so that with the nine AWS calls' own time the answer comes well within a second (the API's
# hard limits, 20 s for the function and 29 s at the gateway, are far above).
API_P99_CPU_BUDGET_MS = 100.0
MEMORY_HEADROOM = 0.40  # bench.memory's rule: peak RSS at most 60 % of the function's memory
ASSUMED_WAIT_MS_PER_CALL = 20.0  # not measured: the in-Region latency of one AWS call
EVENTS_PER_TIMED_CONTACT = {"ignored": 1, "queued-2": 1, "connected": 2}  # DISCONNECTED as CONNECTED
BREACHED_SHARE = 0.20
FIRED_TIMERS_PER_BREACH = 2
CALLS = {"api": 9, "event": 9, "ignored": 0, "queued-2": 2, "connected": 2}


def _measured(results_dir: Path) -> dict[str, Any]:
    def load(name: str) -> dict[str, Any]:
        path = results_dir / f"{name}.json"
        if not path.exists():
            raise FileNotFoundError(f"{path} is missing: run `python -m bench.{name}` first")
        data: dict[str, Any] = json.loads(path.read_text())
        return data

    warm, contact, memory = load("warm_overhead"), load("contact_events"), load("memory")
    cpu = {
        "api": warm["summary"]["ours-api-all-stubbed"],
        "event": warm["summary"]["ours-all-stubbed"],
        **{case: contact["summary"][f"ours-{case}"] for case in ("ignored", "queued-2", "connected")},
    }
    return {
        "cpu_ms": {path: {"p50": s["p50_ms"], "p99": s["p99_ms"]} for path, s in cpu.items()},
        "peak_rss_mb": max(
            memory["summary"][v]["peak_rss_mb"] for v in ("ours-all-stubbed", "ours-api-all-stubbed")
        ),
        "from": {
            name: data["date"]
            for name, data in (("warm_overhead", warm), ("contact_events", contact), ("memory", memory))
        },
    }


def scaled_cpu_ms(local_ms: float, memory_mb: int) -> float:
    """Lambda's CPU share rule: below 1,769 MB a function gets memory/1769 of a vCPU."""
    return local_ms * prices.MB_PER_VCPU / memory_mb if memory_mb < prices.MB_PER_VCPU else local_ms


def invocation_usd(local_cpu_ms: float, calls: int, memory_mb: int, architecture: str) -> float:
    billed_ms = math.ceil(scaled_cpu_ms(local_cpu_ms, memory_mb) + calls * ASSUMED_WAIT_MS_PER_CALL)
    gb_seconds = billed_ms / 1000 * memory_mb / 1024
    return gb_seconds * prices.DURATION_USD_PER_GB_SECOND[architecture] + prices.REQUEST_USD_PER_MILLION / 1e6


def _per_size(measured: dict[str, Any], memory_mb: int) -> dict[str, Any]:
    p50 = {path: figures["p50"] for path, figures in measured["cpu_ms"].items()}

    def usd(path: str, architecture: str) -> float:
        return invocation_usd(p50[path], CALLS[path], memory_mb, architecture)

    costs = {}
    for architecture in ARCHITECTURES:
        contact_events = sum(n * usd(case, architecture) for case, n in EVENTS_PER_TIMED_CONTACT.items())
        fired = BREACHED_SHARE * FIRED_TIMERS_PER_BREACH * usd("event", architecture)
        costs[architecture] = {
            "usd_per_million_timed_contacts": round((contact_events + fired) * 1e6, 2),
            "usd_per_million_escalations_api": round(usd("api", architecture) * 1e6, 2),
            "usd_per_million_escalations_event": round(usd("event", architecture) * 1e6, 2),
        }
    api_p99 = scaled_cpu_ms(measured["cpu_ms"]["api"]["p99"], memory_mb)
    headroom_ok = measured["peak_rss_mb"] <= memory_mb * (1 - MEMORY_HEADROOM)
    return {
        "cpu_ms_p50": {path: round(scaled_cpu_ms(ms, memory_mb), 3) for path, ms in p50.items()},
        "api_p99_cpu_ms": round(api_p99, 2),
        "api_p99_within_budget": api_p99 <= API_P99_CPU_BUDGET_MS,
        "memory_headroom_kept": headroom_ok,
        "eligible": api_p99 <= API_P99_CPU_BUDGET_MS and headroom_ok,
        **costs,
    }


def run(results_dir: Path = RESULTS_DIR) -> dict[str, Any]:
    measured = _measured(results_dir)
    sizes = {str(mb): _per_size(measured, mb) for mb in MEMORY_SIZES_MB}
    eligible = [int(mb) for mb, figures in sizes.items() if figures["eligible"]]
    chosen = (
        min(eligible, key=lambda mb: sizes[str(mb)]["arm64"]["usd_per_million_timed_contacts"])
        if eligible
        else None
    )
    result = {
        "parameters": {
            "prices": {
                "read_on": prices.PRICES_READ_ON,
                "source": prices.PRICES_SOURCE,
                "request_usd_per_million": prices.REQUEST_USD_PER_MILLION,
                "duration_usd_per_gb_second": prices.DURATION_USD_PER_GB_SECOND,
            },
            "scaling": f"CPU at M MB = local CPU x {prices.MB_PER_VCPU} / M (M < {prices.MB_PER_VCPU}): CPU "
            "share proportional to memory, one core of this machine counted as one vCPU",
            "assumed_wait_ms_per_aws_call": ASSUMED_WAIT_MS_PER_CALL,
            "aws_calls_per_invocation": CALLS,
            "events_per_timed_contact": EVENTS_PER_TIMED_CONTACT,
            "breached_share": BREACHED_SHARE,
            "fired_timers_per_breach": FIRED_TIMERS_PER_BREACH,
            "api_p99_cpu_budget_ms": API_P99_CPU_BUDGET_MS,
            "memory_headroom": MEMORY_HEADROOM,
        },
        "measured": measured,
        "sizes": sizes,
        "chosen_memory_mb": chosen,
        "deployed_memory_mb": DEFAULT_MEMORY_MB,
        "target": {
            "met": chosen == DEFAULT_MEMORY_MB,
            "verdict": f"the stack deploys {DEFAULT_MEMORY_MB} MB; the cheapest size within the budget is "
            f"{chosen if chosen is not None else 'none of ' + str(MEMORY_SIZES_MB)} MB",
        },
        "load_average_at_start": load_average(),
        "load_average_at_end": load_average(),
    }
    write_results(NAME, result, _markdown(result), results_dir)
    return result


def cost_table(result: dict[str, Any]) -> str:
    """The table docs/performance.md and docs/sla-timers.md show (bench.run_all --docs)."""
    rows = []
    for mb, s in result["sizes"].items():
        for architecture in ARCHITECTURES:
            c = s[architecture]
            rows.append(
                [
                    f"{mb} MB{' (deployed)' if int(mb) == result['deployed_memory_mb'] else ''}",
                    architecture,
                    f"${c['usd_per_million_timed_contacts']:.2f}",
                    f"${c['usd_per_million_escalations_api']:.2f}",
                    f"${c['usd_per_million_escalations_event']:.2f}",
                    f"{s['api_p99_cpu_ms']:.1f} ms",
                    "yes"
                    if s["eligible"]
                    else ("no: memory headroom" if not s["memory_headroom_kept"] else "no: p99"),
                ]
            )
    return markdown_table(
        [
            "memory",
            "architecture",
            "per million timed contacts",
            "per million escalations (API)",
            "per million escalations (event)",
            "API p99 CPU",
            "within budget",
        ],
        rows,
    )


def _markdown(result: dict[str, Any]) -> str:
    p = result["parameters"]
    sources = ", ".join(f"{name} {date[:10]}" for name, date in result["measured"]["from"].items())
    return (
        f"Lambda cost (requests + duration) from the measured warm CPU and peak memory ({sources}; peak "
        f"{result['measured']['peak_rss_mb']:.1f} MB), list prices read on {p['prices']['read_on']} "
        f"({p['prices']['source']}). Scaling: {p['scaling']}. Network wait: "
        f"{p['assumed_wait_ms_per_aws_call']:g} ms per AWS call, assumed (not measured). Budget: the API "
        f"path's p99 CPU at most {p['api_p99_cpu_budget_ms']:g} ms and peak memory at most "
        f"{100 - p['memory_headroom'] * 100:.0f} % of the size. **{result['target']['verdict']}**.\n\n"
        + cost_table(result)
    )


def summary_rows(r: dict[str, Any]) -> list[list[str]]:
    """Its row in bench/results/SUMMARY.md and docs/performance.md (bench.run_all)."""
    deployed = r["sizes"][str(r["deployed_memory_mb"])]
    arm = deployed["arm64"]
    return [
        [
            f"cost: memory size deployed ({r['deployed_memory_mb']} MB, arm64)",
            f"${arm['usd_per_million_timed_contacts']:.2f} per million timed contacts, "
            f"${arm['usd_per_million_escalations_api']:.2f} per million API escalations; "
            f"API p99 CPU {deployed['api_p99_cpu_ms']:.1f} ms",
            f"the cheapest of {', '.join(r['sizes'])} MB with API p99 CPU <= "
            f"{r['parameters']['api_p99_cpu_budget_ms']:g} ms and 40 % memory headroom",
            "; ".join(
                f"{mb} MB ${s['arm64']['usd_per_million_timed_contacts']:.2f}"
                + ("" if s["eligible"] else " (not within budget)")
                for mb, s in r["sizes"].items()
            ),
            f"{'met' if r['target']['met'] else 'missed'} ({r['target']['verdict']})",
        ]
    ]


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog=f"python -m bench.{NAME}", description=__doc__.split("\n")[0])
    parser.add_argument("--results-dir", type=Path, default=RESULTS_DIR)
    args = parser.parse_args(argv)
    return run(args.results_dir)


if __name__ == "__main__":
    main()
