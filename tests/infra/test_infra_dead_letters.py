"""The handler DLQ is a trust boundary: only the function's role sends to it and makes MACs; the redrive
operators' policy verifies them and can do nothing else (infra/dead_letter_trust.py)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.infra.infra_support import (
    INSTANCE_ID,
    Synth,
    as_list,
    key_statements,
    role_statements,
    statements,
    synthesize,
)

pytestmark = pytest.mark.infra


@pytest.fixture(scope="module")
def synth(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    return synthesize({"connectInstanceId": INSTANCE_ID}, tmp_path_factory.mktemp("cdk-dead-letters"))


def arn_of(synth: Synth, construct: Any) -> dict[str, Any]:
    return {"Fn::GetAtt": [synth.logical_id(construct), "Arn"]}


def only_the_role(synth: Synth) -> dict[str, Any]:
    return {"ArnNotEquals": {"aws:PrincipalArn": arn_of(synth, synth.stack.compute.role)}}


def queue_policy_statements(synth: Synth, queue: Any) -> list[dict[str, Any]]:
    ref = {"Ref": synth.logical_id(queue)}
    found = [
        resource["Properties"]["PolicyDocument"]["Statement"]
        for resource in synth.resources("AWS::SQS::QueuePolicy").values()
        if ref in resource["Properties"]["Queues"]
    ]
    assert len(found) == 1
    return list(found[0])


def test_the_dlq_denies_send_message_to_every_principal_but_the_functions_role(synth: Synth) -> None:
    dlq = synth.stack.storage.dlq
    denies = [
        s
        for s in queue_policy_statements(synth, dlq)
        if s["Effect"] == "Deny" and "sqs:SendMessage" in as_list(s["Action"])
    ]
    assert denies == [
        {
            "Sid": "OnlyTheHandlerWritesDeadLetters",
            "Effect": "Deny",
            "Principal": {"AWS": "*"},
            "Action": "sqs:SendMessage",
            "Resource": arn_of(synth, dlq),
            "Condition": only_the_role(synth),
        }
    ]
    # The role itself may send (its identity policy), and Lambda's on-failure destination sends as it.
    sends = [
        s
        for s in role_statements(synth, synth.stack.compute.role)
        if "sqs:SendMessage" in as_list(s["Action"])
    ]
    assert [s["Resource"] for s in sends] == [arn_of(synth, dlq)]


def test_the_async_destination_is_the_guarded_queue(synth: Synth) -> None:
    _, config = synth.one("AWS::Lambda::EventInvokeConfig")
    destination = config["Properties"]["DestinationConfig"]["OnFailure"]["Destination"]
    assert destination == arn_of(synth, synth.stack.storage.dlq)


def test_the_mac_key_is_an_hmac_256_key_kept_with_the_dlq(synth: Synth) -> None:
    mac_key = synth.stack.dead_letters.mac_key
    resource = synth.raw["Resources"][synth.logical_id(mac_key)]
    assert resource["Properties"]["KeySpec"] == "HMAC_256"
    assert resource["Properties"]["KeyUsage"] == "GENERATE_VERIFY_MAC"
    assert resource["DeletionPolicy"] == "Retain"  # the DLQ is retained; its records stay verifiable
    assert resource["Properties"].get("EnableKeyRotation") in (None, False)  # KMS rotates no HMAC key


def test_only_the_functions_role_may_generate_macs(synth: Synth) -> None:
    denies = [s for s in key_statements(synth, synth.stack.dead_letters.mac_key) if s["Effect"] == "Deny"]
    assert denies == [
        {
            "Sid": "OnlyTheHandlerSignsDeadLetters",
            "Effect": "Deny",
            "Principal": {"AWS": "*"},
            "Action": "kms:GenerateMac",
            "Resource": "*",
            "Condition": only_the_role(synth),
        }
    ]


def test_the_function_may_generate_macs_with_that_key_only_and_never_verify(synth: Synth) -> None:
    mac_key = arn_of(synth, synth.stack.dead_letters.mac_key)
    grants = [
        (action, statement["Resource"])
        for statement in role_statements(synth, synth.stack.compute.role)
        for action in as_list(statement["Action"])
        if action in ("kms:GenerateMac", "kms:VerifyMac") or "Mac" in action
    ]
    assert grants == [("kms:GenerateMac", mac_key)]
    # Nobody else in the template is granted GenerateMac either.
    everyone = [
        statement
        for statement in statements(synth)
        if "kms:GenerateMac" in as_list(statement["Action"]) or "kms:*" in as_list(statement["Action"])
    ]
    assert len(everyone) == 1


def test_the_redrive_policy_reads_the_dlq_verifies_macs_and_invokes_the_function_only(synth: Synth) -> None:
    st = synth.stack
    policy = synth.raw["Resources"][synth.logical_id(st.dead_letters.redrive_policy)]
    granted = {
        action: statement["Resource"]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        for action in as_list(statement["Action"])
        if statement["Effect"] == "Allow"
    }
    assert granted == {
        "sqs:ReceiveMessage": arn_of(synth, st.storage.dlq),
        "sqs:DeleteMessage": arn_of(synth, st.storage.dlq),
        "sqs:ChangeMessageVisibility": arn_of(synth, st.storage.dlq),
        "kms:Decrypt": arn_of(synth, st.storage.key),
        "kms:VerifyMac": arn_of(synth, st.dead_letters.mac_key),
        "lambda:InvokeFunction": arn_of(synth, st.compute.function),
    }
    # An operator can check records but never make one the redrive would accept.
    assert "kms:GenerateMac" not in granted
    assert "sqs:SendMessage" not in granted


def test_operators_find_the_key_and_the_policy_in_the_outputs(synth: Synth) -> None:
    outputs = synth.raw["Outputs"]
    assert outputs["DeadLetterMacKeyArn"]["Value"] == arn_of(synth, synth.stack.dead_letters.mac_key)
    assert outputs["RedrivePolicyArn"]["Value"] == {
        "Ref": synth.logical_id(synth.stack.dead_letters.redrive_policy)
    }
    # What `tools.redrive --function-name` is given: the function itself without SnapStart.
    assert outputs["RedriveFunctionArn"]["Value"] == arn_of(synth, synth.stack.compute.function)
