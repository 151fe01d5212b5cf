"""Where a warm contact event's CPU goes, step by step, in the warm environment of bench.contact_events.

Each step is timed alone (time.thread_time over `count` repetitions, after a warm-up), on the same
objects the handler uses: Powertools' three decorators around a handler that does nothing, the metrics
flush of one count, the parse of the event (Powertools' parser, then the domain's ContactEvent), the
SLA policy's lookup, planning the timers, one CreateSchedule through ours' Scheduler adapter (the
client-side cost: botocore's validation and serialisation; the Stubber answers) and bareSched's whole
QUEUED handling beside it. The steps overlap nothing, but they are not the whole: the handler's own
glue (dispatch, binding the invocation, the answer) is the remainder.
"""

# ruff: noqa: PLC0415 - the handler's modules are imported after the environment is set (contact_event_paths)
from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from bench import baseline_calls, stubbed
from bench.contact_event_paths import WarmEnvironment, contact_event


def _per_call_us(step: Callable[[], Any], count: int) -> float:
    for _ in range(min(200, count)):
        step()
    started = time.thread_time()
    for _ in range(count):
        step()
    return (time.thread_time() - started) / count * 1e6


def warm_breakdown(env: WarmEnvironment, count: int = 2000) -> dict[str, float]:
    """Microseconds of CPU per step of a QUEUED event arming one schedule (module docstring)."""
    from aws_lambda_powertools.utilities.parser import parse

    from escalation import observability
    from escalation.composition import components
    from escalation.domain.sla_policy import find_policy
    from escalation.domain.timer_events import plan_timers
    from escalation.triggers import contact_event as trigger

    service = components().sla_timers
    assert service is not None
    event = contact_event("queued-1")
    queued = parse(event=event, model=trigger.ContactEventModel).detail.domain()
    rules = service._routing_rules
    policy = find_policy(rules().sla, queued.queue, queued.channel, service._timed_channels)
    assert policy is not None
    now = datetime.now(UTC)
    context = stubbed.new_context()

    def nothing(_event: Any, _context: Any) -> dict[str, Any]:
        return {}

    decorated = observability.metrics.log_metrics(capture_cold_start_metric=True)(
        observability.tracer.capture_lambda_handler(capture_response=False)(
            observability.logger.inject_lambda_context(log_event=False, clear_state=True)(nothing)
        )
    )

    def decorators() -> None:
        observability.metrics.add_metric(name="Bench", unit="Count", value=1)  # as a real event adds one
        with stubbed.quiet_stdout():
            decorated(event, context)

    def flush_one_metric() -> None:
        observability.metrics.add_metric(name="Bench", unit="Count", value=1)
        with stubbed.quiet_stdout():
            observability.metrics.flush_metrics()

    def arm() -> None:
        env.ours_stub.add_response("create_schedule", {"ScheduleArn": "arn:aws:scheduler:::schedule/b"})
        timer = plan_timers(policy, replace(queued, contact_id=str(uuid.uuid4())), now)[0]
        service._timers.arm(timer)

    def bare() -> None:
        env.bare_stub.add_response("create_schedule", {"ScheduleArn": "arn:aws:scheduler:::schedule/b"})
        baseline_calls.bare_sched(env.bare_client, contact_event("queued-1"), env.settings)

    def stub_answer_only() -> None:
        env.ours_stub.add_response("create_schedule", {"ScheduleArn": "arn:aws:scheduler:::schedule/b"})
        env.ours_stub._queue.clear()  # what queuing an answer costs, which both arm and bare pay

    def parse_event() -> Any:
        return parse(event=event, model=trigger.ContactEventModel).detail.domain()

    steps = {
        "powertools_decorators_with_one_metric_us": _per_call_us(decorators, count),
        "of_which_metrics_flush_us": _per_call_us(flush_one_metric, count),
        "parse_event_us": _per_call_us(parse_event, count),
        "find_policy_us": _per_call_us(
            lambda: find_policy(rules().sla, queued.queue, queued.channel, service._timed_channels), count
        ),
        "plan_timers_us": _per_call_us(
            lambda: plan_timers(policy, replace(queued, contact_id=str(uuid.uuid4())), now), count
        ),
        "new_event_for_baresched_us": _per_call_us(lambda: contact_event("queued-1"), count),
        "stub_answer_us": _per_call_us(stub_answer_only, count),
        "plan_and_create_schedule_us": _per_call_us(arm, count),
        "baresched_queued_whole_us": _per_call_us(bare, count),
    }
    env.check_drained()
    return {name: round(value, 1) for name, value in steps.items()}
