"""business_hours: what business-hours SLA clocks cost: Connect calls in a burst, and warm arming CPU.

    python -m bench.business_hours [--size 1000] [--minutes 30] [--rounds 7] [--arms 300]

Part 1, Connect calls. `size` QUEUED contact events for emails on one queue (its hours Monday-Friday
09:00-17:00 New York), spread evenly over `minutes`, go through the SLA timers' use case as the
composition root builds it: the Connect adapter (boto3, over HTTP to the Connect emulator, no quota),
the calendar cache with its default period (SLA_CALENDAR_CACHE_SECONDS, 300 s) on a clock that moves
with the burst, the business clock and a timers port that keeps the schedules in memory. The emulator
counts the Connect calls, per operation and per cache window (the burst's time cut into 300 s slices).
The same burst with the cache off (period 0) is the comparison.

Part 2, warm CPU of arming. One contact's QUEUED event through the same use case with a wall-clock
policy and with a business-clock policy, the schedule created through the real Scheduler adapter on a
boto3 client answered by botocore's Stubber (so arming pays for the request it builds), the calendar
already in the cache (warm: the Connect calls of a window are paid once per cache period, part 1).
CPU time is time.thread_time() around the use case; variants interleaved in rounds; the ratio is the
median of the per-round p50 ratios. Target: business at most 1.3x wall.
"""

# ruff: noqa: PLC0415 - imports are deferred on purpose: the environment is set first
from __future__ import annotations

import argparse
import gc
import json
import os
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.common import (
    RESULTS_DIR,
    markdown_table,
    percentile,
    ratio,
    spread,
    spread_text,
    verdict_at_most,
    write_results,
)
from local.aws_isolation import isolated_aws_variables

NAME = "business_hours"
TARGET_RATIO = 1.3
CACHE_SECONDS = 300
INSTANCE_ARN = "arn:aws:connect:us-east-1:123456789012:instance/demo-instance"
# A Wednesday morning in New York: the deadlines fall the same day.
BURST_START = datetime(2026, 12, 2, 14, 0, tzinfo=UTC)


