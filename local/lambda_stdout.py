"""Collects what the in-process handler prints: Powertools' JSON logs and EMF metrics.

In Lambda, stdout goes to CloudWatch Logs, which turns EMF lines into metrics. Locally this collector
takes that role: JSON lines go to a log file and EMF metrics are summed by name and dimensions, while
anything else (the demo's own text) passes through to the terminal.
"""

from __future__ import annotations

import io
import json
import threading
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

Dimensions = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class EmfSample:
    """The values one EMF line gives one metric."""

    name: str
    dimensions: Dimensions  # (name, value) pairs, sorted
    values: tuple[float, ...]
    unit: str


def emf_samples(line: str) -> list[EmfSample]:
    """The metric values in one stdout line in CloudWatch's embedded metric format (none for other lines)."""
    if not line.startswith("{"):
        return []
    try:
        record = json.loads(line)
    except ValueError:
        return []
    if not isinstance(record, dict) or "_aws" not in record:
        return []
    samples = []
    for directive in record["_aws"].get("CloudWatchMetrics", []):
        dimension_names = [name for group in directive.get("Dimensions", []) for name in group]
        dimensions = tuple(sorted((name, str(record.get(name, ""))) for name in dimension_names))
        for metric in directive.get("Metrics", []):
            value = record.get(metric["Name"])
            values = tuple(
                v for v in (value if isinstance(value, list) else [value]) if isinstance(v, int | float)
            )
            samples.append(EmfSample(metric["Name"], dimensions, values, metric.get("Unit", "None")))
    return samples


class LambdaStdout(io.TextIOBase):
    """The handler's stdout: JSON lines to a log file, EMF metrics summed, other text to the terminal."""

    def __init__(self, terminal: TextIO, log_path: Path) -> None:
        super().__init__()
        self._terminal = terminal
        log_path.parent.mkdir(parents=True, exist_ok=True)
        # Line-buffered: the log can be followed (`tail -f`) while requests happen.
        self._log = log_path.open("a", encoding="utf-8", buffering=1)
        self._lock = threading.Lock()
        self._partial: dict[int, str] = {}  # per thread: handler threads print concurrently
        self.metrics: defaultdict[tuple[str, Dimensions], float] = defaultdict(float)
        self.samples: Counter[tuple[str, Dimensions]] = Counter()
        self.units: dict[str, str] = {}

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        thread = threading.get_ident()
        with self._lock:
            buffered = self._partial.pop(thread, "") + text
            *lines, rest = buffered.split("\n")
            if rest:
                self._partial[thread] = rest
            for line in lines:
                self._route(line)
        return len(text)

    def flush(self) -> None:
        with self._lock:
            self._terminal.flush()
            self._log.flush()

    def close(self) -> None:
        with self._lock:
            self._log.close()
        super().close()

    def _route(self, line: str) -> None:
        if not line.startswith("{"):
            self._terminal.write(line + "\n")
            return
        self._log.write(line + "\n")
        for sample in emf_samples(line):
            key = (sample.name, sample.dimensions)
            self.metrics[key] += sum(sample.values)
            self.samples[key] += len(sample.values)
            self.units[sample.name] = sample.unit

    def summary(self) -> list[tuple[str, str]]:
        """(metric name with its non-service dimensions, value) — counts summed, timings averaged."""
        sums: defaultdict[str, float] = defaultdict(float)
        samples: Counter[str] = Counter()
        units: dict[str, str] = {}
        with self._lock:
            for (name, dimensions), value in self.metrics.items():
                extra = ",".join(f"{k}={v}" for k, v in dimensions if k not in {"service", "function_name"})
                label = f"{name}[{extra}]" if extra else name
                sums[label] += value
                samples[label] += self.samples[(name, dimensions)]
                units[label] = self.units.get(name, "None")
        rows = []
        for label in sorted(sums):
            if units[label] == "Milliseconds":
                mean = sums[label] / max(samples[label], 1)
                rows.append((label, f"mean {mean:.0f} ms over {samples[label]}"))
            else:
                rows.append((label, f"{sums[label]:g}"))
        return rows
