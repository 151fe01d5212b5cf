"""cold_start: a fresh process imports the handler, initialises and serves its first API escalation.

    python -m bench.cold_start [--size 10] [--importtime-runs 3]

Ours: `escalation.handler.handler` answers a REST proxy event (POST /escalations with Cognito authorizer
claims, built by local.api.build_rest_event) against the Connect emulator (no quota) and moto (both in
this process, over HTTP on 127.0.0.1): DescribeContact, UpdateContactAttributes, TransferContact and the
idempotency record's PutItem/UpdateItem. Bare: `import boto3`, `boto3.client("connect")`, one
`transfer_contact`. Runs are interleaved (variant order rotates every round); each child measures with
time.perf_counter from its first line to the answer, and this process measures the subprocess' wall time
(interpreter start and exit included).

Also measured, production code unchanged: the same two children with a trimmed Connect service model
(only the operations the service calls, documentation stripped) shipped through botocore's
AWS_DATA_PATH, and `python -X importtime` of ours' child (the first answer included, so lazy imports
during the first invocation count too).
"""

# ruff: noqa: PLC0415 - imports are deferred on purpose: environment variables first, or import cost measured
from __future__ import annotations

import argparse
import gzip
import json
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from bench.common import (
    INSTANCE_ID,
    QUEUE_FLOW,
    RESULTS_DIR,
    SOURCE_QUEUE,
    TARGET_QUEUE,
    handler_extra_env,
    isolated_aws_env,
    markdown_table,
    median,
    python_path_env,
    ratio,
    stripped_environ,
    verdict_at_most,
    write_results,
)

NAME = "cold_start"
CHILD = Path(__file__).resolve().parent / "_cold_child.py"
TARGET_RATIO = 1.0
CONNECT_OPERATIONS = ("DescribeContact", "TransferContact", "UpdateContactAttributes", "GetCurrentUserData")
VARIANTS = ("ours", "bare", "ours-trimmed-model", "bare-trimmed-model")


# -- trimmed service model ---------------------------------------------------------------------------


