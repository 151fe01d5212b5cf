"""cdk-nag (v3): the rule packs, and every acknowledged finding with its reason, in one place.

cdk-nag 3 runs as an aws-cdk-lib policy-validation plugin: `Validations.of(app).add_plugins(...)`
fails synthesis on any finding that is not acknowledged with `Validations.of(construct).acknowledge`.
"""

from __future__ import annotations

from aws_cdk import Acknowledgment, App, DefaultStackSynthesizer, Stack, Validations
from cdk_nag import AwsSolutionsChecks, NagPack, ServerlessChecks
from constructs import IConstruct

from infra.connect_policy import connect_statements
from infra.desktop_hosting import DesktopHosting
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
    if stack.desktop is not None:
        _acknowledge_desktop(stack, stack.desktop)


_STATIC_APP = "The distribution serves the Escalate app's static bundle only (GET/HEAD from S3, no data)"
# aws-cdk-lib's BucketDeployment: a CDK-provided Lambda that copies the bundle into the app's bucket.
_DEPLOYMENT = (
    "aws-cdk-lib's BucketDeployment handler (the Lambda that copies the app's bundle at deploy time)"
)


def _bucket_deployment_handler(stack: Stack) -> IConstruct:
    """The stack-wide singleton function aws-cdk-lib creates for every BucketDeployment."""
    return next(c for c in stack.node.children if c.node.id.startswith("Custom::CDKBucketDeployment"))


def _acknowledge_desktop(stack: EscalationStack, desktop: DesktopHosting) -> None:
    _ack(
        desktop.bucket,
        {
            "AwsSolutions-S1": (
                "The bucket holds only the app's static bundle, written by the stack's deployment and "
                "read only by CloudFront through origin access control: access logs would record "
                "nothing but CloudFront's fetches of public files."
            ),
        },
    )
    _ack(
        desktop.distribution,
        {
            "AwsSolutions-CFR1": (
                f"{_STATIC_APP}; agents sign in wherever the contact centre works and the API it calls "
                "requires a Cognito token. Add a geo restriction if policy requires one."
            ),
            "AwsSolutions-CFR2": (
                f"{_STATIC_APP}; the API it calls is authorised by Cognito and throttled at its stage. "
                "Associate an account's web ACL if policy requires it."
            ),
            "AwsSolutions-CFR3": (
                f"{_STATIC_APP}; the API's access logs record every call the app makes. Enable standard "
                "logging on the distribution if policy requires it."
            ),
            "AwsSolutions-CFR4": (
                "The distribution uses CloudFront's default *.cloudfront.net certificate, with which "
                "CloudFront fixes the minimum viewer protocol at TLSv1; a custom domain with its own ACM "
                "certificate would allow TLSv1.2_2021."
            ),
        },
    )
    # The default synthesizer's bootstrap assets bucket, printed as cdk-nag prints it for this stack's
    # environment (literal Region and partition when the CLI supplies them).
    assets_bucket = _arn_finding(
        stack,
        f"arn:{stack.partition}:s3:::cdk-{DefaultStackSynthesizer.DEFAULT_QUALIFIER}-assets-"
        f"{stack.account}-{stack.region}/*",
    )
    app_objects = f"<{stack.resolve(desktop.bucket.node.default_child.logical_id)}.Arn>/*"  # type: ignore[union-attr]
    handler = _bucket_deployment_handler(stack)
    _ack(
        handler,
        {
            "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
            "AWSLambdaBasicExecutionRole]": (
                f"{_DEPLOYMENT} uses the AWS managed basic execution policy, which lets it write its own "
                "logs and nothing else."
            ),
            **{
                f"AwsSolutions-IAM5[Action::{action}]": (
                    f"{_DEPLOYMENT}, as aws-cdk-lib grants it: read the bundle's zip from the CDK "
                    "bootstrap assets bucket, and read, write and delete the objects of the app's own "
                    "bucket (the copy and the prune of old files are its whole job)."
                )
                for action in ("s3:GetObject*", "s3:GetBucket*", "s3:List*", "s3:DeleteObject*", "s3:Abort*")
            },
            f"AwsSolutions-IAM5[Resource::{assets_bucket}]": (
                f"{_DEPLOYMENT}: the bundle's zip in the CDK bootstrap assets bucket is named at deploy "
                "time; the handler only reads there."
            ),
            f"AwsSolutions-IAM5[Resource::{app_objects}]": (
                f"{_DEPLOYMENT}: every object of the app's own bucket, since each deployment replaces "
                "the whole bundle."
            ),
            "AwsSolutions-IAM5[Resource::*]": (
                f"{_DEPLOYMENT}: cloudfront:CreateInvalidation and GetInvalidation, which aws-cdk-lib "
                "grants on every distribution; the handler invalidates this stack's distribution only."
            ),
            "AwsSolutions-L1": f"{_DEPLOYMENT}: its runtime is chosen by aws-cdk-lib and moves with it.",
            "Serverless-LambdaLatestVersion": (
                f"{_DEPLOYMENT}: its runtime is chosen by aws-cdk-lib and moves with it."
            ),
            "Serverless-LambdaDLQ": (
                f"{_DEPLOYMENT} runs as a CloudFormation custom resource: a failed copy fails and rolls "
                "back the deployment, and a dead-lettered request would have nobody to replay it."
            ),
            "Serverless-LambdaTracing": (
                f"{_DEPLOYMENT} runs once per deployment; its log says what it copied and invalidated."
            ),
        },
    )
