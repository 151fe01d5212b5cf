"""fault_soak: N escalations through the local stack while every dependency fails now and then.

    python -m bench.fault_soak [--size 2000] [--fault-chance 0.022] [--seed 19] [--check]

The production handler runs in a LocalStack with local.fault_proxy between its clients and moto, the
Connect emulator and the bus. Half the escalations come from the desktop (`POST /escalations`, retried
with the same Idempotency-Key while the answer asks for it: 429, 503, 409 in progress), half as
SLA-breach events (Lambda retries them). A tenth of the contacts already reached Connect's transfer
limit, so that their escalations fail for good (a DLQ record and an alert each). Emails in Tier 1 arm
SLA timers (never fired here), so Scheduler is called too.

Every call of every dependency (the idempotency table, the ledger, the alert window and dead-letter
marks, SQS, SNS, EventBridge PutEvents, Scheduler Create/Delete, each Connect call) starts a fault
with `--fault-chance`: a 500, a throttle or a dropped connection (for TransferContact also an answer
dropped after the transfer took effect), lasting 3 requests, longer than botocore's attempts.

Reported, as measured at the end: lost (neither transferred nor in the DLQ), transferred twice, alerts
lost (a failure that calls for an alert with neither an alert nor an ERROR line for it), duplicate DLQ
records (the handler's, per escalation and error), answers contradicting the ledger or Connect, and
the faults injected. `--check` exits 1 unless each of the five is 0.
"""

# ruff: noqa: PLC0415 - imports are deferred on purpose: the environment is set first
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench.common import (
    INSTANCE_ID,
    RESULTS_DIR,
    ROUTING_RULES_FILE,
    write_results,
)
from bench.fault_soak_figures import (
    FAULT_BURST,
    DesktopClick,
    check,
    contradictions,
    error_lines,
    markdown,
)

NAME = "fault_soak"
REASON = "CUSTOMER_UNHAPPY"
TRANSFER_LIMIT = 11
DESKTOP_ATTEMPTS = 100
# An in-progress record whose deletion failed holds a repeat off until it expires: at most the
# function's timeout (Powertools' in-progress expiry). The desktop keeps retrying that long.
DESKTOP_PATIENCE_SECONDS = 45.0
# Every dependency call the escalation, its recording and the SLA timers make.
FAULTED_CALLS = (
    ("dynamodb", "PutItem"),
    ("dynamodb", "UpdateItem"),
    ("dynamodb", "Query"),
    ("dynamodb", "GetItem"),
    ("dynamodb", "DeleteItem"),
    ("connect", "DescribeContact"),
    ("connect", "TransferContact"),
    ("connect", "UpdateContactAttributes"),
    ("sqs", "SendMessage"),
    ("sns", "Publish"),
    ("events", "PutEvents"),
    ("scheduler", "CreateSchedule"),
    ("scheduler", "DeleteSchedule"),
)
PROGRESS_EVERY_SECONDS = 10.0


@dataclass(frozen=True)
class Parameters:
    size: int = 2000
    fault_chance: float = 0.022  # per request: the chance it starts a fault
    limit_share: float = 0.1
    seed: int = 19
    drain_timeout: float = 1800.0


def _rules(seed_document: dict[str, Any], tmp: Path) -> Path:
    document = dict(seed_document)
    # Emails in either queue: an escalated email's new contact, queued in Tier 2 while faults are on,
    # arms its own timer (CreateSchedule) and cancels the old one's (DeleteSchedule).
    document["sla"] = [
        {
            "name": "emails",
            "match": {"queues": ["queue-tier1", "queue-tier2"], "channels": ["EMAIL"]},
            "seconds": 3600,
        }
    ]
    path = tmp / "routing_rules.json"
    path.write_text(json.dumps(document))
    return path


def _fault_rules(chance: float) -> list[Any]:
    from local.fault_proxy import FaultRule

    rules = []
    for service, operation in FAULTED_CALLS:
        modes = ["500", "throttle", "drop"] + (["drop-after"] if operation == "TransferContact" else [])
        rules += [
            FaultRule(service, operation, mode, probability=chance / len(modes), burst=FAULT_BURST)
            for mode in modes
        ]
    return rules


def run(params: Parameters, results_dir: Path = RESULTS_DIR) -> dict[str, Any]:
    from escalation.contract import EnvVar
    from local.aws_isolation import isolated_aws_variables
    from local.stack import LocalStack, StackOptions

    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="bench-soak-") as tmp:
        os.environ.update(isolated_aws_variables(Path(tmp)))
        rules = _rules(json.loads(ROUTING_RULES_FILE.read_text()), Path(tmp))
        options = StackOptions(
            api_port=0,
            transfer_rate=None,
            api_throttle_rate=None,
            seed=params.seed,
            sla_timers=True,
            scheduler_clock=lambda: 0.0,  # timers are armed and cancelled, never fired
            fault_proxy=True,
            handler_log=Path(tmp) / "handler.log",
            extra_env={EnvVar.ROUTING_RULES: str(rules), EnvVar.CONNECT_MAX_ATTEMPTS: "2"},
        )
        with LocalStack(options) as stack:
            figures = _drive(stack, params)
            figures["seconds"] = round(time.monotonic() - started, 1)
    result: dict[str, Any] = {"parameters": asdict(params), "figures": figures}
    failures = check(result)
    result["target"] = {"met": not failures, "verdict": "met" if not failures else "; ".join(failures)}
    write_results(NAME, result, markdown(result), results_dir)
    return result


