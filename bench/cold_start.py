"""cold_start: a fresh process imports the handler, initialises and serves its first API escalation.

    python -m bench.cold_start [--size 10] [--importtime-runs 3] [--breakdown-runs 3]

Every child runs as in a deployed function (common.lambda_runtime_env): LAMBDA_TASK_ROOT, the function
name, an X-Ray trace header, and tracing active as the stack deploys it (Powertools' Tracer patches
botocore; segments go to a local UDP port nobody reads). Ours runs from the package the stack deploys,
built by the same code (infra.package: `lambdas/` with its bytecode, the function's runtime environment),
and no child writes bytecode (PYTHONDONTWRITEBYTECODE): Lambda's /var/task is read-only.

Ours: `escalation.handler.handler` answers a REST proxy event (POST /escalations with Cognito authorizer
claims, built by local.api.build_rest_event) against the Connect emulator (no quota) and moto (both in
this process, over HTTP on 127.0.0.1): nine AWS calls (DescribeContact, the idempotency record's
PutItem, the chain's ledger Query, the PENDING and TRANSFERRED ledger PutItems, TransferContact,
PutEvents on the default bus, UpdateContactAttributes on the new contact, the idempotency UpdateItem).
Baselines, same endpoints, tables and bus: bare1 = `import boto3`, `boto3.client("connect")`, one
`transfer_contact`; bare5 = the five calls ours made before the ledger, on one session's Connect and
DynamoDB clients; bare9 = ours' nine calls in the same order on one session's Connect, DynamoDB and
EventBridge clients, nothing else (bench.baseline_calls): the like-for-like baseline. Variants run
interleaved (order rotating every round); each child measures with time.perf_counter from its first
line to the answer, and this process measures the subprocess' wall time (interpreter start and exit
included). Ratios are medians of the per-round ratios (ours and the baseline measured in the same
round), with their interquartile range.

Also measured, production code unchanged: what the package does for a cold start (the service models
it ships in `lambdas/escalation/botocore_models/`, trimmed to the operations the function calls, which its
composition root adds to its botocore session's data path; its compiled bytecode; pydantic's plugin
search switched off) against the same code copied as it was packaged before (ours-stock-package: no
trimmed models, no bytecode, the plugin search on), and bare9 given the very same models through
AWS_DATA_PATH (bare9-shipped-models); where the models directory does not exist those variants measure
only the rest. Ours with the collector left running through init (the handler's gc.disable() made
a no-op), to show what pausing it saves; a breakdown (collections and their time, botocore client
creation, the operations called in order) from children that record it; and `python -X importtime` of
ours' child (the first answer included, so imports on first use count too).
"""

# ruff: noqa: PLC0415 - imports are deferred on purpose: environment variables first, or import cost measured
from __future__ import annotations

import argparse
import json
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from bench.cold_start_summary import (
    BARE1,
    BARE5,
    BARE9,
    BARE9_SHIPPED_MODELS,
    OURS,
    OURS_GC_UNPAUSED,
    OURS_STOCK_PACKAGE,
    markdown,
    summarise,
)
from bench.common import (
    API_CALLER,
    INSTANCE_ID,
    LAMBDAS_DIR,
    QUEUE_FLOW,
    RESULTS_DIR,
    SOURCE_QUEUE,
    TARGET_QUEUE,
    api_event,
    load_average,
    python_path_env,
    stripped_environ,
    traced_handler_env,
    write_results,
)
from bench.importtime import importtime_report, parse_importtime
from infra import package
from local.aws_isolation import isolated_aws_variables

NAME = "cold_start"
CHILD = Path(__file__).resolve().parent / "_cold_child.py"
VARIANTS = (OURS, BARE1, BARE5, BARE9, BARE9_SHIPPED_MODELS, OURS_STOCK_PACKAGE, OURS_GC_UNPAUSED)
BREAKDOWN_VARIANTS = (OURS, OURS_GC_UNPAUSED, BARE9)
GC_UNPAUSED_ENV = {"BENCH_COLD_GC_UNPAUSED": "1"}
BREAKDOWN_ENV = {"BENCH_COLD_BREAKDOWN": "1"}
SHIPPED_MODELS_DIR = LAMBDAS_DIR / "escalation" / "botocore_models"


