"""The escalation Lambda: code, runtime, concurrency, async retries and a least-privilege role."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import jsii
from aws_cdk import BundlingOptions, DockerImage, Duration, ILocalBundling, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from escalation import contract
from infra import package
from infra.config import LAMBDA_ROOT, StackConfig
from infra.connect_policy import connect_statements, instance_arn
from infra.sla_schedules import handler_function_name
from infra.storage import Storage

HANDLER = "escalation.handler.handler"
# `-c snapStart=true`: the alias every trigger invokes (SnapStart applies to published versions only).
SNAPSTART_ALIAS = "live"
# requirements.txt pins the Powertools the tests run against; the layer deployed is that release.
REQUIREMENTS = LAMBDA_ROOT.parent / "requirements.txt"
TIMEOUT = Duration.seconds(20)  # under API Gateway's 29 s so the caller sees the handler's own answer
LOG_RETENTION = logs.RetentionDays.ONE_MONTH


def pinned_requirement(requirements: Path, package: str) -> str:
    """The exact version `package==X` pins in a requirements file (extras allowed)."""
    pattern = re.compile(rf"^{re.escape(package)}(\[[^\]]*\])?==([^\s;#]+)", re.IGNORECASE)
    for line in requirements.read_text(encoding="utf-8").splitlines():
        match = pattern.match(line.strip())
        if match:
            return match.group(2)
    raise ValueError(f"{requirements} pins no exact version of {package}")


def powertools_layer_parameter(requirements: Path = REQUIREMENTS) -> str:
    """The public SSM parameter holding the Powertools layer ARN for the pinned release (arm64,
    Python 3.13). A version-pinned path, not `latest`: the layer cannot drift from what was tested."""
    version = pinned_requirement(requirements, "aws-lambda-powertools")
    return f"/aws/service/powertools/python/arm64/python3.13/{version}"


@jsii.implements(ILocalBundling)
class CompiledPackage:
    """Local bundling for the function's asset: `lambdas/` with its bytecode (infra/package.py)."""

    # jsii hands over the bundling options, which this bundler has no use for.
    def try_bundle(self, output_dir: str, *_options: Any, **_keywords: Any) -> bool:
        package.build(LAMBDA_ROOT, Path(output_dir))
        return True


