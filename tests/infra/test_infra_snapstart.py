"""`-c snapStart=true`: SnapStart on published versions, and every trigger invokes the alias; by default
it stays off and the triggers invoke the function. `-c memorySize=` sets the function's memory."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from escalation import contract
from infra.compute import SNAPSTART_ALIAS
from infra.config import DEFAULT_MEMORY_MB
from tests.infra.infra_support import Synth, as_list, rendered, role_statements

pytestmark = pytest.mark.infra

ALIAS_ARN = (
    "arn:<AWS::Partition>:lambda:<AWS::Region>:<AWS::AccountId>:function:ConnectEscalation-dev-handler:"
    + SNAPSTART_ALIAS
)


@pytest.fixture(scope="module")
def snap(synthesized: Callable[[str], Synth]) -> Synth:
    return synthesized("snapstart")


@pytest.fixture(scope="module")
def default(synthesized: Callable[[str], Synth]) -> Synth:
    return synthesized("default")


def function_properties(synth: Synth) -> dict[str, Any]:
    return dict(synth.raw["Resources"][synth.logical_id(synth.stack.compute.function)]["Properties"])


def alias_ref(synth: Synth) -> dict[str, str]:
    alias_id, _ = synth.one("AWS::Lambda::Alias")
    return {"Ref": alias_id}


def test_snapstart_applies_to_published_versions_behind_one_alias(snap: Synth) -> None:
    properties = function_properties(snap)
    assert properties["SnapStart"] == {"ApplyOn": "PublishedVersions"}
    assert properties["MemorySize"] == 512
    version_id, version = snap.one("AWS::Lambda::Version")
    # A replaced version is deleted, not retained: each version's snapshot is billed while it exists.
    assert version["DeletionPolicy"] == "Delete"
    assert version["Properties"]["FunctionName"] == {"Ref": snap.logical_id(snap.stack.compute.function)}
    _, alias = snap.one("AWS::Lambda::Alias")
    assert alias["Properties"]["Name"] == SNAPSTART_ALIAS
    assert alias["Properties"]["FunctionVersion"] == {"Fn::GetAtt": [version_id, "Version"]}


def test_the_api_integration_invokes_the_alias(snap: Synth) -> None:
    methods = [
        m
        for m in snap.resources("AWS::ApiGateway::Method").values()
        if m["Properties"]["HttpMethod"] != "OPTIONS"
    ]
    assert methods
    for method in methods:
        uri = method["Properties"]["Integration"]["Uri"]
        assert alias_ref(snap) in uri["Fn::Join"][1], uri
    # API Gateway may invoke the alias (the permission is on it, not on the function).
    permissions = snap.resources("AWS::Lambda::Permission").values()
    api_permissions = [p for p in permissions if p["Properties"]["Principal"] == "apigateway.amazonaws.com"]
    assert api_permissions
    assert all(p["Properties"]["FunctionName"] == alias_ref(snap) for p in api_permissions)


def test_both_rules_target_the_alias(snap: Synth) -> None:
    timers = snap.stack.sla_timers
    assert timers is not None
    for rule in (snap.stack.events.rule, timers.rule):
        (target,) = snap.raw["Resources"][snap.logical_id(rule)]["Properties"]["Targets"]
        assert target["Arn"] == alias_ref(snap)
    permissions = snap.resources("AWS::Lambda::Permission").values()
    event_permissions = [p for p in permissions if p["Properties"]["Principal"] == "events.amazonaws.com"]
    assert len(event_permissions) == 2
    assert all(p["Properties"]["FunctionName"] == alias_ref(snap) for p in event_permissions)


def test_the_schedules_target_the_alias_and_the_scheduler_role_may_invoke_it(snap: Synth) -> None:
    timers = snap.stack.sla_timers
    assert timers is not None
    variables = function_properties(snap)["Environment"]["Variables"]
    assert rendered(variables[contract.EnvVar.SLA_TIMER_TARGET_ARN]) == ALIAS_ARN
    invoke = [
        statement
        for statement in role_statements(snap, timers.scheduler_role)
        if "lambda:InvokeFunction" in as_list(statement["Action"])
    ]
    assert [rendered(resource) for statement in invoke for resource in as_list(statement["Resource"])] == [
        ALIAS_ARN
    ]


def test_asynchronous_invocations_of_the_alias_keep_the_retry_and_dead_letter_policy(snap: Synth) -> None:
    _, config = snap.one("AWS::Lambda::EventInvokeConfig")
    assert config["Properties"]["Qualifier"] == SNAPSTART_ALIAS
    assert config["Properties"]["MaximumRetryAttempts"] == contract.ASYNC_RETRY_ATTEMPTS


def test_by_default_snapstart_is_off_and_the_triggers_invoke_the_function(default: Synth) -> None:
    properties = function_properties(default)
    assert "SnapStart" not in properties
    assert properties["MemorySize"] == DEFAULT_MEMORY_MB
    assert not default.resources("AWS::Lambda::Alias")
    assert not default.resources("AWS::Lambda::Version")
    function = {"Fn::GetAtt": [default.logical_id(default.stack.compute.function), "Arn"]}
    (target,) = default.raw["Resources"][default.logical_id(default.stack.events.rule)]["Properties"][
        "Targets"
    ]
    assert target["Arn"] == function
    _, config = default.one("AWS::Lambda::EventInvokeConfig")
    assert config["Properties"]["Qualifier"] == "$LATEST"


def test_a_redrive_invokes_the_alias_that_keeps_the_dead_letter_queue(
    snap: Synth,
) -> None:
    # Asynchronous invocations are configured per qualifier: a redriven event sent to $LATEST would
    # fail again with no on-failure destination. The operator's policy and the output name the alias.
    policy = snap.raw["Resources"][snap.logical_id(snap.stack.dead_letters.redrive_policy)]
    invoke = [
        statement
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        if "lambda:InvokeFunction" in as_list(statement["Action"])
    ]
    assert [resource for statement in invoke for resource in as_list(statement["Resource"])] == [
        alias_ref(snap)
    ]
    assert snap.raw["Outputs"]["RedriveFunctionArn"]["Value"] == alias_ref(snap)
