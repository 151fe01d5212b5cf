"""What tools.redrive found and prints: each message's outcome; then the run grouped by error code,
each message it did not redrive, the summary.

Every line is escaped (tools/dead_letter_records.printable): a record's text cannot forge a report line.
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Literal

from tools.dead_letter_records import Source, printable

PROGRESS_EVERY_SECONDS = 10.0

Outcome = Literal["redriven", "would-redrive", "kept", "refused", "skipped", "failed"]


@dataclass(frozen=True)
class MessageOutcome:
    message_id: str
    outcome: Outcome
    source: Source | None
    error_code: str = "-"
    decision: str = "-"
    detail: str = ""


@dataclass
class RedriveSummary:
    dry_run: bool = False
    outcomes: list[MessageOutcome] = field(default_factory=list)
    left_for_next_run: int = 0  # sent after the run started

    def count(self, *outcomes: Outcome) -> int:
        return sum(1 for item in self.outcomes if item.outcome in outcomes)

    @property
    def received(self) -> int:
        return len(self.outcomes)

    @property
    def redriven(self) -> int:  # in a dry run: how many would be
        return self.count("redriven", "would-redrive")

    @property
    def kept(self) -> int:  # never fixed by a redrive, not included
        return self.count("kept")

    @property
    def refused(self) -> int:  # failed verification, or would replay what is never replayed
        return self.count("refused")

    @property
    def skipped(self) -> int:  # unrecognised messages, left in the queue
        return self.count("skipped")

    @property
    def failed(self) -> int:  # invoke (or delete) failures, left in the queue
        return self.count("failed")

    @property
    def ok(self) -> bool:
        return self.failed == 0 and self.refused == 0

    def by_code(self) -> Counter[tuple[str, str, Outcome]]:
        return Counter((item.error_code, item.decision, item.outcome) for item in self.outcomes)


def summary_line(summary: RedriveSummary) -> str:
    prefix = "dry run: " if summary.dry_run else ""
    verb = "would redrive" if summary.dry_run else "redriven"
    return (
        f"{prefix}received {summary.received}, {verb} {summary.redriven}, kept {summary.kept}, "
        f"refused {summary.refused}, skipped {summary.skipped}, failed {summary.failed}, "
        f"left for the next run {summary.left_for_next_run}"
    )


def grouped_report(summary: RedriveSummary) -> list[str]:
    """The run's messages counted by error code, decision and outcome: what an operator looks at first."""
    lines = [f"{'count':>5}  {'error code':<32} {'decision':<12} outcome"]
    for (code, decision, outcome), count in sorted(summary.by_code().items(), key=lambda kv: (-kv[1], kv[0])):
        lines.append(f"{count:>5}  {printable(code):<32} {printable(decision):<12} {outcome}")
    return lines


class ProgressPrinter:
    """A line on stderr at most every PROGRESS_EVERY_SECONDS, so a long run is never silent."""

    def __init__(self) -> None:
        self._last = time.monotonic()

    def __call__(self, summary: RedriveSummary) -> None:
        now = time.monotonic()
        if now - self._last >= PROGRESS_EVERY_SECONDS:
            self._last = now
            print(f"redrive: … {summary_line(summary)}", file=sys.stderr, flush=True)  # numbers only


def report_lines(summary: RedriveSummary) -> list[str]:
    """The grouped counts, a line per message not redriven (no message body), then the summary."""
    lines = grouped_report(summary)
    for item in summary.outcomes:
        if item.outcome != "redriven":
            line = (
                f"{item.outcome:<13} {item.message_id} {item.source or '-'} {item.error_code} {item.detail}"
            )
            lines.append(printable(line.rstrip()))
    lines.append(summary_line(summary))
    return lines
