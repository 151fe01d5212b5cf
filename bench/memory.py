"""memory: peak RSS of one execution environment after 5000 warm escalations, and its growth.

    python -m bench.memory [--size 5000] [--checkpoint 1000]

Each variant runs in a fresh child process (one execution environment) that serves `size` stubbed
escalations (bench.stubbed, as warm_overhead) and reads /proc/self/status (VmRSS, VmHWM) after a
gc.collect() at every checkpoint. Variants:
- ours-all-stubbed: the production handler on the SLA-breach event path, every AWS call (Connect,
  DynamoDB's idempotency record and ledger Query/PutItems, EventBridge) answered by botocore's Stubber,
  moto not imported and no baseline built in the process: the handler's own footprint;
- ours-api-all-stubbed: the same on the API path (POST /escalations), which also loads the resolver and
  the API's models;
- bare9: ours' nine calls on one session's stubbed Connect, DynamoDB and EventBridge clients, nothing
  else (bench.baseline_calls; the production handler is not imported);
- bare1: `boto3.client("connect")` + Stubber + one transfer_contact per event.
The handler is not measured with moto in process: moto's modules and every record it stores would live
in the measured process, and its in-process ledger table makes each escalation slower than the last.
No child imports moto or the local stack (the parent sets their isolated AWS variables); the API
variant's events are built by local.api (about 2 MB of the local API's own modules in that process).
Target (both ours variants): peak <= 153.6 MB (a 256 MB function with 40 % headroom), growth
1000 -> 5000 within noise (<= 1 MiB). Lambda's runtime interface client, which also counts in "Max
Memory Used", is not included.
"""

from __future__ import annotations

import argparse
import gc
import json
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench import stubbed, stubbed_baselines
from bench.common import (
    LAMBDA_MEMORY_MB,
    REPO_ROOT,
    RESULTS_DIR,
    load_average,
    markdown_table,
    python_path_env,
    stripped_environ,
    verdict_at_most,
    write_results,
)
from local.aws_isolation import isolated_aws_variables

NAME = "memory"
HEADROOM = 0.40
TARGET_PEAK_MB = LAMBDA_MEMORY_MB * (1 - HEADROOM)  # 153.6
GROWTH_NOISE_MIB = 1.0
JUDGED = (stubbed.OURS_ALL_STUBBED, stubbed.OURS_API_ALL_STUBBED)
VARIANTS = (*JUDGED, stubbed.BARE9, stubbed.BARE)


def _status_kib() -> dict[str, int]:
    values: dict[str, int] = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0])
    return values


def child(variant: str, size: int, checkpoint: int, out_path: Path) -> None:
    """Run in the child process: serve `size` escalations, record memory at every checkpoint."""
    with tempfile.TemporaryDirectory(prefix="bench-memory-") as tmp:
        env: stubbed.Environment | stubbed_baselines.BareEnvironment
        # The parent set the isolated AWS variables: neither moto nor the local stack is imported here.
        if variant in stubbed.BARES:
            env = stubbed_baselines.start_bare(
                Path(tmp), variant, isolate=False
            )  # the production handler is not imported
        else:
            env = stubbed.start(Path(tmp), use_moto=False, with_baselines=False, isolate=False)
        env.use(variant)
        stubbed.escalate_once(env, variant)  # the first invocation builds the clients
        gc.collect()
        points = [{"escalations": 1, **_status_kib()}]
        for done in range(2, size + 1):
            stubbed.escalate_once(env, variant)
            if done % checkpoint == 0:
                gc.collect()
                points.append({"escalations": done, **_status_kib()})
        env.check_drained()
        env.close()
    imported = {"moto": "moto" in sys.modules, "production_handler": "escalation.handler" in sys.modules}
    out_path.write_text(json.dumps({"variant": variant, "points": points, "imported": imported}))


def _run_child(variant: str, size: int, checkpoint: int, tmp_dir: Path) -> dict[str, Any]:
    out_path = tmp_dir / f"{variant}.json"
    env = {**stripped_environ(), **isolated_aws_variables(tmp_dir), "PYTHONPATH": python_path_env()}
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.memory",
            "--child",
            variant,
            "--size",
            str(size),
            "--checkpoint",
            str(checkpoint),
            "--child-out",
            str(out_path),
        ],
        env=env,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"memory child {variant} failed: {completed.stderr[-2000:]}")
    data: dict[str, Any] = json.loads(out_path.read_text())
    return data


def run(size: int = 5000, checkpoint: int = 1000, results_dir: Path = RESULTS_DIR) -> dict[str, Any]:
    load_at_start = load_average()
    checkpoint = min(checkpoint, size)
    measured: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bench-memory-") as tmp:
        for variant in VARIANTS:
            measured[variant] = _run_child(variant, size, checkpoint, Path(tmp))
    result = _summarise(measured, size, checkpoint)
    result["load_average_at_start"] = load_at_start
    result["load_average_at_end"] = load_average()
    write_results(NAME, result, _markdown(result), results_dir)
    return result


