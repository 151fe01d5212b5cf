"""The handler DLQ as a trust boundary: only the function writes it, and its records carry a KMS HMAC.

- The queue policy denies `sqs:SendMessage` to every principal but the function's role. An Allow alone
  would not do: any identity of the account whose own IAM policy allows SendMessage could still send.
  Lambda's on-failure destination sends with the function's execution role (the Lambda Developer Guide,
  "Capturing records of asynchronous invocations": the execution role needs sqs:SendMessage), so the
  deny leaves it untouched. The rule's and the schedules' DLQs are other queues, never redriven.
- The MAC key (HMAC_256, GENERATE_VERIFY_MAC) signs every record the handler writes and the retry
  errors that become Lambda's on-failure records; its policy denies `kms:GenerateMac` to every principal
  but the function's role, so no one else can make a record the redrive accepts.
- The redrive operator's managed policy: what `tools.redrive` needs, `kms:VerifyMac` on this key only.
"""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from escalation import contract

MAC_KEY_SPEC = kms.KeySpec.HMAC_256
# What a redrive does on the DLQ: read, hide while it works, delete what Lambda accepted.
REDRIVE_QUEUE_ACTIONS = ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility")


def _only_the_role(role: iam.IRole, sid: str, action: str, resource: str) -> iam.PolicyStatement:
    """A resource-policy Deny of `action` to every principal whose ARN is not the role's."""
    return iam.PolicyStatement(
        sid=sid,
        effect=iam.Effect.DENY,
        principals=[iam.AnyPrincipal()],
        actions=[action],
        resources=[resource],
        conditions={"ArnNotEquals": {"aws:PrincipalArn": role.role_arn}},
    )


class DeadLetterTrust(Construct):
    """The MAC key, the queue's and key's deny statements, the function's grant and the operator policy."""

    def __init__(  # noqa: PLR0913 - the resources it guards, each named
        self,
        scope: Construct,
        construct_id: str,
        *,
        env_name: str,
        dlq: sqs.Queue,
        queue_key: kms.IKey,
        function: lambda_.IFunction,
        role: iam.IRole,
    ) -> None:
        super().__init__(scope, construct_id)
        self.mac_key = self._mac_key(env_name, role)
        dlq.add_to_resource_policy(
            _only_the_role(role, "OnlyTheHandlerWritesDeadLetters", "sqs:SendMessage", dlq.queue_arn)
        )

        # Attach to the operators' role or group: everything `python -m tools.redrive` calls, no more.
        self.redrive_policy = iam.ManagedPolicy(
            self,
            "RedrivePolicy",
            description=f"{contract.SERVICE_NAME} ({env_name}): run tools.redrive on the handler DLQ",
            statements=[
                iam.PolicyStatement(actions=list(REDRIVE_QUEUE_ACTIONS), resources=[dlq.queue_arn]),
                # The queue is encrypted with the stack key: reading a message decrypts it.
                iam.PolicyStatement(actions=["kms:Decrypt"], resources=[queue_key.key_arn]),
                iam.PolicyStatement(actions=["kms:VerifyMac"], resources=[self.mac_key.key_arn]),
                iam.PolicyStatement(actions=["lambda:InvokeFunction"], resources=[function.function_arn]),
            ],
        )

    def _mac_key(self, env_name: str, role: iam.IRole) -> kms.Key:
        """The HMAC key of the handler's dead-letter records: the role signs with it, and no one else may."""
        key = kms.Key(
            self,
            "MacKey",
            description=f"{contract.SERVICE_NAME} ({env_name}): HMAC of the handler's dead-letter records",
            key_spec=MAC_KEY_SPEC,
            key_usage=kms.KeyUsage.GENERATE_VERIFY_MAC,
            # The DLQ outlives the stack; its records must stay verifiable for a redrive.
            removal_policy=RemovalPolicy.RETAIN,
        )
        key.add_to_resource_policy(
            # In a key policy "*" means this key.
            _only_the_role(role, "OnlyTheHandlerSignsDeadLetters", "kms:GenerateMac", "*")
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(actions=["kms:GenerateMac"], resources=[key.key_arn])
        )
        return key
