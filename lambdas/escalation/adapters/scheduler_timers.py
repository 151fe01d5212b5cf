"""EventBridge Scheduler through boto3: the SlaTimers port.

Each timer is a one-time `at()` schedule in the stack's schedule group that invokes the handler with
the timer's event as input, deletes itself after it ran, retries a failed invocation and then sends
the event to the schedule dead-letter queue.
"""

import json
from dataclasses import dataclass
from datetime import UTC
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from escalation.adapters.aws_errors import error_code
from escalation.domain.timer_events import SlaTimer

if TYPE_CHECKING:
    from mypy_boto3_scheduler import EventBridgeSchedulerClient

# A timer's event is still useful an hour late (the breach re-checks the contact); then it is dead-lettered.
MAX_EVENT_AGE_SECONDS = 3600
MAX_RETRY_ATTEMPTS = 10


@dataclass(frozen=True)
class TimerTarget:
    """What every schedule invokes (the handler), as which role, and where an undeliverable event goes."""

    function_arn: str
    role_arn: str
    dead_letter_arn: str


class SchedulerTimers:
    def __init__(self, client: "EventBridgeSchedulerClient", group: str, target: TimerTarget) -> None:
        self._client = client
        self._group = group
        self._target = target

    def arm(self, timer: SlaTimer) -> bool:
        try:
            self._client.create_schedule(
                Name=timer.name,
                GroupName=self._group,
                ScheduleExpression=f"at({timer.fire_at.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%S')})",
                ScheduleExpressionTimezone="UTC",
                FlexibleTimeWindow={"Mode": "OFF"},
                ActionAfterCompletion="DELETE",
                Target={
                    "Arn": self._target.function_arn,
                    "RoleArn": self._target.role_arn,
                    "Input": json.dumps(timer.event),
                    "RetryPolicy": {
                        "MaximumEventAgeInSeconds": MAX_EVENT_AGE_SECONDS,
                        "MaximumRetryAttempts": MAX_RETRY_ATTEMPTS,
                    },
                    "DeadLetterConfig": {"Arn": self._target.dead_letter_arn},
                },
            )
        except ClientError as error:
            if error_code(error) == "ConflictException":
                return False
            raise
        return True

    def cancel(self, name: str) -> bool:
        try:
            self._client.delete_schedule(Name=name, GroupName=self._group)
        except ClientError as error:
            if error_code(error) == "ResourceNotFoundException":
                return False
            raise
        return True
