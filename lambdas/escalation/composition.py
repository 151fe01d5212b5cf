"""The composition root: builds the use case with the real adapters, once per execution environment.

Every AWS client comes from one boto3 session, so credentials and service models load once. That
session reads the trimmed service models shipped in `botocore_models/` before botocore's own.
"""

import os
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
import botocore.session
from aws_lambda_powertools.utilities.typing import LambdaContext

from escalation import observability
from escalation.adapters import connect, dynamodb_idempotency
from escalation.adapters.calendar_cache import CachedQueueCalendars
from escalation.adapters.connect import ConnectClients, ConnectContactCenter
from escalation.adapters.dynamodb_alert_window import DynamoDbAlertWindow
from escalation.adapters.dynamodb_dead_letter_marks import DynamoDbDeadLetterMarks
from escalation.adapters.dynamodb_idempotency import DynamoDbIdempotency
from escalation.adapters.dynamodb_ledger import DynamoDbLedger
from escalation.adapters.eventbridge_events import EventBridgeEvents
from escalation.adapters.kms_mac import KmsMac
from escalation.adapters.pacing import Pacer
from escalation.adapters.routing_rules_source import SsmRoutingRules, rules_from_file
from escalation.adapters.scheduler_timers import SchedulerTimers, TimerTarget
from escalation.adapters.sns_alerts import SnsAlerts
from escalation.adapters.sqs_dead_letters import SqsDeadLetters
from escalation.adapters.time_zones import zone
from escalation.config import Settings, settings
from escalation.dead_letter_signing import SignedDeadLetters
from escalation.domain.routing import RoutingRules
from escalation.escalation_ids import EscalationIds
from escalation.outcomes import OncePerWindowAlerts, OutcomeRecorder, current_request_id
from escalation.ports import Alerts, MessageAuthenticator
from escalation.usecases.business_clock import BusinessClock
from escalation.usecases.escalate import EscalationPorts, EscalationService
from escalation.usecases.escalation_options import EscalationOptionsQuery
from escalation.usecases.ledger_queries import LedgerQueries
from escalation.usecases.sla_timers import SlaTimerService

if TYPE_CHECKING:
    from mypy_boto3_connect import ConnectClient
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_events import EventBridgeClient
    from mypy_boto3_kms import KMSClient
    from mypy_boto3_scheduler import EventBridgeSchedulerClient
    from mypy_boto3_sns import SNSClient
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_ssm import SSMClient


@dataclass(frozen=True)
class Components:
    settings: Settings
    service: EscalationService
    outcomes: OutcomeRecorder
    contact_center: ConnectContactCenter
    idempotency: DynamoDbIdempotency
    ledger_queries: LedgerQueries
    alerts: Alerts  # once per window, as for failed escalations
    sla_timers: SlaTimerService | None  # None when SLA timers are off
    escalation_options: EscalationOptionsQuery
    authenticator: MessageAuthenticator  # signs what a redrive may replay (dead_letter_signing.py)
    escalation_ids: EscalationIds  # keyed with the stack's secret: no caller can derive one
    clients: "AwsClients"  # what the adapters were built with

    def bind(self, context: LambdaContext) -> None:
        """Per invocation: bound retries and in-progress records by this invocation's time."""
        self.contact_center.bind_deadline(context.get_remaining_time_in_millis)
        self.idempotency.register_lambda_context(context)
        current_request_id.set(context.aws_request_id)


@dataclass(frozen=True)
class AwsClients:
    """Every AWS client the adapters use; built on one boto3 session by aws_clients()."""

    connect: ConnectClients  # by attempt budget
    sqs: Callable[[], "SQSClient"]  # built on first use: only dead-lettering needs it
    sns: Callable[[], "SNSClient"]  # likewise, only alerting
    kms: Callable[[], "KMSClient"]  # likewise, only signing a dead letter or a retry
    dynamodb: "DynamoDBClient"  # the idempotency table and the ledger
    events: "EventBridgeClient"
    ssm: Callable[[], "SSMClient"]  # only when the routing rules live in SSM
    scheduler: Callable[[], "EventBridgeSchedulerClient"]  # only when SLA timers are on


# Trimmed to contract.TRIMMED_MODEL_OPERATIONS by `make models`: a client built from them loads a few
# operations instead of hundreds, which a cold start would otherwise pay for each Connect client.
TRIMMED_MODELS_DIR = Path(__file__).parent / "botocore_models"


def aws_session() -> boto3.session.Session:
    """A session whose botocore looks for service models in TRIMMED_MODELS_DIR first.

    `data_path` is botocore's own setting (also AWS_DATA_PATH); a path it already has stays after ours.
    """
    core = botocore.session.get_session()
    inherited = core.get_config_variable("data_path")
    core.set_config_variable("data_path", os.pathsep.join(filter(None, (str(TRIMMED_MODELS_DIR), inherited))))
    return boto3.session.Session(botocore_session=core)


# Every client aws_clients() built, so that a SnapStart restore can drop the connections they pooled
# (snapshot_hooks.py): a socket from before the snapshot is not this environment's.
_built_clients: list[Any] = []


def built_clients() -> list[Any]:
    """The clients built so far in this process (oldest first)."""
    return list(_built_clients)


def _kept[Client](client: Client) -> Client:
    _built_clients.append(client)
    return client


