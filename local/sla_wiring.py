"""The SLA timers' local wiring: contact events from the Connect emulator to the bus, and a scheduler.

As the CDK stack deploys it: a rule on the bus for the instance's contact events
(`contract.contact_event_pattern`), targeting the handler; the handler creates schedules in one group
(moto's Scheduler API) whose target is the handler itself; here `local.scheduler` makes them fire.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from escalation.contract import CHANNEL_NAMES, EnvVar, contact_event_pattern
from local.aws import LocalAws
from local.bus import LocalBus
from local.connect_emulator import ConnectEmulator
from local.lambda_context import FunctionConfig
from local.scheduler import LocalScheduler, SchedulerClients, SchedulerOptions

SCHEDULER_ROLE_NAME = "escalation-sla-scheduler"
# The local stack times every channel, as a stack deployed with -c timedChannels=VOICE,CHAT,TASK,EMAIL.
LOCAL_TIMED_CHANNELS = CHANNEL_NAMES


def rules_with_sla(rules_file: Path, policies: Sequence[Mapping[str, Any]], out: Path) -> Path:
    """The routing rules of `rules_file` with these SLA policies, written to `out` (returned)."""
    document: dict[str, Any] = json.loads(rules_file.read_text())
    document["sla"] = [dict(policy) for policy in policies]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(document))
    return out


def sla_env(aws: LocalAws, function: FunctionConfig) -> dict[str, str]:
    """The handler's SLA-timer settings for the local stack."""
    return {
        EnvVar.SLA_TIMERS_ENABLED: "true",
        EnvVar.SLA_SCHEDULE_GROUP: aws.schedule_group,
        EnvVar.SLA_TIMER_TARGET_ARN: function.function_arn,
        EnvVar.SLA_SCHEDULER_ROLE_ARN: f"arn:aws:iam::{function.account_id}:role/{SCHEDULER_ROLE_NAME}",
        EnvVar.SLA_SCHEDULE_DLQ_ARN: aws.schedule_dlq_arn,
        EnvVar.SLA_TIMED_CHANNELS: ",".join(LOCAL_TIMED_CHANNELS),
        "AWS_ENDPOINT_URL_SCHEDULER": aws.endpoint_url,
    }


class SlaTimerWiring:
    """Routes the emulator's contact events to the bus's contact-event rule and runs the scheduler."""

    def __init__(self, aws: LocalAws, connect: ConnectEmulator, options: SchedulerOptions) -> None:
        self.aws = aws
        self.connect = connect
        self.options = options
        self.scheduler: LocalScheduler | None = None

    def start(self, bus: LocalBus, lambda_client: Any, instance_arn: str) -> LocalScheduler:
        bus.add_rule(contact_event_pattern(instance_arn, LOCAL_TIMED_CHANNELS))
        self.connect.connect_event_sink(bus.publish)
        clients = SchedulerClients(self.aws.scheduler(), lambda_client, self.aws.sqs())
        self.scheduler = LocalScheduler(clients, self.aws.schedule_group, self.options).start()
        return self.scheduler

    def stop(self) -> None:
        self.connect.connect_event_sink(None)
        if self.scheduler is not None:
            self.scheduler.stop()
