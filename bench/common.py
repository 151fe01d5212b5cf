"""Shared pieces of the benchmarks: machine description, result files, statistics, events, environment.

Every benchmark writes `bench/results/<name>.json` (figures + machine + date) and `<name>.md` (a short
table). Figures are medians and ratios: the machine is shared and noisy, so absolute times move between
runs while a baseline measured in the same run moves with ours.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from escalation.contract import SLA_BREACH_DETAIL_TYPE, SLA_BREACH_SOURCE
from infra import package
from infra.config import DEFAULT_MEMORY_MB

REPO_ROOT = Path(__file__).resolve().parents[1]
LAMBDAS_DIR = REPO_ROOT / "lambdas"
RESULTS_DIR = REPO_ROOT / "bench" / "results"
ROUTING_RULES_FILE = LAMBDAS_DIR / "escalation" / "routing_rules.json"

INSTANCE_ID = "demo-instance"  # local.stack.INSTANCE_ID: the bundled routing rules name its queues/flows
SOURCE_QUEUE = "queue-tier1"
TARGET_QUEUE = "queue-tier2"  # where the bundled rules send a first TASK/EMAIL escalation
QUEUE_FLOW = "flow-transfer-to-queue"
LAMBDA_TIMEOUT_SECONDS = 20.0  # infra/compute.py TIMEOUT
LAMBDA_MEMORY_MB = DEFAULT_MEMORY_MB  # what the stack deploys unless -c memorySize= says otherwise
RESERVED_CONCURRENCY = 5  # infra/config.py default reserved concurrency (K)


def _version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "not installed"


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def code_version() -> dict[str, Any]:
    """The commit measured, and production files that differed from it (others work in this checkout)."""

    def git(*args: str) -> str:
        try:
            completed = subprocess.run(
                ["git", *args], cwd=REPO_ROOT, capture_output=True, text=True, timeout=10, check=False
            )
        except (OSError, subprocess.SubprocessError):
            return ""
        return completed.stdout.rstrip("\n") if completed.returncode == 0 else ""

    dirty = git("status", "--porcelain", "--", "lambdas", "local")
    return {
        "git_commit": git("rev-parse", "--short", "HEAD").strip() or "unknown",
        "uncommitted_production_changes": [line[3:] for line in dirty.splitlines() if line.strip()],
    }


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    return {
        **code_version(),
        "nproc": os.cpu_count(),
        "cpu_model": cpu_model(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "boto3": _version("boto3"),
        "botocore": _version("botocore"),
        "aws_lambda_powertools": _version("aws-lambda-powertools"),
        "moto": _version("moto"),
        "pydantic": _version("pydantic"),
        # Other work on the machine moves absolute times: the load when the figures were written.
        "load_average_1_5_15_min": [round(load, 2) for load in os.getloadavg()],
    }


def now_iso() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def machine_line(info: Mapping[str, Any]) -> str:
    return (
        f"Machine: {info['nproc']} CPU(s), {info['cpu_model']}, Python {info['python']}, "
        f"boto3 {info['boto3']}, botocore {info['botocore']}, "
        f"Powertools {info['aws_lambda_powertools']}, moto {info['moto']}. "
        + (
            "Load average (1/5/15 min) at the end: "
            + "/".join(f"{load:g}" for load in info["load_average_1_5_15_min"])
            + ". "
            if "load_average_1_5_15_min" in info
            else ""
        )
        + f"Code: commit {info.get('git_commit', 'unknown')}"
        + (
            f" with uncommitted changes in {', '.join(info['uncommitted_production_changes'])}."
            if info.get("uncommitted_production_changes")
            else "."
        )
    )


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def write_results(
    name: str,
    result: dict[str, Any],
    markdown_body: str,
    results_dir: Path = RESULTS_DIR,
) -> tuple[Path, Path]:
    """Write `<name>.json` and `<name>.md`; the machine and date are added to both."""
    results_dir.mkdir(parents=True, exist_ok=True)
    info = result.setdefault("machine", machine())
    result.setdefault("date", now_iso())
    result.setdefault("benchmark", name)
    json_path = results_dir / f"{name}.json"
    md_path = results_dir / f"{name}.md"
    json_path.write_text(json.dumps(result, indent=2, sort_keys=False) + "\n")
    md_path.write_text(
        f"# {name}\n\n{machine_line(info)} Date: {result['date']}. {load_sentence(result)}".rstrip()
        + f"\n\n{markdown_body.strip()}\n"
    )
    return json_path, md_path


# -- statistics -------------------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100) by linear interpolation between closest ranks."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100.0
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def spread(values: Sequence[float]) -> dict[str, float]:
    """Median, interquartile range and extremes: how far one run can be from the next."""
    return {
        "median": median(values),
        "q1": percentile(values, 25),
        "q3": percentile(values, 75),
        "min": min(values) if values else float("nan"),
        "max": max(values) if values else float("nan"),
        "n": len(values),
    }


def spread_text(figures: Mapping[str, float], fmt: str = ".2f", unit: str = "x") -> str:
    """'1.02x (min-max 1.01-1.04x, 3 runs)' or, with one run, '1.02x (1 run)'."""
    if figures["n"] <= 1:
        return f"{figures['median']:{fmt}}{unit} (1 run)"
    return (
        f"{figures['median']:{fmt}}{unit} (min-max {figures['min']:{fmt}}-{figures['max']:{fmt}}{unit}, "
        f"{figures['n']:g} runs)"
    )


def iqr_text(iqr: Sequence[float]) -> str:
    return f"IQR {iqr[0]:.2f}-{iqr[1]:.2f}x"


def ratio(ours: float, theirs: float) -> float:
    return ours / theirs if theirs else float("inf")


@dataclass(frozen=True)
class Verdict:
    met: bool
    text: str  # "met (0.93x <= 1.10x)" or "missed by 12 %"


def verdict_at_most(value: float, target: float, unit: str = "x") -> Verdict:
    """A target of the form value <= target."""
    if value <= target:
        return Verdict(True, f"met ({value:.2f}{unit} <= {target:.2f}{unit})")
    over = (value / target - 1.0) * 100.0 if target else float("inf")
    return Verdict(False, f"missed by {over:.0f} % ({value:.2f}{unit} > {target:.2f}{unit})")


# -- events and environment -------------------------------------------------------------------------


def sla_event(contact_id: str, instance_id: str = INSTANCE_ID) -> dict[str, Any]:
    """An EventBridge "Contact SLA Breached" event as the deployed rule hands it to the Lambda."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": SLA_BREACH_DETAIL_TYPE,
        "source": SLA_BREACH_SOURCE,
        "account": "123456789012",
        "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": "us-east-1",
        "resources": [],
        "detail": {"contactId": contact_id, "instanceId": instance_id, "slaSeconds": 3600},
    }


