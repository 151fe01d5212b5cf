"""The composition root: builds the use case with the real adapters, once per execution environment."""

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from aws_lambda_powertools.utilities.typing import LambdaContext

from escalation import observability
from escalation.adapters import (
    connect,
    dynamodb_idempotency,
    routing_rules_source,
    sns_alerts,
    sqs_dead_letters,
)
from escalation.adapters.connect import ConnectContactCenter
from escalation.adapters.dynamodb_idempotency import DynamoDbIdempotency
from escalation.adapters.routing_rules_source import rules_from_file, rules_from_ssm
from escalation.adapters.sns_alerts import SnsAlerts
from escalation.adapters.sqs_dead_letters import SqsDeadLetters
from escalation.config import Settings, settings
from escalation.domain.routing import RoutingRules
from escalation.outcomes import OutcomeRecorder
from escalation.service import EscalationService


@dataclass(frozen=True)
class Components:
    settings: Settings
    service: EscalationService
    outcomes: OutcomeRecorder
    contact_center: ConnectContactCenter
    idempotency: DynamoDbIdempotency

    def bind(self, context: LambdaContext) -> None:
        """Per invocation: bound retries and in-progress records by this invocation's time."""
        self.contact_center.bind_deadline(context.get_remaining_time_in_millis)
        self.idempotency.register_lambda_context(context)


def _rules_loader(config: Settings) -> Callable[[], RoutingRules]:
    parameter = config.routing_rules_parameter
    if parameter is not None:
        return lambda: rules_from_ssm(parameter, config.routing_rules_cache_seconds)
    rules_from_file(config.routing_rules)  # validate the bundled file at start-up, not at first use
    return lambda: rules_from_file(config.routing_rules)


@cache
def components() -> Components:
    config = settings()
    contact_center = ConnectContactCenter(
        config.connect_instance_id,
        config.connect_max_attempts,
        observability.record_call_latency,
        transfer_rate_per_second=config.connect_transfer_rate,
    )
    idempotency = DynamoDbIdempotency(config.idempotency_table)
    service = EscalationService(
        contact_center=contact_center,
        routing_rules=_rules_loader(config),
        idempotency=idempotency,
        supervisor_group=config.supervisor_group,
    )
    outcomes = OutcomeRecorder(SqsDeadLetters(config.dlq_url), SnsAlerts(config.alert_topic_arn))
    return Components(config, service, outcomes, contact_center, idempotency)


def reset() -> None:
    """Forget every per-process cache: settings, clients, rules, components.

    Lambda never needs this (an execution environment keeps one configuration); tests and the local
    stack do, because they change the environment between runs inside one process.
    """
    for cached in (
        components,
        settings,
        connect._client,
        sqs_dead_letters._client,
        sns_alerts._client,
        dynamodb_idempotency._persistence,
    ):
        cached.cache_clear()
    routing_rules_source.clear_caches()
