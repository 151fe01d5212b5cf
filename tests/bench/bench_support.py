"""Runs a benchmark as its own command, as a user would, at whatever size a test gives it."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def run_benchmark(name: str, arguments: Sequence[str], results_dir: Path) -> None:
    """`python -m bench.<name> <arguments> --results-dir <results_dir>`, without this run's AWS settings."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AWS_", "POWERTOOLS_", "PYTEST_"))
    }
    env["PYTHONPATH"] = os.pathsep.join([str(REPO_ROOT / "lambdas"), str(REPO_ROOT)])
    completed = subprocess.run(
        [sys.executable, "-m", f"bench.{name}", *arguments, "--results-dir", str(results_dir)],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