def _drive(stack: Any, params: Parameters) -> dict[str, Any]:
    import boto3

    n_api = params.size // 2
    limit_every = round(1 / params.limit_share) if params.limit_share else 0

    def contact(i: int, agent: str | None) -> str:
        limit = bool(limit_every) and i % limit_every == 0
        channel = ("TASK", "EMAIL")[i % 2]
        return stack.add_contact(
            channel, queue_id="queue-tier1", agent_id=agent, transfer_count=TRANSFER_LIMIT if limit else 0
        )

    api_contacts = [contact(i, "agent-alice") for i in range(n_api)]
    event_contacts = [contact(i, None) for i in range(params.size - n_api)]
    limited = {c for i, c in enumerate(api_contacts) if limit_every and i % limit_every == 0}
    limited |= {c for i, c in enumerate(event_contacts) if limit_every and i % limit_every == 0}
    assert stack.bus.wait_idle(params.drain_timeout)  # the QUEUED events of the new emails
    stack.faults.seed(params.seed)
    stack.faults.add(*_fault_rules(params.fault_chance))

    producer = boto3.client("events", endpoint_url=stack.bus.endpoint_url)  # not through the proxy
    for start in range(0, len(event_contacts), 10):
        batch = event_contacts[start : start + 10]
        producer.put_events(Entries=[_breach_entry(c) for c in batch])
    clicks, last_said = [], time.monotonic()
    for done, contact_id in enumerate(api_contacts, 1):
        clicks.append(_click(stack, contact_id))
        if time.monotonic() - last_said >= PROGRESS_EVERY_SECONDS:  # never silent for long
            print(f"fault_soak: {done}/{len(api_contacts)} desktop escalations", file=sys.stderr, flush=True)
            last_said = time.monotonic()
    while not stack.bus.wait_idle(PROGRESS_EVERY_SECONDS):
        print(f"fault_soak: events still running ({stack.bus.stats})", file=sys.stderr, flush=True)
    injected = dict(stack.faults.injected)
    seen = dict(stack.faults.seen)
    stack.faults.clear()
    assert stack.bus.wait_idle(params.drain_timeout)
    return _measure(stack, clicks, event_contacts, limited, injected, seen)


def _breach_entry(contact_id: str) -> dict[str, Any]:
    from escalation.contract import SLA_BREACH_DETAIL_TYPE, SLA_BREACH_SOURCE

    detail = {"contactId": contact_id, "instanceId": INSTANCE_ID, "reason": REASON}
    return {"Source": SLA_BREACH_SOURCE, "DetailType": SLA_BREACH_DETAIL_TYPE, "Detail": json.dumps(detail)}


def _click(stack: Any, contact: str) -> DesktopClick:
    from escalation.contract import EnvVar
    from escalation.domain.identity import escalation_id
    from tests.integration.support import ALICE, _id_secret, post

    key = f"soak-{contact}"
    # Keyed as the handler keys it, with the stack's secret (its KMS MAC key).
    secret = _id_secret(os.environ[EnvVar.DEAD_LETTER_MAC_KEY_ID])
    click = DesktopClick(contact, key, escalation_id(secret, INSTANCE_ID, contact, REASON, key))
    deadline = time.monotonic() + DESKTOP_PATIENCE_SECONDS
    for attempt in range(DESKTOP_ATTEMPTS):
        answer = post(stack, ALICE, {"contactId": contact, "reason": REASON}, idempotency_key=click.key)
        body = answer.body if isinstance(answer.body, dict) else {}
        click.answers.append((answer.status, body, _confirmed(stack, contact, click.escalation_id)))
        if not _asks_for_retry(answer.status, body) or time.monotonic() > deadline:
            break
        time.sleep(min(0.05 * (attempt + 1), 1.0))
    return click


def _confirmed(stack: Any, contact: str, escalation: str) -> bool:
    """Whether the ledger holds this escalation's confirmed transfer (the chain is the contact's own)."""
    from escalation.contract import LEDGER_PARTITION_KEY, LEDGER_SORT_KEY

    item = (
        stack.aws.dynamodb()
        .get_item(
            TableName=stack.aws.ledger_table,
            Key={LEDGER_PARTITION_KEY: {"S": contact}, LEDGER_SORT_KEY: {"S": escalation}},
            ConsistentRead=True,
        )
        .get("Item")
    )
    return bool(item) and item["status"]["S"] == "TRANSFERRED"


def _asks_for_retry(status: int, body: dict[str, Any]) -> bool:
    return status in (429, 503) or body.get("error") == "ESCALATION_IN_PROGRESS"