API_CALLER = "agent-alice"  # the Connect user id in api_event's token; seed contacts with this agent


def api_event(contact_id: str) -> dict[str, Any]:
    """POST /escalations as API Gateway hands it over: a REST proxy event with Cognito authorizer claims."""
    from local.api import build_rest_event  # noqa: PLC0415 - as below
    from local.dev_tokens import make_dev_token, parse_dev_token  # noqa: PLC0415
    from local.http_service import HttpRequest  # noqa: PLC0415

    token = make_dev_token(API_CALLER, ["agents"], "alice")
    body = json.dumps({"contactId": contact_id, "reason": "CUSTOMER_UNHAPPY"}).encode()
    request = HttpRequest(
        method="POST",
        path="/escalations",
        query="",
        headers=(("Content-Type", "application/json"), ("Authorization", f"Bearer {token}")),
        body=body,
    )
    return build_rest_event(request, parse_dev_token(f"Bearer {token}"))


def handler_extra_env(routing_rules: Path = ROUTING_RULES_FILE) -> dict[str, str]:
    """What the handler needs beyond LocalAws.handler_env (as local.stack sets it), output quietened."""
    from local.dev_tokens import LOCAL_CLIENT_ID  # noqa: PLC0415 - only when needed

    return {
        "CONNECT_INSTANCE_ID": INSTANCE_ID,
        "CONNECT_INSTANCE_ARN": f"arn:aws:connect:us-east-1:123456789012:instance/{INSTANCE_ID}",
        "ROUTING_RULES": str(routing_rules),
        "CALLER_CLIENT_IDS": LOCAL_CLIENT_ID,
        "POWERTOOLS_SERVICE_NAME": "escalation",
        "POWERTOOLS_METRICS_NAMESPACE": "ConnectEscalation",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_LOG_LEVEL": "INFO",
        "AWS_LAMBDA_FUNCTION_NAME": "escalation",
        **package.RUNTIME_ENVIRONMENT,  # as the stack sets it
    }