def aws_clients(session: boto3.session.Session | None = None) -> AwsClients:
    """The clients, all from `session` (aws_session() by default) with each adapter's configuration."""
    shared = session or aws_session()

    # One Connect client per attempt budget, created on first use and reused across invocations.
    @cache
    def connect_client(attempts: int) -> "ConnectClient":
        return _kept(shared.client("connect", config=connect.client_config(attempts)))

    @cache
    def sqs_client() -> "SQSClient":
        return _kept(shared.client("sqs"))

    @cache
    def sns_client() -> "SNSClient":
        return _kept(shared.client("sns"))

    return AwsClients(
        connect=connect_client,
        sqs=sqs_client,
        sns=sns_client,
        kms=cache(lambda: _kept(shared.client("kms"))),
        dynamodb=_kept(shared.client("dynamodb", config=dynamodb_idempotency.CLIENT_CONFIG)),
        events=_kept(shared.client("events")),
        ssm=lambda: _kept(shared.client("ssm")),
        scheduler=cache(lambda: _kept(shared.client("scheduler"))),
    )


def _rules_loader(config: Settings, clients: AwsClients) -> Callable[[], RoutingRules]:
    timed = config.sla_timers.timed_channels if config.sla_timers else None

    def checked(rules: RoutingRules) -> RoutingRules:
        # An SLA policy for a channel this deployment does not time would never arm: say so.
        if timed is not None:
            rules.check_timed_channels(timed)
        return rules

    parameter = config.routing_rules_parameter
    if parameter is not None:
        from_ssm = SsmRoutingRules(clients.ssm(), parameter, config.routing_rules_cache_seconds)
        return lambda: checked(from_ssm())
    rules = checked(rules_from_file(config.routing_rules))  # validated at start-up, not at first use
    return lambda: rules


def build_components(config: Settings, clients: AwsClients) -> Components:
    rate = config.connect_transfer_rate
    contact_center = ConnectContactCenter(
        config.connect_instance_id,
        clients.connect,
        config.connect_max_attempts,
        observability.record_call_latency,
        transfer_pacer=Pacer(rate) if rate > 0 else None,
    )
    idempotency = DynamoDbIdempotency(clients.dynamodb, config.idempotency_table)
    ledger = DynamoDbLedger(clients.dynamodb, config.ledger_table, config.ledger_retention_days)
    routing_rules = _rules_loader(config, clients)
    ports = EscalationPorts(
        contact_center=contact_center,
        routing_rules=routing_rules,
        idempotency=idempotency,
        ledger=ledger,
        events=EventBridgeEvents(clients.events, config.event_bus_name, observability.event_not_published),
    )
    service = EscalationService(
        ports, config.supervisor_group, on_attributes_failed=observability.attributes_not_written
    )
    alert_window = DynamoDbAlertWindow(
        clients.dynamodb, config.idempotency_table, config.alert_dedup_window_seconds
    )
    alerts = OncePerWindowAlerts(SnsAlerts(clients.sns, config.alert_topic_arn), alert_window)
    authenticator = KmsMac(clients.kms, config.dead_letter_mac_key_id)
    dead_letters = SignedDeadLetters(SqsDeadLetters(clients.sqs, config.dlq_url), authenticator)
    marks = DynamoDbDeadLetterMarks(clients.dynamodb, config.idempotency_table)
    outcomes = OutcomeRecorder(dead_letters, alerts, marks)
    ledger_queries = LedgerQueries(contact_center, ledger, config.supervisor_group)
    sla_timers = _sla_timers(config, clients, routing_rules, contact_center)
    options = EscalationOptionsQuery(
        contact_center, contact_center, ledger, routing_rules, config.supervisor_group
    )
    return Components(
        config,
        service,
        outcomes,
        contact_center,
        idempotency,
        ledger_queries,
        alerts,
        sla_timers,
        options,
        authenticator,
        EscalationIds(authenticator, config.connect_instance_id),
        clients,
    )


def _sla_timers(
    config: Settings,
    clients: AwsClients,
    routing_rules: Callable[[], RoutingRules],
    contact_center: ConnectContactCenter,
) -> SlaTimerService | None:
    timers = config.sla_timers
    if timers is None:
        return None
    target = TimerTarget(timers.target_arn, timers.scheduler_role_arn, timers.dead_letter_arn)
    scheduler = SchedulerTimers(clients.scheduler(), timers.schedule_group, target)
    # Business-hours clocks: queues' calendars from Connect, remembered per execution environment.
    calendars = CachedQueueCalendars(contact_center, config.sla_calendar_cache_seconds)
    return SlaTimerService(
        scheduler,
        routing_rules,
        config.connect_instance_arn,
        business_clock=BusinessClock(calendars, zone),
        timed_channels=timers.timed_channels,
    )


@cache
def components() -> Components:
    """The process's components, built on first use from its settings and aws_clients(), then kept."""
    return build_components(settings(), aws_clients())


def build_all_clients(built: Components) -> None:
    """Build now the clients the first invocations would build on first use: Connect's with the full
    attempt budget (an invocation with its whole time ahead), KMS's (escalation ids, signatures) and,
    when SLA timers are on, Scheduler's. For a SnapStart snapshot (snapshot_hooks.py)."""
    built.clients.connect(built.settings.connect_max_attempts)
    built.clients.kms()
    if built.settings.sla_timers is not None:
        built.clients.scheduler()


def reset() -> None:
    """Forget the settings and everything built from them (clients, rules, the use case).

    Lambda never needs this (an execution environment keeps one configuration); tests and the local
    stack do, because they change the environment between runs inside one process.
    """
    components.cache_clear()
    _built_clients.clear()
