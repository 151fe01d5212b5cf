"""Where a running `make serve` can be reached: written by it, read by `make seed`, `make metrics` and
`python -m local.send_event`. It imports nothing from the handler, so send_event runs without PYTHONPATH.

The serve process writes `serve.json` in its run directory (`.local-run/` by default) once the stack is
up and removes it when it stops; its metrics, as CloudWatch would count them, go to `metrics.json`
beside it, rewritten as they change.

serve, seed and metrics stay one `python -m` module per command (one per make target), sharing this one:
together they would pass 400 lines, and subcommands would add a dispatcher without removing any code.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

# LOCAL_RUN_DIR moves it (the tests run a serve process of their own beside a developer's).
DEFAULT_RUN_DIR = Path(os.environ.get("LOCAL_RUN_DIR") or Path(__file__).resolve().parents[1] / ".local-run")
RUN_INFO_FILE = "serve.json"
METRICS_FILE = "metrics.json"


class RunInfoMissingError(RuntimeError):
    """No `make serve` is running with this run directory."""


@dataclass(frozen=True)
class RunInfo:
    pid: int
    api_url: str
    connect_url: str
    aws_url: str  # moto: SQS, SNS, DynamoDB, SSM
    bus_url: str  # EventBridge PutEvents and Lambda Invoke
    function_name: str
    dlq_url: str
    handler_log: str
    mac_key_id: str = ""  # the KMS key that signs the DLQ's records (tools.redrive --mac-key-id)

    def save(self, run_dir: Path) -> Path:
        run_dir.mkdir(parents=True, exist_ok=True)
        path = run_dir / RUN_INFO_FILE
        write_atomically(path, json.dumps(asdict(self), indent=2))
        return path

    @classmethod
    def load(cls, run_dir: Path) -> RunInfo:
        path = run_dir / RUN_INFO_FILE
        try:
            fields: dict[str, Any] = json.loads(path.read_text())
        except FileNotFoundError:
            raise RunInfoMissingError(f"no {path}: start the local stack first with `make serve`") from None
        return cls(**fields)


def write_atomically(path: Path, text: str) -> None:
    """Readers never see a half-written file: write beside it, then rename over it."""
    scratch = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    scratch.write_text(text, encoding="utf-8")
    scratch.replace(path)


def run_log_path(run_dir: Path, started: datetime, kind: str) -> Path:
    """One run's own handler log: `handler-<kind>-<start time>.log`."""
    return run_dir / f"handler-{kind}-{started.strftime('%Y%m%d-%H%M%S')}.log"