class Compute(Construct):
    """The function, its log group, its role, and its asynchronous-invocation policy."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StackConfig,
        storage: Storage,
        alert_topic: sns.ITopic,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)

        self.log_group = logs.LogGroup(self, "LogGroup", retention=LOG_RETENTION)

        # An explicit role instead of AWSLambdaBasicExecutionRole: logs only to its own log group.
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"{contract.SERVICE_NAME} ({config.env_name}) handler",
        )
        self.role.add_to_policy(
            iam.PolicyStatement(
                actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                resources=[self.log_group.log_group_arn],
            )
        )
        for statement in connect_statements(
            stack.partition, stack.region, stack.account, config.connect_instance_id
        ):
            self.role.add_to_policy(iam.PolicyStatement.from_json(statement))
        self.role.add_to_policy(
            iam.PolicyStatement(
                actions=[
                    "dynamodb:GetItem",
                    "dynamodb:PutItem",
                    "dynamodb:UpdateItem",
                    "dynamodb:DeleteItem",
                ],
                resources=[storage.idempotency_table.table_arn],
            )
        )
        # The ledger: written per escalation, read by chain (the table) and by id (the index).
        self.role.add_to_policy(
            iam.PolicyStatement(
                actions=["dynamodb:PutItem", "dynamodb:Query"],
                resources=[
                    storage.ledger_table.table_arn,
                    f"{storage.ledger_table.table_arn}/index/{contract.LEDGER_ESCALATION_INDEX}",
                ],
            )
        )
        # Escalation events, on the stack's bus only.
        self.role.add_to_policy(
            iam.PolicyStatement(
                actions=["events:PutEvents"],
                resources=[
                    stack.format_arn(service="events", resource="event-bus", resource_name=config.bus_name)
                ],
            )
        )
        self.role.add_to_policy(
            iam.PolicyStatement(actions=["sqs:SendMessage"], resources=[storage.dlq.queue_arn])
        )
        self.role.add_to_policy(
            iam.PolicyStatement(actions=["sns:Publish"], resources=[alert_topic.topic_arn])
        )
        # One key protects the table, the DLQ and the topic; these are the calls those services
        # make on the caller's behalf.
        self.role.add_to_policy(
            iam.PolicyStatement(
                actions=["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"],
                resources=[storage.key.key_arn],
            )
        )
        if storage.routing_rules_parameter is not None:
            self.role.add_to_policy(
                iam.PolicyStatement(
                    actions=["ssm:GetParameter"],
                    resources=[storage.routing_rules_parameter.parameter_arn],
                )
            )

        powertools = lambda_.LayerVersion.from_layer_version_arn(
            self,
            "PowertoolsLayer",
            ssm.StringParameter.value_for_string_parameter(self, powertools_layer_parameter()),
        )

        self.function = lambda_.Function(
            self,
            "Handler",
            function_name=handler_function_name(stack),
            description=f"Escalates Amazon Connect contacts ({config.env_name})",
            code=lambda_.Code.from_asset(
                str(LAMBDA_ROOT),
                exclude=package.ASSET_EXCLUDES,
                # Built in this process (package.py); the image is never pulled: no Docker needed.
                bundling=BundlingOptions(image=DockerImage.from_registry("unused"), local=CompiledPackage()),
            ),
            handler=HANDLER,
            runtime=lambda_.Runtime.PYTHON_3_13,
            architecture=lambda_.Architecture.ARM_64,
            layers=[powertools],
            memory_size=config.memory_size,
            # Restores from a snapshot of an initialised environment instead of running init
            # (lambdas/escalation/snapshot_hooks.py re-seeds what must differ per environment).
            snap_start=lambda_.SnapStartConf.ON_PUBLISHED_VERSIONS if config.snap_start else None,
            # Each deploy publishes a version, and every version's snapshot is billed while it exists:
            # the one replaced is deleted (CDK retains it by default).
            current_version_options=lambda_.VersionOptions(removal_policy=RemovalPolicy.DESTROY)
            if config.snap_start
            else None,
            timeout=TIMEOUT,
            role=self.role,
            log_group=self.log_group,
            tracing=lambda_.Tracing.ACTIVE,
            # Connect allows 2 TransferContact calls/s per account (burst 5), shared by every caller.
            # One escalation takes a few hundred ms, so 2-3 busy environments already saturate the
            # quota; more would only turn queued SLA events into ThrottlingExceptions and retries.
            # The rest of the cap is headroom for interactive API calls while a breach burst drains:
            # throttled async (EventBridge) invocations wait in Lambda's own queue, a throttled API
            # call is a 429 the supervisor sees.
            # `-c reservedConcurrency=none` leaves the cap out for accounts that refuse reservations.
            reserved_concurrent_executions=config.reserved_concurrency,
            environment={
                contract.EnvVar.CONNECT_INSTANCE_ID: config.connect_instance_id,
                contract.EnvVar.CONNECT_INSTANCE_ARN: instance_arn(
                    stack.partition, stack.region, stack.account, config.connect_instance_id
                ),
                contract.EnvVar.ROUTING_RULES: storage.routing_rules_setting,
                contract.EnvVar.DLQ_URL: storage.dlq.queue_url,
                contract.EnvVar.ALERT_TOPIC_ARN: alert_topic.topic_arn,
                contract.EnvVar.IDEMPOTENCY_TABLE: storage.idempotency_table.table_name,
                contract.EnvVar.LEDGER_TABLE: storage.ledger_table.table_name,
                contract.EnvVar.LEDGER_RETENTION_DAYS: str(storage.ledger_retention_days),
                contract.EnvVar.EVENT_BUS_NAME: config.bus_name,
                contract.EnvVar.CALLER_USER_ID_CLAIM: config.caller_user_id_claim,
                contract.EnvVar.SUPERVISOR_GROUP: config.supervisor_group,
                # Each environment paces its transfers to its share of the account's quota, so the
                # environments together keep to it (bench/results/burst_drain.md). Without a
                # reservation the share assumes `transferEnvironments` environments.
                contract.EnvVar.CONNECT_TRANSFER_RATE: f"{config.transfer_rate_per_environment:g}",
                # Business-hours SLA clocks: how long queues' calendars are remembered per container.
                contract.EnvVar.SLA_CALENDAR_CACHE_SECONDS: str(contract.DEFAULT_SLA_CALENDAR_CACHE_SECONDS),
                # The handler's own answers need the CORS header too (API Gateway adds it only to
                # preflights and its own errors).
                **({contract.EnvVar.DESKTOP_ORIGIN: config.desktop_origin} if config.desktop_origin else {}),
                "POWERTOOLS_SERVICE_NAME": contract.SERVICE_NAME,
                "POWERTOOLS_METRICS_NAMESPACE": contract.METRICS_NAMESPACE,
                "POWERTOOLS_LOG_LEVEL": "INFO",
                **package.RUNTIME_ENVIRONMENT,
            },
        )

        # What the triggers invoke: with SnapStart the alias of the published version (a snapshot exists
        # only for versions), else the function itself ($LATEST).
        self.alias: lambda_.Alias | None = None
        self.invocable: lambda_.IFunction = self.function
        if config.snap_start:
            self.alias = lambda_.Alias(
                self, "Alias", alias_name=SNAPSTART_ALIAS, version=self.function.current_version
            )
            self.invocable = self.alias

        # Written as the L1 resource so the only SQS/KMS rights are the explicit ones above (the L2
        # destination would add kms:ReEncrypt* and kms:GenerateDataKey*). Lambda checks the role can
        # send to the queue when it creates the config, hence the dependency on the role's policy.
        self.async_config = lambda_.CfnEventInvokeConfig(
            self,
            "AsyncConfig",
            function_name=self.function.function_name,
            # Asynchronous invocations are configured per qualifier: the alias's when the triggers use it.
            qualifier=SNAPSTART_ALIAS if config.snap_start else "$LATEST",
            maximum_retry_attempts=contract.ASYNC_RETRY_ATTEMPTS,
            maximum_event_age_in_seconds=contract.ASYNC_MAX_EVENT_AGE_SECONDS,
            destination_config=lambda_.CfnEventInvokeConfig.DestinationConfigProperty(
                on_failure=lambda_.CfnEventInvokeConfig.OnFailureProperty(destination=storage.dlq.queue_arn)
            ),
        )
        self.async_config.node.add_dependency(self.role)
        if self.alias is not None:
            self.async_config.node.add_dependency(self.alias)
