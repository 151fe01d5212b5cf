"""The SLA timers' infrastructure: the contact-event rule, the schedule group, the scheduler role, the
handler's grants and the schedules' DLQ; and `-c slaTimers=false`, which leaves all of it out."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from escalation import contract
from tests.infra.infra_support import (
    INSTANCE_ID,
    Synth,
    as_list,
    assert_retained,
    rendered,
    role_statements,
)

pytestmark = pytest.mark.infra

INSTANCE_ARN = f"arn:<AWS::Partition>:connect:<AWS::Region>:<AWS::AccountId>:instance/{INSTANCE_ID}"
FUNCTION_ARN = (
    "arn:<AWS::Partition>:lambda:<AWS::Region>:<AWS::AccountId>:function:ConnectEscalation-dev-handler"
)
GROUP = "ConnectEscalation-dev-sla"


@pytest.fixture(scope="module")
def synth(synthesized: Callable[[str], Synth]) -> Synth:
    return synthesized("default")


@pytest.fixture(scope="module")
def synth_off(synthesized: Callable[[str], Synth]) -> Synth:
    return synthesized("sla-timers-off")


def grants(synth: Synth, role: Any) -> dict[str, list[dict[str, Any]]]:
    by_action: dict[str, list[dict[str, Any]]] = {}
    for statement in role_statements(synth, role):
        for action in as_list(statement["Action"]):
            by_action.setdefault(action, []).append(statement)
    return by_action


def env(synth: Synth) -> dict[str, Any]:
    function = synth.raw["Resources"][synth.logical_id(synth.stack.compute.function)]
    return dict(function["Properties"]["Environment"]["Variables"])


def test_the_contact_event_rule_matches_this_instance_on_the_default_bus_into_the_handler(
    synth: Synth,
) -> None:
    timers = synth.stack.sla_timers
    assert timers is not None
    rule = synth.raw["Resources"][synth.logical_id(timers.rule)]["Properties"]
    assert "EventBusName" not in rule  # Connect publishes on the default bus
    pattern = rule["EventPattern"]
    instance_arns = [rendered(arn) for arn in pattern["detail"]["instanceArn"]]
    deployed = {**pattern, "detail": {**pattern["detail"], "instanceArn": instance_arns}}
    assert deployed == contract.contact_event_pattern(INSTANCE_ARN)
    # Only what the timers act on: four event types, tasks and emails in any casing.
    assert pattern["detail"]["channel"] == [{"equals-ignore-case": "TASK"}, {"equals-ignore-case": "EMAIL"}]
    assert [match["equals-ignore-case"] for match in pattern["detail"]["eventType"]] == [
        "INITIATED",
        "QUEUED",
        "CONNECTED_TO_AGENT",
        "DISCONNECTED",
    ]
    (target,) = rule["Targets"]
    assert target["Arn"] == {"Fn::GetAtt": [synth.logical_id(synth.stack.compute.function), "Arn"]}
    assert target["DeadLetterConfig"]["Arn"] == {"Fn::GetAtt": [synth.logical_id(timers.delivery_dlq), "Arn"]}
    assert target["RetryPolicy"]["MaximumRetryAttempts"] > 0


def test_one_schedule_group_per_stack_named_in_the_handlers_environment(synth: Synth) -> None:
    _, group = synth.one("AWS::Scheduler::ScheduleGroup")
    assert group["Properties"]["Name"] == GROUP
    variables = env(synth)
    assert variables[contract.EnvVar.SLA_TIMERS_ENABLED] == "true"
    assert variables[contract.EnvVar.SLA_SCHEDULE_GROUP] == GROUP
    assert rendered(variables[contract.EnvVar.SLA_TIMER_TARGET_ARN]) == FUNCTION_ARN
    function = synth.raw["Resources"][synth.logical_id(synth.stack.compute.function)]
    assert function["Properties"]["FunctionName"] == "ConnectEscalation-dev-handler"


def test_the_scheduler_role_may_only_invoke_the_handler_and_dead_letter(synth: Synth) -> None:
    timers = synth.stack.sla_timers
    assert timers is not None
    role = synth.raw["Resources"][synth.logical_id(timers.scheduler_role)]["Properties"]
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "scheduler.amazonaws.com"}
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}
    granted = grants(synth, timers.scheduler_role)
    assert set(granted) == {"lambda:InvokeFunction", "sqs:SendMessage", "kms:GenerateDataKey", "kms:Decrypt"}
    (invoke,) = granted["lambda:InvokeFunction"]
    assert [rendered(r) for r in as_list(invoke["Resource"])] == [FUNCTION_ARN]
    (send,) = granted["sqs:SendMessage"]
    assert send["Resource"] == {"Fn::GetAtt": [synth.logical_id(timers.dlq), "Arn"]}
    assert env(synth)[contract.EnvVar.SLA_SCHEDULER_ROLE_ARN] == {
        "Fn::GetAtt": [synth.logical_id(timers.scheduler_role), "Arn"]
    }


def test_the_handler_manages_schedules_of_its_group_only_and_passes_only_the_scheduler_role(
    synth: Synth,
) -> None:
    timers = synth.stack.sla_timers
    assert timers is not None
    granted = grants(synth, synth.stack.compute.role)
    schedules = f"arn:<AWS::Partition>:scheduler:<AWS::Region>:<AWS::AccountId>:schedule/{GROUP}/*"
    for action in ("scheduler:CreateSchedule", "scheduler:DeleteSchedule"):
        (statement,) = granted[action]
        assert [rendered(r) for r in as_list(statement["Resource"])] == [schedules]
    assert not {a for a in granted if a.startswith("scheduler:")} - {
        "scheduler:CreateSchedule",
        "scheduler:DeleteSchedule",
    }
    (pass_role,) = granted["iam:PassRole"]
    assert pass_role["Resource"] == {"Fn::GetAtt": [synth.logical_id(timers.scheduler_role), "Arn"]}
    assert pass_role["Condition"] == {"StringEquals": {"iam:PassedToService": "scheduler.amazonaws.com"}}


def test_the_schedule_and_delivery_dlqs_are_encrypted_retained_and_alarmed(synth: Synth) -> None:
    timers = synth.stack.sla_timers
    assert timers is not None
    assert_retained(synth, timers.dlq)
    assert_retained(synth, timers.delivery_dlq)
    delivery_alarm = synth.raw["Resources"][synth.logical_id(timers.delivery_dlq_alarm)]["Properties"]
    assert delivery_alarm["Dimensions"][0]["Value"]["Fn::GetAtt"][0] == synth.logical_id(timers.delivery_dlq)
    queue = synth.raw["Resources"][synth.logical_id(timers.dlq)]["Properties"]
    assert queue["KmsMasterKeyId"] == {"Fn::GetAtt": [synth.logical_id(synth.stack.storage.key), "Arn"]}
    assert env(synth)[contract.EnvVar.SLA_SCHEDULE_DLQ_ARN] == {
        "Fn::GetAtt": [synth.logical_id(timers.dlq), "Arn"]
    }
    alarm = synth.raw["Resources"][synth.logical_id(timers.dlq_alarm)]["Properties"]
    assert alarm["Dimensions"] == [
        {"Name": "QueueName", "Value": {"Fn::GetAtt": [synth.logical_id(timers.dlq), "QueueName"]}}
    ]
    assert alarm["AlarmActions"] == [{"Ref": synth.logical_id(synth.stack.alerts.topic)}]


def test_sla_timers_off_leaves_out_the_rule_group_role_and_grants(synth_off: Synth) -> None:
    assert synth_off.stack.sla_timers is None
    assert not synth_off.resources("AWS::Scheduler::ScheduleGroup")
    rules = synth_off.resources("AWS::Events::Rule").values()
    assert all(r["Properties"]["EventPattern"]["source"] != [contract.CONTACT_EVENT_SOURCE] for r in rules)
    granted = grants(synth_off, synth_off.stack.compute.role)
    assert not {a for a in granted if a.startswith("scheduler:") or a == "iam:PassRole"}
    roles = synth_off.resources("AWS::IAM::Role").values()
    assert all(
        "scheduler.amazonaws.com" not in str(r["Properties"]["AssumeRolePolicyDocument"]) for r in roles
    )
    variables = env(synth_off)
    assert variables[contract.EnvVar.SLA_TIMERS_ENABLED] == "false"
    assert contract.EnvVar.SLA_SCHEDULE_GROUP not in variables


def test_timed_channels_deploy_a_rule_for_exactly_those_channels_and_tell_the_function(
    synthesized: Callable[[str], Synth],
) -> None:
    every_channel = synthesized("options")  # -c timedChannels=task,EMAIL,VOICE,CHAT
    timers = every_channel.stack.sla_timers
    assert timers is not None
    pattern = every_channel.raw["Resources"][every_channel.logical_id(timers.rule)]["Properties"][
        "EventPattern"
    ]
    assert pattern["detail"]["channel"] == [
        {"equals-ignore-case": name} for name in ("VOICE", "CHAT", "TASK", "EMAIL")
    ]
    assert env(every_channel)[contract.EnvVar.SLA_TIMED_CHANNELS] == "VOICE,CHAT,TASK,EMAIL"


def test_the_default_deployment_times_tasks_and_emails(synth: Synth) -> None:
    assert env(synth)[contract.EnvVar.SLA_TIMED_CHANNELS] == "TASK,EMAIL"