class MovingClock:
    """A monotonic clock the burst sets: the cache sees the burst's own time pass."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class MemoryTimers:
    """The SlaTimers port in memory (part 1 is about Connect, not Scheduler)."""

    def __init__(self) -> None:
        self.armed: dict[str, Any] = {}

    def arm(self, timer: Any) -> bool:
        if timer.name in self.armed:
            return False
        self.armed[timer.name] = timer
        return True

    def cancel(self, name: str) -> bool:
        return self.armed.pop(name, None) is not None


def _rules(clock: str) -> Any:
    from escalation.domain.routing import parse_rules
    from local.stack import BUSINESS_HOURS_QUEUE

    return parse_rules(
        json.dumps(
            {
                "rules": [{"name": "any", "target": {"queue": {"id": "queue-tier2", "flowId": "f"}}}],
                "sla": [
                    {
                        "name": f"emails-{clock}",
                        "match": {"queues": [BUSINESS_HOURS_QUEUE], "channels": ["EMAIL"]},
                        "seconds": 7200,
                        "warnAtPercent": 75,
                        "clock": clock,
                    }
                ],
            }
        )
    )


def _queued(contact_id: str, enqueued_at: datetime) -> Any:
    from escalation.domain.contact_events import ContactEvent
    from local.stack import BUSINESS_HOURS_QUEUE

    return ContactEvent(
        "QUEUED",
        contact_id,
        INSTANCE_ARN,
        "EMAIL",
        f"{INSTANCE_ARN}/queue/{BUSINESS_HOURS_QUEUE}",
        enqueued_at,
    )


def _service(
    endpoint_url: str, timers: Any, clock: str, cache_seconds: int, cache_clock: Callable[[], float]
) -> Any:
    from escalation import composition
    from escalation.adapters import connect
    from escalation.adapters.calendar_cache import CachedQueueCalendars
    from escalation.adapters.connect import ConnectContactCenter
    from escalation.adapters.time_zones import zone
    from escalation.usecases.business_clock import BusinessClock
    from escalation.usecases.sla_timers import SlaTimerService
    from local.stack import INSTANCE_ID

    client = composition.aws_session().client(
        "connect", endpoint_url=endpoint_url, config=connect.client_config(1)
    )
    center = ConnectContactCenter(INSTANCE_ID, lambda _attempts: client, max_attempts=1)
    calendars = CachedQueueCalendars(center, cache_seconds, clock=cache_clock)
    rules = _rules(clock)
    return SlaTimerService(
        timers,
        lambda: rules,
        INSTANCE_ARN,
        clock=lambda: BURST_START,
        business_clock=BusinessClock(calendars, zone),
    )


def connect_calls(size: int, minutes: float, cache_seconds: int) -> dict[str, Any]:
    """Part 1: the Connect calls of a `size`-event burst over `minutes`, cache period `cache_seconds`."""
    from local.connect_emulator import ConnectEmulator, EmulatorOptions
    from local.stack import seed_instance

    with ConnectEmulator(EmulatorOptions(rate=None)) as emulator:
        seed_instance(emulator)
        clock, timers = MovingClock(), MemoryTimers()
        service = _service(emulator.endpoint_url, timers, "business", cache_seconds, clock)
        step = minutes * 60 / max(1, size)
        per_window: Counter[int] = Counter()
        for index in range(size):
            clock.now = index * step
            before = sum(emulator.stats()["requests"].values())
            service.on_contact_event(_queued(f"burst-{index}", BURST_START + timedelta(seconds=clock.now)))
            per_window[int(clock.now // CACHE_SECONDS)] += sum(emulator.stats()["requests"].values()) - before
        requests = emulator.stats()["requests"]
    return {
        "events": size,
        "minutes": minutes,
        "cache_seconds": cache_seconds,
        "armed": len(timers.armed),
        "connect_calls": dict(sorted(requests.items())),
        "connect_calls_total": sum(requests.values()),
        "cache_windows": len(per_window),
        "calls_per_window": [per_window[w] for w in sorted(per_window)],
        "max_calls_per_window": max(per_window.values()) if per_window else 0,
    }


def _stubbed_scheduler() -> tuple[Any, Any]:
    import boto3
    from botocore.stub import Stubber

    from escalation.adapters.scheduler_timers import SchedulerTimers, TimerTarget

    client = boto3.client("scheduler", region_name="us-east-1")
    stubber = Stubber(client)
    stubber.activate()
    target = TimerTarget(
        "arn:aws:lambda:us-east-1:123456789012:function:escalation",
        "arn:aws:iam::123456789012:role/sla-scheduler",
        "arn:aws:sqs:us-east-1:123456789012:sla-schedule-dlq",
    )
    return SchedulerTimers(client, "escalation-sla", target), stubber


def arming_cpu(rounds: int, arms: int) -> dict[str, Any]:
    """Part 2: warm CPU per QUEUED event armed, wall clock against business clock."""
    from local.connect_emulator import ConnectEmulator, EmulatorOptions
    from local.stack import seed_instance

    samples: dict[str, list[float]] = {"wall": [], "business": []}
    round_ratios: list[float] = []
    with ConnectEmulator(EmulatorOptions(rate=None)) as emulator:
        seed_instance(emulator)
        timers, stubber = _stubbed_scheduler()
        services = {
            clock: _service(emulator.endpoint_url, timers, clock, CACHE_SECONDS, time.monotonic)
            for clock in samples
        }
        for _answer in range(2):
            stubber.add_response("create_schedule", {"ScheduleArn": "arn:aws:scheduler:::schedule/x"})
        services["business"].on_contact_event(_queued("warm-up", BURST_START))  # fills the cache
        serial = 0
        for round_index in range(rounds):
            order = list(samples) if round_index % 2 == 0 else list(reversed(samples))
            round_p50: dict[str, float] = {}
            for clock in order:
                taken: list[float] = []
                for _ in range(arms):
                    serial += 1
                    for _answer in range(2):  # the breach and the warning schedule
                        stubber.add_response(
                            "create_schedule", {"ScheduleArn": "arn:aws:scheduler:::schedule/x"}
                        )
                    event = _queued(f"arm-{serial}", BURST_START + timedelta(seconds=serial % 600))
                    gc.disable()
                    started = time.thread_time()
                    services[clock].on_contact_event(event)
                    taken.append(time.thread_time() - started)
                    gc.enable()
                samples[clock] += taken
                round_p50[clock] = percentile(taken, 50)
            round_ratios.append(ratio(round_p50["business"], round_p50["wall"]))
        stubber.assert_no_pending_responses()
        connect_requests = emulator.stats()["requests"]
    return {
        "rounds": rounds,
        "arms_per_round": arms,
        "p50_us": {clock: round(percentile(taken, 50) * 1e6, 1) for clock, taken in samples.items()},
        "p99_us": {clock: round(percentile(taken, 99) * 1e6, 1) for clock, taken in samples.items()},
        "ratio_business_to_wall": round(percentile(round_ratios, 50), 3),
        "ratio_spread": spread(round_ratios),
        "connect_calls_while_measuring": dict(connect_requests),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1000, help="QUEUED events in the burst")
    parser.add_argument("--minutes", type=float, default=30.0, help="how long the burst lasts")
    parser.add_argument("--uncached-size", type=int, default=200, help="the same burst without a cache")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--arms", type=int, default=300, help="timers armed per variant and round")
    parser.add_argument("--results-dir", type=Path, default=RESULTS_DIR)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        os.environ.update(isolated_aws_variables(Path(tmp)))
        print(f"business_hours: a burst of {args.size} QUEUED events over {args.minutes:g} min", flush=True)
        cached = connect_calls(args.size, args.minutes, CACHE_SECONDS)
        print(f"  cached: {cached['connect_calls']} in {cached['cache_windows']} windows", flush=True)
        uncached = connect_calls(args.uncached_size, args.minutes, 0)
        print(f"  uncached ({args.uncached_size} events): {uncached['connect_calls']}", flush=True)
        print(f"business_hours: warm arming, {args.rounds} rounds of {args.arms} per clock", flush=True)
        cpu = arming_cpu(args.rounds, args.arms)
    verdict = verdict_at_most(cpu["ratio_business_to_wall"], TARGET_RATIO)
    result = {
        "burst": cached,
        "burst_without_cache": uncached,
        "arming": cpu,
        "target": {"ratio_at_most": TARGET_RATIO, "met": verdict.met},
    }
    body = "\n\n".join(
        [
            "What business-hours SLA clocks cost (bench/business_hours.py says how it is measured).",
            "## Connect calls in a burst of QUEUED events on one queue",
            markdown_table(
                ["cache", "events", "over", "Connect calls", "per 300 s window", "schedules armed"],
                [
                    [
                        f"{run['cache_seconds']} s",
                        run["events"],
                        f"{run['minutes']:g} min",
                        ", ".join(f"{op} {n}" for op, n in run["connect_calls"].items()),
                        " / ".join(str(n) for n in run["calls_per_window"]) if run["cache_seconds"] else "-",
                        run["armed"],
                    ]
                    for run in (cached, uncached)
                ],
            ),
            "## Warm CPU of arming one contact's timers (breach and warning), calendar cached",
            markdown_table(
                ["clock", "p50 (us)", "p99 (us)"],
                [[clock, cpu["p50_us"][clock], cpu["p99_us"][clock]] for clock in ("wall", "business")],
            ),
            f"Business / wall, median of per-round p50 ratios: **{cpu['ratio_business_to_wall']}x** "
            f"(per round: {spread_text(cpu['ratio_spread'])}); target at most {TARGET_RATIO}x: "
            f"{verdict.text}.",
        ]
    )
    json_path, md_path = write_results(NAME, result, body, args.results_dir)
    print(f"wrote {json_path} and {md_path}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