def _mb(kib: int) -> float:
    return kib * 1024 / 1e6


def _summarise(measured: dict[str, Any], size: int, checkpoint: int) -> dict[str, Any]:
    summary: dict[str, Any] = {}
    for variant, data in measured.items():
        points = data["points"]
        first_checkpoint = next(p for p in points if p["escalations"] >= checkpoint)
        last = points[-1]
        growth_kib = last["VmRSS"] - first_checkpoint["VmRSS"]
        summary[variant] = {
            "peak_rss_mb": _mb(last["VmHWM"]),
            "rss_after_first_mb": _mb(points[0]["VmRSS"]),
            f"rss_at_{first_checkpoint['escalations']}_mb": _mb(first_checkpoint["VmRSS"]),
            f"rss_at_{last['escalations']}_mb": _mb(last["VmRSS"]),
            "growth_mib": growth_kib / 1024,
            "growth_bytes_per_escalation": growth_kib
            * 1024
            / max(1, last["escalations"] - first_checkpoint["escalations"]),
            "imported": data["imported"],
            "points": points,
        }
    verdicts = {}
    for variant in JUDGED:
        s = summary[variant]
        peak = verdict_at_most(s["peak_rss_mb"], TARGET_PEAK_MB, " MB")
        growth_ok = s["growth_mib"] <= GROWTH_NOISE_MIB
        verdicts[variant] = {
            "peak": peak.text,
            "peak_met": peak.met,
            "growth": f"{'met' if growth_ok else 'missed'} "
            f"({s['growth_mib']:.2f} MiB vs <= {GROWTH_NOISE_MIB} MiB)",
            "growth_met": growth_ok,
        }
    return {
        "parameters": {
            "escalations": size,
            "checkpoint_every": checkpoint,
            "source": "/proc/self/status VmRSS and VmHWM after gc.collect()",
            "lambda_memory_mb": LAMBDA_MEMORY_MB,
        },
        "target": {
            "peak_mb_at_most": TARGET_PEAK_MB,
            "growth_mib_at_most": GROWTH_NOISE_MIB,
            "judged_on": list(JUDGED),
            "met": all(v["peak_met"] and v["growth_met"] for v in verdicts.values()),
            "verdicts": verdicts,
        },
        "summary": summary,
    }


def _markdown(result: dict[str, Any]) -> str:
    rows = []
    for variant, s in result["summary"].items():
        at = [key for key in s if key.startswith("rss_at_")]
        rows.append(
            [
                variant,
                f"{s['peak_rss_mb']:.1f}",
                f"{s['rss_after_first_mb']:.1f}",
                " / ".join(f"{s[key]:.1f}" for key in at),
                f"{s['growth_mib']:+.2f}",
                f"{s['growth_bytes_per_escalation']:.0f}",
            ]
        )
    t = result["target"]
    verdict_lines = "\n".join(
        f"- {variant}: peak {v['peak']}; growth {v['growth']}" for variant, v in t["verdicts"].items()
    )
    p = result["parameters"]
    return (
        f"One execution environment per variant (fresh process), {p['escalations']} stubbed escalations, "
        f"{p['source']}. MB = 10^6 bytes, MiB = 2^20.\n\n"
        f"Target (judged on {' and '.join(t['judged_on'])}, every AWS call stubbed): peak <= "
        f"{t['peak_mb_at_most']:.1f} MB and growth <= {t['growth_mib_at_most']:.0f} MiB: "
        f"**{'met' if t['met'] else 'missed'}**.\n{verdict_lines}\n\n"
        + markdown_table(
            [
                "variant",
                "peak RSS MB",
                "RSS after 1st MB",
                "RSS at checkpoints MB",
                "growth MiB",
                "bytes/escalation",
            ],
            rows,
        )
        + f"\n\nGrowth is RSS at the last checkpoint minus RSS at the first ({p['checkpoint_every']} "
        "escalations). Lambda's runtime interface client is not included. Imported in each child: "
        + "; ".join(
            f"{variant}: production handler {'yes' if s['imported']['production_handler'] else 'no'}, "
            f"moto {'yes' if s['imported']['moto'] else 'no'}"
            for variant, s in result["summary"].items()
        )
        + "."
    )


def main(argv: Sequence[str] | None = None) -> dict[str, Any] | None:
    parser = argparse.ArgumentParser(prog=f"python -m bench.{NAME}", description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=5000, help="escalations per environment")
    parser.add_argument("--checkpoint", type=int, default=1000)
    parser.add_argument("--results-dir", type=Path, default=RESULTS_DIR)
    parser.add_argument("--child", choices=VARIANTS, help=argparse.SUPPRESS)
    parser.add_argument("--child-out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child, args.size, min(args.checkpoint, args.size), args.child_out)
        return None
    return run(size=args.size, checkpoint=args.checkpoint, results_dir=args.results_dir)


if __name__ == "__main__":
    main()
