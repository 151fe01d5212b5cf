"""What tools.redrive prints: the run grouped by error code, each message it did not redrive, the summary.

Every line is escaped (tools/dead_letter_records.printable): a record's text cannot forge a report line.
"""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING

from tools.dead_letter_records import printable

if TYPE_CHECKING:
    from tools.redrive import RedriveSummary

PROGRESS_EVERY_SECONDS = 10.0


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
