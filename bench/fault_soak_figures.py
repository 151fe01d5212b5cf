"""bench.fault_soak's figures: what it reports and checks, the desktop's answers held against Connect and
the ledger, the handler's ERROR lines, and the results' table."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.common import markdown_table

# A started fault lasts this many requests of its call.
FAULT_BURST = 3
REPORTED = (
    "escalations",
    "api",
    "events",
    "at_transfer_limit",
    "transferred",
    "in_dlq",
    "handler_dead_letters",
    "lambda_destination_records",
    "alerts",
    "ledger_behind_connect_in_dlq",
    "transferred_and_in_dlq",
    "desktop_gave_up",
    "requests_through_proxy",
    "requests_failed",
    "faults_started",
    "seconds",
)
CHECKED = (
    "lost",
    "transferred_twice",
    "alerts_lost",
    "duplicate_dead_letters",
    "answers_contradicting",
)


@dataclass
class DesktopClick:
    contact: str
    key: str
    escalation_id: str
    # Each answer: status, body, and whether the ledger held the escalation's confirmed transfer then.
    answers: list[tuple[int, dict[str, Any], bool]] = field(default_factory=list)


def contradictions(
    clicks: list[DesktopClick], ledger: dict[str, Any], moved: Counter[str], new_contact: dict[str, str]
) -> list[tuple[str, str]]:
    """(contact, why) for answers that claim what did not happen, or that the ledger contradicts."""
    wrong = []
    for click in clicks:
        for status, body, confirmed_then in click.answers:
            message = str(body.get("message", ""))
            if confirmed_then and status != 200 and "was transferred" not in message:
                wrong.append(
                    (click.contact, f"answered {status} {body.get('error')} after a confirmed transfer")
                )
            if status == 200 and not moved[click.contact]:
                wrong.append((click.contact, "answered 200 without a transfer"))
            if status == 200 and body.get("newContactId") not in (None, new_contact.get(click.contact)):
                wrong.append((click.contact, "answered another new contact than Connect created"))
        status, _, _ = click.answers[-1]
        entry = ledger.get(click.contact)
        if status == 200 and (entry is None or entry.status.value != "TRANSFERRED"):
            wrong.append((click.contact, f"answered 200, the ledger says {getattr(entry, 'status', None)}"))
    return sorted(set(wrong))


def error_lines(log_path: Path) -> dict[str, set[str]]:
    """Escalation ids of the handler's ERROR lines, by message."""
    found: dict[str, set[str]] = {"Alert not published": set(), "Dead-letter record not written": set()}
    if not log_path.exists():
        return found
    with log_path.open(encoding="utf-8") as log:
        for line in log:
            if '"level":"ERROR"' not in line:
                continue
            record = json.loads(line)
            found.setdefault(record.get("message", ""), set()).add(str(record.get("escalation_id")))
    return found


def check(result: dict[str, Any]) -> list[str]:
    f = result["figures"]
    return [f"{name} = {f[name]}, expected 0" for name in CHECKED if f[name] != 0]


def markdown(result: dict[str, Any]) -> str:
    f, p = result["figures"], result["parameters"]
    reported = (*CHECKED, *REPORTED)
    rows = [[name.replace("_", " "), f[name]] for name in reported]
    share = f["faults_started"] / max(1, f["escalations"])
    return (
        f"N = {f['escalations']} escalations ({f['api']} from the desktop, {f['events']} as events; "
        f"{f['at_transfer_limit']} at Connect's transfer limit). Every dependency call starts a fault "
        f"with chance {p['fault_chance']} (a 500, a throttle or a dropped connection, lasting "
        f"{FAULT_BURST} requests): {f['faults_started']} faults, {share:.2f} per escalation, "
        f"{f['requests_failed']} of {f['requests_through_proxy']} requests failed.\n\n"
        f"{markdown_table(['figure', 'value'], rows)}\n\n"
        f"Desktop answers seen: {json.dumps(f['desktop_answers'], sort_keys=True)}.\n\n"
        f"ERROR log lines: {json.dumps(f['error_log_lines'], sort_keys=True)}.\n\n"
        f"Lambda's on-failure records (its retries ran out), by error: "
        f"{json.dumps(f['destination_record_errors'], sort_keys=True)}.\n\n"
        f"Faults by call: {json.dumps(f['faults_by_call'], sort_keys=True)}.\n\n"
        f"Promises (`--check`): {result['target']['verdict']}.\n"
    )
