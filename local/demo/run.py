"""`make demo`: the escalation service's main job, played end to end on the local stack.

Starts emulated Connect and AWS, seeds a contact centre, then escalates through the real entry points
(HTTP to the local API, PutEvents to the local bus) and checks every outcome against what the product
promises. Prints progress and a summary; returns 0 only if every step behaved as expected.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime

from local.demo.business_hours_steps import BusinessHoursSteps
from local.demo.escalation_steps import EscalationSteps
from local.demo.every_channel_steps import EveryChannelSteps
from local.demo.harness import DemoHarness
from local.demo.sla_steps import SlaTimerSteps, sla_stack_options
from local.run_info import run_log_path
from local.stack import RUN_DIR, LocalStack, StackOptions


def main(arguments: list[str] | None = None) -> int:
    arguments = sys.argv[1:] if arguments is None else arguments
    print("Starting the local stack (Connect emulator, moto, local API and event bus)...", flush=True)
    # Each run its own handler log, as `make serve`'s.
    log_path = run_log_path(RUN_DIR, datetime.now(UTC), "demo")
    # The SLA-timer steps run too, unless asked not to.
    sla_timers = "--without-sla-timers" not in arguments
    options = (
        sla_stack_options(RUN_DIR, log_path) if sla_timers else StackOptions(api_port=0, handler_log=log_path)
    )
    with LocalStack(options) as stack:
        print(f"  local API {stack.api.url}, event bus {stack.bus.endpoint_url}", flush=True)
        demo = DemoHarness(stack)
        passed = EscalationSteps(demo).run()
        passed = EveryChannelSteps(demo).run() and passed
        if sla_timers:
            passed = SlaTimerSteps(demo).run() and passed
            passed = BusinessHoursSteps(demo).run() and passed
        demo.summary()
    print("\nAll steps behaved as expected." if passed else "\nSome steps did not behave as expected.")
    return 0 if passed else 1