def stock_package(target: Path) -> Path:
    """A copy of `lambdas/` as the function was packaged before: no shipped service models, no bytecode."""
    shutil.copytree(LAMBDAS_DIR, target, ignore=shutil.ignore_patterns(*package.EXCLUDED))
    shutil.rmtree(target / "escalation" / SHIPPED_MODELS_DIR.name, ignore_errors=True)
    return target


def package_env(package_dir: Path) -> dict[str, str]:
    """A child's variables for the handler's code from `package_dir` (and nowhere else)."""
    return {
        "PYTHONPATH": python_path_env(package_dir),
        "LAMBDA_TASK_ROOT": str(package_dir),
        "ROUTING_RULES": str(package_dir / "escalation" / "routing_rules.json"),
    }


def _shipped_models(compiled: bool) -> dict[str, Any]:
    files = sorted(SHIPPED_MODELS_DIR.glob("*/*/service-2.json")) if SHIPPED_MODELS_DIR.is_dir() else []
    return {
        "bytecode_packaged": compiled,
        "runtime_environment": package.RUNTIME_ENVIRONMENT,
        "directory": str(SHIPPED_MODELS_DIR.relative_to(LAMBDAS_DIR.parent)),
        "present": bool(files),
        "models": [str(path.relative_to(SHIPPED_MODELS_DIR)) for path in files],
        "json_bytes": sum(path.stat().st_size for path in files),
        "note": "ours-stock-package is ours copied without this directory, without bytecode and without "
        "the runtime environment above; bare9-shipped-models is bare9 with AWS_DATA_PATH set to it"
        + (
            ""
            if files
            else "; the directory does not exist in the measured code, so bare9-shipped-models equals bare9 "
            "(its ratio measures noise)"
        ),
    }


# -- children ---------------------------------------------------------------------------------------


def _bare_event(contact_id: str) -> dict[str, Any]:
    return {"instanceId": INSTANCE_ID, "contactId": contact_id, "flowId": QUEUE_FLOW, "queueId": TARGET_QUEUE}


def _kind(variant: str) -> str:
    if variant == BARE9_SHIPPED_MODELS:
        return BARE9
    return variant if variant in (BARE1, BARE5, BARE9) else OURS


