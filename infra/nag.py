"""cdk-nag (v3): the rule packs, and every acknowledged finding with its reason, in one place.

cdk-nag 3 runs as an aws-cdk-lib policy-validation plugin: `Validations.of(app).add_plugins(...)`
fails synthesis on any finding that is not acknowledged with `Validations.of(construct).acknowledge`.
"""

from __future__ import annotations

from aws_cdk import Acknowledgment, App, Stack, Validations
from cdk_nag import AwsSolutionsChecks, NagPack, ServerlessChecks
from constructs import IConstruct

from infra.compute import CONNECT_RESOURCES, connect_instance_arn
from infra.stack import EscalationStack

_RUNTIME = (
    "Pinned to python3.13 on purpose: the public Powertools layer parameter and the tested "
    "dependency set are for 3.13; move runtime and layer together."
)
_DLQ = (
    "This queue is itself a dead-letter queue (Lambda on-failure destination or EventBridge target "
    "DLQ); a DLQ of a DLQ adds nothing. Its depth alarms to the alert topic."
)
_PREFLIGHT = (
    "CORS preflight (OPTIONS) requests never carry credentials; this mock integration only returns "
    "the allowed origin, methods and headers."
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
    instance_arn = _arn_finding(stack, connect_instance_arn(stack, stack.config.connect_instance_id))
    suffixes = sorted({s for resources in CONNECT_RESOURCES.values() for s in resources if s})
    _ack(
        stack.compute.role,
        {
            **{
                f"AwsSolutions-IAM5[Resource::{instance_arn}/{suffix}]": (
                    "Contacts, flows, queues and agents are chosen per escalation at run time (routing "
                    "rules, the request's target); the grant is limited to the configured Connect "
                    "instance and to the resource types the Service Authorization Reference lists."
                )
                for suffix in suffixes
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
    for queue in (stack.storage.dlq, stack.events.dlq):
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
                "No WAF web ACL by default: every method needs a Cognito token, the stage is throttled "
                "and the Lambda's concurrency is capped. Associate an account's web ACL if policy "
                "requires it (see infra/README-deploy.md)."
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
    for method in stack.api.preflight_methods:
        _ack(
            method,
            {
                "AwsSolutions-APIG4": _PREFLIGHT,
                "AwsSolutions-COG4": _PREFLIGHT,
            },
        )