def _measure(
    stack: Any,
    clicks: list[DesktopClick],
    event_contacts: list[str],
    limited: set[str],
    injected: dict[str, int],
    seen: dict[str, int],
) -> dict[str, Any]:
    from tests.integration.support import event_escalation_id, is_destination_record, record_contact_id

    transfers = list(stack.connect.ledger())
    moved = Counter(t["contact_id"] for t in transfers)
    tokens = Counter(t["client_token"] for t in transfers)
    new_contact = {t["contact_id"]: t["new_contact_id"] for t in transfers}
    dlq = stack.dlq_records()
    handler_records = [r for r in dlq if not is_destination_record(r)]
    in_dlq = Counter(record_contact_id(r) for r in dlq)
    alerted = Counter(a.json().get("contactId") for a in stack.aws.alerts())
    ledger = {entry.contact_id: entry for entry in stack.aws.ledger()}
    errors = error_lines(stack.options.handler_log)

    ids = {c.contact: c.escalation_id for c in clicks}
    ids |= {c: event_escalation_id(c, REASON) for c in event_contacts}
    everyone = [c.contact for c in clicks] + event_contacts
    by_contact = {c.contact: c for c in clicks}
    lost = [c for c in everyone if not moved[c] and not in_dlq[c]]
    twice = [c for c in everyone if moved[c] > 1] + [t for t, n in tokens.items() if n > 1]
    needing_alert = limited | {r.get("contactId") for r in handler_records if r.get("decision") == "ALERT"}
    alerts_lost = [
        c for c in needing_alert if not alerted[c] and ids.get(c) not in errors["Alert not published"]
    ]
    duplicates = Counter((r.get("escalationId"), r.get("errorCode")) for r in handler_records)
    contradicting = contradictions(clicks, ledger, moved, new_contact)
    ledger_behind = [
        c for c in everyone if moved[c] and getattr(ledger.get(c), "status", None) != "TRANSFERRED"
    ]
    # A transfer the ledger does not show: unless its record in the DLQ will redrive it.
    contradicting += [(c, "transferred, the ledger says otherwise") for c in ledger_behind if not in_dlq[c]]
    return {
        "escalations": len(everyone),
        "api": len(clicks),
        "events": len(event_contacts),
        "at_transfer_limit": len(limited),
        "transferred": sum(1 for c in everyone if moved[c] == 1),
        "in_dlq": sum(1 for c in everyone if in_dlq[c]),
        "handler_dead_letters": len(handler_records),
        "lambda_destination_records": len(dlq) - len(handler_records),
        "alerts": sum(alerted.values()),
        "error_log_lines": {message: len(found) for message, found in errors.items()},
        "lost": len(lost),
        "transferred_twice": len(twice),
        "alerts_lost": len(alerts_lost),
        "duplicate_dead_letters": sum(n - 1 for n in duplicates.values() if n > 1),
        "answers_contradicting": len(contradicting),
        "ledger_behind_connect_in_dlq": sum(1 for c in ledger_behind if in_dlq[c]),
        # Transferred once and also in the DLQ: a redrive of the record is answered from the ledger.
        "transferred_and_in_dlq": sum(1 for c in everyone if moved[c] and in_dlq[c]),
        "destination_record_errors": dict(
            Counter(
                str((r.get("responsePayload") or {}).get("errorMessage", "?"))[:80]
                for r in dlq
                if is_destination_record(r)
            )
        ),
        "desktop_answers": dict(Counter(str(s) for c in clicks for s, _, _ in c.answers)),
        "desktop_gave_up": sum(1 for c in clicks if _asks_for_retry(c.answers[-1][0], c.answers[-1][1])),
        "requests_through_proxy": sum(seen.values()),
        "requests_by_call": seen,
        "requests_failed": sum(injected.values()),
        "faults_started": round(sum(injected.values()) / FAULT_BURST),
        "faults_by_call": injected,
        "lost_details": [
            {
                "contact": c,
                "api_answers": [(st, b.get("error") or b.get("status")) for st, b, _ in by_contact[c].answers]
                if c in by_contact
                else None,
                "ledger": getattr(ledger.get(c), "status", None),
                "limit": c in limited,
            }
            for c in lost[:5]
        ],
        "examples": {
            "lost": lost[:5],
            "twice": twice[:5],
            "alerts_lost": alerts_lost[:5],
            "contradicting": contradicting[:5],
        },
    }


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog=f"python -m bench.{NAME}", description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=Parameters.size, help="escalations (N)")
    parser.add_argument("--fault-chance", type=float, default=Parameters.fault_chance)
    parser.add_argument("--seed", type=int, default=Parameters.seed)
    parser.add_argument("--check", action="store_true", help="exit 1 unless every promise is met")
    parser.add_argument("--results-dir", type=Path, default=RESULTS_DIR)
    args = parser.parse_args(argv)
    result = run(Parameters(args.size, args.fault_chance, seed=args.seed), args.results_dir)
    failures = check(result)
    print(f"{NAME}: {result['target']['verdict']} ({result['figures']['seconds']} s)", file=sys.stderr)
    if args.check and failures:
        sys.exit(1)
    return result


if __name__ == "__main__":
    main()
