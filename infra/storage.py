"""Durable state: the encryption key, the idempotency table, the escalation ledger, the dead-letter queue,
routing rules."""

from __future__ import annotations

import json
from pathlib import Path

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from escalation import contract
from infra.config import LAMBDA_ROOT, StackConfig

# Lambda async retries and EventBridge retries both give up well within a day; 14 days (the SQS
# maximum) leaves a fortnight to inspect and redrive what failed.
DLQ_RETENTION = Duration.days(14)
# Standard SSM parameters hold up to 4 KB; bigger rule sets need the (paid) advanced tier.
_STANDARD_PARAMETER_LIMIT = 4096


def alarm_source_conditions(stack: Stack) -> dict[str, dict[str, str]]:
    """Scope a grant to CloudWatch to this account's alarms in this Region."""
    return {
        "StringEquals": {"aws:SourceAccount": stack.account},
        "ArnLike": {
            "aws:SourceArn": f"arn:{stack.partition}:cloudwatch:{stack.region}:{stack.account}:alarm:*"
        },
    }


def allow_cloudwatch_alarms(stack: Stack, actions: list[str], resources: list[str]) -> iam.PolicyStatement:
    """A resource-policy statement: CloudWatch may do `actions`, for this account's alarms in this Region."""
    return iam.PolicyStatement(
        sid="AllowCloudWatchAlarms",
        principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
        actions=actions,
        resources=resources,
        conditions=alarm_source_conditions(stack),
    )


def encrypted_queue(scope: Construct, construct_id: str, key: kms.IKey) -> sqs.Queue:
    """A dead-letter queue: customer-managed KMS, TLS-only resource policy, 14-day retention, kept
    when the stack is deleted."""
    return sqs.Queue(
        scope,
        construct_id,
        encryption=sqs.QueueEncryption.KMS,
        encryption_master_key=key,
        enforce_ssl=True,
        retention_period=DLQ_RETENTION,
        # What failed for good must survive the stack: deleting it would lose escalations unreplayed.
        removal_policy=RemovalPolicy.RETAIN,
    )


def _string_key(name: str) -> dynamodb.Attribute:
    return dynamodb.Attribute(name=name, type=dynamodb.AttributeType.STRING)


def read_routing_rules(path: Path) -> str:
    """The bundled rules as compact JSON, or an empty rule set while the file does not exist yet."""
    if not path.is_file():
        return json.dumps({"rules": []})
    return json.dumps(json.loads(path.read_text(encoding="utf-8")), separators=(",", ":"))


class Storage(Construct):
    """The KMS key, idempotency table, handler DLQ and (optionally) the routing-rules parameter."""

    def __init__(self, scope: Construct, construct_id: str, *, config: StackConfig) -> None:
        super().__init__(scope, construct_id)
        self.key = self._encryption_key(config.env_name)

        # Powertools' DynamoDB idempotency layer: partition key `id`, TTL attribute `expiration`. Records
        # expire within hours; nothing in the table outlives a stack deletion usefully.
        self.idempotency_table = self._table(
            "IdempotencyTable", keys=("id",), ttl_attribute="expiration", removal=RemovalPolicy.DESTROY
        )

        # The escalation ledger: one item per escalation, partitioned by contact chain, read by id through
        # the index. An audit trail: kept when the stack is deleted, items expire after the retention.
        self.ledger_table = self._table(
            "LedgerTable",
            keys=(contract.LEDGER_PARTITION_KEY, contract.LEDGER_SORT_KEY),
            ttl_attribute=contract.LEDGER_TTL_ATTRIBUTE,
            removal=RemovalPolicy.RETAIN,
        )
        self.ledger_table.add_global_secondary_index(
            index_name=contract.LEDGER_ESCALATION_INDEX,
            partition_key=_string_key(contract.LEDGER_SORT_KEY),
            projection_type=dynamodb.ProjectionType.ALL,
        )
        self.ledger_retention_days = config.audit_retention_days

        self.dlq = encrypted_queue(self, "DeadLetterQueue", self.key)

        self.routing_rules_parameter: ssm.StringParameter | None = None
        # A literal name (not the parameter's Ref) so the environment variable reads plainly. Parameters
        # are per Region; the stack name keeps two stacks in one Region apart.
        self.routing_rules_parameter_name = (
            f"/{contract.SERVICE_NAME}/{Stack.of(self).stack_name}/routing-rules"
        )
        if config.routing_rules_parameter:
            value = read_routing_rules(LAMBDA_ROOT / contract.DEFAULT_ROUTING_RULES_FILE)
            self.routing_rules_parameter = ssm.StringParameter(
                self,
                "RoutingRules",
                parameter_name=self.routing_rules_parameter_name,
                description="Escalation routing rules (JSON); edit to change routing without a deploy",
                string_value=value,
                tier=ssm.ParameterTier.ADVANCED
                if len(value.encode()) > _STANDARD_PARAMETER_LIMIT
                else ssm.ParameterTier.STANDARD,
            )

    def _encryption_key(self, env_name: str) -> kms.Key:
        """The stack's customer-managed key, rotated. EventBridge writes undeliverable events to the
        encrypted event DLQ (its queue policy names the rule), and CloudWatch alarms publish to the
        encrypted alert topic: both services may use it too."""
        key = kms.Key(
            self,
            "Key",
            description=f"{contract.SERVICE_NAME} ({env_name}): DLQs, alert topic, DynamoDB tables",
            enable_key_rotation=True,
        )
        key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowEventBridgeDeadLetters",
                principals=[iam.ServicePrincipal("events.amazonaws.com")],
                actions=["kms:Decrypt", "kms:GenerateDataKey"],
                resources=["*"],  # in a key policy "*" means this key
            )
        )
        key.add_to_resource_policy(
            allow_cloudwatch_alarms(Stack.of(self), ["kms:Decrypt", "kms:GenerateDataKey*"], ["*"])
        )
        return key

    def _table(
        self, construct_id: str, *, keys: tuple[str, ...], ttl_attribute: str, removal: RemovalPolicy
    ) -> dynamodb.Table:
        """A table as the service keeps them: string keys (partition, then sort), on demand, encrypted with
        the stack's key, point-in-time recovery on."""
        partition, *sort = keys
        return dynamodb.Table(
            self,
            construct_id,
            partition_key=_string_key(partition),
            sort_key=_string_key(sort[0]) if sort else None,
            time_to_live_attribute=ttl_attribute,
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            encryption=dynamodb.TableEncryption.CUSTOMER_MANAGED,
            encryption_key=self.key,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            removal_policy=removal,
        )

    @property
    def routing_rules_setting(self) -> str:
        """The ROUTING_RULES value: the SSM parameter when created, else the bundled file."""
        if self.routing_rules_parameter is None:
            return contract.DEFAULT_ROUTING_RULES_FILE
        return f"ssm:{self.routing_rules_parameter_name}"