def run_child(
    kind: str,
    event: Mapping[str, Any],
    env: Mapping[str, str],
    tmp_dir: Path,
    python_flags: Sequence[str] = (),
) -> tuple[dict[str, Any], float, str]:
    event_path = tmp_dir / "event.json"
    result_path = tmp_dir / "result.json"
    event_path.write_text(json.dumps(event))
    result_path.unlink(missing_ok=True)
    started = time.perf_counter()
    completed = subprocess.run(
        [sys.executable, *python_flags, str(CHILD), kind, str(event_path), str(result_path)],
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    wall = time.perf_counter() - started
    if completed.returncode != 0 or not result_path.exists():
        raise RuntimeError(f"{kind} child failed ({completed.returncode}): {completed.stderr[-2000:]}")
    return json.loads(result_path.read_text()), wall, completed.stderr


# -- the benchmark ----------------------------------------------------------------------------------


def run(
    size: int = 10,
    importtime_runs: int = 3,
    breakdown_runs: int = 3,
    results_dir: Path = RESULTS_DIR,
) -> dict[str, Any]:
    from local.aws import LocalAws
    from local.connect_emulator import ConnectEmulator, ContactSeed, EmulatorOptions
    from local.stack import seed_instance

    load_at_start = load_average()
    samples: dict[str, list[dict[str, Any]]] = {variant: [] for variant in VARIANTS}
    breakdown: dict[str, list[dict[str, Any]]] = {variant: [] for variant in BREAKDOWN_VARIANTS}
    # The X-Ray daemon's address: bound, so the port is ours, and never read.
    xray_sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    xray_sink.bind(("127.0.0.1", 0))
    with tempfile.TemporaryDirectory(prefix="bench-cold-") as tmp:
        tmp_dir = Path(tmp)
        package_dir = tmp_dir / "package"
        compiled = package.build(LAMBDAS_DIR, package_dir)
        stock_dir = stock_package(tmp_dir / "stock-package")
        emulator = ConnectEmulator(EmulatorOptions(rate=None, seed=7))
        emulator.start()
        aws = LocalAws().start()
        try:
            seed_instance(emulator)
            base_env = {
                **stripped_environ(),
                **isolated_aws_variables(tmp_dir),
                **aws.handler_env(emulator.endpoint_url),
                **traced_handler_env(xray_sink.getsockname()[1]),
                "PYTHONPATH": python_path_env(),
                "PYTHONDONTWRITEBYTECODE": "1",  # /var/task is read-only
            }
            ours_env = {**base_env, **package_env(package_dir)}
            stock_env = {
                name: value
                for name, value in {**base_env, **package_env(stock_dir)}.items()
                if name not in package.RUNTIME_ENVIRONMENT
            }
            envs = {
                OURS: ours_env,
                BARE1: base_env,
                BARE5: base_env,
                BARE9: base_env,
                BARE9_SHIPPED_MODELS: {**base_env, "AWS_DATA_PATH": str(SHIPPED_MODELS_DIR)},
                OURS_STOCK_PACKAGE: stock_env,
                OURS_GC_UNPAUSED: {**ours_env, **GC_UNPAUSED_ENV},
            }
            packages = {variant: package_dir for variant in VARIANTS if _kind(variant) == OURS}
            packages[OURS_STOCK_PACKAGE] = stock_dir

            def once(variant: str, env: Mapping[str, str], flags: Sequence[str] = ()) -> tuple[Any, ...]:
                contact = emulator.add_contact(
                    ContactSeed(INSTANCE_ID, "TASK", queue_id=SOURCE_QUEUE, agent_id=API_CALLER)
                )
                kind = _kind(variant)
                event = api_event(contact) if kind == OURS else _bare_event(contact)
                child, wall, stderr = run_child(kind, event, env, tmp_dir, flags)
                if not child["ok"]:
                    raise RuntimeError(f"{variant} did not answer as expected: {child['answer']}")
                # Ours from its package (the stock copy for that variant), the baselines not at all.
                imported_from = child["escalation_package"]
                expected = (packages[variant] / "escalation").resolve() if variant in packages else None
                if (Path(imported_from).resolve() if imported_from else None) != expected:
                    raise RuntimeError(f"{variant} imported the handler from {imported_from}, not {expected}")
                return child, wall, stderr

            # One unmeasured run of each: the page cache is warm for all.
            for variant in VARIANTS:
                once(variant, envs[variant])
            for round_index in range(size):
                shift = round_index % len(VARIANTS)
                for variant in VARIANTS[shift:] + VARIANTS[:shift]:
                    child, wall, _ = once(variant, envs[variant])
                    samples[variant].append(
                        {
                            "in_child_seconds": child["total_seconds"],
                            "init_seconds": child["init_seconds"],
                            "subprocess_wall_seconds": wall,
                            "gc_collections": child["gc_collections"],
                            "gc_seconds": child["gc_seconds"],
                        }
                    )
            for _ in range(breakdown_runs):
                for variant, children in breakdown.items():
                    children.append(once(variant, {**envs[variant], **BREAKDOWN_ENV})[0])
            importtimes = []
            for _ in range(importtime_runs):
                _, _, stderr = once(OURS, ours_env, ["-X", "importtime"])
                importtimes.append(parse_importtime(stderr))
        finally:
            aws.stop()
            emulator.stop()
            xray_sink.close()
    result = summarise(samples, breakdown, _shipped_models(compiled), importtime_report(importtimes), size)
    result["load_average_at_start"] = load_at_start
    result["load_average_at_end"] = load_average()
    write_results(NAME, result, markdown(result), results_dir)
    return result


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog=f"python -m bench.{NAME}", description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=10, help="runs per variant (interleaved)")
    parser.add_argument("--importtime-runs", type=int, default=3)
    parser.add_argument("--breakdown-runs", type=int, default=3)
    parser.add_argument("--results-dir", type=Path, default=RESULTS_DIR)
    args = parser.parse_args(argv)
    return run(
        size=args.size,
        importtime_runs=args.importtime_runs,
        breakdown_runs=args.breakdown_runs,
        results_dir=args.results_dir,
    )


if __name__ == "__main__":
    main()
