"""The stack with every optional context key set: CORS, imported pool, custom bus, e-mail, SSM rules."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from aws_lambda_powertools.shared.version import VERSION as POWERTOOLS_VERSION

from escalation import contract
from infra import storage
from infra.config import LAMBDA_ROOT
from infra.gateway_responses import GATEWAY_ANSWERS
from tests.infra.infra_support import (
    DESKTOP_ORIGIN,
    IMPORTED_CLIENT_IDS,
    IMPORTED_POOL_ID,
    Synth,
    as_list,
    assert_retained,
    gateway_responses,
    layer_parameter_path,
    rendered,
    statements,
)

pytestmark = pytest.mark.infra

PARAMETER_NAME = f"/{contract.SERVICE_NAME}/ConnectEscalation-prod/routing-rules"


@pytest.fixture(scope="module")
def synth(synthesized: Callable[[str], Synth]) -> Synth:
    return synthesized("options")


def test_env_name_is_used_in_the_stack_and_dashboard_names(synth: Synth) -> None:
    assert synth.stack.stack_name == "ConnectEscalation-prod"
    _, dashboard = synth.one("AWS::CloudWatch::Dashboard")
    assert rendered(dashboard["Properties"]["DashboardName"]) == "ConnectEscalation-prod-<AWS::Region>"


def test_imported_user_pool_backs_the_authorizer_and_names_the_accepted_clients(synth: Synth) -> None:
    assert not synth.resources("AWS::Cognito::UserPool")
    _, authorizer = synth.one("AWS::ApiGateway::Authorizer")
    (arn,) = authorizer["Properties"]["ProviderARNs"]
    assert IMPORTED_POOL_ID in json.dumps(arn)
    assert "UserPoolClientId" not in synth.raw["Outputs"]
    _, function = synth.one("AWS::Lambda::Function")
    variables = function["Properties"]["Environment"]["Variables"]
    assert variables[contract.EnvVar.CALLER_CLIENT_IDS] == IMPORTED_CLIENT_IDS.replace(" ", "")


def test_cors_preflight_allows_the_idempotency_key_for_the_desktop_origin_only(synth: Synth) -> None:
    methods = [m["Properties"] for m in synth.resources("AWS::ApiGateway::Method").values()]
    options = [m for m in methods if m["HttpMethod"] == "OPTIONS"]
    assert options, "expected CORS preflight methods"
    for method in options:
        assert method["AuthorizationType"] == "NONE"
        headers = method["Integration"]["IntegrationResponses"][0]["ResponseParameters"]
        assert headers["method.response.header.Access-Control-Allow-Origin"] == f"'{DESKTOP_ORIGIN}'"
        allowed = headers["method.response.header.Access-Control-Allow-Headers"].strip("'").split(",")
        assert {"Idempotency-Key", "Authorization", "Content-Type"} <= set(allowed)
    (post,) = [m for m in methods if m["HttpMethod"] == "POST"]
    assert post["AuthorizationType"] == "COGNITO_USER_POOLS"


def test_gateway_answers_carry_cors_headers_and_expose_retry_after(synth: Synth) -> None:
    responses = gateway_responses(synth)
    assert set(responses) == {a.response_type for a in GATEWAY_ANSWERS}
    for answer in GATEWAY_ANSWERS:
        props = responses[answer.response_type]
        assert props["ResponseTemplates"] == {"application/json": answer.body_template()}
        headers = props["ResponseParameters"]
        assert headers["gatewayresponse.header.Access-Control-Allow-Origin"] == f"'{DESKTOP_ORIGIN}'"
        assert headers["gatewayresponse.header.Access-Control-Expose-Headers"] == "'Retry-After'"
    assert responses["THROTTLED"]["ResponseParameters"]["gatewayresponse.header.Retry-After"] == "'1'"
    assert responses["UNAUTHORIZED"]["StatusCode"] == "401"


def test_dead_letter_queues_are_retained_with_every_option(synth: Synth) -> None:
    assert_retained(synth, synth.stack.storage.dlq)
    assert_retained(synth, synth.stack.events.dlq)


def test_powertools_layer_path_is_version_pinned(synth: Synth) -> None:
    path = layer_parameter_path(synth)
    assert path == f"/aws/service/powertools/python/arm64/python3.13/{POWERTOOLS_VERSION}"


def test_rule_listens_on_the_configured_bus(synth: Synth) -> None:
    rule = synth.raw["Resources"][synth.logical_id(synth.stack.events.rule)]
    assert rule["Properties"]["EventBusName"] == "contact-center"
    assert rule["Properties"]["EventPattern"] == contract.SLA_BREACH_EVENT_PATTERN


def test_escalation_events_go_to_the_configured_bus_only(synth: Synth) -> None:
    _, function = synth.one("AWS::Lambda::Function")
    assert (
        function["Properties"]["Environment"]["Variables"][contract.EnvVar.EVENT_BUS_NAME] == "contact-center"
    )
    grants = [
        rendered(resource)
        for statement in statements(synth)
        if "events:PutEvents" in as_list(statement["Action"])
        for resource in as_list(statement["Resource"])
    ]
    assert grants == ["arn:<AWS::Partition>:events:<AWS::Region>:<AWS::AccountId>:event-bus/contact-center"]


def test_audit_retention_days_sets_the_ledgers_retention(synth: Synth) -> None:
    _, function = synth.one("AWS::Lambda::Function")
    assert function["Properties"]["Environment"]["Variables"][contract.EnvVar.LEDGER_RETENTION_DAYS] == "730"


def test_alert_email_is_subscribed_to_the_topic(synth: Synth) -> None:
    synth.template.has_resource_properties(
        "AWS::SNS::Subscription",
        {
            "Protocol": "email",
            "Endpoint": "oncall@example.com",
            "TopicArn": {"Ref": synth.logical_id(synth.stack.alerts.topic)},
        },
    )


def test_routing_rules_parameter_holds_the_bundled_rules_and_only_it_is_readable(synth: Synth) -> None:
    param_id, param = synth.one("AWS::SSM::Parameter")
    assert param["Properties"]["Name"] == PARAMETER_NAME
    expected = storage.read_routing_rules(LAMBDA_ROOT / contract.DEFAULT_ROUTING_RULES_FILE)
    assert json.loads(param["Properties"]["Value"]) == json.loads(expected)
    _, function = synth.one("AWS::Lambda::Function")
    env = function["Properties"]["Environment"]["Variables"]
    assert env[contract.EnvVar.ROUTING_RULES] == f"ssm:{PARAMETER_NAME}"
    grants: list[Any] = [
        s["Resource"] for s in statements(synth) if "ssm:GetParameter" in as_list(s["Action"])
    ]
    assert len(grants) == 1
    assert {"Ref": param_id} in grants[0]["Fn::Join"][1]  # this parameter's ARN, nothing wider
    assert not any(
        a.startswith("ssm:") and a != "ssm:GetParameter"
        for s in statements(synth)
        for a in as_list(s["Action"])
    )


def test_reservation_and_raised_quota_set_the_per_environment_rate(synth: Synth) -> None:
    _, function = synth.one("AWS::Lambda::Function")
    props = function["Properties"]
    assert props["ReservedConcurrentExecutions"] == 3
    # A raised quota of 6 transfers/s over 3 environments: 2/s each.
    assert props["Environment"]["Variables"][contract.EnvVar.CONNECT_TRANSFER_RATE] == "2"
    assert props["Environment"]["Variables"][contract.EnvVar.SUPERVISOR_GROUP] == "cc-supervisors"


def test_empty_rules_when_the_bundled_file_is_missing(tmp_path: Any) -> None:
    assert json.loads(storage.read_routing_rules(tmp_path / "absent.json")) == {"rules": []}
    present = tmp_path / "rules.json"
    present.write_text('{\n  "rules": [{"when": {}, "then": {}}]\n}\n')
    assert storage.read_routing_rules(present) == '{"rules":[{"when":{},"then":{}}]}'
