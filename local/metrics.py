"""`make metrics`: the metrics of a running `make serve`, as CloudWatch would count them.

    python -m local.metrics [--run-dir DIR]

The serve process sums the handler's EMF lines (`local.lambda_stdout`) and rewrites `metrics.json` in
its run directory whenever they change (`MetricsWriter`); this prints that file.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path

from local.lambda_stdout import LambdaStdout
from local.run_info import DEFAULT_RUN_DIR, METRICS_FILE, RunInfo, RunInfoMissingError, write_atomically

WRITE_EVERY_SECONDS = 0.5


class MetricsWriter:
    """Rewrites `metrics.json` from the collector's summary while it changes, on a daemon thread."""

    def __init__(self, output: LambdaStdout, run_dir: Path) -> None:
        self.output = output
        self.path = run_dir / METRICS_FILE
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="metrics-writer", daemon=True)
        self._last: list[tuple[str, str]] | None = None

    def start(self) -> MetricsWriter:
        self.write()
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.path.unlink(missing_ok=True)

    def write(self) -> None:
        rows = self.output.summary()
        if rows == self._last:
            return
        document = {"updated": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "metrics": rows}
        write_atomically(self.path, json.dumps(document, indent=2))
        self._last = rows

    def _run(self) -> None:
        while not self._stop.wait(WRITE_EVERY_SECONDS):
            self.write()


def render(document: dict[str, object]) -> list[str]:
    rows = document.get("metrics") or []
    assert isinstance(rows, list)
    lines = [f"Metrics (EMF, as CloudWatch would count them), updated {document.get('updated')}:"]
    if not rows:
        lines.append("  none yet: no escalation has run")
    lines.extend(f"  {name:48} {value}" for name, value in rows)
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m local.metrics", description="Print the metrics of a running `make serve`."
    )
    parser.add_argument(
        "--run-dir", type=Path, default=DEFAULT_RUN_DIR, help="the serve process's run directory"
    )
    args = parser.parse_args(argv)
    try:
        RunInfo.load(args.run_dir)
        document = json.loads((args.run_dir / METRICS_FILE).read_text())
    except (RunInfoMissingError, FileNotFoundError) as error:
        print(error if isinstance(error, RunInfoMissingError) else "no metrics file yet", file=sys.stderr)
        return 2
    print("\n".join(render(document)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