# Any valid X-Ray trace header: Lambda sets one per invocation when tracing is active (Sampled=1).
LAMBDA_TRACE_HEADER = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"


def lambda_runtime_env(xray_daemon_port: int) -> dict[str, str]:
    """What Lambda's Python 3.13 runtime sets in a function whose tracing is Active (as the stack deploys it).

    LAMBDA_TASK_ROOT is what Powertools' Tracer and the X-Ray SDK look at to know they run in Lambda
    (without it the Tracer disables itself, or the SDK builds a sampler with its own botocore client);
    the daemon address is a local UDP port nobody reads, so segments are sent and dropped.
    """
    return {
        "LAMBDA_TASK_ROOT": str(LAMBDAS_DIR),
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.13",
        "AWS_LAMBDA_FUNCTION_NAME": "escalation",
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(LAMBDA_MEMORY_MB),
        "_X_AMZN_TRACE_ID": LAMBDA_TRACE_HEADER,
        "AWS_XRAY_DAEMON_ADDRESS": f"127.0.0.1:{xray_daemon_port}",
        "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
    }


def traced_handler_env(xray_daemon_port: int, routing_rules: Path = ROUTING_RULES_FILE) -> dict[str, str]:
    """handler_extra_env with tracing active as deployed, inside lambda_runtime_env."""
    env = {**handler_extra_env(routing_rules), **lambda_runtime_env(xray_daemon_port)}
    del env["POWERTOOLS_TRACE_DISABLED"]
    return env


def python_path_env(lambdas_dir: Path = LAMBDAS_DIR) -> str:
    """PYTHONPATH for a child: the handler's code from `lambdas_dir` (this checkout's, or a packaged
    copy, in which case this checkout's `lambdas/` is left out so that the copy is what gets imported)."""
    parts = [str(lambdas_dir), str(REPO_ROOT)]
    existing = os.environ.get("PYTHONPATH")
    if existing:
        parts += [
            entry
            for entry in existing.split(os.pathsep)
            if lambdas_dir == LAMBDAS_DIR or not entry or Path(entry).resolve() != LAMBDAS_DIR
        ]
    return os.pathsep.join(parts)


def stripped_environ() -> dict[str, str]:
    """os.environ without AWS_* and POWERTOOLS_* variables, for children that get their own."""
    return {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AWS_", "POWERTOOLS_")) and key not in ("CONNECT_INSTANCE_ID", "ROUTING_RULES")
    }


def load_average() -> list[float]:
    """The 1/5/15-minute load average now (recorded at a benchmark's start and end)."""
    return [round(load, 2) for load in os.getloadavg()]


def load_sentence(result: Mapping[str, Any]) -> str:
    """What the load was while `result` was measured (its load_average_at_start/_at_end), or ''."""
    if "load_average_at_start" not in result:
        return ""
    start, end = (
        "/".join(f"{x:g}" for x in result[key]) for key in ("load_average_at_start", "load_average_at_end")
    )
    nproc = os.cpu_count() or 0
    loaded = max(result["load_average_at_start"][0], result["load_average_at_end"][0]) >= nproc
    return (
        f"Load average (1/5/15 min) at the start {start}, at the end {end}"
        + (f": measured on a loaded {nproc}-core machine (shared with other work)" if loaded else "")
        + ". Absolute times move with the load; the paired ratios move less. "
    )
