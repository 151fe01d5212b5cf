"""cdk-nag (v3): the rule packs, and every acknowledged finding with its reason, in one place.

cdk-nag 3 runs as an aws-cdk-lib policy-validation plugin: `Validations.of(app).add_plugins(...)`
fails synthesis on any finding that is not acknowledged with `Validations.of(construct).acknowledge`.
"""

from __future__ import annotations

from aws_cdk import Acknowledgment, App, Stack, Validations
from cdk_nag import AwsSolutionsChecks, NagPack, ServerlessChecks
from constructs import IConstruct

from infra.connect_policy import connect_statements
from infra.stack import EscalationStack

_RUNTIME = (
    "Pinned to python3.13 on purpose: the tests and the local stack run on Python 3.13 and the "
    "Powertools layer parameter is the python3.13 one; move runtime, layer and test interpreter together."
)
_DLQ = (
    "This queue is itself a dead-letter queue (Lambda on-failure destination, EventBridge or "
    "Scheduler target DLQ); a DLQ of a DLQ adds nothing. Its depth alarms to the alert topic."
)


def rule_packs() -> list[NagPack]:
    return [AwsSolutionsChecks(), ServerlessChecks()]


def apply_checks(app: App) -> None:
    Validations.of(app).add_plugins(*rule_packs())


def _ack(construct: IConstruct, findings: dict[str, str]) -> None:
    Validations.of(construct).acknowledge(
        *(Acknowledgment(id=rule, reason=reason) for rule, reason in findings.items())
    )


def _arn_finding(stack: Stack, arn: str) -> str:
    """How cdk-nag prints a resolved ARN in an IAM5 finding id."""
    resolved = stack.resolve(arn)
    if isinstance(resolved, str):
        return resolved
    parts = resolved["Fn::Join"][1]
    return "".join(p if isinstance(p, str) else f"<{p['Ref']}>" for p in parts)


def acknowledge_findings(stack: EscalationStack) -> None:
    """The findings this design accepts, each on the narrowest construct it applies to."""
    wildcard_arns = sorted(
        {
            _arn_finding(stack, arn)
            for statement in connect_statements(
                stack.partition, stack.region, stack.account, stack.config.connect_instance_id
            )
            for arn in statement["Resource"]
            if arn.endswith("/*")
        }
    )
    _ack(
        stack.compute.role,
        {
            **{
                f"AwsSolutions-IAM5[Resource::{arn}]": (
                    "Contacts, flows and the target queue or agent are chosen per escalation at run "
                    "time (the event, routing rules, the request's target); each wildcard stays under "
                    "the configured Connect instance and covers one resource type that the Service "
                    "Authorization Reference lists for an action granted on it."
                )
                for arn in wildcard_arns
            },
            "AwsSolutions-IAM5[Resource::*]": (
                "Active tracing: xray:PutTraceSegments/PutTelemetryRecords support no resource-level "
                "permissions."
            ),
        },
    )
    _ack(
        stack.compute.function,
        {
            "AwsSolutions-L1": _RUNTIME,
            "Serverless-LambdaLatestVersion": _RUNTIME,
            "Serverless-LambdaDLQ": (
                "Failed asynchronous invocations go to the DLQ through the EventInvokeConfig on-failure "
                "destination (which also records the error); a legacy DeadLetterConfig as well would "
                "dead-letter every failure twice."
            ),
        },
    )
    timers = stack.sla_timers
    if timers is not None:
        schedules = _arn_finding(
            stack,
            stack.format_arn(
                service="scheduler", resource="schedule", resource_name=f"{timers.group.name}/*"
            ),
        )
        _ack(
            stack.compute.role,
            {
                f"AwsSolutions-IAM5[Resource::{schedules}]": (
                    "SLA timers are one schedule per queued contact, named at run time after the contact; "
                    "the wildcard covers the schedules of this stack's own schedule group only."
                ),
            },
        )
    for queue in (
        stack.storage.dlq,
        stack.events.dlq,
        *([timers.dlq, timers.delivery_dlq] if timers else []),
    ):
        _ack(
            queue,
            {
                "AwsSolutions-SQS3": _DLQ,
                "Serverless-SQSRedrivePolicy": _DLQ,
            },
        )
    _ack(
        stack.api.rest_api.deployment_stage,
        {
            "AwsSolutions-APIG3": (
                "No WAF web ACL by default: every method but the CORS preflight needs a Cognito token "
                "and the stage is throttled"
                + (" and the Lambda's concurrency is capped" if stack.config.reserved_concurrency else "")
                + ". Associate an account's web ACL if policy requires it."
            ),
            "AwsSolutions-APIG6": (
                "Execution logging needs the account-wide API Gateway CloudWatch role "
                "(AWS::ApiGateway::Account), a singleton this stack must not own; JSON access logs "
                "and X-Ray tracing are on."
            ),
        },
    )
    if stack.config.user_pool_id is None:
        _ack(
            stack.api.user_pool,
            {
                "AwsSolutions-COG8": (
                    "The pool created for development uses the Essentials plan: the Plus plan is "
                    "billed per user. Production imports its own pool with -c userPoolId=..."
                ),
            },
        )
    if stack.alerts.email_subscription is not None:
        _ack(
            stack.alerts.email_subscription,
            {
                "Serverless-SNSRedrivePolicy": (
                    "E-mail is a convenience copy of the alert: the alarm state and the handler's "
                    "DLQ keep the record, so an undeliverable e-mail needs no queue of its own."
                ),
            },
        )
