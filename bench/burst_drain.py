"""burst_drain: N "Contact SLA Breached" events at once against Connect's TransferContact quota.

    python -m bench.burst_drain [--size 400] [--rate 10] [--burst 5] [--concurrency 5] [--rounds 1]
                                [--baselines default,legacy] [--diagnose] [--name burst_drain]

At Connect's real rate (no scaling; about 5 minutes with --diagnose):
    python -m bench.burst_drain --size 100 --rate 2 --diagnose --name burst_drain_real_rate

One Connect emulator and one moto server run in this process (shared over HTTP on 127.0.0.1); K
execution environments run as spawned processes (bench.lambda_model) behind the local stack's model of
Lambda's asynchronous invocation (local.lambda_invoker: one event queue, retries, event age). Contacts
are seeded before the clock starts; the clock starts when every event is queued and stops when the last
one has ended (answered, or given up after Lambda's retries).

Scaling: the TransferContact quota is Connect's shape (burst 5) at `--rate` requests/s instead of 2/s,
so a run of 400 takes under a minute; Lambda's retry delays (about 1 and 2 minutes) are scaled by the
same factor. Connect's other operations (DescribeContact, UpdateContactAttributes, ...) get a looser
quota, 10x the transfer rate with a burst of 50, so that the quota this service is built around is the
one that limits. The Lambda timeout (20 s, infra/compute.py) is not scaled: it bounds ours' retries.

Per round, ours and each baseline run one after the other (order alternating between rounds) against a
freshly reset emulator and empty tables (moto's DynamoDB slows down as a table grows; DynamoDB does
not); `--diagnose` variants run in the first round only.
"""

# ruff: noqa: PLC0415 - imports are deferred on purpose: environment variables first, or import cost measured
from __future__ import annotations

import argparse
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.burst_drain_summary import OTHER_BURST, OTHER_RATE_FACTOR, REAL_TRANSFER_RATE, markdown, summarise
from bench.common import (
    INSTANCE_ID,
    RESERVED_CONCURRENCY,
    RESULTS_DIR,
    SOURCE_QUEUE,
    handler_extra_env,
    sla_event,
    stripped_environ,
    write_results,
)
from bench.lambda_model import DrainReport, WorkerSpec, resolved_retry_mode, run_async_lambda
from escalation.contract import ASYNC_RETRY_ATTEMPTS, EnvVar
from local.aws_isolation import isolated_aws_variables
from local.lambda_context import LAMBDA_RETRY_DELAYS

NAME = "burst_drain"
# Connect's 2/s scaled 5x: an escalation makes nine calls against the emulator and moto on this
# machine's cores, which sustain about 30 escalations/s (the no-quota diagnosis); a faster scaled quota
# would measure the machine, not the pacing.
DEFAULT_RATE = 10.0
DEFAULT_SIZE = 400


@dataclass(frozen=True)
class Variant:
    name: str
    kind: str  # "ours" | "naive"
    naive_mode: str | None = None
    ours_mode: str | None = None  # diagnosis: ours with another retry mode for its Connect client
    quota_off: bool = False  # diagnosis: no TransferContact quota, so the drain shows raw capacity
    unpaced: bool = False  # diagnosis: ours without its TransferContact pacing (CONNECT_TRANSFER_RATE=0)


def _seed(connect: Any, size: int) -> list[str]:
    from local.connect_emulator import ContactSeed
    from local.stack import seed_instance

    seed_instance(connect)
    return [connect.add_contact(ContactSeed(INSTANCE_ID, "TASK", queue_id=SOURCE_QUEUE)) for _ in range(size)]


def _outcome(
    report: DrainReport, contacts: Sequence[str], ledger: Sequence[Any], dlq: Sequence[Any], stats: Any
) -> dict[str, Any]:
    by_contact = Counter(entry["contact_id"] for entry in ledger)
    by_token = Counter(entry["client_token"] for entry in ledger if entry.get("client_token"))
    dead_lettered_contacts = {record.get("contactId") for record in dlq if isinstance(record, dict)}
    on_failure_contacts = {contacts[seq] for seq in report.on_failure}
    transferred = {contact for contact in contacts if by_contact[contact] > 0}
    lost = [
        contact
        for contact in contacts
        if contact not in transferred
        and contact not in dead_lettered_contacts
        and contact not in on_failure_contacts
    ]
    requests = stats["requests"]
    throttled = stats["throttled"]
    return {
        "drain_seconds": report.drain_seconds,
        "timed_out": report.timed_out,
        "transferred": len(transferred),
        "lost": len(lost),
        "lost_sample": lost[:5],
        "transferred_twice_by_contact": sum(1 for count in by_contact.values() if count > 1),
        "transferred_twice_by_client_token": sum(1 for count in by_token.values() if count > 1),
        "dead_lettered_by_handler": len(dead_lettered_contacts & set(contacts)),
        "dead_lettered_on_failure": len(on_failure_contacts),
        "dead_lettered": len((dead_lettered_contacts & set(contacts)) | on_failure_contacts),
        "lambda_retries": report.lambda_retries,
        "invocations": report.invocations,
        "transfer_requests": requests.get("TransferContact", 0),
        "transfer_throttled": throttled.get("TransferContact", 0),
        "other_requests": {k: v for k, v in requests.items() if k != "TransferContact"},
        "other_throttled": {k: v for k, v in throttled.items() if k != "TransferContact"},
        "statuses": report.statuses,
        "errors": report.errors,
        "environments_ready_seconds": report.ready_seconds,
        "worker_cpu_seconds": report.worker_cpu_seconds,
    }


