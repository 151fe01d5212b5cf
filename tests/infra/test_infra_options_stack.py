"""The stack with every optional context key set: CORS, imported pool, custom bus, e-mail, SSM rules."""

from __future__ import annotations

import json
from typing import Any

import pytest

from escalation import contract
from infra import storage
from infra.config import LAMBDA_ROOT
from tests.infra.infra_support import (
    INSTANCE_ID,
    Synth,
    as_list,
    assert_acknowledgments_have_reasons,
    assert_cfn_lint_clean,
    assert_no_nag_findings,
    statements,
    synthesize,
)

pytestmark = pytest.mark.infra

ORIGIN = "https://example.my.connect.aws"
POOL_ID = "eu-west-1_AbCdEfGhI"
PARAMETER_NAME = f"/{contract.SERVICE_NAME}/prod/routing-rules"


@pytest.fixture(scope="module")
def synth(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    context = {
        "connectInstanceId": INSTANCE_ID,
        "envName": "prod",
        "userPoolId": POOL_ID,
        "eventBusName": "contact-center",
        "alertEmail": "oncall@example.com",
        "desktopOrigin": ORIGIN + "/",
        "routingRulesParameter": "true",
        "reservedConcurrency": "3",
        "transferQuota": "6",
        "supervisorGroup": "cc-supervisors",
    }
    return synthesize(context, tmp_path_factory.mktemp("cdk-options"))


def test_checks_cdk_nag_has_no_unacknowledged_findings(synth: Synth) -> None:
    assert_no_nag_findings(synth)


def test_checks_every_acknowledgment_has_a_reason(synth: Synth) -> None:
    assert_acknowledgments_have_reasons(synth)


def test_checks_cfn_lint_is_clean(synth: Synth) -> None:
    assert_cfn_lint_clean(synth)


def test_env_name_is_used_in_names(synth: Synth) -> None:
    assert synth.stack.stack_name == "ConnectEscalation-prod"
    _, dashboard = synth.one("AWS::CloudWatch::Dashboard")
    assert dashboard["Properties"]["DashboardName"] == f"{contract.SERVICE_NAME}-prod"


def test_imported_user_pool_backs_the_authorizer(synth: Synth) -> None:
    assert not synth.resources("AWS::Cognito::UserPool")
    _, authorizer = synth.one("AWS::ApiGateway::Authorizer")
    (arn,) = authorizer["Properties"]["ProviderARNs"]
    assert POOL_ID in json.dumps(arn)
    assert "UserPoolClientId" not in synth.raw["Outputs"]


def test_cors_preflight_and_gateway_responses_name_the_desktop_origin(synth: Synth) -> None:
    methods = [m["Properties"] for m in synth.resources("AWS::ApiGateway::Method").values()]
    options = [m for m in methods if m["HttpMethod"] == "OPTIONS"]
    assert options, "expected CORS preflight methods"
    for method in options:
        assert method["AuthorizationType"] == "NONE"
        headers = method["Integration"]["IntegrationResponses"][0]["ResponseParameters"]
        assert headers["method.response.header.Access-Control-Allow-Origin"] == f"'{ORIGIN}'"
    (post,) = [m for m in methods if m["HttpMethod"] == "POST"]
    assert post["AuthorizationType"] == "COGNITO_USER_POOLS"
    responses = synth.resources("AWS::ApiGateway::GatewayResponse")
    assert {r["Properties"]["ResponseType"] for r in responses.values()} == {"DEFAULT_4XX", "DEFAULT_5XX"}
    for response in responses.values():
        assert response["Properties"]["ResponseParameters"] == {
            "gatewayresponse.header.Access-Control-Allow-Origin": f"'{ORIGIN}'"
        }


def test_rule_listens_on_the_configured_bus(synth: Synth) -> None:
    _, rule = synth.one("AWS::Events::Rule")
    assert rule["Properties"]["EventBusName"] == "contact-center"
    assert rule["Properties"]["EventPattern"] == contract.SLA_BREACH_EVENT_PATTERN


def test_alert_email_subscription(synth: Synth) -> None:
    synth.template.has_resource_properties(
        "AWS::SNS::Subscription",
        {
            "Protocol": "email",
            "Endpoint": "oncall@example.com",
            "TopicArn": {"Ref": synth.logical_id(synth.stack.alerts.topic)},
        },
    )


def test_routing_rules_parameter_and_its_grant(synth: Synth) -> None:
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


def test_context_overrides_reach_the_function(synth: Synth) -> None:
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
