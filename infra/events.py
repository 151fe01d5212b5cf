"""The SLA-breach rule: contract.SLA_BREACH_EVENT_PATTERN on the configured bus, into the handler."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from aws_cdk import Duration
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from escalation import contract
from infra.config import StackConfig
from infra.storage import encrypted_queue

# EventBridge retries a failed delivery (throttled or unavailable Lambda) with backoff; after these
# attempts or this age the event lands in the rule's own DLQ instead of being dropped.
DELIVERY_RETRY_ATTEMPTS = 8
DELIVERY_MAX_EVENT_AGE = Duration.hours(1)


def event_pattern(pattern: Mapping[str, Sequence[str]]) -> events.EventPattern:
    """The contract's pattern as an L2 EventPattern; fails loudly on keys this mapping does not know."""
    unknown = set(pattern) - {"source", "detail-type"}
    if unknown:
        raise ValueError(f"Unsupported keys in the SLA-breach event pattern: {sorted(unknown)}")
    source = pattern.get("source")
    detail_type = pattern.get("detail-type")
    return events.EventPattern(
        source=list(source) if source is not None else None,
        detail_type=list(detail_type) if detail_type is not None else None,
    )


class SlaBreachEvents(Construct):
    """The rule, its Lambda target with a retry policy, and the target's delivery DLQ."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StackConfig,
        function: lambda_.IFunction,
        key: kms.IKey,
    ) -> None:
        super().__init__(scope, construct_id)
        bus = (
            None
            if config.uses_default_bus
            else events.EventBus.from_event_bus_name(self, "Bus", str(config.event_bus_name))
        )
        self.dlq = encrypted_queue(self, "DeliveryDeadLetterQueue", key)
        self.rule = events.Rule(
            self,
            "Rule",
            description="SLA breaches to escalate (pattern from escalation.contract)",
            event_bus=bus,
            event_pattern=event_pattern(contract.SLA_BREACH_EVENT_PATTERN),
        )
        self.rule.add_target(
            targets.LambdaFunction(
                function,
                dead_letter_queue=self.dlq,
                retry_attempts=DELIVERY_RETRY_ATTEMPTS,
                max_event_age=DELIVERY_MAX_EVENT_AGE,
            )
        )