def run(
    size: int = DEFAULT_SIZE,
    rate: float = DEFAULT_RATE,
    burst: int = 5,
    concurrency: int = RESERVED_CONCURRENCY,
    rounds: int = 1,
    baselines: Sequence[str] = ("default",),
    diagnose: bool = False,
    results_dir: Path = RESULTS_DIR,
    name: str = NAME,
) -> dict[str, Any]:
    from local.aws import LocalAws
    from local.connect_emulator import ConnectEmulator, EmulatorOptions, QuotaPlan

    scale = rate / REAL_TRANSFER_RATE
    retry_delays = tuple(delay / scale for delay in LAMBDA_RETRY_DELAYS[:ASYNC_RETRY_ATTEMPTS])
    ideal = (size - burst) / rate
    max_wait = max(60.0, 6 * ideal) + sum(retry_delays)
    variants = [Variant("ours", "ours")]
    variants += [
        Variant(f"naive-{mode}", "naive", naive_mode=None if mode == "default" else mode)
        for mode in baselines
    ]
    if diagnose:
        variants += [
            Variant("diag-ours-no-quota", "ours", quota_off=True, unpaced=True),
            Variant("diag-ours-unpaced", "ours", unpaced=True),
            Variant("diag-ours-unpaced-adaptive", "ours", ours_mode="adaptive", unpaced=True),
        ]
    runs: dict[str, list[dict[str, Any]]] = {variant.name: [] for variant in variants}
    retry_modes: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="bench-burst-") as tmp:
        tmp_dir = Path(tmp)
        emulator = ConnectEmulator(
            EmulatorOptions(
                rate=rate * OTHER_RATE_FACTOR,
                burst=OTHER_BURST,
                seed=7,
                quotas={"TransferContact": (rate, burst)},
            )
        )
        emulator.start()
        aws = LocalAws().start()
        try:
            env = {
                **stripped_environ(),
                **isolated_aws_variables(tmp_dir),
                **aws.handler_env(emulator.endpoint_url),
                **handler_extra_env(),
            }
            for round_index in range(rounds):
                order = variants if round_index % 2 == 0 else list(reversed(variants))
                for variant in order:
                    label = variant.name
                    if label.startswith("diag") and round_index > 0:
                        continue  # diagnosis variants run once
                    emulator.reset()
                    if variant.quota_off:
                        emulator.set_quota(QuotaPlan(None, burst, "TransferContact"))
                    aws.purge()
                    aws.empty_tables()  # moto slows down as its tables grow; DynamoDB does not
                    contacts = _seed(emulator, size)
                    events = [sla_event(contact) for contact in contacts]
                    # As the CDK stack sets it: each environment's share of the transfer quota.
                    share = 0.0 if variant.unpaced else rate / concurrency
                    spec = WorkerSpec(
                        kind=variant.kind,
                        env={**env, EnvVar.CONNECT_TRANSFER_RATE: f"{share:g}"},
                        output_path=str(tmp_dir / f"{label}-handler-output.log"),
                        naive_retry_mode=variant.naive_mode,
                        ours_retry_mode=variant.ours_mode,
                    )
                    if spec.kind == "naive":
                        retry_modes[label] = resolved_retry_mode(spec)
                    report = run_async_lambda(
                        spec,
                        events,
                        concurrency=concurrency,
                        retry_delays=retry_delays,
                        max_wait_seconds=max_wait,
                    )
                    time.sleep(0.2)  # let the last DLQ sends land before reading back
                    outcome = _outcome(
                        report, contacts, emulator.ledger(), aws.dlq_records(), emulator.stats()
                    )
                    outcome["ratio_to_ideal"] = report.drain_seconds / ideal
                    runs[label].append(outcome)
                    print(
                        f"[{NAME}] round {round_index + 1} {label}: {report.drain_seconds:.1f} s "
                        f"({outcome['ratio_to_ideal']:.2f}x ideal), lost {outcome['lost']}, "
                        f"dead-lettered {outcome['dead_lettered']}, "
                        f"twice {outcome['transferred_twice_by_contact']}",
                        flush=True,
                    )
        finally:
            aws.stop()
            emulator.stop()
    result = summarise(size, rate, burst, concurrency, rounds, retry_delays, ideal, runs, retry_modes)
    write_results(name, result, markdown(result), results_dir)
    return result


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog=f"python -m bench.{NAME}", description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=DEFAULT_SIZE, help="events in the burst (N)")
    parser.add_argument(
        "--rate", type=float, default=DEFAULT_RATE, help="TransferContact requests/s (Connect: 2)"
    )
    parser.add_argument("--burst", type=int, default=5)
    parser.add_argument("--concurrency", type=int, default=RESERVED_CONCURRENCY, help="K environments")
    parser.add_argument("--rounds", type=int, default=1, help="repetitions, order alternating")
    parser.add_argument(
        "--baselines",
        default="default",
        help="comma-separated naive retry modes: default (botocore's), legacy, standard, adaptive",
    )
    parser.add_argument(
        "--diagnose",
        action="store_true",
        help="also run ours without the TransferContact quota and ours with standard retry mode",
    )
    parser.add_argument("--results-dir", type=Path, default=RESULTS_DIR)
    parser.add_argument("--name", default=NAME, help="result file name (e.g. burst_drain_real_rate)")
    args = parser.parse_args(argv)
    return run(
        size=args.size,
        rate=args.rate,
        burst=args.burst,
        concurrency=args.concurrency,
        rounds=args.rounds,
        baselines=[b.strip() for b in args.baselines.split(",") if b.strip()],
        diagnose=args.diagnose,
        results_dir=args.results_dir,
        name=args.name,
    )


if __name__ == "__main__":
    main()
