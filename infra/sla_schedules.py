"""SLA timers: the rule on the instance's contact events into the handler, the schedule group its timers
live in, the role EventBridge Scheduler invokes the handler as, the handler's grants, and the schedules'
dead-letter queue with its alarm. `-c slaTimers=false` leaves all of it out (disable_sla_timers)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from aws_cdk import ArnFormat, Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_sns as sns
from constructs import Construct

from escalation import contract
from escalation.domain.routing import parse_rules
from infra.config import LAMBDA_ROOT, StackConfig
from infra.events import DELIVERY_MAX_EVENT_AGE, DELIVERY_RETRY_ATTEMPTS
from infra.monitoring import dlq_depth_alarm
from infra.storage import encrypted_queue

SCHEDULER_PRINCIPAL = "scheduler.amazonaws.com"
_MAX_NAME = 64  # Lambda function names and Scheduler group names


def stack_scoped_name(stack: Stack, suffix: str) -> str:
    """`<stack name>-<suffix>`, shortened with a hash of the stack name to fit 64 characters."""
    name = f"{stack.stack_name}-{suffix}"
    if len(name) <= _MAX_NAME:
        return name
    digest = hashlib.sha256(stack.stack_name.encode()).hexdigest()[:8]
    return f"{stack.stack_name[: _MAX_NAME - len(suffix) - 10]}-{digest}-{suffix}"


def handler_function_name(stack: Stack) -> str:
    """The handler's name, fixed so its own ARN (the timers' target) can be in its environment."""
    return stack_scoped_name(stack, "handler")


def function_arn(stack: Stack, name: str, qualifier: str | None = None) -> str:
    """The function's ARN, or with `qualifier` (an alias) the alias's."""
    return stack.format_arn(
        service="lambda",
        resource="function",
        resource_name=f"{name}:{qualifier}" if qualifier else name,
        arn_format=ArnFormat.COLON_RESOURCE_NAME,
    )


def disable_sla_timers(function: lambda_.Function) -> None:
    function.add_environment(contract.EnvVar.SLA_TIMERS_ENABLED, "false")


@dataclass(frozen=True)
class TimerWiring:
    """What the timers attach to: the handler (with its role), the key, the alert topic; `target` is what
    the rule and the schedules invoke (the handler, or its SnapStart alias, named by `target_qualifier`)."""

    function: lambda_.Function
    role: iam.Role
    key: kms.IKey
    alert_topic: sns.ITopic
    target: lambda_.IFunction
    target_qualifier: str | None = None


class SlaSchedules(Construct):
    def __init__(
        self, scope: Construct, construct_id: str, *, config: StackConfig, wiring: TimerWiring
    ) -> None:
        super().__init__(scope, construct_id)
        if not config.routing_rules_parameter:
            # The bundled rules' SLA policies must name only deployed channels: fail the synth, not
            # the function's first cold start.
            rules = (LAMBDA_ROOT / contract.DEFAULT_ROUTING_RULES_FILE).read_bytes()
            parse_rules(rules).check_timed_channels(frozenset(config.timed_channels))
        stack = Stack.of(self)
        # By name, not by reference: the handler's environment cannot refer to the handler itself.
        target_arn = function_arn(stack, handler_function_name(stack), wiring.target_qualifier)
        self.dlq = encrypted_queue(self, "ScheduleDeadLetterQueue", wiring.key)
        self.group = scheduler.CfnScheduleGroup(self, "Group", name=stack_scoped_name(stack, "sla"))
        group_name = str(self.group.name)
        schedules_arn = stack.format_arn(
            service="scheduler", resource="schedule", resource_name=f"{group_name}/*"
        )

        # Scheduler assumes this role to deliver a timer: it may invoke the handler and dead-letter, no more.
        self.scheduler_role = iam.Role(
            self,
            "SchedulerRole",
            assumed_by=iam.ServicePrincipal(
                SCHEDULER_PRINCIPAL, conditions={"StringEquals": {"aws:SourceAccount": stack.account}}
            ),
            description=f"{contract.SERVICE_NAME} ({config.env_name}) SLA timers: invoke the handler",
        )
        self.scheduler_role.add_to_policy(
            iam.PolicyStatement(actions=["lambda:InvokeFunction"], resources=[target_arn])
        )
        self.scheduler_role.add_to_policy(
            iam.PolicyStatement(actions=["sqs:SendMessage"], resources=[self.dlq.queue_arn])
        )
        self.scheduler_role.add_to_policy(
            iam.PolicyStatement(
                actions=["kms:GenerateDataKey", "kms:Decrypt"], resources=[wiring.key.key_arn]
            )
        )

        # The handler creates and deletes schedules in its group only, passing only that role.
        wiring.role.add_to_policy(
            iam.PolicyStatement(
                actions=["scheduler:CreateSchedule", "scheduler:DeleteSchedule"], resources=[schedules_arn]
            )
        )
        wiring.role.add_to_policy(
            iam.PolicyStatement(
                actions=["iam:PassRole"],
                resources=[self.scheduler_role.role_arn],
                conditions={"StringEquals": {"iam:PassedToService": SCHEDULER_PRINCIPAL}},
            )
        )
        for name, value in {
            contract.EnvVar.SLA_TIMERS_ENABLED: "true",
            contract.EnvVar.SLA_SCHEDULE_GROUP: group_name,
            contract.EnvVar.SLA_TIMER_TARGET_ARN: target_arn,
            contract.EnvVar.SLA_SCHEDULER_ROLE_ARN: self.scheduler_role.role_arn,
            contract.EnvVar.SLA_SCHEDULE_DLQ_ARN: self.dlq.queue_arn,
            contract.EnvVar.SLA_TIMED_CHANNELS: ",".join(config.timed_channels),
        }.items():
            wiring.function.add_environment(name, value)

        # Contact events EventBridge could not deliver: timers neither armed nor cancelled.
        self.delivery_dlq = encrypted_queue(self, "DeliveryDeadLetterQueue", wiring.key)
        self.rule = self._contact_event_rule(stack, config, wiring.target)
        self.dlq_alarm = dlq_depth_alarm(
            self,
            "ScheduleDlqDepth",
            self.dlq,
            "Scheduler could not deliver SLA timers to the handler: breaches unescalated.",
            wiring.alert_topic,
        )
        self.delivery_dlq_alarm = dlq_depth_alarm(
            self,
            "ContactEventDlqDepth",
            self.delivery_dlq,
            "EventBridge could not deliver contact events: SLA timers not armed or not cancelled.",
            wiring.alert_topic,
        )

    def _contact_event_rule(
        self, stack: Stack, config: StackConfig, function: lambda_.IFunction
    ) -> events.Rule:
        # Connect publishes contact events on the account's default bus, whatever bus the service uses.
        instance_arn = stack.format_arn(
            service="connect", resource="instance", resource_name=config.connect_instance_id
        )
        pattern = contract.contact_event_pattern(instance_arn, config.timed_channels)
        rule = events.Rule(
            self,
            "ContactEventRule",
            description="Connect contact events that arm and cancel SLA timers (escalation.contract)",
            event_pattern=events.EventPattern(
                source=list(pattern["source"]),  # type: ignore[call-overload]
                detail_type=list(pattern["detail-type"]),  # type: ignore[call-overload]
                detail=dict(pattern["detail"]),  # type: ignore[call-overload]
            ),
        )
        rule.add_target(
            targets.LambdaFunction(
                function,
                dead_letter_queue=self.delivery_dlq,
                retry_attempts=DELIVERY_RETRY_ATTEMPTS,
                max_event_age=DELIVERY_MAX_EVENT_AGE,
            )
        )
        return rule
