"""Alerting: the SNS topic the handler and the alarms publish to, the alarms, the dashboard."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Duration, Stack
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from escalation import contract
from infra.config import StackConfig
from infra.storage import allow_cloudwatch_alarms

PERIOD = Duration.minutes(5)
# Powertools EMF puts `service` on every metric, so every query carries it.
SERVICE_DIMENSION = {"service": contract.SERVICE_NAME}
# A few throttles are absorbed by botocore's retries; a sustained run means escalations are queuing
# behind the 2/s TransferContact quota.
THROTTLES_PER_PERIOD = 10
# One TransferContact with its retries; well above normal (~hundreds of ms), well under the timeout.
TRANSFER_LATENCY_P99_MS = 5000


def service_metric(
    name: str, *, statistic: str = "Sum", extra: dict[str, str] | None = None, label: str | None = None
) -> cw.Metric:
    return cw.Metric(
        namespace=contract.METRICS_NAMESPACE,
        metric_name=name,
        dimensions_map={**SERVICE_DIMENSION, **(extra or {})},
        statistic=statistic,
        period=PERIOD,
        label=label,
    )


class AlertTopic(Construct):
    """Encrypted, TLS-only topic; an e-mail subscription when `alertEmail` is given."""

    def __init__(self, scope: Construct, construct_id: str, *, config: StackConfig, key: kms.IKey) -> None:
        super().__init__(scope, construct_id)
        self.topic = sns.Topic(
            self,
            "Topic",
            display_name=f"{contract.SERVICE_NAME} alerts ({config.env_name})",
            master_key=key,
            enforce_ssl=True,
        )
        # enforce_ssl gives the topic a policy of its own, which replaces SNS's default one: without
        # this grant no alarm could publish.
        self.topic.add_to_resource_policy(
            allow_cloudwatch_alarms(Stack.of(self), ["sns:Publish"], [self.topic.topic_arn])
        )
        self.email_subscription: sns.Subscription | None = None
        if config.alert_email:
            self.email_subscription = self.topic.add_subscription(
                subscriptions.EmailSubscription(config.alert_email)
            )


def dlq_depth_alarm(
    scope: Construct, construct_id: str, queue: sqs.IQueue, description: str, topic: sns.ITopic
) -> cw.Alarm:
    """An alarm, to the alert topic, as soon as a dead-letter queue holds a message."""
    alarm = cw.Alarm(
        scope,
        construct_id,
        metric=queue.metric_approximate_number_of_messages_visible(
            period=Duration.minutes(1), statistic="Maximum"
        ),
        threshold=0,
        evaluation_periods=1,
        comparison_operator=cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
        # No data means no traffic, not a fault.
        treat_missing_data=cw.TreatMissingData.NOT_BREACHING,
        alarm_description=description,
    )
    alarm.add_alarm_action(cw_actions.SnsAction(topic))
    return alarm


@dataclass(frozen=True)
class MonitoredResources:
    """What the alarms and the dashboard watch: the handler and the two dead-letter queues."""

    function: lambda_.IFunction
    dlq: sqs.IQueue  # the handler's: escalations that failed for good
    event_dlq: sqs.IQueue  # EventBridge's: SLA-breach events it could not deliver


class Monitoring(Construct):
    """Alarms on `watched`, wired to the alert topic, and one dashboard of the service's metrics."""

    def __init__(
        self, scope: Construct, construct_id: str, *, topic: sns.ITopic, watched: MonitoredResources
    ) -> None:
        super().__init__(scope, construct_id)
        function, dlq, event_dlq = watched.function, watched.dlq, watched.event_dlq
        action = cw_actions.SnsAction(topic)
        self.alarms: list[cw.Alarm] = []

        def alarm(
            construct_id: str,
            metric: cw.IMetric,
            *,
            threshold: float,
            description: str,
            comparison: cw.ComparisonOperator = cw.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        ) -> None:
            created = cw.Alarm(
                self,
                construct_id,
                metric=metric,
                threshold=threshold,
                evaluation_periods=1,
                comparison_operator=comparison,
                # No data means no traffic, not a fault.
                treat_missing_data=cw.TreatMissingData.NOT_BREACHING,
                alarm_description=description,
            )
            created.add_alarm_action(action)
            self.alarms.append(created)

        dlq_description = "Escalations failed for good and are waiting in the DLQ: inspect and redrive."
        self.alarms.append(dlq_depth_alarm(self, "DlqDepth", dlq, dlq_description, topic))
        event_dlq_description = "EventBridge could not deliver SLA-breach events to the handler."
        self.alarms.append(dlq_depth_alarm(self, "EventDlqDepth", event_dlq, event_dlq_description, topic))
        alarm(
            "AlertDecisions",
            service_metric(contract.Metric.DECISION_ALERT),
            threshold=1,
            description="The handler decided an escalation needs a person (ALERT decision).",
        )
        alarm(
            "DeadLetterWriteFailed",
            service_metric(contract.Metric.DEAD_LETTER_WRITE_FAILED),
            threshold=1,
            description=(
                "SQS refused a dead-letter record: the escalation is only in the handler's ERROR log line "
                "(and the alert). Copy the record from the log and redrive it by hand."
            ),
        )
        alarm(
            "ConnectThrottling",
            service_metric(
                contract.Metric.CONNECT_ERROR, extra={contract.ERROR_CODE_DIMENSION: "ThrottlingException"}
            ),
            threshold=THROTTLES_PER_PERIOD,
            description="Connect is throttling the service (TransferContact quota 2/s per account).",
        )
        alarm(
            "LambdaErrors",
            function.metric_errors(period=PERIOD, statistic="Sum"),
            threshold=1,
            description="The escalation handler raised unhandled errors.",
        )
        alarm(
            "TransferLatencyP99",
            service_metric(contract.Metric.TRANSFER_LATENCY, statistic="p99"),
            threshold=TRANSFER_LATENCY_P99_MS,
            comparison=cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
            description="TransferContact p99 latency (with retries) is high: Connect slow or throttling.",
        )

        # Dashboard names are global per account: the stack name and Region keep them apart.
        stack = Stack.of(self)
        self.dashboard_name = f"{stack.stack_name}-{stack.region}"
        self.dashboard = cw.Dashboard(self, "Dashboard", dashboard_name=self.dashboard_name)
        triggers = [
            service_metric(contract.Metric.REQUESTED, extra={contract.TRIGGER_DIMENSION: t}, label=t)
            for t in ("API", "EVENT")
        ]
        outcomes = [
            service_metric(contract.Metric.TRANSFERRED, label="transferred"),
            service_metric(contract.Metric.SKIPPED, label="skipped"),
            service_metric(contract.Metric.REFUSED, label="refused"),
            service_metric(contract.Metric.EVENT_PUBLISH_FAILED, label="events not published"),
            service_metric(contract.Metric.DEAD_LETTER_WRITE_FAILED, label="dead letters not written"),
            service_metric(contract.Metric.ALERT_PUBLISH_FAILED, label="alerts not published"),
        ]
        decisions = [
            service_metric(name, label=name)
            for name in (
                contract.Metric.DECISION_RETRY,
                contract.Metric.DECISION_DEAD_LETTER,
                contract.Metric.DECISION_ALERT,
                contract.Metric.DECISION_DUPLICATE,
            )
        ]
        # ErrorCode is open-ended from the dashboard's point of view: search for every value.
        search = (
            f"{{{contract.METRICS_NAMESPACE},{contract.ERROR_CODE_DIMENSION},service}} "
            f'MetricName="{contract.Metric.CONNECT_ERROR}"'
        )
        connect_errors = cw.MathExpression(
            expression=f"SEARCH('{search}', 'Sum', {int(PERIOD.to_seconds())})",
            using_metrics={},
            label="",
            period=PERIOD,
        )
        latency = [
            service_metric(contract.Metric.TRANSFER_LATENCY, statistic=stat, label=stat)
            for stat in ("p50", "p99")
        ]
        self.dashboard.add_widgets(
            cw.GraphWidget(title="Escalations requested (by trigger)", left=triggers, width=12),
            cw.GraphWidget(title="Outcomes", left=outcomes, width=12),
        )
        self.dashboard.add_widgets(
            cw.GraphWidget(title="Decisions", left=decisions, width=12),
            cw.GraphWidget(title="Connect errors (by ErrorCode)", left=[connect_errors], width=12),
        )
        self.dashboard.add_widgets(
            cw.GraphWidget(title="TransferContact latency (ms)", left=latency, width=12),
            cw.GraphWidget(
                title="Handler",
                left=[
                    function.metric_invocations(period=PERIOD),
                    function.metric_errors(period=PERIOD),
                    function.metric_throttles(period=PERIOD),
                ],
                right=[function.metric_duration(period=PERIOD, statistic="p99")],
                width=12,
            ),
        )
        self.dashboard.add_widgets(
            cw.GraphWidget(
                title="Dead-letter queues (messages visible)",
                left=[
                    dlq.metric_approximate_number_of_messages_visible(period=PERIOD, label="handler DLQ"),
                    event_dlq.metric_approximate_number_of_messages_visible(period=PERIOD, label="event DLQ"),
                ],
                width=24,
            ),
        )