def _shape_refs(node: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(node, dict):
        shape = node.get("shape")
        if isinstance(shape, str):
            found.add(shape)
        for value in node.values():
            found |= _shape_refs(value)
    elif isinstance(node, list):
        for value in node:
            found |= _shape_refs(value)
    return found


def _strip_docs(node: Any) -> Any:
    if isinstance(node, dict):
        return {key: _strip_docs(value) for key, value in node.items() if key != "documentation"}
    if isinstance(node, list):
        return [_strip_docs(value) for value in node]
    return node


def write_trimmed_connect_model(
    data_path: Path, operations: Sequence[str] = CONNECT_OPERATIONS
) -> dict[str, Any]:
    """A Connect service-2.json with only `operations` and the shapes they reach, under data_path."""
    import botocore

    source_dir = Path(botocore.__file__).parent / "data" / "connect"
    version_dir = sorted(p for p in source_dir.iterdir() if p.is_dir())[-1]
    source = version_dir / "service-2.json.gz"
    raw = (
        gzip.decompress(source.read_bytes())
        if source.exists()
        else (version_dir / "service-2.json").read_bytes()
    )
    model = json.loads(raw)
    kept_operations = {name: model["operations"][name] for name in operations}
    shapes: dict[str, Any] = {}
    todo = set().union(*(_shape_refs(op) for op in kept_operations.values()))
    while todo:
        name = todo.pop()
        if name in shapes:
            continue
        shapes[name] = model["shapes"][name]
        todo |= _shape_refs(shapes[name]) - shapes.keys()
    trimmed = _strip_docs(
        {
            "version": model.get("version", "2.0"),
            "metadata": model["metadata"],
            "operations": kept_operations,
            "shapes": shapes,
        }
    )
    target_dir = data_path / "connect" / version_dir.name
    target_dir.mkdir(parents=True, exist_ok=True)
    text = json.dumps(trimmed, separators=(",", ":"))
    (target_dir / "service-2.json").write_text(text)
    return {
        "operations": list(operations),
        "full_operations": len(model["operations"]),
        "full_shapes": len(model["shapes"]),
        "trimmed_shapes": len(shapes),
        "full_json_bytes": len(raw),
        "full_gzip_bytes": source.stat().st_size if source.exists() else None,
        "trimmed_json_bytes": len(text),
    }


# -- children ---------------------------------------------------------------------------------------


def _api_event(contact_id: str) -> dict[str, Any]:
    from local.api import build_rest_event
    from local.dev_tokens import make_dev_token, parse_dev_token
    from local.http_service import HttpRequest

    token = make_dev_token("agent-alice", ["agents"], "alice")
    body = json.dumps({"contactId": contact_id, "reason": "CUSTOMER_UNHAPPY"}).encode()
    request = HttpRequest(
        method="POST",
        path="/escalations",
        query="",
        headers=(("Content-Type", "application/json"), ("Authorization", f"Bearer {token}")),
        body=body,
    )
    return build_rest_event(request, parse_dev_token(f"Bearer {token}"))


def _bare_event(contact_id: str) -> dict[str, Any]:
    return {"instanceId": INSTANCE_ID, "contactId": contact_id, "flowId": QUEUE_FLOW, "queueId": TARGET_QUEUE}


def _run_child(
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


def _parse_importtime(stderr: str) -> dict[str, tuple[int, int]]:
    """module -> (self us, cumulative us) from `python -X importtime` output."""
    parsed: dict[str, tuple[int, int]] = {}
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        try:
            self_us, cumulative_us, name = (part.strip() for part in line[len("import time:") :].split("|"))
            parsed[name] = (int(self_us), int(cumulative_us))
        except ValueError:
            continue
    return parsed


def _importtime_report(samples: Sequence[dict[str, tuple[int, int]]], top: int = 15) -> dict[str, Any]:
    modules = set().union(*(s.keys() for s in samples))
    self_ms = {m: median([s[m][0] / 1000 for s in samples if m in s]) for m in modules}
    cumulative_ms = {m: median([s[m][1] / 1000 for s in samples if m in s]) for m in modules}
    by_package: dict[str, float] = defaultdict(float)
    for module, value in self_ms.items():
        by_package[module.split(".")[0]] += value
    return {
        "top_by_self_ms": [
            {"module": m, "self_ms": round(self_ms[m], 2), "cumulative_ms": round(cumulative_ms[m], 2)}
            for m in sorted(modules, key=lambda m: -self_ms[m])[:top]
        ],
        "top_packages_by_self_ms": [
            {"package": p, "self_ms": round(v, 2)}
            for p, v in sorted(by_package.items(), key=lambda kv: -kv[1])[:top]
        ],
        "total_import_ms": round(sum(self_ms.values()), 1),
        "modules_imported": len(modules),
    }


# -- the benchmark ----------------------------------------------------------------------------------


def run(size: int = 10, importtime_runs: int = 3, results_dir: Path = RESULTS_DIR) -> dict[str, Any]:
    from local.aws import LocalAws
    from local.connect_emulator import ConnectEmulator, ContactSeed, EmulatorOptions
    from local.stack import seed_instance

    samples: dict[str, list[dict[str, float]]] = {variant: [] for variant in VARIANTS}
    with tempfile.TemporaryDirectory(prefix="bench-cold-") as tmp:
        tmp_dir = Path(tmp)
        model_info = write_trimmed_connect_model(tmp_dir / "models")
        emulator = ConnectEmulator(EmulatorOptions(rate=None, seed=7))
        emulator.start()
        aws = LocalAws().start()
        try:
            seed_instance(emulator)
            base_env = {
                **stripped_environ(),
                **isolated_aws_env(tmp_dir),
                **aws.handler_env(emulator.endpoint_url),
                **handler_extra_env(),
                "PYTHONPATH": python_path_env(),
            }
            trimmed_env = {**base_env, "AWS_DATA_PATH": str(tmp_dir / "models")}
            # One unmeasured run of each: compiled bytecode exists and the page cache is warm for all.
            for kind in ("ours", "bare"):
                for env in (base_env, trimmed_env):
                    contact = emulator.add_contact(
                        ContactSeed(INSTANCE_ID, "TASK", queue_id=SOURCE_QUEUE, agent_id="agent-alice")
                    )
                    event = _api_event(contact) if kind == "ours" else _bare_event(contact)
                    _run_child(kind, event, env, tmp_dir)
            for round_index in range(size):
                shift = round_index % len(VARIANTS)
                for variant in VARIANTS[shift:] + VARIANTS[:shift]:
                    kind = variant.split("-")[0]
                    env = trimmed_env if variant.endswith("trimmed-model") else base_env
                    contact = emulator.add_contact(
                        ContactSeed(INSTANCE_ID, "TASK", queue_id=SOURCE_QUEUE, agent_id="agent-alice")
                    )
                    event = _api_event(contact) if kind == "ours" else _bare_event(contact)
                    child, wall, _ = _run_child(kind, event, env, tmp_dir)
                    if not child["ok"]:
                        raise RuntimeError(f"{variant} did not answer as expected: {child['answer']}")
                    samples[variant].append(
                        {
                            "in_child_seconds": child["total_seconds"],
                            "init_seconds": child["init_seconds"],
                            "subprocess_wall_seconds": wall,
                        }
                    )
            importtimes = []
            for _ in range(importtime_runs):
                contact = emulator.add_contact(
                    ContactSeed(INSTANCE_ID, "TASK", queue_id=SOURCE_QUEUE, agent_id="agent-alice")
                )
                _, _, stderr = _run_child(
                    "ours", _api_event(contact), base_env, tmp_dir, ["-X", "importtime"]
                )
                importtimes.append(_parse_importtime(stderr))
        finally:
            aws.stop()
            emulator.stop()
    result = _summarise(samples, model_info, _importtime_report(importtimes), size)
    write_results(NAME, result, _markdown(result), results_dir)
    return result


def _summarise(
    samples: dict[str, list[dict[str, float]]],
    model_info: dict[str, Any],
    importtime: dict[str, Any],
    size: int,
) -> dict[str, Any]:
    summary = {
        variant: {
            "median_in_child_ms": median([s["in_child_seconds"] for s in runs]) * 1000,
            "median_init_ms": median([s["init_seconds"] for s in runs]) * 1000,
            "median_subprocess_wall_ms": median([s["subprocess_wall_seconds"] for s in runs]) * 1000,
            "runs": len(runs),
        }
        for variant, runs in samples.items()
    }
    ours, bare = summary["ours"], summary["bare"]
    in_child_ratio = ratio(ours["median_in_child_ms"], bare["median_in_child_ms"])
    wall_ratio = ratio(ours["median_subprocess_wall_ms"], bare["median_subprocess_wall_ms"])
    verdict = verdict_at_most(in_child_ratio, TARGET_RATIO)
    trimmed = summary["ours-trimmed-model"]
    return {
        "parameters": {
            "runs_per_variant": size,
            "event": "API Gateway REST proxy, POST /escalations, Cognito authorizer claims (agent-alice)",
            "connect_quota": "none (cold start, not throttling, is measured)",
        },
        "target": {
            "ours_over_bare_at_most": TARGET_RATIO,
            "met": verdict.met,
            "verdict": verdict.text,
        },
        "ratios": {
            "ours_over_bare_in_child": in_child_ratio,
            "ours_over_bare_subprocess_wall": wall_ratio,
            "ours_trimmed_over_ours_in_child": ratio(
                trimmed["median_in_child_ms"], ours["median_in_child_ms"]
            ),
            "bare_trimmed_over_bare_in_child": ratio(
                summary["bare-trimmed-model"]["median_in_child_ms"], bare["median_in_child_ms"]
            ),
        },
        "trimmed_model_saves_ms_ours": ours["median_in_child_ms"] - trimmed["median_in_child_ms"],
        "trimmed_model_saves_ms_bare": bare["median_in_child_ms"]
        - summary["bare-trimmed-model"]["median_in_child_ms"],
        "trimmed_model": model_info,
        "summary": summary,
        "importtime_ours": importtime,
        "samples": samples,
    }


def _markdown(result: dict[str, Any]) -> str:
    rows = [
        [
            variant,
            f"{s['median_in_child_ms']:.0f}",
            f"{s['median_init_ms']:.0f}",
            f"{s['median_subprocess_wall_ms']:.0f}",
            s["runs"],
        ]
        for variant, s in result["summary"].items()
    ]
    r = result["ratios"]
    m = result["trimmed_model"]
    imports = result["importtime_ours"]
    import_rows = [[i["module"], i["self_ms"], i["cumulative_ms"]] for i in imports["top_by_self_ms"]]
    package_rows = [[i["package"], i["self_ms"]] for i in imports["top_packages_by_self_ms"]]
    return (
        f"Fresh process to first answer, {result['parameters']['runs_per_variant']} interleaved runs per "
        f"variant, medians. Ours: {result['parameters']['event']}; "
        "bare: import boto3, client('connect'), one "
        f"transfer_contact. Connect emulator without quota and moto, both over HTTP on 127.0.0.1.\n\n"
        f"Target: ours <= {TARGET_RATIO:.1f}x bare: **{'met' if result['target']['met'] else 'missed'}** - "
        f"{result['target']['verdict']} (in-child); "
        f"subprocess wall {r['ours_over_bare_subprocess_wall']:.2f}x.\n\n"
        + markdown_table(["variant", "in-child ms", "init ms", "subprocess wall ms", "runs"], rows)
        + "\n\ninit = up to the handler being callable "
        "(bare: boto3 imported and the client built at module level; "
        "ours: the handler module imported, clients are built on first use).\n\n"
        f"Trimmed Connect model via AWS_DATA_PATH ({len(m['operations'])} of {m['full_operations']} "
        f"operations, {m['trimmed_shapes']} of {m['full_shapes']} shapes, "
        f"{m['trimmed_json_bytes'] / 1024:.0f} KiB instead of {m['full_json_bytes'] / 1024:.0f} KiB JSON): "
        f"ours saves {result['trimmed_model_saves_ms_ours']:.0f} ms "
        f"({r['ours_trimmed_over_ours_in_child']:.2f}x), "
        f"bare saves {result['trimmed_model_saves_ms_bare']:.0f} ms "
        f"({r['bare_trimmed_over_bare_in_child']:.2f}x).\n\n"
        f"`python -X importtime` of ours' child (first answer included), median of runs: "
        f"{imports['modules_imported']} modules, {imports['total_import_ms']:.0f} ms of import time.\n\n"
        + markdown_table(["module (top 15 by self time)", "self ms", "cumulative ms"], import_rows)
        + "\n\n"
        + markdown_table(["top-level package", "self ms, summed"], package_rows)
    )


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog=f"python -m bench.{NAME}", description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=10, help="runs per variant (interleaved)")
    parser.add_argument("--importtime-runs", type=int, default=3)
    parser.add_argument("--results-dir", type=Path, default=RESULTS_DIR)
    args = parser.parse_args(argv)
    return run(size=args.size, importtime_runs=args.importtime_runs, results_dir=args.results_dir)


if __name__ == "__main__":
    main()
